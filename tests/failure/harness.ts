import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VARIANTS } from '@imgr/core';
import { DEAD_LETTER_MAX_LENGTH, DEAD_LETTER_QUEUE, deadLetterDeclaration } from '@imgr/core/amqp';
import amqp from 'amqplib';
import { onTestFailed } from 'vitest';
import { fixtures, type ImgrProcess, imgrEnv, repoRoot, s3Storage, services, startImgr } from '../support/services.js';

const run = promisify(execFile);

/**
 * The suite's private broker node and S3 gateway, as scripts/test.d/50-failure.sh started them
 * (scripts/services/rabbitmq.sh node, scripts/services/ceph-s3.sh gateway).
 */
const privateServices = {
  rabbitPort: process.env.IMGR_FAILURE_RABBIT_PORT ?? '5679',
  rabbitDistPort: process.env.IMGR_FAILURE_RABBIT_DIST_PORT ?? '25679',
  rgwPort: process.env.IMGR_FAILURE_RGW_PORT ?? '7489',
  dir: process.env.IMGR_FAILURE_DIR ?? '/tmp/imgr-failure',
};

/** Time since the scenario's origin, in ms. */
export const now = (): number => performance.now();

/** Stops and starts the suite's private broker and S3 gateway. */
export async function control(action: 'rabbit-stop' | 'rabbit-kill' | 'rabbit-start' | 'rgw-stop' | 'rgw-start'): Promise<void> {
  const [service, verb] = action.split('-') as ['rabbit' | 'rgw', string];
  const { rabbitPort, rabbitDistPort, rgwPort, dir } = privateServices;
  const args =
    service === 'rabbit'
      ? [join(repoRoot, 'scripts/services/rabbitmq.sh'), 'node', verb, rabbitPort, join(dir, 'rabbit')]
      : [join(repoRoot, 'scripts/services/ceph-s3.sh'), 'gateway', verb, `failure${rgwPort}`, rgwPort, join(dir, 'rgw')];
  await run('bash', args, { timeout: 90_000, env: { ...process.env, RABBITMQ_DIST_PORT: rabbitDistPort } });
}

/**
 * Photographs the load is made of: real JPEGs (3, 15 and 1 megapixels) that resize in 30-80 ms each,
 * so that a two-core CI machine keeps up with several uploads a second (a GIF takes ~2 s, WebP 0.25 s).
 */
export const PHOTOS = ['photo-3mp.jpg', 'photo-15mp.jpg', 'portrait-exif6.jpg'].map((name) => ({
  name,
  bytes: readFileSync(join(fixtures, name)),
}));
export const photo = (i: number) => PHOTOS[i % PHOTOS.length] as (typeof PHOTOS)[number];

export interface Outcome {
  kind: 'upload' | 'download' | 'other';
  /** Start and end, ms on the `now()` clock. */
  start: number;
  end: number;
  /** HTTP status; 0 when no response came (connection error, reset, timeout). */
  status: number;
  retryAfter: string | null;
  error?: string;
  /** Id of an accepted upload. */
  id?: string;
}

const errorText = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return [(error as Error).name, cause?.code ?? cause?.message ?? (error as Error).message].filter(Boolean).join(': ');
};

/** One upload; never throws. A response that takes longer than `timeoutMs` counts as a hang (status 0). */
export async function upload(baseUrl: string, i: number, timeoutMs: number): Promise<Outcome> {
  const { name, bytes } = photo(i);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const start = now();
  try {
    const response = await fetch(`${baseUrl}/image`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    const outcome: Outcome = {
      kind: 'upload',
      start,
      end: now(),
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
    };
    if (response.status === 201) outcome.id = (JSON.parse(text) as { id: string }).id;
    else outcome.error = text.slice(0, 200);
    return outcome;
  } catch (error) {
    return { kind: 'upload', start, end: now(), status: 0, retryAfter: null, error: errorText(error) };
  }
}

/** One GET read to its end; never throws. A body cut short counts as status 0. */
export async function download(url: string, timeoutMs: number, kind: Outcome['kind'] = 'download'): Promise<Outcome> {
  const start = now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = Buffer.from(await response.arrayBuffer());
    const outcome: Outcome = { kind, start, end: now(), status: response.status, retryAfter: response.headers.get('retry-after') };
    const declared = response.headers.get('content-length');
    if (declared !== null && Number(declared) !== body.length) return { ...outcome, status: 0, error: 'body cut short' };
    if (response.status >= 300) outcome.error = body.toString('utf8').slice(0, 200);
    return outcome;
  } catch (error) {
    return { kind, start, end: now(), status: 0, retryAfter: null, error: errorText(error) };
  }
}

/**
 * Open-loop load: starts `task(i)` every `1000 / perSecond` ms until `stop()` says so, whether or not
 * earlier ones have answered (a hung server does not slow the arrivals), then waits for all of them.
 */
export async function openLoop(perSecond: number, stop: () => boolean, task: (i: number) => Promise<Outcome>): Promise<Outcome[]> {
  const pending: Promise<Outcome>[] = [];
  const origin = now();
  for (let i = 0; !stop(); i++) {
    pending.push(task(i));
    const next = origin + ((i + 1) * 1000) / perSecond;
    await sleep(Math.max(0, next - now()));
  }
  return Promise.all(pending);
}

/** Closed-loop load: `clients` loops, each starting its next request when the previous one answered. */
export async function closedLoop(clients: number, stop: () => boolean, task: (i: number) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let counter = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stop()) outcomes.push(await task(counter++));
    }),
  );
  return outcomes;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts of outcomes by status, e.g. `{"201": 180, "503": 20}`. */
