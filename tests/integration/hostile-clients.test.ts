import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createImageService } from '@imgr/api';
import { createMetrics, DEFAULT_IMAGE_LIMITS } from '@imgr/core';
import { createMemoryQueue } from '@imgr/core/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, BOUNDARY, exchange, partHead as fileHead, multipart, requestHead, send } from '../support/raw-http.js';
import { listKeys, removeBucket, testS3Client } from '../support/s3-buckets.mjs';
import {
  fixtures,
  freePort,
  type ImgrProcess,
  imgrEnv,
  isolatedBroker,
  repoRoot,
  s3Storage,
  silentLogger,
  startImgr,
  waitFor,
} from '../support/services.js';

// Hostile clients rather than hostile files, against real processes: slow bodies that try to hold
// every upload slot, floods of requests, a DELETE racing the worker, forged request ids. Each runs
// on the single-machine mode (`imgr all`: fs storage, in-process queue and worker) and on
// `imgr api` + `imgr worker` over RabbitMQ and Ceph S3.

const SLOTS = 8; // IMGR_MAX_CONCURRENT_UPLOADS's default
const photo = () => readFileSync(join(fixtures, 'photo-3mp.jpg'));
const slowPhoto = () => readFileSync(join(fixtures, 'cmyk.jpg')); // 789 KB: 16 s at 50 KB/s, past the first 10 s window

const uploadBody = (bytes: Buffer) => multipart([{ name: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', body: bytes }]);
const uploadHead = (length: number, headers: Record<string, string> = {}) =>
  requestHead('POST', '/image', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': length, ...headers });
const partHead = fileHead({ name: 'file', filename: 'slow.jpg', contentType: 'image/jpeg' });

const upload = (api: string, bytes: Buffer, headers: Record<string, string> = {}) =>
  send(api, 'POST', '/image', {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
    body: uploadBody(bytes),
    timeoutMs: 60_000,
  });

/** A patient real client: retries a 503 after its Retry-After, as the web page does. */
async function uploadUntilAccepted(api: string, bytes: Buffer, maxAttempts = 120): Promise<{ answer: Answer; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const answer = await upload(api, bytes);
    if (answer.status !== 503 || attempts >= maxAttempts) return { answer, attempts };
    await sleep(Number(answer.headers['retry-after'] ?? 1) * 1000);
  }
}

/** Headers of a 25 MB upload, the start of its file part, then one byte every `everyMs`. */
function trickler(api: string, everyMs: number): Promise<Answer> {
  return exchange(
    api,
    (socket, done) => {
      socket.write(uploadHead(25 * 1024 * 1024) + partHead);
      const timer = setInterval(() => (done() ? clearInterval(timer) : socket.write('x')), everyMs);
    },
    120_000,
  );
}

/** A real upload sent at `bytesPerSecond`, in 10 chunks a second, as a slow phone link would. */
function slowUpload(api: string, bytes: Buffer, bytesPerSecond: number): Promise<Answer> {
  const body = uploadBody(bytes);
  const chunk = Math.ceil(bytesPerSecond / 10);
  return exchange(
    api,
    (socket, done) => {
      socket.write(uploadHead(body.length));
      let offset = 0;
      const timer = setInterval(() => {
        if (done() || offset >= body.length) return clearInterval(timer);
        socket.write(body.subarray(offset, offset + chunk));
        offset += chunk;
      }, 100);
    },
    120_000,
  );
}

/** Resident memory (MiB) and CPU time used so far (s) of a process, from /proc. */
function processStats(pid: number): { rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0);
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): user and system ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return { rssMiB: Math.round(rssKiB / 1024), cpuSeconds: ticks / ticksPerSecond };
}

/** The sum of a counter's (or a histogram's `_count`) series whose labels match, from a process's /metrics. */
async function metric(baseUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, 'gm'))) {
    if ((match[1] ?? '').includes(labels)) total += Number(match[2]);
  }
  return total;
}

interface Mode {
  name: string;
  start(extra: Record<string, string>): Promise<{ api: ImgrProcess; worker: ImgrProcess; objectKeys(): Promise<string[]> }>;
  cleanup(): Promise<void>;
}

