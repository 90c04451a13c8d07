// Scenario 2: the RabbitMQ node is stopped (the whole Erlang VM, as a crash or an upgrade would) and
// started again in the middle of 60 s of steady uploads. Never a 500; uploads while it is down get a
// quick 503 with Retry-After; the API and the worker reconnect by themselves; every 201 gets its sizes.
import { afterAll, expect, it } from 'vitest';
import {
  bucketFor,
  byStatus,
  control,
  maxLatency,
  now,
  openLoop,
  processes,
  purgeQueues,
  queueState,
  removeBucket,
  report,
  reportIfBroken,
  sleep,
  upload,
  waitForVariants,
  watchStatus,
} from './harness.js';

const LOAD_MS = 60_000;
const UPLOADS_PER_S = 4;
const STOP_AT_MS = 15_000;
/** The broker stays down this long after it stopped, on top of its own boot time. */
const HOLD_DOWN_MS = 5_000;
/** An answer slower than this is a hang: the API's publish is bounded by IMGR_PUBLISH_TIMEOUT_MS (5 s). */
const HANG_MS = 7_000;
const WORKERS = 2;
const bucket = bucketFor('broker');
const procs = processes();

afterAll(async () => {
  await control('rabbit-start');
  await procs.stopAll();
  await removeBucket(bucket);
});

it('a broker restart costs 503s with Retry-After, never a 500, a hang or an upload', async () => {
  reportIfBroken('broker-restart');
  await purgeQueues();
  const api = await procs.start('api', bucket);
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => procs.start('worker', bucket)));
  const apiReady = watchStatus(`${api.url}/health/ready`);
  const workerReady = workers.map((worker) => watchStatus(`${worker.url}/health/ready`));

  const origin = now();
  const load = openLoop(
    UPLOADS_PER_S,
    () => now() - origin > LOAD_MS,
    (i) => upload(api.url, i, HANG_MS + 5_000),
  );

  await sleep(STOP_AT_MS);
  const stopBegin = now();
  await control('rabbit-stop');
  const down = now();
  await sleep(HOLD_DOWN_MS);
  const startBegin = now();
  await control('rabbit-start');
  const up = now(); // the AMQP port accepts connections again

  // The workers consume again when the queue sees their consumers.
  let consumersBack: number | undefined;
  while (consumersBack === undefined && now() - up < 30_000) {
    if ((await queueState())?.consumers === WORKERS) consumersBack = now();
    else await sleep(100);
  }

  const outcomes = await load;
  await Promise.all([apiReady.stop(), ...workerReady.map((watch) => watch.stop())]);
  const accepted = outcomes.flatMap((o) => (o.id ? [o.id] : []));
  const drain = await waitForVariants(bucket, accepted, 90_000);

  // Requests that were sent while the broker was stopping, stopped or starting.
  const during = outcomes.filter((o) => o.start >= stopBegin && o.start < up);
  const refused = outcomes.filter((o) => o.status === 503);
  const since = (at: number | undefined, from: number) => (at === undefined ? null : Math.round(at - from));
  const firstAcceptedAfter = outcomes.filter((o) => o.status === 201 && o.start >= up).sort((a, b) => a.end - b.end)[0];
  const figures = {
    uploads: outcomes.length,
    statuses: byStatus(outcomes),
    status_500: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length,
    no_answer: outcomes.filter((o) => o.status === 0).length,
    broker_down_ms: Math.round(up - stopBegin),
    broker_stop_ms: Math.round(down - stopBegin),
    broker_start_ms: Math.round(up - startBegin),
    uploads_during_outage: during.length,
    outage_statuses: byStatus(during),
    status_503_without_retry_after: refused.filter((o) => !o.retryAfter).length,
    max_latency_during_outage_ms: maxLatency(during),
    max_latency_ms: maxLatency(outcomes),
    api_ready_red: apiReady.firstAfter(stopBegin, 503) !== undefined,
    api_ready_after_broker_up_ms: since(apiReady.firstAfter(up, 200), up),
    worker_ready_after_broker_up_ms: workerReady.map((watch) => since(watch.firstAfter(up, 200), up)),
    worker_consuming_after_broker_up_ms: since(consumersBack, up),
    first_201_after_broker_up_ms: since(firstAcceptedAfter?.end, up),
    accepted: accepted.length,
    variants_missing: drain.missing,
    drain_ms: drain.ms,
  };
  const pass =
    figures.status_500 === 0 &&
    figures.no_answer === 0 &&
    figures.status_503_without_retry_after === 0 &&
    Object.keys(figures.statuses).every((status) => status === '201' || status === '503') &&
    figures.max_latency_ms < HANG_MS &&
    figures.api_ready_after_broker_up_ms !== null &&
    figures.worker_consuming_after_broker_up_ms !== null &&
    figures.variants_missing === 0 &&
    figures.uploads_during_outage > 0;
  report('broker-restart', figures, pass);
  const logs = procs.logs();
  expect(figures, logs).toMatchObject({ status_500: 0, no_answer: 0, status_503_without_retry_after: 0, variants_missing: 0 });
  expect(Object.keys(figures.statuses).sort(), logs).toEqual(expect.arrayContaining(['201']));
  expect(
    Object.keys(figures.statuses).filter((status) => status !== '201' && status !== '503'),
    logs,
  ).toEqual([]);
  expect(figures.max_latency_ms, 'an upload hung').toBeLessThan(HANG_MS);
  expect(figures.uploads_during_outage).toBeGreaterThan(0);
  expect(figures.api_ready_red, 'API readiness stayed green with the broker down').toBe(true);
  expect(figures.api_ready_after_broker_up_ms, 'API readiness never green again').not.toBeNull();
  expect(figures.worker_ready_after_broker_up_ms, 'worker readiness never green again').not.toContain(null);
  expect(figures.worker_consuming_after_broker_up_ms, 'workers did not consume again').not.toBeNull();
});
