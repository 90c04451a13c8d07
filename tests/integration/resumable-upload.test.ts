// Resumable (tus) uploads against real `imgr api` processes on RabbitMQ and Ceph S3: an upload sent in
// several PATCHes, across two API instances, becomes an image with its four sizes; a PATCH cut off
// mid-body is resumed from the offset HEAD gives; an oversized upload is refused before a byte is
// stored; a file that is not an image is refused at the end and leaves nothing staged.

import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SVG } from '../support/hostile-files.js';
import { listKeys, removeBucket, testS3Client } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, startImgr, waitFor } from '../support/services.js';

const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
const bucket = `imgr-resumable-${Date.now().toString(36)}`;
const broker = isolatedBroker('resumable');
const env = imgrEnv(bucket, { CELERY_BROKER_URL: broker.url, IMGR_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
const s3 = testS3Client();
const photo = readFileSync(join(fixtures, 'photo-3mp.jpg'));
const TUS = { 'Tus-Resumable': '1.0.0' };
const STAGED = 'uploads-in-progress/';

let apiA: ImgrProcess;
let apiB: ImgrProcess;
let worker: ImgrProcess;

const b64 = (text: string) => Buffer.from(text).toString('base64');

async function create(base: string, length: number, metadata = `filename ${b64('photo.jpg')}`): Promise<Response> {
  return fetch(`${base}/image/uploads`, {
    method: 'POST',
    headers: { ...TUS, 'Upload-Length': String(length), 'Upload-Metadata': metadata },
  });
}

async function patch(url: string, offset: number, bytes: Buffer): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: new Uint8Array(bytes),
  });
}

async function offsetOf(url: string): Promise<number> {
  const head = await fetch(url, { method: 'HEAD', headers: TUS });
  expect(head.status).toBe(200);
  return Number(head.headers.get('upload-offset'));
}

/** Sends the head of a PATCH and `sent` bytes of its body, then drops the connection, as a lost link does. */
function cutPatch(url: string, offset: number, bytes: Buffer, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
        'Content-Length': String(bytes.length),
      },
    });
    req.on('error', () => resolve());
    req.write(bytes.subarray(0, sent), () => setTimeout(() => req.destroy(), 500));
    req.on('close', () => resolve());
  });
}

const staged = async () => (await listKeys(s3, bucket)).filter((key) => key.startsWith(STAGED));

interface Uploaded {
  id: string;
  original: string;
  big: string;
  delete_token: string;
  expires_at: string | null;
}

async function fourSizes(base: string, id: string): Promise<void> {
  await waitFor(async () => {
    const status = (await (await fetch(`${base}/image/${id}/status`)).json()) as { sizes: Record<string, { state: string }> };
    return Object.values(status.sizes).every((size) => size.state === 'ready');
  }, 60_000);
  for (const size of ['big', 'medium', 'small', 'tiny']) expect((await fetch(`${base}/image/${id}/${size}`)).status).toBe(200);
}

