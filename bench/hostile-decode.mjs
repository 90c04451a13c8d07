// Uploads hostile images to a real `imgr all` and reports its peak RSS, CPU seconds per image and
// the time of a concurrent read of another image. Usage: node bench/hostile-decode.mjs (after npm run build).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const le32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const le24 = (n) => Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255]);
const u16 = (n) => Buffer.from([n & 255, n >> 8]);
const chunk = (type, data) =>
  Buffer.concat([Buffer.from(type), le32(data.length), data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
async function webpCanvasBomb(side, frames) {
  const one = await sharp({ create: { width: 1, height: 1, channels: 4, background: '#f00' } })
    .webp({ lossless: true })
    .toBuffer();
  const at = one.indexOf('VP8L');
  const vp8l = one.subarray(at, at + 8 + one.readUInt32LE(at + 4));
  const frame = chunk('ANMF', Buffer.concat([le24(0), le24(0), le24(0), le24(0), le24(100), Buffer.from([0]), vp8l]));
  const body = Buffer.concat([
    Buffer.from('WEBP'),
    chunk('VP8X', Buffer.concat([Buffer.from([0x12, 0, 0, 0]), le24(side - 1), le24(side - 1)])),
    chunk('ANIM', Buffer.alloc(6)),
    ...Array(frames).fill(frame),
  ]);
  return Buffer.concat([Buffer.from('RIFF'), le32(body.length), body]);
}
async function gifScreenBomb(side, frames) {
  const big = await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
    .gif({ colours: 2, effort: 1 })
    .toBuffer();
  const frame = Buffer.concat([
    Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0, 0x2c]),
    u16(0),
    u16(0),
    u16(1),
    u16(1),
    Buffer.from([0, 2, 2, 0x44, 0x01, 0]),
  ]);
  return Buffer.concat([big.subarray(0, -1), ...Array(frames - 1).fill(frame), Buffer.from([0x3b])]);
}
async function undecodablePng() {
  const png = Buffer.from(
    await sharp({ create: { width: 256, height: 256, channels: 3, background: '#0f0' } })
      .png()
      .toBuffer(),
  );
  const idat = png.indexOf('IDAT');
  png.fill(0x55, idat + 4, idat + 40);
  return png;
}
const proc = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    hwmMb: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024,
    rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024,
    cpuS: (Number(stat[11]) + Number(stat[12])) / 100,
  };
};
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['cli/dist/main.js', 'all'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', IMGR_DATA_DIR: mkdtempSync(join(tmpdir(), 'imgr-hd-')), LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const api = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${api}/health`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
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
child.kill('SIGTERM');
