// Uploads hostile images to a real `imgr all` and reports its peak RSS, CPU seconds per image and
// the time of a concurrent read of another image. Usage: node bench/hostile-decode.mjs (after npm run build).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { gifScreenBomb, undecodablePng, webpCanvasBomb } from '../tests/support/image-bombs.mjs';
import { startImgr } from '../tests/support/imgr-process.mjs';

const proc = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    hwmMb: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024,
    rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
    cpuS: (Number(stat[11]) + Number(stat[12])) / 100,
  };
};
const imgr = await startImgr('all', { IMGR_DATA_DIR: mkdtempSync(join(tmpdir(), 'imgr-hd-')), LOG_LEVEL: 'warn' });
const child = imgr.child;
const api = imgr.url;
const post = async (bytes) => {
  const form = new FormData();
  form.append('file', new Blob([bytes]), 'x');
  const r = await fetch(`${api}/image`, { method: 'POST', body: form });
  return [r.status, await r.json()];
};
const [, victim] = await post(
  await sharp({ create: { width: 800, height: 600, channels: 3, background: '#36c' } })
    .jpeg()
    .toBuffer(),
);
await new Promise((r) => setTimeout(r, 1500));
const inputs = {
  'webp 7000² x 5 frames (284 B)': await webpCanvasBomb(7000, 5),
  'webp 7000² x 10 frames': await webpCanvasBomb(7000, 10),
  'gif 7000² x 300 frames': await gifScreenBomb(7000, 300),
  'undecodable png': await undecodablePng(),
  'gif 4096² x 5 frames (allowed)': await gifScreenBomb(4096, 5),
};
for (const [name, bytes] of Object.entries(inputs)) {
  const before = proc(child.pid);
  let worstRead = 0,
    done = false;
  const reads = (async () => {
    while (!done) {
      const t = Date.now();
      await (await fetch(`${api}/image/${victim.id}/small`)).arrayBuffer();
      worstRead = Math.max(worstRead, Date.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const [status, body] = await post(bytes);
  let state = '';
  for (let i = 0; status === 201 && i < 300; i++) {
    const s = await (await fetch(`${api}/image/${body.id}/status`)).json();
    state = JSON.stringify(s.sizes.tiny);
    if (!state.includes('pending')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  done = true;
  await reads;
  const after = proc(child.pid);
  console.log(
    JSON.stringify({
      input: name,
      bytes: bytes.length,
      status,
      error: body.error,
      message: body.message,
      tiny: state || undefined,
      cpuS: +(after.cpuS - before.cpuS).toFixed(2),
      peakRssMb: Math.round(after.hwmMb),
      worstConcurrentReadMs: worstRead,
    }),
  );
}
await imgr.stop();
