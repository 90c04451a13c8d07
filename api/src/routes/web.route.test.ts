import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetrics, DEFAULT_IMAGE_LIMITS } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../app.js';
import { createImageService } from '../image.service.js';

// Single-machine mode: the page, its hashed assets and the images, with the headers browsers and caches act on.
describe('cache and page headers', () => {
  let app: FastifyInstance;
  let webDir: string;

  beforeAll(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'imgr-web-headers-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>imgr</title>');
    writeFileSync(join(webDir, 'assets', 'index-Ab12Cd34.js'), 'console.log("imgr")');
    writeFileSync(join(webDir, 'config.json'), '{}');
    const logger = createLogger('silent');
    const metrics = createMetrics('api');
    const storage = createMemoryStorage();
    const images = createImageService({
      storage,
      queue: createMemoryQueue(),
      logger,
      metrics,
      limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 1_000_000, maxFrames: 5 },
    });
    ({ app } = await buildApi({
      images,
      logger,
      metrics,
      readiness: [],
      maxUploadBytes: 1024 * 1024,
      maxConcurrentUploads: 2,
      requestTimeoutMs: 10_000,
      webDir,
    }));
  });
  afterAll(async () => {
    await app.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves the page with a CSP allowing only its own scripts, no framing, no referrer, no sniffing, revalidated', async () => {
    const page = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('varies / on Accept, for the page and for the JSON index alike', async () => {
    for (const accept of ['text/html', 'application/json']) {
      const response = await app.inject({ method: 'GET', url: '/', headers: { accept } });
      expect(String(response.headers.vary).split(/,\s*/)).toContain('Accept');
    }
  });

  it('caches hashed assets for a year as immutable, and nothing else under the web root', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const config = await app.inject({ method: 'GET', url: '/config.json' });
    expect(config.headers['cache-control']).toBe('no-cache');
  });

  it('lets caches keep an image but revalidate it on every use: 304 while it exists, 404 once deleted', async () => {
    const upload = await app.inject({
      method: 'POST',
      url: '/image',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      payload: Buffer.concat([
        Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'),
        await solidImage(40, 30, 'png'),
        Buffer.from('\r\n--b--\r\n'),
      ]),
    });
    expect(upload.statusCode).toBe(201);
    const { id, delete_token } = upload.json() as { id: string; delete_token: string };
    const first = await app.inject({ method: 'GET', url: `/image/${id}` });
    expect(first.headers['cache-control']).toBe('public, no-cache');
    const again = await app.inject({ method: 'GET', url: `/image/${id}`, headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.headers['cache-control']).toBe('public, no-cache');

    const deleted = await app.inject({ method: 'DELETE', url: `/image/${id}`, headers: { 'x-delete-token': delete_token } });
    expect(deleted.statusCode).toBe(204);
    const revalidation = await app.inject({
      method: 'GET',
      url: `/image/${id}`,
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(revalidation.statusCode).toBe(404);
  });
});
