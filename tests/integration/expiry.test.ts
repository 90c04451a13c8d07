// Per-upload expiry on the real broker and Ceph S3: an image past its expiry answers 404 at once,
// before any sweep, and `imgr sweep` then deletes every key it had.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBucket } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, repoRoot, s3Storage, startImgr, waitFor } from '../support/services.js';

const bucket = `imgr-expiry-${Date.now().toString(36)}`;
const broker = isolatedBroker('expiry');
const storage = s3Storage(bucket);
// Uploads that ask for nothing expire after a day; nobody may ask for more than a week.
const env = imgrEnv(bucket, { CELERY_BROKER_URL: broker.url, IMGR_DEFAULT_EXPIRES_IN_S: '86400', IMGR_MAX_EXPIRES_IN_S: '604800' });
const photo = readFileSync(join(fixtures, 'photo-3mp.jpg'));

interface Uploaded {
  id: string;
  delete_token: string;
  expires_at: string | null;
}

async function upload(api: ImgrProcess, expiresIn?: string): Promise<Response> {
  const form = new FormData();
  if (expiresIn !== undefined) form.append('expires_in', expiresIn);
  form.append('file', new Blob([new Uint8Array(photo)]), 'photo.jpg');
  return fetch(`${api.url}/image`, { method: 'POST', body: form });
}

async function keysOf(id: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list('')) if (object.key.endsWith(id)) keys.push(object.key);
  return keys.sort();
}

/**
 * Moves an image's expiry into the past, as the clock would: its objects' `expires-at` metadata and
 * the sweep's marker, rewritten in place on S3.
 */
async function expireNow(id: string): Promise<void> {
  const past = new Date(Date.now() - 1000);
  for (const key of await keysOf(id)) {
    const object = await storage.readBuffer(key);
    if (!object) continue;
    if (key.startsWith('expiring/')) {
      await storage.delete(key);
      await storage.put(`expiring/${String(Math.floor(past.getTime() / 1000)).padStart(11, '0')}-${id}`, object.body, object.info);
    } else {
      const metadata = { ...object.info.metadata, 'expires-at': past.toISOString() };
      await storage.put(key, object.body, { contentType: object.info.contentType, metadata });
    }
  }
}

async function sweep(): Promise<{ expired: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'cli/dist/main.js'), 'sweep'], {
    env: { PATH: process.env.PATH ?? '', ...env, IMGR_SWEEP_MIN_AGE_S: '0' },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { expired: number };
}

describe('expiry, on RabbitMQ and Ceph S3', () => {
  let api: ImgrProcess;
  let worker: ImgrProcess;

  beforeAll(async () => {
    api = await startImgr('api', env);
    worker = await startImgr('worker', env);
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    broker.dispose();
    await storage.dispose();
    await removeBucket(bucket);
  });

  it.each([
    ['60', 'too short'],
    ['8d', 'longer than IMGR_MAX_EXPIRES_IN_S'],
    ['soon', 'not a duration'],
    ['-300', 'negative'],
    ['', 'empty'],
  ])('refuses expires_in=%j (%s) with 400 invalid-expires-in, storing nothing', async (value) => {
    const response = await upload(api, value);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid-expires-in', min_expires_in: 300, max_expires_in: 604800 });
  });

  it('shows the expiry in the upload answer and the status; the operator default applies when none is asked', async () => {
    const before = Date.now();
    const asked = (await (await upload(api, '2h')).json()) as Uploaded;
    const defaulted = (await (await upload(api)).json()) as Uploaded;
    const at = (value: string | null) => new Date(value ?? 0).getTime();
    expect(at(asked.expires_at) - before).toBeGreaterThanOrEqual(7200_000 - 1000);
    expect(at(asked.expires_at) - before).toBeLessThan(7200_000 + 60_000);
    expect(at(defaulted.expires_at) - before).toBeGreaterThanOrEqual(86_400_000 - 1000);
    expect(at(defaulted.expires_at) - before).toBeLessThan(86_400_000 + 60_000);
    const status = (await (await fetch(`${api.url}/image/${asked.id}/status`)).json()) as { expires_at: string };
    expect(status.expires_at).toBe(asked.expires_at);
    // Caches revalidate every use (no max-age), so none can keep serving the image past its expiry.
    expect((await fetch(`${api.url}/image/${asked.id}`)).headers.get('cache-control')).toBe('public, no-cache');
  });

  it('answers 404 from the moment of expiry, before the sweep, then the sweep deletes every key', async () => {
    const expiring = (await (await upload(api, '300')).json()) as Uploaded;
    const lasting = (await (await upload(api, '7d')).json()) as Uploaded;
    for (const { id } of [expiring, lasting]) {
      await waitFor(async () => (await fetch(`${api.url}/image/${id}/tiny`)).ok, 90_000, 200);
    }
    const urls = ['', '/big', '/tiny', '/status'].map((suffix) => `${api.url}/image/${expiring.id}${suffix}`);
    const etag = (await fetch(urls[1] as string)).headers.get('etag') ?? '';
    await expireNow(expiring.id);

    for (const url of urls) {
      for (const accept of [undefined, 'image/avif,image/webp,*/*']) {
        const response = await fetch(url, { headers: accept ? { accept } : {} });
        expect(response.status, url).toBe(404);
        expect(await response.json()).toMatchObject({ error: 'not found' });
      }
    }
    // A cache revalidating its copy learns the image is gone, not that it is still fresh.
    expect((await fetch(urls[1] as string, { headers: { 'if-none-match': etag } })).status).toBe(404);
    expect((await fetch(urls[1] as string, { method: 'HEAD' })).status).toBe(404);

    const leftBefore = await keysOf(expiring.id);
    expect(leftBefore).toEqual(expect.arrayContaining([`original/${expiring.id}`, `avif/big/${expiring.id}`, `big/${expiring.id}`]));
    const report = await sweep();
    expect(report.expired).toBe(1);
    // Only the tombstone stays: the id is never handed to another upload.
    expect(await keysOf(expiring.id)).toEqual([`deleted/${expiring.id}`]);
    expect(await keysOf(lasting.id)).toContain(`original/${lasting.id}`);
    expect((await fetch(`${api.url}/image/${lasting.id}/big`)).status).toBe(200);
    // The owner's token still answers as for any deleted image.
    const del = await fetch(`${api.url}/image/${expiring.id}`, { method: 'DELETE', headers: { 'x-delete-token': expiring.delete_token } });
    expect(del.status).toBe(204);
  }, 180_000);
});
