import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { removeBucket } from '../support/s3-buckets.mjs';
import {
  fixtures,
  type ImgrProcess,
  imgrEnv,
  isolatedBroker,
  repoRoot,
  s3Storage,
  startImgr,
  uploadFile,
  waitFor,
} from '../support/services.js';

const python = process.env.IMGR_PYTHON ?? 'python3';
const script = join(repoRoot, 'tests/interop/celery_side.py');
const bucket = `imgr-interop-${Date.now().toString(36)}`;
const broker = isolatedBroker('interop');

async function purgeCeleryQueue(): Promise<void> {
  const connection = await amqp.connect(broker.url);
  const channel = await connection.createChannel();
  await channel.assertQueue('celery', { durable: true });
  await channel.purgeQueue('celery');
  await connection.close();
}

describe('wire compatibility with Python Celery', () => {
  const started: (ImgrProcess | ChildProcess)[] = [];
  beforeEach(purgeCeleryQueue);
  afterAll(async () => {
    for (const process of started) {
      if ('stop' in process) await process.stop();
      else process.kill('SIGKILL');
    }
    broker.dispose();
    await removeBucket(bucket);
  });

  it("imgr's API publishes tasks that a Celery worker runs with the original arguments", async () => {
    const record = join(mkdtempSync(join(tmpdir(), 'imgr-interop-')), 'tasks.jsonl');
    const recorder = spawn(python, [script, 'recorder'], {
      env: { ...process.env, CELERY_BROKER_URL: broker.url, IMGR_INTEROP_RECORD: record },
      stdio: 'ignore',
    });
    started.push(recorder);
    const api = await startImgr('api', imgrEnv(bucket, { CELERY_BROKER_URL: broker.url }));
    started.push(api);

    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'photo.png')));
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };

    const tasks = await waitFor(
      async () => {
        if (!existsSync(record)) return undefined;
        const lines = readFileSync(record, 'utf8').trim().split('\n').filter(Boolean);
        return lines.length >= 4 ? lines.map((line) => JSON.parse(line)) : undefined;
      },
      60_000,
      200,
    );
    expect(tasks.map((task) => [task.key, task.size]).sort((a, b) => b[1] - a[1])).toEqual([
      [id, 1024],
      [id, 512],
      [id, 256],
      [id, 128],
    ]);
    // One group shared by the four tasks of the upload, as the original backend sends them.
    expect(new Set(tasks.map((task) => task.group)).size).toBe(1);
    expect(tasks[0].group).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a Celery group sent as by the original backend is consumed by imgr's worker", async () => {
    const store = s3Storage(bucket);
    await store.init();
    const id = `Py${Date.now().toString(36).slice(-6)}`.slice(0, 8).padEnd(8, '0');
    await store.put(`original/${id}`, readFileSync(join(fixtures, 'photo-3mp.jpg')), { contentType: 'image/jpeg' });
    const worker = await startImgr('worker', imgrEnv(bucket, { CELERY_BROKER_URL: broker.url }));
    started.push(worker);

    await promisify(execFile)(python, [script, 'produce', id], { env: { ...process.env, CELERY_BROKER_URL: broker.url } });

    const sizes = await waitFor(
      async () => {
        const heads = await Promise.all(['big', 'medium', 'small', 'tiny'].map((name) => store.head(`${name}/${id}`)));
        return heads.every(Boolean) ? heads : undefined;
      },
      60_000,
      200,
    );
    expect(sizes.map((info) => info?.contentType)).toEqual(Array(4).fill('image/jpeg'));
    const connection = await amqp.connect(broker.url);
    const channel = await connection.createChannel();
    await waitFor(async () => (await channel.checkQueue('celery')).messageCount === 0, 10_000);
    const dead = await channel.checkQueue('imgr.dead-letter');
    await connection.close();
    expect(dead.messageCount).toBe(0);
    await store.dispose();
  });
});