const bucket = `imgr-clients-${Date.now().toString(36)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'imgr-clients-'));
const broker = isolatedBroker('clients');
const started: ImgrProcess[] = [];

const modes: Mode[] = [
  {
    name: 'imgr all (single machine)',
    async start(extra) {
      const dir = mkdtempSync(join(dataDir, 'all-'));
      const all = await startImgr('all', { IMGR_STORAGE: 'fs', IMGR_DATA_DIR: dir, LOG_LEVEL: 'warn', ...extra });
      started.push(all);
      const objectKeys = async () =>
        ['original', 'big', 'medium', 'small', 'tiny', 'deleted'].flatMap((kind) =>
          existsSync(join(dir, kind))
            ? readdirSync(join(dir, kind))
                .filter((name) => !name.endsWith('.meta.json'))
                .map((name) => `${kind}/${name}`)
            : [],
        );
      return { api: all, worker: all, objectKeys };
    },
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  },
  {
    name: 'imgr api + imgr worker on RabbitMQ and Ceph S3',
    async start(extra) {
      const env = imgrEnv(bucket, { CELERY_BROKER_URL: broker.url, ...extra });
      const api = await startImgr('api', env);
      started.push(api);
      const worker = await startImgr('worker', env);
      started.push(worker);
      const s3 = testS3Client();
      return { api, worker, objectKeys: () => listKeys(s3, bucket) };
    },
    async cleanup() {
      await removeBucket(bucket);
      broker.dispose();
    },
  },
];

afterAll(async () => {
  for (const process of started) await process.stop();
  for (const mode of modes) await mode.cleanup();
});

describe.each(modes)('hostile clients: $name', (mode) => {
  let api: ImgrProcess;
  let worker: ImgrProcess;
  let objectKeys: () => Promise<string[]>;

  beforeAll(async () => {
    // Rate limits off here (they have their own cases below); every other setting at its default.
    ({ api, worker, objectKeys } = await mode.start({
      IMGR_RATE_LIMIT_UPLOADS: '0',
      IMGR_RATE_LIMIT_DELETES: '0',
      IMGR_RATE_LIMIT_LOOKUPS: '0',
    }));
  });

  it('16 connections trickling a byte every 3 s cannot hold the upload slots: a real upload gets through', async () => {
    const pid = api.child.pid as number;
    const before = processStats(pid);
    const tricklers = Array.from({ length: 16 }, () => trickler(api.url, 3000));
    await sleep(2000);
    const held = processStats(pid);
    const { answer, attempts } = await uploadUntilAccepted(api.url, photo());
    const answers = await Promise.all(tricklers);
    const after = processStats(pid);
    console.log(
      `[${mode.name}] 16 tricklers: RSS ${before.rssMiB} -> ${held.rssMiB} MiB while held, ${after.rssMiB} MiB after; ` +
        `CPU ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s in all; real upload accepted after ${attempts} attempts`,
    );
    expect(answer.status, answer.body.toString()).toBe(201);
    // The first SLOTS took a slot and were cut for arriving too slowly, the others were told busy.
    const codes = answers.map((trickled) => `${trickled.status} ${trickled.json().error}`).sort();
    expect(codes).toEqual([...Array(SLOTS).fill('408 upload-too-slow'), ...Array(16 - SLOTS).fill('503 busy')].sort());
    expect(answers.find((trickled) => trickled.status === 408)?.json()).toMatchObject({ min_bytes_per_second: 1024 });
    expect(held.rssMiB - before.rssMiB).toBeLessThan(64);
    expect((await send(api.url, 'GET', '/health')).status).toBe(200);
  }, 120_000);

  it('a slow but real client (50 KB/s, a 400 kbit/s phone) is accepted', async () => {
    const answer = await slowUpload(api.url, slowPhoto(), 50 * 1024);
    console.log(`[${mode.name}] 789 KB at 50 KB/s: ${answer.status} after ${(answer.elapsedMs / 1000).toFixed(1)} s`);
    expect(answer.status, answer.body.toString()).toBe(201);
  }, 60_000);

  it('upload slots are counted exactly: of 20 simultaneous uploads, 8 are read and the 12 others are told busy', async () => {
    const body = uploadBody(photo());
    const half = Math.floor(body.length / 2);
    // Each sends half its body at once and the rest a second later, so all 20 are in flight together.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        exchange(
          api.url,
          (socket) => {
            socket.write(Buffer.concat([Buffer.from(uploadHead(body.length)), body.subarray(0, half)]));
            setTimeout(() => socket.write(body.subarray(half)), 1000);
          },
          60_000,
        ),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(SLOTS).fill(201), ...Array(20 - SLOTS).fill(503)]);
  }, 60_000);

  it('a DELETE answered 204 wins against the worker: no size of the image appears afterwards', async () => {
    // Deletes at different points of the resize: before the worker reads the original, while it
    // renders, around its writes.
    const delays = [0, 20, 50, 100, 150, 200, 300, 400, 600, 900];
    const ids = await Promise.all(
      delays.map(async (delayMs) => {
        const created = (await uploadUntilAccepted(api.url, photo())).answer;
        expect(created.status).toBe(201);
        const { id, delete_token: token } = created.json() as { id: string; delete_token: string };
        await sleep(delayMs);
        const removed = await send(api.url, 'DELETE', `/image/${id}`, { headers: { 'x-delete-token': token } });
        expect(removed.status).toBe(204);
        return { id, token };
      }),
    );
    // Wait until the worker has handled every task of every upload so far, whatever the outcome.
    const accepted = await metric(api.url, 'imgr_uploads_total', 'result="accepted"');
    await waitFor(async () => (await metric(worker.url, 'imgr_tasks_total')) >= 4 * accepted, 90_000, 200);
    await sleep(500); // a take-back started by the last task settles
    const keys = await objectKeys();
    for (const { id, token } of ids) {
      expect(keys.filter((key) => key.endsWith(`/${id}`))).toEqual([`deleted/${id}`]);
      for (const size of ['big', 'medium', 'small', 'tiny']) {
        expect((await send(api.url, 'GET', `/image/${id}/${size}`)).status, `${id} ${size}`).toBe(404);
      }
      // The owner's repeated DELETE is still a success.
      expect((await send(api.url, 'DELETE', `/image/${id}`, { headers: { 'x-delete-token': token } })).status).toBe(204);
    }
  }, 120_000);

  it('a forged X-Request-Id is replaced by a random one; a short safe one is kept', async () => {
    const forged = ['a'.repeat(5000), 'line\tbreak', '"}{"level":60,"msg":"forged', '../../etc'];
    const ids = new Set<string>();
    for (const id of forged) {
      const answer = await send(api.url, 'GET', '/image/Zz9Zz9Zz', { headers: { 'x-request-id': id } });
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(answer.headers['x-request-id'] ?? '');
    }
    expect(ids.size).toBe(forged.length);
    const kept = await send(api.url, 'GET', '/health', { headers: { 'x-request-id': 'edge-7f3a:1' } });
    expect(kept.headers['x-request-id']).toBe('edge-7f3a:1');
  });
});

describe.each(modes)('rate limits per client: $name', (mode) => {
  it('answers 429 with Retry-After past the limit of each kind; X-Forwarded-For counts only from a trusted proxy', async () => {
    const limits = { IMGR_RATE_LIMIT_UPLOADS: '3', IMGR_RATE_LIMIT_DELETES: '3', IMGR_RATE_LIMIT_LOOKUPS: '20' };
    const direct = (await mode.start({ ...limits })).api;
    const proxied = (await mode.start({ ...limits, IMGR_TRUSTED_PROXIES: '127.0.0.1,::1' })).api;

    // Lookups: 20 answered (404), the 21st refused; a forged X-Forwarded-For does not reset the count.
    for (let i = 0; i < 20; i++) expect((await send(direct.url, 'GET', '/image/Zz9Zz9Zz')).status).toBe(404);
    for (const forwardedFor of [undefined, '203.0.113.7', '198.51.100.1, 203.0.113.9']) {
      const refused = await send(direct.url, 'GET', '/image/Zz9Zz9Zz', {
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json()).toMatchObject({ error: 'rate-limited', limit: 20, window_seconds: 60 });
    }
    // Uploads: 3 accepted, the 4th refused before its body is read; deletes likewise.
    const created = [];
    for (let i = 0; i < 3; i++) {
      const answer = await upload(direct.url, photo());
      expect(answer.status).toBe(201);
      created.push(answer.json() as { id: string; delete_token: string });
    }
    const fourth = await upload(direct.url, photo());
    expect([fourth.status, fourth.json().error]).toEqual([429, 'rate-limited']);
    for (const image of created) {
      const removed = await send(direct.url, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': image.delete_token } });
      expect(removed.status).toBe(204);
    }
    expect((await send(direct.url, 'DELETE', '/image/Zz9Zz9Zz', { headers: { 'x-delete-token': 'x' } })).status).toBe(429);
    // Health is never limited.
    expect((await send(direct.url, 'GET', '/health')).status).toBe(200);

    // Behind a trusted proxy each forwarded client has its own count.
    const lookup = (client: string) => send(proxied.url, 'GET', '/image/Zz9Zz9Zz', { headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 20; i++) expect((await lookup('203.0.113.7')).status).toBe(404);
    expect((await lookup('203.0.113.7')).status).toBe(429);
    // The proxy appends the address it saw: a client's own forged entry in front changes nothing.
    expect((await lookup('198.51.100.1, 203.0.113.7')).status).toBe(429);
    expect((await lookup('203.0.113.8')).status).toBe(404);
  }, 120_000);
});

/** The production ingress config (deploy/nomad/ingress.nomad.hcl) in front of `api`, on loopback test ports. */
async function startIngress(api: string): Promise<{ url: string; stop(): Promise<void> }> {
  const rendered = execFileSync(process.execPath, [join(repoRoot, 'deploy/ingress/render-static.mjs'), '--api', new URL(api).host], {
    encoding: 'utf8',
  });
  const [front, monitor] = [await freePort(), await freePort()];
  const config = rendered
    .replace(/^(\s*)bind :8080$/m, `$1bind 127.0.0.1:${front}`)
    .replace(/^\s*bind :8081\n/m, '')
    .replace(/^(\s*)bind :8404$/m, `$1bind 127.0.0.1:${monitor}`);
  expect(config).toContain(`bind 127.0.0.1:${front}`);
  const file = join(mkdtempSync(join(dataDir, 'ingress-')), 'haproxy.cfg');
  writeFileSync(file, config);
  const haproxy = spawn('haproxy', ['-W', '-db', '-f', file], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${front}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`)).ok, 15_000, 100);
  return {
    url,
    async stop() {
      if (haproxy.exitCode !== null) return;
      haproxy.kill('SIGTERM');
      await once(haproxy, 'exit');
    },
  };
}

