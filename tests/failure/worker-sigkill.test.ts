// Scenario 1: workers killed with SIGKILL, again and again, while 200 photos are uploaded. At-least-once
// delivery alone (manual acks, unacknowledged messages handed back by the broker) must get every
// accepted upload its four sizes: the reconciliation sweep is not run here.
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import type { ImgrProcess } from '../support/services.js';
import {
  bucketFor,
  byStatus,
  closedLoop,
  now,
  type Outcome,
  processes,
  purgeQueues,
  queueState,
  removeBucket,
  report,
  reportIfBroken,
  sleep,
  upload,
  waitForVariants,
} from './harness.js';

const UPLOADS = 200;
const WORKERS = 3;
const CLIENTS = 4;
/** Pause between two kills. */
const KILL_EVERY_MS = [700, 1500] as const;
const bucket = bucketFor('sigkill');
const procs = processes();

afterAll(async () => {
  await procs.stopAll();
  await removeBucket(bucket);
});

it('SIGKILLed workers lose no accepted upload', async () => {
  reportIfBroken('worker-sigkill');
  await purgeQueues();
  const api = await procs.start('api', bucket);
  const workerEnv = { IMGR_WORKER_CONCURRENCY: '2', IMGR_WORKER_PREFETCH: '8' };
  const workers: ImgrProcess[] = await Promise.all(Array.from({ length: WORKERS }, () => procs.start('worker', bucket, workerEnv)));

  const started = now();
  let sent = 0;
  let uploadsDone = false;
  const load = closedLoop(
    CLIENTS,
    () => sent >= UPLOADS,
    (i) => {
      sent++;
      return upload(api.url, i, 30_000);
    },
  ).then((outcomes) => {
    uploadsDone = true;
    return outcomes;
  });

  // The killer: every 0.7-1.5 s a random worker that is up dies with SIGKILL and a new one is started in
  // its place (as Nomad would restart it), until the uploads are done and 5 s into the backlog after
  // them. Replacements start in the background: on a busy machine they take seconds to come up.
  // Once, half-way, the signal is SIGTERM instead: that worker must finish or hand back its work and exit 0.
  let kills = 0;
  let uploadsEndedAt: number | undefined;
  let graceful: Promise<{ code: number | null; ms: number }> | undefined;
  const replacements: Promise<void>[] = [];
  for (;;) {
    await sleep(KILL_EVERY_MS[0] + Math.random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
    if (uploadsDone) uploadsEndedAt ??= now();
    if (uploadsEndedAt !== undefined && now() - uploadsEndedAt > 5000) break;
    const up = workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null && !worker.child.killed);
    if (up.length < 2) continue; // never all at once: the scenario is about deaths, not an outage
    const victim = up[Math.floor(Math.random() * up.length)] as ImgrProcess;
    if (!graceful && sent >= UPLOADS / 2) {
      const term = now();
      graceful = (once(victim.child, 'exit') as Promise<[number | null]>).then(([code]) => ({ code, ms: Math.round(now() - term) }));
      victim.child.kill('SIGTERM');
    } else {
      victim.child.kill('SIGKILL');
      kills++;
    }
    replacements.push(procs.start('worker', bucket, workerEnv).then((worker) => void workers.push(worker)));
  }
  const restartFailures = (await Promise.allSettled(replacements)).filter((result) => result.status === 'rejected').length;
  const sigterm = await graceful;
  const outcomes: Outcome[] = await load;
  const accepted = outcomes.flatMap((o) => (o.id ? [o.id] : []));
  const drain = await waitForVariants(bucket, accepted, 120_000);
  const deadLetters = (await queueState('imgr.dead-letter'))?.messages;

  const figures = {
    uploads: outcomes.length,
    accepted: accepted.length,
    statuses: byStatus(outcomes),
    workers: WORKERS,
    kills,
    restart_failures: restartFailures,
    sigterm_exit_code: sigterm?.code,
    sigterm_exit_ms: sigterm?.ms,
    variants_expected: accepted.length * 4,
    variants_missing: drain.missing,
    dead_letters: deadLetters,
    workers_alive_at_end: workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length,
    uploads_s: Math.round((uploadsEndedAt ?? now()) - started) / 1000,
    drain_after_last_kill_ms: drain.ms,
  };
  const pass = accepted.length === UPLOADS && drain.missing === 0 && deadLetters === 0 && kills >= 5 && sigterm?.code === 0;
  report('worker-sigkill', figures, pass);
  expect(figures, procs.logs()).toMatchObject({ accepted: UPLOADS, variants_missing: 0, dead_letters: 0, sigterm_exit_code: 0 });
  expect(kills).toBeGreaterThanOrEqual(5);
});
