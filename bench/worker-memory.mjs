// The worker's peak resident memory under its worst legitimate backlog: as many of the largest images
// the API accepts (25 MiB, 49 Mpx JPEGs) as the worker's prefetch lets it hold, against real RabbitMQ and
// S3, with the deployment's concurrency and prefetch. Prints the peak beside the Nomad job's memory limit.
// Usage: node bench/worker-memory.mjs [count] [jpeg|png]   (after npm run build; RabbitMQ and Ceph S3 running)
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { processEnv, startImgr } from './lib/imgr.mjs';

const count = Number(process.argv[2] ?? 16);
const job = readFileSync(new URL('../deploy/nomad/imgr.nomad.hcl', import.meta.url), 'utf8');
const workerBlock = job.slice(job.indexOf('task "worker"'));
const memoryLimitMb = Number(workerBlock.match(/memory\s*=\s*(\d+)/)?.[1]);
// The worker's concurrency and prefetch come from deploy/runtime/worker.env, which startImgr applies
// (the Nomad job is held to the same file); printed beside the figures.
const { IMGR_WORKER_CONCURRENCY, IMGR_WORKER_PREFETCH } = processEnv('worker');
const settings = { IMGR_WORKER_CONCURRENCY, IMGR_WORKER_PREFETCH };

const bucket = `imgr-bench-mem-${Date.now().toString(36)}`;
const env = {
  CELERY_BROKER_URL: process.env.IMGR_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F',
  S3_ENDPOINT_URL: process.env.IMGR_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  AWS_ACCESS_KEY_ID: process.env.IMGR_TEST_S3_ACCESS_KEY ?? 'test',
  AWS_SECRET_ACCESS_KEY: process.env.IMGR_TEST_S3_SECRET_KEY ?? 'testsecret',
  S3_BUCKET_NAME: bucket,
  LOG_LEVEL: 'warn',
};
const hwmMb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

// jpeg: 7000 x 7000 of noise at quality 90, 49 Mpx (under the 50 Mpx limit) in ~23 MB (under 25 MiB): the
// largest transfer. png: 7000 x 7000 with alpha, 49 Mpx in a few MB, decoded whole (PNG has no
// shrink-on-load): the largest decode.
const kind = process.argv[3] ?? 'jpeg';
const noise = sharp({
  create: { width: 7000, height: 7000, channels: kind === 'png' ? 4 : 3, noise: { type: 'gaussian', mean: 128, sigma: 20 } },
});
const photo =
  kind === 'png'
    ? await sharp(await noise.resize(700, 700).png().toBuffer())
        .resize(7000, 7000, { kernel: 'nearest' })
        .png()
        .toBuffer()
    : await noise.jpeg({ quality: 90 }).toBuffer();

const api = await startImgr('api', env);
// The worker starts with no backlog and the API's uploads queue up first: it then receives `prefetch` at once.
const ids = [];
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (ids.length < count) {
      ids.push('');
      const form = new FormData();
      form.append('file', new Blob([photo]), `large.${kind}`);
      const response = await fetch(`${api.url}/image`, { method: 'POST', body: form });
      if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
      ids[ids.indexOf('')] = (await response.json()).id;
    }
  }),
);
const worker = await startImgr('worker', env);
const idleMb = hwmMb(worker.pid);
const started = Date.now();
for (const id of ids) {
  for (;;) {
    const status = await (await fetch(`${api.url}/image/${id}/status`)).json();
    if (Object.values(status.sizes ?? {}).every((size) => size.status !== 'pending')) break;
    if (Date.now() - started > 600_000) throw new Error(`image ${id} still pending after 10 min`);
    await sleep(200);
  }
}
const peakMb = hwmMb(worker.pid);
await worker.stop();
await api.stop();
console.log(
  JSON.stringify({
    images: count,
    kind,
    bytesEach: photo.length,
    ...settings,
    workerIdleMb: Math.round(idleMb),
    workerPeakMb: Math.round(peakMb),
    jobMemoryMb: memoryLimitMb,
    peakOverLimit: Number((peakMb / memoryLimitMb).toFixed(2)),
    seconds: Math.round((Date.now() - started) / 1000),
  }),
);