describe('resumable uploads (tus), on RabbitMQ and Ceph S3', () => {
  beforeAll(async () => {
    [apiA, apiB, worker] = await Promise.all([startImgr('api', env), startImgr('api', env), startImgr('worker', env)]);
  });
  afterAll(async () => {
    await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
    broker.dispose();
    await removeBucket(bucket);
  });

  it('advertises its creation URL in GET /', async () => {
    const index = (await (await fetch(`${apiA.url}/`, { headers: { Accept: 'application/json' } })).json()) as Record<string, unknown>;
    expect(index.resumable_upload_url).toBe('/image/uploads');
  });

  it('takes an upload in three PATCHes over two instances, answers like POST /image, and makes the four sizes', async () => {
    const created = await create(apiA.url, photo.length);
    expect(created.status).toBe(201);
    const location = created.headers.get('location') ?? '';
    expect(location).toMatch(/^\/image\/uploads\/[0-9a-f]{32}$/);
    const third = Math.floor(photo.length / 3);
    const first = await patch(`${apiA.url}${location}`, 0, photo.subarray(0, third));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe(String(third));
    // The other instance knows the upload and where it stands: its state is in the bucket.
    expect(await offsetOf(`${apiB.url}${location}`)).toBe(third);
    expect((await patch(`${apiB.url}${location}`, third, photo.subarray(third, 2 * third))).status).toBe(204);
    expect((await staged()).length).toBeGreaterThan(0);

    const last = await patch(`${apiA.url}${location}`, 2 * third, photo.subarray(2 * third));
    expect(last.status).toBe(200);
    expect(last.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await last.json()) as Uploaded;
    expect(Object.keys(body).sort()).toEqual(['big', 'delete_token', 'expires_at', 'id', 'medium', 'original', 'small', 'tiny']);
    expect(body.original).toBe(`/image/${body.id}`);
    const original = await fetch(`${apiB.url}${body.original}`);
    expect(original.status).toBe(200);
    expect((await original.arrayBuffer()).byteLength).toBeGreaterThan(photo.length / 2);
    await fourSizes(apiA.url, body.id);
    // Nothing staged remains, and the upload's URL is gone.
    expect(await staged()).toEqual([]);
    expect((await fetch(`${apiA.url}${location}`, { method: 'HEAD', headers: TUS })).status).toBe(404);
    // The delete token works as for POST /image.
    const deleted = await fetch(`${apiA.url}/image/${body.id}`, { method: 'DELETE', headers: { 'X-Delete-Token': body.delete_token } });
    expect(deleted.status).toBe(204);
  });

  it('assembles a file larger than one S3 part (5 MiB) from its multipart upload', async () => {
    const side = 1500;
    const noise = Buffer.alloc(side * side * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const big = await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(big.length).toBeGreaterThan(6 * 1024 * 1024);
    const created = await create(apiA.url, big.length);
    const url = `${apiA.url}${created.headers.get('location')}`;
    const half = 3 * 1024 * 1024;
    expect((await patch(url, 0, big.subarray(0, half))).status).toBe(204);
    const done = await patch(`${apiB.url}${created.headers.get('location')}`, half, big.subarray(half));
    expect(done.status).toBe(200);
    const body = (await done.json()) as Uploaded;
    const original = Buffer.from(await (await fetch(`${apiA.url}${body.original}`)).arrayBuffer());
    expect(original.length).toBeGreaterThan(big.length * 0.9);
    await fourSizes(apiA.url, body.id);
    expect(await staged()).toEqual([]);
  });

  it('resumes a PATCH cut off mid-body from the offset HEAD gives', async () => {
    const created = await create(apiA.url, photo.length, `filename ${b64('photo.jpg')},expires_in ${b64('1h')}`);
    const url = `${apiA.url}${created.headers.get('location')}`;
    const sent = Math.floor(photo.length * 0.6);
    await cutPatch(url, 0, photo, sent);
    const offset = await waitFor(async () => {
      const now = await offsetOf(url);
      return now > 0 ? now : undefined;
    }, 10_000);
    console.log(`cut after ${sent} of ${photo.length} bytes; the server kept ${offset}`);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(sent);
    const rest = await patch(url, offset, photo.subarray(offset));
    expect(rest.status).toBe(200);
    const body = (await rest.json()) as Uploaded;
    expect(body.expires_at).not.toBeNull();
    // The stored image is the whole file: the same pixels as the photo.
    await fourSizes(apiB.url, body.id);
    expect(await staged()).toEqual([]);
  });

  it('refuses an Upload-Length above IMGR_MAX_UPLOAD_BYTES with 413 before storing anything', async () => {
    const before = await listKeys(s3, bucket);
    const created = await create(apiA.url, MAX_UPLOAD_BYTES + 1);
    expect(created.status).toBe(413);
    expect(((await created.json()) as { error: string }).error).toBe('too-large');
    expect(await listKeys(s3, bucket)).toEqual(before);
  });

  it('refuses a bad expires_in at creation', async () => {
    const created = await create(apiA.url, photo.length, `expires_in ${b64('forever')}`);
    expect(created.status).toBe(400);
    expect(((await created.json()) as { error: string }).error).toBe('invalid-expires-in');
    expect(await staged()).toEqual([]);
  });

  it('refuses a file that is not an image with 415 in JSON when it completes, and removes the staged bytes', async () => {
    const before = (await listKeys(s3, bucket)).filter((key) => !key.startsWith(STAGED));
    const created = await create(apiA.url, SVG.length);
    const url = `${apiA.url}${created.headers.get('location')}`;
    const refused = await patch(url, 0, SVG);
    expect(refused.status).toBe(415);
    expect(refused.headers.get('tus-resumable')).toBe('1.0.0');
    const body = (await refused.json()) as { error: string; message: string; accepted_types: string[] };
    expect(body.error).toBe('unsupported-type');
    expect(body.accepted_types).toContain('image/jpeg');
    expect(await staged()).toEqual([]);
    expect((await fetch(url, { method: 'HEAD', headers: TUS })).status).toBe(404);
    // No image was added either.
    expect((await listKeys(s3, bucket)).filter((key) => !key.startsWith(STAGED))).toEqual(before);
  });
});
