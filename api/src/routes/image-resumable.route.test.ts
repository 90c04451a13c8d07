import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createMetrics, DEFAULT_IMAGE_LIMITS } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../app.js';
import { createImageService } from '../image.service.js';
import { createFsResumableStore } from '../resumable/fs.resumable-store.js';

// The resumable route on the filesystem store; the statuses are driven in openapi.test.ts, the S3
// store and real sockets in tests/integration/resumable-upload.test.ts.

const TUS = { 'tus-resumable': '1.0.0' };
let app: FastifyInstance;
let directory: string;
const directories: string[] = [];

async function build(
  options: { expirationMs?: number; cleanupIntervalMs?: number; maxConcurrentUploads?: number; minUploadBytesPerSecond?: number } = {},
) {
  directory = mkdtempSync(join(tmpdir(), 'imgr-tus-route-'));
  directories.push(directory);
  const logger = createLogger('silent');
  const metrics = createMetrics('api');
  const images = createImageService({
    storage: createMemoryStorage(),
    queue: createMemoryQueue(),
    logger,
    metrics,
    limits: DEFAULT_IMAGE_LIMITS,
  });
  app = (
    await buildApi({
      images,
      logger,
      metrics,
      readiness: [],
      maxUploadBytes: 64 * 1024,
      maxConcurrentUploads: options.maxConcurrentUploads ?? 2,
      requestTimeoutMs: 10_000,
      minUploadBytesPerSecond: options.minUploadBytesPerSecond,
      resumable: {
        store: createFsResumableStore({ directory, expirationMs: options.expirationMs ?? 3_600_000 }),
        cleanupIntervalMs: options.cleanupIntervalMs ?? 0,
        bodyRateWindowMs: 300,
      },
    })
  ).app;
}

const create = (length: number) =>
  app.inject({ method: 'POST', url: '/image/uploads', headers: { ...TUS, 'upload-length': String(length) } });

afterEach(async () => {
  await app.close();
});

afterAll(async () => {
  // FileStore's own mkdir of its folder runs on the thread pool, unawaited, and throws in its callback
  // if the folder vanished meanwhile (a quick last test): let it land before removing anything.
  await sleep(200);
  for (const folder of directories) rmSync(folder, { recursive: true, force: true });
});

describe('resumable uploads', () => {
  it('removes unfinished uploads once they expire, from the periodic cleanup', async () => {
    await build({ expirationMs: 20, cleanupIntervalMs: 30 });
    const created = await create(1000);
    expect(created.statusCode).toBe(201);
    expect(readdirSync(directory).length).toBeGreaterThan(0);
    for (let waited = 0; waited < 3000 && readdirSync(directory).length > 0; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(readdirSync(directory)).toEqual([]);
    const head = await app.inject({ method: 'HEAD', url: String(created.headers.location), headers: TUS });
    expect(head.statusCode).toBe(404);
  });

  it('removes the staged bytes once the finished upload is stored as an image', async () => {
    await build();
    const png = await solidImage(40, 30, 'png');
    const location = String((await create(png.length)).headers.location);
    const done = await app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      payload: png,
    });
    expect(done.statusCode).toBe(200);
    expect(done.json().original).toMatch(/^\/image\/[A-Za-z0-9]{8}$/);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('cuts a PATCH whose body stalls, keeping the bytes that arrived for the resume', async () => {
    await build({ minUploadBytesPerSecond: 1000 });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const created = await fetch(`${base}/image/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': '5000' } });
    const url = `${base}${created.headers.get('location')}`;
    const closed = await new Promise<boolean>((resolve) => {
      const req = httpRequest(url, {
        method: 'PATCH',
        headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': '5000' },
      });
      req.on('error', () => resolve(true));
      req.on('response', () => resolve(false));
      // 1000 bytes, then nothing: well under 1000 B/s over the next window.
      req.write(Buffer.alloc(1000, 1));
      setTimeout(() => resolve(false), 5000).unref();
    });
    expect(closed).toBe(true);
    const head = await fetch(url, { method: 'HEAD', headers: TUS });
    expect(head.headers.get('upload-offset')).toBe('1000');
  });

  it('answers the CORS preflight of a PATCH from another origin', async () => {
    await build();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/image/uploads/0123456789abcdef0123456789abcdef',
      headers: {
        origin: 'https://pages.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'tus-resumable,upload-offset,content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('PATCH');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('upload-offset');
  });
});
