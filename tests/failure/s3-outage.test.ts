// Scenario 3: the S3 gateway is stopped for 10 s under uploads and downloads. While it is down every
// answer is a quick 503 (never a 500, never a hang); after it is back, uploads and downloads succeed
// again without restarting anything, and the uploads accepted around the outage get their sizes.
import { VARIANTS } from '@imgr/core';
import { afterAll, expect, it } from 'vitest';
import {
  bucketFor,
  byStatus,
  control,
  download,
  maxLatency,
  now,
  type Outcome,
  openLoop,
  processes,
  purgeQueues,
  removeBucket,
  report,
  reportIfBroken,
  sleep,
  upload,
  waitForVariants,
  watchStatus,
} from './harness.js';

const BEFORE_MS = 5_000;
const DOWN_MS = 10_000;
const AFTER_MS = 8_000;
const UPLOADS_PER_S = 2;
const DOWNLOADS_PER_S = 8;
/** S3 calls fail fast on a refused connection; anything slower than this is a hang. */
const HANG_MS = 7_000;
const bucket = bucketFor('s3');
const procs = processes();

afterAll(async () => {
  await control('rgw-start');
  await procs.stopAll();
  await removeBucket(bucket);
});

it('an S3 outage costs 503s only, and the service recovers by itself', async () => {
  reportIfBroken('s3-outage');
  await purgeQueues();
  const api = await procs.start('api', bucket);
  const worker = await procs.start('worker', bucket);

  // Images to download during the test, complete before it starts.
  const seeded = (await Promise.all([0, 1, 2, 3, 4, 5].map((i) => upload(api.url, i, 30_000)))).flatMap((o) => (o.id ? [o.id] : []));
  expect(seeded).toHaveLength(6);
  expect((await waitForVariants(bucket, seeded, 60_000)).missing).toBe(0);
  const kinds = ['', ...VARIANTS.map((variant) => `/${variant.name}`)];
  const readUrl = (i: number) => `${api.url}/image/${seeded[i % seeded.length]}${kinds[Math.floor(i / seeded.length) % kinds.length]}`;

  const apiReady = watchStatus(`${api.url}/health/ready`);
  const workerReady = watchStatus(`${worker.url}/health/ready`);
  const origin = now();
  const end = BEFORE_MS + DOWN_MS + AFTER_MS;
  const stop = () => now() - origin > end;
  const load = Promise.all([
    openLoop(UPLOADS_PER_S, stop, (i) => upload(api.url, i, HANG_MS + 5_000)),
    openLoop(DOWNLOADS_PER_S, stop, (i) => download(readUrl(i), HANG_MS + 5_000)),
  ]);

  await sleep(BEFORE_MS);
  const stopBegin = now();
  await control('rgw-stop');
  const down = now(); // the gateway process is gone
  await sleep(DOWN_MS);
  const startBegin = now();
  await control('rgw-start');
  const up = now(); // the gateway answers again

  const outcomes: Outcome[] = (await load).flat();
  await Promise.all([apiReady.stop(), workerReady.stop()]);
  const accepted = outcomes.flatMap((o) => (o.id ? [o.id] : []));
  const drain = await waitForVariants(bucket, accepted, 60_000);

  // Answered while the gateway was certainly down: after its process ended, before it was started.
  const whileDown = outcomes.filter((o) => o.end > down && o.end < startBegin);
  const firstSuccess = (kind: Outcome['kind']) =>
    outcomes.filter((o) => o.kind === kind && o.status < 300 && o.start >= startBegin).sort((a, b) => a.end - b.end)[0];
  // From the moment the gateway's own probe saw it answer; 0 when imgr had already got through before that.
  const since = (at: number | undefined) => (at === undefined ? null : Math.max(0, Math.round(at - up)));
  const uploads = outcomes.filter((o) => o.kind === 'upload');
  const downloads = outcomes.filter((o) => o.kind === 'download');
  const figures = {
    requests: outcomes.length,
    upload_statuses: byStatus(uploads),
    download_statuses: byStatus(downloads),
    s3_down_ms: Math.round(up - stopBegin),
    s3_start_ms: Math.round(up - startBegin),
    answered_while_down: whileDown.length,
    while_down_statuses: byStatus(whileDown),
    status_500: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length,
    no_answer: outcomes.filter((o) => o.status === 0).length,
    status_503_without_retry_after: outcomes.filter((o) => o.status === 503 && !o.retryAfter).length,
    max_latency_while_down_ms: maxLatency(whileDown),
    max_latency_ms: maxLatency(outcomes),
    api_ready_red: apiReady.firstAfter(down, 503) !== undefined,
    upload_recovery_ms: since(firstSuccess('upload')?.end),
    download_recovery_ms: since(firstSuccess('download')?.end),
    api_ready_recovery_ms: since(apiReady.firstAfter(up, 200)),
    worker_ready_recovery_ms: since(workerReady.firstAfter(up, 200)),
    accepted: accepted.length,
    variants_missing: drain.missing,
  };
  const statuses = new Set(outcomes.map((o) => o.status));
  const pass =
    whileDown.length > 0 &&
    whileDown.every((o) => o.status === 503) &&
    [...statuses].every((status) => status === 200 || status === 201 || status === 503) &&
    figures.status_503_without_retry_after === 0 &&
    figures.max_latency_ms < HANG_MS &&
    figures.upload_recovery_ms !== null &&
    figures.download_recovery_ms !== null &&
    figures.api_ready_recovery_ms !== null &&
    figures.variants_missing === 0;
  report('s3-outage', figures, pass);
  const logs = procs.logs();
  expect(whileDown.length).toBeGreaterThan(0);
  expect(figures.while_down_statuses, logs).toEqual({ 503: whileDown.length });
  expect(
    [...statuses].filter((status) => ![200, 201, 503].includes(status)),
    logs,
  ).toEqual([]);
  expect(figures.status_503_without_retry_after).toBe(0);
  expect(figures.max_latency_ms, 'a request hung').toBeLessThan(HANG_MS);
  expect(figures.api_ready_red, 'API readiness stayed green with S3 down').toBe(true);
  expect(figures, logs).toMatchObject({
    upload_recovery_ms: expect.any(Number),
    download_recovery_ms: expect.any(Number),
    api_ready_recovery_ms: expect.any(Number),
    worker_ready_recovery_ms: expect.any(Number),
    variants_missing: 0,
  });
});
