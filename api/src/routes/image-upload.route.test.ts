import { Readable } from 'node:stream';
import { createLogger, createMetrics, DEFAULT_IMAGE_LIMITS } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../app.js';
import { createImageService } from '../image.service.js';

// Regression tests for what the hostile-input suite (tests/integration/hostile-input.test.ts)
// found broken in POST /image, each named after what broke. (An unterminated body is covered
// there, over a real socket: inject()'s request never reports data to the multipart parser's
// end-of-body check.)

const BOUNDARY = 'regression-boundary';
const MULTIPART = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const filePart = (name: string, body: Buffer | string, filename = 'a.jpg') =>
  Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
    Buffer.from('\r\n'),
  ]);
const end = Buffer.from(`--${BOUNDARY}--\r\n`);

let app: FastifyInstance;
let storage: ReturnType<typeof createMemoryStorage>;

async function build(requestTimeoutMs = 10_000) {
  storage = createMemoryStorage();
  const logger = createLogger('silent');
  const metrics = createMetrics('api');
  const images = createImageService({
    storage,
    queue: createMemoryQueue(),
    logger,
    metrics,
    limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 1_000_000, maxFrames: 5 },
  });
  app = (await buildApi({ images, logger, metrics, readiness: [], maxUploadBytes: 64 * 1024, maxConcurrentUploads: 2, requestTimeoutMs }))
    .app;
}

afterEach(() => app.close());

describe('POST /image regressions', () => {
  it.each([
    ['without a boundary parameter', { 'content-type': 'multipart/form-data' }, 'x'],
    ['with a body in another boundary', MULTIPART, `--other\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--other--\r\n`],
    ['of garbage', MULTIPART, 'not multipart at all'],
  ])('malformed multipart %s answers 400 bad-request, not 500', async (_name, headers, payload) => {
    await build();
    const response = await app.inject({ method: 'POST', url: '/image', headers, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'bad-request' });
  });

  it('a second file part no longer turns the upload into a 413: the first "file" is stored', async () => {
    await build();
    const jpeg = await solidImage(20, 20, 'jpeg');
    const payload = Buffer.concat([filePart('file', jpeg), filePart('file', '<svg/>', 'b.svg'), end]);
    const response = await app.inject({ method: 'POST', url: '/image', headers: MULTIPART, payload });
    expect(response.statusCode).toBe(201);
    expect((await storage.readBuffer(`original/${response.json().id}`))?.body.equals(jpeg)).toBe(true);
  });

  it('too many parts answer 400 bad-request, not 413 too-large', async () => {
    await build();
    const fields = Array.from({ length: 40 }, (_, i) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`);
    const response = await app.inject({
      method: 'POST',
      url: '/image',
      headers: MULTIPART,
      payload: `${fields.join('')}--${BOUNDARY}--\r\n`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'bad-request' });
  });

  it('a body that never finishes is cut off with 408 at the request timeout instead of holding the upload', async () => {
    await build(1000);
    const body = new Readable({ read() {} });
    body.push(filePart('file', '\xff\xd8\xff'));
    const started = Date.now();
    const response = await app.inject({ method: 'POST', url: '/image', headers: MULTIPART, payload: body });
    expect(response.statusCode).toBe(408);
    expect(response.json()).toMatchObject({ error: 'request-timeout' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a chunked file part past the limit answers 413 at once, without reading on to the end of the part', async () => {
    await build(5000);
    const body = new Readable({ read() {} });
    body.push(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n`);
    body.push(Buffer.alloc(100 * 1024, 0x41)); // past the 64 KiB limit, and the part never ends
    const started = Date.now();
    const response = await app.inject({ method: 'POST', url: '/image', headers: MULTIPART, payload: body });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'too-large' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(storage.size).toBe(0);
  });
});
