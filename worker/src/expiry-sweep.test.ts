import { createLogger, expiryMarkerKey } from '@imgr/core';
import { createMemoryStorage } from '@imgr/core/adapters';
import { describe, expect, it } from 'vitest';
import { sweepExpiredImages } from './expiry-sweep.js';

const logger = createLogger('silent');
const NOW = new Date('2026-06-01T12:00:00Z');
const json = { contentType: 'application/json' };

async function storeImage(storage: ReturnType<typeof createMemoryStorage>, id: string, expiresAt: Date) {
  const metadata = { 'expires-at': expiresAt.toISOString(), 'delete-token-sha256': 'ab'.repeat(32) };
  for (const key of ['original', 'big', 'tiny', 'avif/big', 'webp/tiny', 'failed']) {
    await storage.put(`${key}/${id}`, Buffer.from('x'), { ...json, metadata });
  }
  await storage.put(expiryMarkerKey(expiresAt, id), Buffer.alloc(0), json);
}

async function keys(storage: ReturnType<typeof createMemoryStorage>): Promise<string[]> {
  const found: string[] = [];
  for await (const object of storage.list('')) found.push(object.key);
  return found.sort();
}

describe('sweepExpiredImages', () => {
  it('deletes every key of an image past its expiry, leaving a tombstone with the token hash, and keeps the others', async () => {
    const storage = createMemoryStorage();
    await storeImage(storage, 'Expired1', new Date(NOW.getTime() - 1000));
    await storeImage(storage, 'Lasting1', new Date(NOW.getTime() + 3_600_000));
    expect(await sweepExpiredImages({ storage, logger, now: NOW })).toBe(1);
    const left = await keys(storage);
    expect(left.filter((key) => key.endsWith('Expired1'))).toEqual(['deleted/Expired1']);
    expect(left.filter((key) => key.endsWith('Lasting1'))).toHaveLength(7);
    expect((await storage.head('deleted/Expired1'))?.metadata['delete-token-sha256']).toBe('ab'.repeat(32));
  });

  it('leaves an image alone when its own metadata says it has not expired, whatever a stray marker says', async () => {
    const storage = createMemoryStorage();
    await storeImage(storage, 'Lasting2', new Date(NOW.getTime() + 3_600_000));
    await storage.put(expiryMarkerKey(new Date(NOW.getTime() - 1000), 'Lasting2'), Buffer.alloc(0), json);
    expect(await sweepExpiredImages({ storage, logger, now: NOW })).toBe(0);
    expect(await storage.head('original/Lasting2')).not.toBeNull();
  });

  it('drops the marker of an image already deleted', async () => {
    const storage = createMemoryStorage();
    const marker = expiryMarkerKey(new Date(NOW.getTime() - 1000), 'Gone1234');
    await storage.put(marker, Buffer.alloc(0), json);
    expect(await sweepExpiredImages({ storage, logger, now: NOW })).toBe(0);
    expect(await storage.head(marker)).toBeNull();
  });
});
