import { createLogger, createMetrics, DEFAULT_IMAGE_LIMITS, type JobQueue, type ReadConditions, type ResizeJob } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from './app.js';
import { createImageService } from './image.service.js';

const BOUNDARY = '----imgr-test-boundary';

function multipart(
  field: string,
  filename: string,
  contentType: string,
  body: Buffer,
): { payload: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  return { payload: Buffer.concat([head, body, tail]), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

function withRequestId(body: Buffer, requestId: string) {
  const form = multipart('file', 'photo.png', 'image/png', body);
  return { payload: form.payload, headers: { ...form.headers, 'x-request-id': requestId } };
}

/** A queue double that records what the API published, or refuses like a dead broker. */
function recordingQueue(fail = false): JobQueue & { published: ResizeJob[]; requestIds: (string | undefined)[] } {
  const inner = createMemoryQueue();
  const published: ResizeJob[] = [];
  const requestIds: (string | undefined)[] = [];
  return {
    ...inner,
    published,
    requestIds,
    async publish(jobs, context) {
      if (fail) throw new Error('broker down');
      published.push(...jobs);
      requestIds.push(context?.requestId);
    },
  };
}

describe('API', () => {
  let app: FastifyInstance;
  let storage: ReturnType<typeof createMemoryStorage>;
  let queue: ReturnType<typeof recordingQueue>;
  let setDraining: () => void;

  async function build(
    options: {
      failingQueue?: boolean;
      maxUploadBytes?: number;
      maxConcurrentUploads?: number;
      storeIgnoresRanges?: boolean;
      generateId?: () => string;
    } = {},
  ) {
    storage = createMemoryStorage();
    queue = recordingQueue(options.failingQueue);
    const logger = createLogger('silent');
    const metrics = createMetrics('api');
    const memory = storage;
    // An S3 server that answers a ranged GET with the whole object (allowed by HTTP, rare in practice).
    const store = options.storeIgnoresRanges
      ? { ...memory, read: (key: string, conditions?: ReadConditions) => memory.read(key, { ...conditions, range: undefined }) }
      : memory;
    const images = createImageService({
      storage: store,
      queue,
      logger,
      metrics,
      limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 4_000_000, maxFrames: 10 },
      generateId: options.generateId,
    });
    const api = await buildApi({
      images,
      logger,
      metrics,
      readiness: [{ name: 'storage', check: () => storage.check() }],
      maxUploadBytes: options.maxUploadBytes ?? 2 * 1024 * 1024,
      maxConcurrentUploads: options.maxConcurrentUploads ?? 4,
      requestTimeoutMs: 10_000,
    });
    app = api.app;
    setDraining = api.setDraining;
  }

  async function upload(body: Buffer, field = 'file', contentType = 'image/jpeg') {
    const form = multipart(field, 'photo.jpg', contentType, body);
    return app.inject({ method: 'POST', url: '/image', ...form });
  }

  beforeEach(() => build());
  afterEach(() => app.close());

  describe('GET /', () => {
    it('lists the original URL templates', async () => {
      const response = await app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        upload_url: '/image',
        original_image_url: '/image/{id}',
        big_image_url: '/image/{id}/big',
        medium_image_url: '/image/{id}/medium',
        small_image_url: '/image/{id}/small',
        tiny_image_url: '/image/{id}/tiny',
        max_upload_bytes: 2 * 1024 * 1024,
      });
      expect(response.headers['access-control-allow-origin']).toBe('*');
    });
  });

  describe('POST /image', () => {
    it('stores the original, publishes four tasks and answers 201 with the URLs and a delete token', async () => {
      const jpeg = await solidImage(800, 600, 'jpeg');
      const response = await upload(jpeg, 'file', 'application/octet-stream');
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body.id).toMatch(/^[a-zA-Z0-9]{8}$/);
      expect(body).toEqual({
        id: body.id,
        original: `/image/${body.id}`,
        big: `/image/${body.id}/big`,
        medium: `/image/${body.id}/medium`,
        small: `/image/${body.id}/small`,
        tiny: `/image/${body.id}/tiny`,
        delete_token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        expires_at: null,
      });
      expect(queue.published).toEqual([1024, 512, 256, 128].map((box) => ({ imageId: body.id, box, origin: 'upload' })));
      const stored = await storage.readBuffer(`original/${body.id}`);
      expect(stored?.body.equals(jpeg)).toBe(true);
      // The detected type is stored, not the client's claim.
      expect(stored?.info.contentType).toBe('image/jpeg');
      expect(stored?.info.metadata['delete-token-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored?.info.metadata)).not.toContain(body.delete_token);
    });

    it('answers 400 "missing file" without the file field, and for a non-multipart body', async () => {
      const wrongField = await upload(await solidImage(10, 10, 'png'), 'picture');
      expect(wrongField.statusCode).toBe(400);
      expect(wrongField.json()).toMatchObject({ error: 'missing file' });
      const json = await app.inject({ method: 'POST', url: '/image', payload: { file: 'x' } });
      expect(json.statusCode).toBe(400);
      expect(json.json()).toMatchObject({ error: 'missing file' });
      expect(storage.size).toBe(0);
    });

    it('answers 415 with the accepted types for a non-image', async () => {
      const response = await upload(Buffer.from('#!/bin/sh\necho hi\n'), 'file', 'image/png');
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ error: 'unsupported-type', accepted_types: expect.arrayContaining(['image/png']) });
      expect(storage.size).toBe(0);
      expect(queue.published).toHaveLength(0);
    });

    it('answers 422 for a truncated image and for too many pixels, storing nothing', async () => {
      const jpeg = await solidImage(400, 400, 'jpeg');
      const truncated = await upload(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
      expect(truncated.statusCode).toBe(422);
      expect(truncated.json()).toMatchObject({ error: 'corrupt-image', message: expect.any(String) });
      const huge = await upload(await solidImage(2001, 2000, 'png'));
      expect(huge.statusCode).toBe(422);
      expect(huge.json()).toMatchObject({ error: 'too-many-pixels', max_pixels: 4_000_000 });
      expect(storage.size).toBe(0);
      expect(queue.published).toHaveLength(0);
    });

    it('answers 413 for a body over the limit, from Content-Length or while streaming', async () => {
      await app.close();
      await build({ maxUploadBytes: 1024 * 1024 });
      const big = Buffer.alloc(1024 * 1024 + 10, 1);
      big[0] = 0xff;
      const response = await upload(big);
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ error: 'too-large' });
      const declared = await app.inject({
        method: 'POST',
        url: '/image',
        headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(50 * 1024 * 1024) },
        payload: 'x',
      });
      expect(declared.statusCode).toBe(413);
      expect(storage.size).toBe(0);
    });

    it('answers 503 with Retry-After and removes the original when the broker cannot confirm', async () => {
      await app.close();
      await build({ failingQueue: true });
      const response = await upload(await solidImage(100, 100, 'jpeg'));
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ error: 'queue-unavailable' });
      expect(storage.size).toBe(0);
    });
  });

  describe('GET /image/<id>[/<size>]', () => {
    async function stored() {
      const response = await upload(await solidImage(300, 200, 'png'));
      return response.json() as { id: string; delete_token: string };
    }

    it('streams the original with its headers', async () => {
      const { id } = await stored();
      const response = await app.inject({ method: 'GET', url: `/image/${id}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'content-type': 'image/png',
        'cache-control': 'public, no-cache',
        'accept-ranges': 'bytes',
        etag: expect.stringMatching(/^"/),
        'last-modified': expect.any(String),
      });
      expect(Number(response.headers['content-length'])).toBe(response.rawPayload.length);
    });

    it('answers HEAD with the same headers and no body', async () => {
      const { id } = await stored();
      const get = await app.inject({ method: 'GET', url: `/image/${id}` });
      const head = await app.inject({ method: 'HEAD', url: `/image/${id}` });
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
      expect(head.headers.etag).toBe(get.headers.etag);
      expect(head.rawPayload.length).toBe(0);
    });

    it('answers 304 to If-None-Match and If-Modified-Since', async () => {
      const { id } = await stored();
      const first = await app.inject({ method: 'GET', url: `/image/${id}` });
      const byTag = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { 'if-none-match': String(first.headers.etag) } });
      expect(byTag.statusCode).toBe(304);
      expect(byTag.rawPayload.length).toBe(0);
      const byDate = await app.inject({
        method: 'GET',
        url: `/image/${id}`,
        headers: { 'if-modified-since': String(first.headers['last-modified']) },
      });
      expect(byDate.statusCode).toBe(304);
      const headByTag = await app.inject({ method: 'HEAD', url: `/image/${id}`, headers: { 'if-none-match': String(first.headers.etag) } });
      expect(headByTag.statusCode).toBe(304);
    });

    it('serves byte ranges with 206, and 416 past the end', async () => {
      const { id } = await stored();
      const whole = (await app.inject({ method: 'GET', url: `/image/${id}` })).rawPayload;
      const part = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { range: 'bytes=10-19' } });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${whole.length}`);
      expect(part.rawPayload.equals(whole.subarray(10, 20))).toBe(true);
      const suffix = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { range: 'bytes=-5' } });
      expect(suffix.rawPayload.equals(whole.subarray(whole.length - 5))).toBe(true);
      const beyond = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { range: `bytes=${whole.length}-` } });
      expect(beyond.statusCode).toBe(416);
      expect(beyond.headers['content-range']).toBe(`bytes */${whole.length}`);
      const several = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { range: 'bytes=0-1,5-6' } });
      expect(several.statusCode).toBe(200);
      expect(several.rawPayload.length).toBe(whole.length);
    });

    it('serves the whole object as a 200 when the store ignored the range', async () => {
      await app.close();
      await build({ storeIgnoresRanges: true });
      const { id } = await stored();
      const whole = (await app.inject({ method: 'GET', url: `/image/${id}` })).rawPayload;
      const part = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { range: 'bytes=10-19' } });
      expect(part.statusCode).toBe(200);
      expect(part.headers['content-range']).toBeUndefined();
      expect(Number(part.headers['content-length'])).toBe(whole.length);
      expect(part.rawPayload.equals(whole)).toBe(true);
    });

    it('answers 404 "not found" with Retry-After for a size not made yet, and plain 404 for an unknown image', async () => {
      const { id } = await stored();
      const pending = await app.inject({ method: 'GET', url: `/image/${id}/big` });
      expect(pending.statusCode).toBe(404);
      expect(pending.json()).toMatchObject({ error: 'not found' });
      expect(pending.headers['retry-after']).toBe('1');
      const missing = await app.inject({ method: 'GET', url: '/image/Zzzzzzz9/big' });
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['retry-after']).toBeUndefined();
      const unknownSize = await app.inject({ method: 'GET', url: `/image/${id}/huge` });
      expect(unknownSize.statusCode).toBe(404);
    });

    it.each(['abc', 'AbCd12345', 'AbCd-234', '..%2F..%2Fetc'])('answers 400 "invalid id" for %s', async (id) => {
      for (const url of [`/image/${id}`, `/image/${id}/big`, `/image/${id}/status`]) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: 'invalid id' });
      }
    });

    it('serves a variant once it exists', async () => {
      const { id } = await stored();
      await storage.put(`small/${id}`, await solidImage(256, 171, 'png'), { contentType: 'image/png' });
      const response = await app.inject({ method: 'GET', url: `/image/${id}/small` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/png');
    });
  });

  describe('GET /image/<id>/status', () => {
    it('reports each size as pending, ready or failed', async () => {
      const { id } = (await upload(await solidImage(300, 200, 'png'))).json();
      await storage.put(`big/${id}`, Buffer.from('x'), { contentType: 'image/png' });
      const response = await app.inject({ method: 'GET', url: `/image/${id}/status` });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        id,
        sizes: { big: { state: 'ready' }, medium: { state: 'pending' }, small: { state: 'pending' }, tiny: { state: 'pending' } },
        formats: { big: ['image/png'], medium: [], small: [], tiny: [] },
        expires_at: null,
      });
      await storage.put(`failed/${id}`, Buffer.from(JSON.stringify({ reason: 'corrupt-image', message: 'cannot decode' })), {
        contentType: 'application/json',
      });
      const failed = await app.inject({ method: 'GET', url: `/image/${id}/status` });
      expect(failed.json().sizes.tiny).toEqual({ state: 'failed', reason: 'cannot decode' });
      expect((await app.inject({ method: 'GET', url: '/image/Zzzzzzz9/status' })).statusCode).toBe(404);
    });
  });

  describe('DELETE /image/<id>', () => {
    it('removes the original and every size with the right token only', async () => {
      const { id, delete_token: token } = (await upload(await solidImage(300, 200, 'png'))).json();
      await storage.put(`big/${id}`, Buffer.from('x'), { contentType: 'image/png' });
      const wrong = await app.inject({ method: 'DELETE', url: `/image/${id}`, headers: { 'x-delete-token': 'not-the-token' } });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ error: 'forbidden' });
      expect((await app.inject({ method: 'DELETE', url: `/image/${id}` })).statusCode).toBe(401);
      const right = await app.inject({ method: 'DELETE', url: `/image/${id}`, headers: { 'x-delete-token': token } });
      expect(right.statusCode).toBe(204);
      // Only the tombstone stays: it tells a worker still resizing the image not to publish its sizes.
      const left: string[] = [];
      for (const prefix of ['original/', 'big/', 'deleted/']) for await (const object of storage.list(prefix)) left.push(object.key);
      expect(left).toEqual([`deleted/${id}`]);
      expect(JSON.stringify((await storage.head(`deleted/${id}`))?.metadata)).not.toContain(token);
    });

    it('answers a repeated DELETE of a deleted image 204 for its owner, 403 for anyone else', async () => {
      const { id, delete_token: token } = (await upload(await solidImage(30, 20, 'png'))).json();
      const del = (headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/image/${id}`, headers });
      expect((await del({ 'x-delete-token': token })).statusCode).toBe(204);
      // A size a late worker wrote is removed again by the repeated DELETE.
      await storage.put(`small/${id}`, Buffer.from('late'), { contentType: 'image/png' });
      expect((await del({ 'x-delete-token': token })).statusCode).toBe(204);
      expect(await storage.head(`small/${id}`)).toBeNull();
      const stranger = await del({ 'x-delete-token': 'not-the-token' });
      expect(stranger.statusCode).toBe(403);
      expect(stranger.json()).toMatchObject({ error: 'forbidden' });
      expect((await app.inject({ method: 'DELETE', url: '/image/Zz9Zz9Zz', headers: { 'x-delete-token': token } })).statusCode).toBe(404);
    });
  });

  describe('new ids', () => {
    it('draws another id when the first is taken, leaving the other upload and its token intact', async () => {
      const ids = ['AAAAaaaa', 'AAAAaaaa', 'BBBBbbbb'];
      await build({ generateId: () => ids.shift() ?? 'CCCCcccc' });
      const first = (await upload(await solidImage(30, 20, 'png'))).json();
      const before = await storage.readBuffer('original/AAAAaaaa');
      const second = await upload(await solidImage(40, 20, 'jpeg'));
      expect(second.statusCode).toBe(201);
      expect([first.id, second.json().id]).toEqual(['AAAAaaaa', 'BBBBbbbb']);
      const after = await storage.readBuffer('original/AAAAaaaa');
      expect(after?.body.equals(before?.body ?? Buffer.alloc(0))).toBe(true);
      expect(after?.info.metadata).toEqual(before?.info.metadata);
      expect(queue.published.filter((job) => job.imageId === 'BBBBbbbb')).toHaveLength(4);
    });

    it('never reuses the id of a deleted image (its tombstone would take the new sizes back)', async () => {
      await storage.put('deleted/AAAAaaaa', Buffer.from('{}'), { contentType: 'application/json' });
      const ids = ['AAAAaaaa', 'BBBBbbbb'];
      await build({ generateId: () => ids.shift() ?? 'CCCCcccc' });
      await storage.put('deleted/AAAAaaaa', Buffer.from('{}'), { contentType: 'application/json' });
      const response = await upload(await solidImage(30, 20, 'png'));
      expect(response.json().id).toBe('BBBBbbbb');
      expect(await storage.head('original/AAAAaaaa')).toBeNull();
    });

    it('answers 503 after five taken ids in a row, storing nothing new', async () => {
      await build({ generateId: () => 'AAAAaaaa' });
      expect((await upload(await solidImage(30, 20, 'png'))).statusCode).toBe(201);
      const response = await upload(await solidImage(30, 20, 'png'));
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: 'storage-unavailable' });
      expect(storage.size).toBe(1);
    });
  });

  describe('request ids', () => {
    it('gives every request a random id in X-Request-Id', async () => {
      const a = await app.inject({ method: 'GET', url: '/health' });
      const b = await app.inject({ method: 'GET', url: '/image/Zz9Zz9Zz' });
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('keeps a short safe caller id and replaces a forged one', async () => {
      const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'haproxy-0A1B:42.7' } });
      expect(kept.headers['x-request-id']).toBe('haproxy-0A1B:42.7');
      for (const forged of ['a b', 'x'.repeat(65), 'id\u001b[31m', '{"level":"fatal"}', 'é']) {
        const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': forged } });
        expect(response.headers['x-request-id'], forged).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it("passes the same id to the upload's resize tasks", async () => {
      const kept = await app.inject({ method: 'POST', url: '/image', ...withRequestId(await solidImage(30, 20, 'png'), 'trace-me-1') });
      expect(kept.headers['x-request-id']).toBe('trace-me-1');
      const forged = await app.inject({ method: 'POST', url: '/image', ...withRequestId(await solidImage(30, 20, 'png'), 'bad id\r') });
      expect(queue.requestIds).toEqual(['trace-me-1', forged.headers['x-request-id']]);
    });
  });

  describe('health', () => {
    it('answers liveness, readiness and metrics', async () => {
      const live = await app.inject({ method: 'GET', url: '/health' });
      expect([live.statusCode, live.body]).toEqual([200, 'ok']);
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { storage: 'up' } });
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain('imgr_http_request_duration_seconds');
      expect(metrics.body).toContain('nodejs_eventloop_lag_seconds');
    });

    it('turns readiness red while draining', async () => {
      setDraining();
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'draining' });
    });

    it('turns readiness red when a dependency fails', async () => {
      await app.close();
      await build();
      storage.check = async () => {
        throw new Error('bucket unreachable');
      };
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', checks: { storage: 'down: bucket unreachable' } });
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not found' });
  });
});
