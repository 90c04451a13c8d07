import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBucket } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, s3Storage, startImgr, uploadFile, waitFor } from '../support/services.js';

const bucket = `imgr-pipeline-${Date.now().toString(36)}`;
const broker = isolatedBroker('pipeline');
const env = (extra: Record<string, string> = {}) => imgrEnv(bucket, { CELERY_BROKER_URL: broker.url, ...extra });
const SIZES = { big: 1024, medium: 512, small: 256, tiny: 128 } as const;

/** Expected variant size: fit inside the box, aspect ratio kept, never enlarged. */
function fitInBox(width: number, height: number, box: number): [number, number] {
  const scale = Math.min(box / width, box / height, 1);
  return [Math.round(width * scale), Math.round(height * scale)];
}

async function variantsReady(base: string, id: string): Promise<Record<string, Buffer> | undefined> {
  const bodies: Record<string, Buffer> = {};
  for (const name of Object.keys(SIZES)) {
    const response = await fetch(`${base}/image/${id}/${name}`);
    if (response.status !== 200) return undefined;
    bodies[name] = Buffer.from(await response.arrayBuffer());
  }
  return bodies;
}

describe('upload → queue → worker → four variants, on RabbitMQ and S3, with real photographs', () => {
  let api: ImgrProcess;
  let worker: ImgrProcess;

  beforeAll(async () => {
    api = await startImgr('api', env());
    worker = await startImgr('worker', env());
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    broker.dispose();
    await removeBucket(bucket);
  });

  it.each([
    ['photo-3mp.jpg', 'image/jpeg', 'jpeg'],
    ['photo-15mp.jpg', 'image/jpeg', 'jpeg'],
    ['photo.png', 'image/png', 'png'],
    ['photo.gif', 'image/gif', 'gif'],
    ['animated.gif', 'image/gif', 'gif'],
    ['photo.webp', 'image/webp', 'webp'],
  ])('%s gets four variants of the right size and type', async (file, contentType, format) => {
    const bytes = readFileSync(join(fixtures, file));
    const original = await sharp(bytes, { animated: true }).metadata();
    const width = original.width ?? 0;
    const height = original.pageHeight ?? original.height ?? 0;
    const response = await uploadFile(api.url, bytes, file);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; original: string };
    expect(body.original).toBe(`/image/${body.id}`);

    const stored = await fetch(`${api.url}/image/${body.id}`);
    expect(stored.headers.get('content-type')).toBe(contentType);
    expect(Buffer.from(await stored.arrayBuffer()).equals(bytes)).toBe(true);

    const variants = await waitFor(() => variantsReady(api.url, body.id), 60_000, 100);
    for (const [name, box] of Object.entries(SIZES)) {
      const meta = await sharp(variants[name], { animated: true }).metadata();
      expect(meta.format).toBe(format);
      expect([meta.width, meta.pageHeight ?? meta.height]).toEqual(fitInBox(width, height, box));
      if (file === 'animated.gif') expect(meta.pages).toBe(original.pages);
    }
    const status = await (await fetch(`${api.url}/image/${body.id}/status`)).json();
    expect(Object.values(status.sizes)).toEqual(Array(4).fill({ state: 'ready' }));
  });

  it('turns a phone portrait upright and strips its metadata', async () => {
    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'portrait-exif6.jpg')));
    const { id } = (await response.json()) as { id: string };
    const variants = await waitFor(() => variantsReady(api.url, id), 60_000, 100);
    const meta = await sharp(variants.big).metadata();
    // Stored 1200x800 with "rotate 90°": upright it is 800x1200, so the big box gives 683x1024.
    expect([meta.width, meta.height]).toEqual([683, 1024]);
    expect(meta.exif).toBeUndefined();
  });

  it('stores originals and variants under the original S3 keys', async () => {
    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'photo-3mp.jpg')));
    const { id } = (await response.json()) as { id: string };
    await waitFor(() => variantsReady(api.url, id), 60_000, 100);
    const store = s3Storage(bucket);
    for (const kind of ['original', 'big', 'medium', 'small', 'tiny']) {
      expect((await store.head(`${kind}/${id}`))?.contentType).toBe('image/jpeg');
    }
    await store.dispose();
  });

  it('revalidates with 304 and answers HEAD without a body', async () => {
    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'photo.png')));
    const { id } = (await response.json()) as { id: string };
    await waitFor(() => variantsReady(api.url, id), 60_000, 100);
    const first = await fetch(`${api.url}/image/${id}/medium`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    expect((await fetch(`${api.url}/image/${id}/medium`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${api.url}/image/${id}/medium`, { headers: { 'if-modified-since': lastModified } })).status).toBe(304);
    const head = await fetch(`${api.url}/image/${id}/medium`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'));
  });

  it('refuses bad input at the door and leaves nothing in storage or on the queue', async () => {
    const connection = await amqp.connect(broker.url);
    const channel = await connection.createChannel();
    const before = (await channel.checkQueue('celery')).messageCount;
    const cases: [string, number, string][] = [
      ['not-an-image.txt', 415, 'unsupported-type'],
      ['truncated.jpg', 422, 'corrupt-image'],
    ];
    for (const [file, status, error] of cases) {
      const response = await uploadFile(api.url, readFileSync(join(fixtures, file)), file, 'image/jpeg');
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ error, message: expect.any(String) });
    }
    expect((await channel.checkQueue('celery')).messageCount).toBe(before);
    await connection.close();
  });

  it('reports readiness of both processes', async () => {
    for (const process of [api, worker]) {
      const ready = await fetch(`${process.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { storage: 'up', queue: 'up' } });
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const extra = await startImgr('worker', env());
    expect(await extra.stop('SIGTERM')).toBe(0);
  });
});
