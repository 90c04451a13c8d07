// Scenario: a poison message. One upload's tasks kill every worker that takes them (the stand-in for an
// image that gets its worker OOM-killed: the harness SIGKILLs a worker the moment it logs that it
// started a task of that image, and starts a new one as Nomad would). After IMGR_MAX_LOST_DELIVERIES
// lost deliveries each of its tasks must sit in the dead-letter queue with its reason, its status must
// say failed, and the other uploads, made meanwhile, must all get their four sizes.
import type { ChildProcess } from 'node:child_process';
import { DEAD_LETTER_QUEUE, LOST_DELIVERIES_HEADER, REASON_HEADER } from '@imgr/core/amqp';
import amqp from 'amqplib';
import { afterAll, expect, it } from 'vitest';
import { services, waitFor } from '../support/services.js';
import {
  bucketFor,
  byStatus,
  closedLoop,
  now,
  processes,
  purgeQueues,
  queueState,
  removeBucket,
  report,
  reportIfBroken,
  upload,
  waitForVariants,
} from './harness.js';

const MAX_LOST_DELIVERIES = 3;
const UPLOADS = 24;
const bucket = bucketFor('poison');
const procs = processes();

afterAll(async () => {
  await procs.stopAll();
  await removeBucket(bucket);
});

interface DeadLetter {
  key: string;
  size: number;
  reason: unknown;
  lostDeliveries: unknown;
}

/** Takes every message out of the dead-letter queue. */
async function drainDeadLetters(): Promise<DeadLetter[]> {
  const connection = await amqp.connect(services.amqpUrl);
  try {
    const channel = await connection.createChannel();
    const letters: DeadLetter[] = [];
    for (;;) {
      const message = await channel.get(DEAD_LETTER_QUEUE, { noAck: true });
      if (!message) return letters;
      const kwargs = (JSON.parse(message.content.toString('utf8')) as [unknown, { key: string; size: number }])[1];
      const headers = message.properties.headers ?? {};
      letters.push({ ...kwargs, reason: headers[REASON_HEADER], lostDeliveries: headers[LOST_DELIVERIES_HEADER] });
    }
  } finally {
    await connection.close();
  }
}

it('a task that kills its worker is dead-lettered after N deliveries while the other uploads keep resizing', async () => {
  reportIfBroken('poison-message');
  await purgeQueues();
  const api = await procs.start('api', bucket);
  // Uploaded while no worker runs: its four tasks wait at the head of the queue.
  const poison = await upload(api.url, 1, 30_000);
  const poisonId = poison.id;
  expect(poison.status, poison.error).toBe(201);

  const workerEnv = {
    LOG_LEVEL: 'debug', // the "task started" line is what the harness watches
    IMGR_MAX_LOST_DELIVERIES: String(MAX_LOST_DELIVERIES),
    IMGR_WORKER_CONCURRENCY: '1',
    IMGR_WORKER_PREFETCH: '4',
  };
  let kills = 0;
  const replacements: Promise<unknown>[] = [];
  const killOnPoison = (line: string, child: ChildProcess): void => {
    if (child.signalCode !== null || child.killed) return;
    if (!line.includes('"msg":"task started"') || !line.includes(`"imageId":"${poisonId}"`)) return;
    child.kill('SIGKILL');
    kills++;
    // Nomad restarts a dead worker; one killed before it was ready never shows up as started.
    replacements.push(procs.start('worker', bucket, workerEnv, killOnPoison).catch(() => undefined));
  };
  const started = now();
  const firstWorkers = Promise.all([1, 2].map(() => procs.start('worker', bucket, workerEnv, killOnPoison).catch(() => undefined)));

  let sent = 0;
  const outcomes = await closedLoop(
    2,
    () => sent >= UPLOADS,
    (i) => {
      sent++;
      return upload(api.url, i, 30_000);
    },
  );
  const accepted = outcomes.flatMap((o) => (o.id ? [o.id] : []));
  const others = await waitForVariants(bucket, accepted, 120_000);
  const deadLettered = await waitFor(async () => ((await queueState(DEAD_LETTER_QUEUE))?.messages ?? 0) >= 4, 120_000, 250).then(
    () => Math.round(now() - started),
    () => undefined,
  );
  await firstWorkers;
  await Promise.allSettled(replacements);
  const status = (await (await fetch(`${api.url}/image/${poisonId}/status`)).json()) as { sizes?: Record<string, { state: string }> };
  const celeryLeft = (await queueState('celery'))?.messages;
  const letters = await drainDeadLetters();
  const poisonLetters = letters.filter((letter) => letter.key === poisonId);

  const figures = {
    max_lost_deliveries: MAX_LOST_DELIVERIES,
    uploads: outcomes.length,
    accepted: accepted.length,
    statuses: byStatus(outcomes),
    worker_kills: kills,
    poison_dead_lettered_after_ms: deadLettered,
    dead_letters: letters.length,
    poison_dead_letters: poisonLetters.length,
    poison_reasons: [...new Set(poisonLetters.map((letter) => letter.reason))],
    poison_lost_deliveries: [...new Set(poisonLetters.map((letter) => letter.lostDeliveries))],
    poison_sizes_state: [...new Set(Object.values(status.sizes ?? {}).map((size) => size.state))],
    others_variants_missing: others.missing,
    others_done_after_ms: others.ms,
    celery_left: celeryLeft,
  };
  const pass =
    accepted.length === UPLOADS &&
    others.missing === 0 &&
    letters.length === 4 &&
    poisonLetters.length === 4 &&
    kills >= MAX_LOST_DELIVERIES &&
    kills <= 4 * MAX_LOST_DELIVERIES &&
    celeryLeft === 0;
  report('poison-message', figures, pass);
  expect(figures, procs.logs()).toMatchObject({
    accepted: UPLOADS,
    others_variants_missing: 0,
    dead_letters: 4,
    poison_dead_letters: 4,
    poison_reasons: ['delivery-limit'],
    poison_lost_deliveries: [MAX_LOST_DELIVERIES],
    poison_sizes_state: ['failed'],
    celery_left: 0,
  });
  expect(poisonLetters.map((letter) => letter.size).sort((a, b) => a - b)).toEqual([128, 256, 512, 1024]);
  // Each lost delivery is one dead worker: at least N of them, at most N per task.
  expect(kills).toBeGreaterThanOrEqual(MAX_LOST_DELIVERIES);
  expect(kills).toBeLessThanOrEqual(4 * MAX_LOST_DELIVERIES);
});