export function byStatus(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
  return counts;
}

export const maxLatency = (outcomes: readonly Outcome[]): number => Math.round(Math.max(0, ...outcomes.map((o) => o.end - o.start)));

/** Sizes missing for the given images, read from the bucket itself. */
export async function missingVariants(bucket: string, ids: readonly string[]): Promise<number> {
  const storage = s3Storage(bucket);
  try {
    let missing = 0;
    for (const variant of VARIANTS) {
      const present = new Set<string>();
      for await (const object of storage.list(`${variant.name}/`)) present.add(object.key.slice(variant.name.length + 1));
      missing += ids.filter((id) => !present.has(id)).length;
    }
    return missing;
  } finally {
    await storage.dispose();
  }
}

/** Waits until every image has its four sizes or the deadline passes; returns what is still missing and how long it took. */
export async function waitForVariants(bucket: string, ids: readonly string[], timeoutMs: number): Promise<{ missing: number; ms: number }> {
  const start = now();
  for (;;) {
    const missing = await missingVariants(bucket, ids).catch(() => Number.NaN);
    if (missing === 0 || now() - start > timeoutMs) return { missing, ms: Math.round(now() - start) };
    await sleep(500);
  }
}

/** Empties the suite broker's `celery` queue (and the dead-letter queue) before a scenario; returns what they held. */
export async function purgeQueues(): Promise<{ celery: number; deadLetters: number }> {
  const connection = await amqp.connect(services.amqpUrl);
  try {
    // The dead-letter queue as imgr declares it (bounded), unless it exists already: a declaration with
    // other arguments than the existing queue's would be refused.
    const probe = await connection.createChannel();
    probe.on('error', () => undefined);
    const exists = await probe.checkQueue(DEAD_LETTER_QUEUE).then(
      () => true,
      () => false,
    );
    const channel = await connection.createChannel();
    await channel.assertQueue('celery', { durable: true });
    if (!exists) {
      const declaration = deadLetterDeclaration(DEAD_LETTER_QUEUE, DEAD_LETTER_MAX_LENGTH);
      await channel.assertQueue(declaration.name, { durable: true, arguments: declaration.arguments });
    }
    const celery = (await channel.purgeQueue('celery')).messageCount;
    const deadLetters = (await channel.purgeQueue('imgr.dead-letter')).messageCount;
    return { celery, deadLetters };
  } finally {
    await connection.close();
  }
}

/** Messages and consumers of a queue on the suite broker; undefined while the broker is down. */
export async function queueState(queue = 'celery'): Promise<{ messages: number; consumers: number } | undefined> {
  try {
    const connection = await amqp.connect(services.amqpUrl, { timeout: 2000 });
    try {
      const channel = await connection.createChannel();
      const state = await channel.checkQueue(queue);
      return { messages: state.messageCount, consumers: state.consumerCount };
    } finally {
      await connection.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Polls a URL every `intervalMs` and records when its status changed, so a scenario can tell when
 * readiness went red and when it was green again.
 */
export function watchStatus(url: string, intervalMs = 100) {
  const changes: { at: number; status: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let status = 0;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0;
      }
      if (changes.at(-1)?.status !== status) changes.push({ at: now(), status });
      await sleep(intervalMs);
    }
  })();
  return {
    changes,
    /** First time at or after `after` when the status was `status`. */
    firstAfter(after: number, status: number): number | undefined {
      const current = changes.findLast((change) => change.at <= after);
      if (current?.status === status) return after;
      return changes.find((change) => change.at > after && change.status === status)?.at;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

const outFile = join(process.env.IMGR_TEST_OUT ?? join(repoRoot, 'test-results'), 'failure-suite.jsonl');

const reported = new Set<string>();

/** Prints the scenario's figures as one JSON line and appends it to $IMGR_TEST_OUT/failure-suite.jsonl. */
export function report(scenario: string, figures: Record<string, unknown>, pass: boolean): void {
  reported.add(scenario);
  const line = JSON.stringify({ scenario, pass, ...figures, at: new Date().toISOString() });
  mkdirSync(join(outFile, '..'), { recursive: true });
  appendFileSync(outFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
}

/** Called first in a scenario: one that breaks before its figures are known still prints its line, with the error. */
export function reportIfBroken(scenario: string): void {
  onTestFailed(({ task }) => {
    if (!reported.has(scenario)) report(scenario, { error: task.result?.errors?.[0]?.message?.slice(0, 500) ?? 'failed' }, false);
  });
}

/** A fresh bucket name per scenario, so its counts see nothing of other runs. */
export const bucketFor = (scenario: string) => `imgr-failure-${scenario}-${Date.now().toString(36)}`;

/** The processes a scenario started, stopped at its end whatever happened. */
export function processes() {
  const started: ImgrProcess[] = [];
  return {
    started,
    async start(
      role: 'api' | 'worker',
      bucket: string,
      extra: Record<string, string> = {},
      onLine?: Parameters<typeof startImgr>[2],
    ): Promise<ImgrProcess> {
      const process = await startImgr(role, imgrEnv(bucket, extra), onLine);
      started.push(process);
      return process;
    },
    /** Output of every process, for the failure message. */
    logs: () =>
      started
        .map((p, i) => `--- process ${i} (pid ${p.child.pid}, exit ${p.child.exitCode ?? p.child.signalCode})\n${p.output().slice(-4000)}`)
        .join('\n'),
    async stopAll() {
      const alive = started.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      await Promise.all(alive.map((p) => p.stop('SIGKILL').catch(() => undefined)));
    },
  };
}

export { removeBucket } from '../support/s3-buckets.mjs';
