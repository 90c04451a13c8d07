// WebP and AVIF copies of the sizes, chosen by Accept, on the real broker and Ceph S3: clients that
// name no modern type get the original's bytes as before, the others the copy with its own headers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBucket } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, s3Storage, startImgr, uploadFile, waitFor } from '../support/services.js';

const bucket = `imgr-formats-${Date.now().toString(36)}`;
const broker = isolatedBroker('formats');
const storage = s3Storage(bucket);
const SIZES = ['big', 'medium', 'small', 'tiny'] as const;

interface Status {
  sizes: Record<string, { state: string }>;
  formats: Record<string, string[]>;
}

async function uploadAndWait(api: ImgrProcess, file: string): Promise<{ id: string; token: string; status: Status }> {
  const response = await uploadFile(api.url, readFileSync(join(fixtures, file)), file);
  expect(response.status).toBe(201);
  const { id, delete_token: token } = (await response.json()) as { id: string; delete_token: string };
  const status = await waitFor(
    async () => {
      const body = (await (await fetch(`${api.url}/image/${id}/status`)).json()) as Status;
      return Object.values(body.sizes).every((size) => size.state === 'ready') && body;
    },
    90_000,
    200,
  );
  return { id, token, status };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function stored(key: string): Promise<{ body: Buffer; etag: string; contentType: string }> {
  const object = await storage.readBuffer(key);
  if (!object) throw new Error(`${key} is not stored`);
  return { body: object.body, etag: object.info.etag, contentType: object.info.contentType };
}

describe('sizes negotiated by Accept, on RabbitMQ and Ceph S3', () => {
  let api: ImgrProcess;
  let worker: ImgrProcess;
  let photo: { id: string; status: Status };

  beforeAll(async () => {
    const env = imgrEnv(bucket, { CELERY_BROKER_URL: broker.url });
    api = await startImgr('api', env);
    worker = await startImgr('worker', env);
    photo = await uploadAndWait(api, 'photo-3mp.jpg');
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    broker.dispose();
    await storage.dispose();
    await removeBucket(bucket);
  });

  it('lists the formats of each size in the status', () => {
    for (const size of SIZES) expect(photo.status.formats[size]).toEqual(['image/jpeg', 'image/avif', 'image/webp']);
  });

  it.each([
    ['no Accept', 'jpeg', undefined, ''],
    ['*/*', 'jpeg', '*/*', ''],
    ['image/*', 'jpeg', 'image/*', ''],
    ['image/webp', 'webp', 'image/webp', 'webp/'],
    ['image/avif,image/webp', 'avif', 'image/avif,image/webp', 'avif/'],
    ["Chrome's Accept", 'avif', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif/'],
    ['AVIF refused (q=0)', 'webp', 'image/avif;q=0,image/webp,*/*', 'webp/'],
  ])('%s → the %s bytes with their own type and ETag, Vary: Accept', async (_label, format, accept, prefix) => {
    for (const size of SIZES) {
      const expected = await stored(`${prefix}${size}/${photo.id}`);
      const { response, body } = await get(`${api.url}/image/${photo.id}/${size}`, accept ? { accept } : {});
      expect(response.status).toBe(200);
      expect(body.equals(expected.body)).toBe(true);
      expect(response.headers.get('content-type')).toBe(`image/${format}`);
      expect(response.headers.get('content-length')).toBe(String(expected.body.length));
      expect(response.headers.get('etag')).toBe(expected.etag);
      expect(response.headers.get('vary')).toMatch(/\bAccept\b/);
      expect((await sharp(body).metadata()).format).toBe(format === 'avif' ? 'heif' : format);
    }
  });

  it('gives each representation its own ETag, and answers a conditional request per representation', async () => {
    const url = `${api.url}/image/${photo.id}/medium`;
    const etags = new Map<string, string>();
    for (const accept of ['*/*', 'image/webp', 'image/avif']) {
      const { response } = await get(url, { accept });
      etags.set(accept, response.headers.get('etag') ?? '');
    }
    expect(new Set(etags.values()).size).toBe(3);
    for (const [accept, etag] of etags) {
      const revalidated = await get(url, { accept, 'if-none-match': etag });
      expect(revalidated.response.status).toBe(304);
      expect(revalidated.body.length).toBe(0);
      expect(revalidated.response.headers.get('vary')).toMatch(/\bAccept\b/);
    }
    // The JPEG's ETag does not validate the AVIF: a browser that learned AVIF gets the new bytes.
    const switched = await get(url, { accept: 'image/avif', 'if-none-match': etags.get('*/*') ?? '' });
    expect(switched.response.status).toBe(200);
    expect(switched.response.headers.get('content-type')).toBe('image/avif');
    expect(switched.response.headers.get('etag')).toBe(etags.get('image/avif'));
  });

  it('answers HEAD and ranges from the negotiated representation', async () => {
    const avif = await stored(`avif/small/${photo.id}`);
    const head = await fetch(`${api.url}/image/${photo.id}/small`, { method: 'HEAD', headers: { accept: 'image/avif' } });
    expect(head.headers.get('content-type')).toBe('image/avif');
    expect(head.headers.get('content-length')).toBe(String(avif.body.length));
    const { response, body } = await get(`${api.url}/image/${photo.id}/small`, { accept: 'image/avif', range: 'bytes=0-99' });
    expect(response.status).toBe(206);
    expect(body.equals(avif.body.subarray(0, 100))).toBe(true);
  });

  it("keeps the original's contract: the original is served as uploaded, whatever the Accept", async () => {
    const uploaded = readFileSync(join(fixtures, 'photo-3mp.jpg'));
    for (const accept of [undefined, 'image/avif,image/webp,*/*']) {
      const { response, body } = await get(`${api.url}/image/${photo.id}`, accept ? { accept } : {});
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(body.equals(uploaded)).toBe(true);
      expect(response.headers.get('vary') ?? '').not.toMatch(/\bAccept\b/);
    }
  });

  it('makes no copies of an animation: a browser gets the GIF', async () => {
    const gif = await uploadAndWait(api, 'animated.gif');
    expect(gif.status.formats.big).toEqual(['image/gif']);
    const { response, body } = await get(`${api.url}/image/${gif.id}/big`, { accept: 'image/avif,image/webp,*/*' });
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(body.equals((await stored(`big/${gif.id}`)).body)).toBe(true);
  }, 120_000);

  it('removes every copy on DELETE', async () => {
    const { id, token, status } = await uploadAndWait(api, 'photo.png');
    expect(status.formats.big).toEqual(['image/png', 'image/avif', 'image/webp']);
    expect((await fetch(`${api.url}/image/${id}`, { method: 'DELETE', headers: { 'x-delete-token': token } })).status).toBe(204);
    const left: string[] = [];
    for await (const object of storage.list('')) if (object.key.endsWith(id) && !object.key.startsWith('deleted/')) left.push(object.key);
    expect(left).toEqual([]);
  }, 120_000);
});