describe('behind the ingress (HAProxy, the production config)', () => {
  it('16 trickling connections never reach the API: a real upload is accepted at once, the tricklers get 408 from HAProxy', async () => {
    // The API + worker pair on RabbitMQ and S3, every setting at its default.
    const { api } = await (modes.at(-1) as Mode).start({});
    const ingress = await startIngress(api.url);
    try {
      const tricklers = Array.from({ length: 16 }, () => trickler(ingress.url, 3000));
      await sleep(2000);
      const { answer, attempts } = await uploadUntilAccepted(ingress.url, photo());
      expect(answer.status).toBe(201);
      // No upload slot of the API was taken by a trickler: the first attempt is accepted.
      expect(attempts).toBe(1);
      const answers = await Promise.all(tricklers);
      expect(answers.map((trickled) => trickled.status)).toEqual(Array(16).fill(408));
    } finally {
      await ingress.stop();
    }
  }, 60_000);
});

describe('a forced id collision on the real S3 server', () => {
  const collisionBucket = `imgr-collide-${Date.now().toString(36)}`;
  const storage = s3Storage(collisionBucket);
  beforeAll(() => storage.init());
  afterAll(async () => {
    await storage.dispose();
    await removeBucket(collisionBucket);
  });

  it('draws another id instead of overwriting the other upload and its token', async () => {
    const ids = ['CoLLide1', 'CoLLide1', 'FreshId2'];
    const images = createImageService({
      storage,
      queue: createMemoryQueue(),
      logger: silentLogger,
      metrics: createMetrics('api'),
      limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 50_000_000, maxFrames: 300 },
      generateId: () => ids.shift() ?? 'Another3',
    });
    const first = await images.upload(photo(), {});
    const stored = await storage.readBuffer('original/CoLLide1');
    const second = await images.upload(readFileSync(join(fixtures, 'photo.png')), {});
    expect([first.id, second.id]).toEqual(['CoLLide1', 'FreshId2']);
    const after = await storage.readBuffer('original/CoLLide1');
    expect(after?.info.contentType).toBe('image/jpeg');
    expect(after?.info.metadata).toEqual(stored?.info.metadata);
    expect(after?.body.equals(photo())).toBe(true);
    await images.remove(first.id, first.delete_token);
    await images.remove(second.id, second.delete_token);
  });
});
