// Scenario 5: the resize tasks of accepted uploads are lost (the `celery` queue is purged before any
// worker saw them). `imgr sweep`, the reconciliation command Nomad runs periodically, finds the
// originals without their sizes and enqueues them again; a worker then makes every size.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { imgrEnv, repoRoot } from '../support/services.js';
import {
  bucketFor,
  byStatus,
  closedLoop,
  missingVariants,
  now,
  processes,
  purgeQueues,
  removeBucket,
  report,
  reportIfBroken,
  upload,
  waitForVariants,
} from './harness.js';

const UPLOADS = 30;
const bucket = bucketFor('purge');
const procs = processes();
const run = promisify(execFile);

afterAll(async () => {
  await procs.stopAll();
  await removeBucket(bucket);
});

/** One `imgr sweep` run as a process; returns its JSON report. */
async function sweep(): Promise<{ originals: number; complete: number; requeued: number; tasks: number }> {
  const { stdout } = await run(process.execPath, [join(repoRoot, 'cli/dist/main.js'), 'sweep'], {
    env: { PATH: process.env.PATH ?? '', ...imgrEnv(bucket, { IMGR_SWEEP_MIN_AGE_S: '0' }) },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

it('the sweep restores every variant after the queue lost its messages', async () => {
  reportIfBroken('purge-sweep');
  await purgeQueues();
  const api = await procs.start('api', bucket);
  let sent = 0;
  const outcomes = await closedLoop(
    4,
    () => sent >= UPLOADS,
    (i) => {
      sent++;
      return upload(api.url, i, 30_000);
    },
  );
  const accepted = outcomes.flatMap((o) => (o.id ? [o.id] : []));
  const purged = (await purgeQueues()).celery;
  const missingBefore = await missingVariants(bucket, accepted);

  const started = now();
  const first = await sweep();
  const worker = await procs.start('worker', bucket);
  const drain = await waitForVariants(bucket, accepted, 90_000);
  // A second pass finds nothing left to do.
  const second = await sweep();

  const figures = {
    uploads: outcomes.length,
    statuses: byStatus(outcomes),
    purged_messages: purged,
    variants_missing_before_sweep: missingBefore,
    sweep_requeued_images: first.requeued,
    sweep_tasks: first.tasks,
    variants_missing: drain.missing,
    restore_ms: Math.round(now() - started),
    second_sweep_requeued: second.requeued,
    second_sweep_complete: second.complete,
  };
  const pass =
    accepted.length === UPLOADS &&
    purged === UPLOADS * 4 &&
    first.requeued === UPLOADS &&
    drain.missing === 0 &&
    second.requeued === 0 &&
    second.complete === UPLOADS;
  report('purge-sweep', figures, pass);
  expect(figures, `${procs.logs()}\n${worker.output()}`).toMatchObject({
    statuses: { 201: UPLOADS },
    purged_messages: UPLOADS * 4,
    variants_missing_before_sweep: UPLOADS * 4,
    sweep_requeued_images: UPLOADS,
    sweep_tasks: UPLOADS * 4,
    variants_missing: 0,
    second_sweep_requeued: 0,
    second_sweep_complete: UPLOADS,
  });
});
