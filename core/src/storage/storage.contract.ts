import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARIANT_NAMES } from '../variants.js';
import { type ImageKind, objectKey } from './image-keys.js';
import type { ObjectStore } from './storage.port.js';

/** One rule of the contract, run in order against one store and one image id (later checks use what earlier ones wrote). */
export interface StorageCheck {
  name: string;
  run(store: ObjectStore, id: string): Promise<void>;
}

const KINDS: ImageKind[] = ['original', ...VARIANT_NAMES];
const PAYLOAD = 'imgr contract payload';

/** The behaviour every storage adapter owes the rest of imgr; storage.contract.test.ts shows each check failing on a store that breaks it. */
export const STORAGE_CHECKS: readonly StorageCheck[] = [
  {
    name: 'answers null for a missing object on head, read and readBuffer',
    async run(store, id) {
      expect(await store.head(`original/${id}`)).toBeNull();
      expect(await store.read(`original/${id}`)).toBeNull();
      expect(await store.readBuffer(`original/${id}`)).toBeNull();
    },
  },
  {
    name: 'stores bytes with their content type and metadata, and streams them back',
    async run(store, id) {
      const body = Buffer.from(PAYLOAD);
      await store.put(`original/${id}`, body, { contentType: 'image/png', metadata: { 'delete-token-sha256': 'abc123' } });
      const info = await store.head(`original/${id}`);
      expect(info).toMatchObject({ contentType: 'image/png', contentLength: body.length, metadata: { 'delete-token-sha256': 'abc123' } });
      expect(info?.etag).toMatch(/^"[^"]+"$/);
      const read = await store.read(`original/${id}`);
      expect(read?.status).toBe('found');
      if (read?.status === 'found') expect(await text(read.body)).toBe(PAYLOAD);
      expect((await store.readBuffer(`original/${id}`))?.body.equals(body)).toBe(true);
    },
  },
  {
    name: 'answers not-modified for a matching ETag or a later If-Modified-Since',
    async run(store, id) {
      const info = await store.head(`original/${id}`);
      if (!info) throw new Error('object missing');
      expect(await store.read(`original/${id}`, { ifNoneMatch: info.etag })).toEqual({ status: 'not-modified' });
      const later = new Date(info.lastModified.getTime() + 60_000);
      expect(await store.read(`original/${id}`, { ifModifiedSince: later })).toEqual({ status: 'not-modified' });
      const earlier = new Date(info.lastModified.getTime() - 60_000);
      const fresh = await store.read(`original/${id}`, { ifModifiedSince: earlier });
      expect(fresh?.status).toBe('found');
      if (fresh?.status === 'found') fresh.body.resume();
      const other = await store.read(`original/${id}`, { ifNoneMatch: '"something-else"' });
      expect(other?.status).toBe('found');
      if (other?.status === 'found') other.body.resume();
    },
  },
  {
    name: 'compares a weak ETag and an ETag list by RFC 9110 weak comparison',
    async run(store, id) {
      const info = await store.head(`original/${id}`);
      if (!info) throw new Error('object missing');
      const tag = info.etag.replace(/^W\//, '');
      expect(await store.read(`original/${id}`, { ifNoneMatch: `W/${tag}` })).toEqual({ status: 'not-modified' });
      expect(await store.read(`original/${id}`, { ifNoneMatch: `"other", W/${tag}` })).toEqual({ status: 'not-modified' });
    },
  },
  {
    name: 'reads a byte range, reporting the whole size',
    async run(store, id) {
      const read = await store.read(`original/${id}`, { range: { start: 5, end: 12 } });
      expect(read?.status).toBe('found');
      if (read?.status !== 'found') return;
      expect(await text(read.body)).toBe('contract');
      expect(read.range).toEqual({ start: 5, end: 12 });
      expect(read.info.contentLength).toBe(PAYLOAD.length);
    },
  },
  {
    name: 'keeps its own copy of what was put: the caller may reuse the buffer at once',
    async run(store, id) {
      const body = Buffer.from('first bytes');
      await store.put(`big/${id}`, body, { contentType: 'image/jpeg' });
      body.write('other bytes');
      expect((await store.readBuffer(`big/${id}`))?.body.toString()).toBe('first bytes');
    },
  },
  {
    name: 'replaces an object on a second put',
    async run(store, id) {
      await store.put(`big/${id}`, Buffer.from('one'), { contentType: 'image/jpeg' });
      await store.put(`big/${id}`, Buffer.from('second'), { contentType: 'image/jpeg' });
      expect((await store.readBuffer(`big/${id}`))?.body.toString()).toBe('second');
    },
  },
  {
    name: 'creates an object only when its key is free, leaving an existing one untouched',
    async run(store, id) {
      const key = `medium/${id}`;
      expect(await store.create(key, Buffer.from('first upload'), { contentType: 'image/png', metadata: { owner: 'first' } })).toBe(true);
      expect(await store.create(key, Buffer.from('second upload'), { contentType: 'image/gif', metadata: { owner: 'second' } })).toBe(
        false,
      );
      const kept = await store.readBuffer(key);
      expect(kept?.body.toString()).toBe('first upload');
      expect(kept?.info).toMatchObject({ contentType: 'image/png', metadata: { owner: 'first' } });
      await store.delete(key);
      expect(await store.create(key, Buffer.from('after delete'), { contentType: 'image/png' })).toBe(true);
      await store.delete(key);
    },
  },
  {
    name: 'lets exactly one of several simultaneous creates of a key win',
    async run(store, id) {
      const key = `small/${id}`;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.create(key, Buffer.from(`writer ${i}`), { contentType: 'image/png' })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.readBuffer(key))?.body.toString()).toBe(`writer ${winner}`);
      await store.delete(key);
    },
  },
  {
    name: 'lists by prefix',
    async run(store, id) {
      await store.put(`tiny/${id}`, Buffer.from('t'), { contentType: 'image/jpeg' });
      const keys: string[] = [];
      for await (const object of store.list('tiny/')) keys.push(object.key);
      expect(keys).toContain(`tiny/${id}`);
      expect(keys.every((key) => key.startsWith('tiny/'))).toBe(true);
    },
  },
  {
    name: 'stores and lists keys under a two-level prefix (the WebP/AVIF copies, `webp/<size>/<id>`)',
    async run(store, id) {
      await store.put(`webp/tiny/${id}`, Buffer.from('w'), { contentType: 'image/webp' });
      expect((await store.readBuffer(`webp/tiny/${id}`))?.body.toString()).toBe('w');
      const keys: string[] = [];
      for await (const object of store.list('webp/')) keys.push(object.key);
      expect(keys).toContain(`webp/tiny/${id}`);
      await store.delete(`webp/tiny/${id}`);
      expect(await store.head(`webp/tiny/${id}`)).toBeNull();
    },
  },
  {
    name: 'deletes, and deleting a missing object is not an error',
    async run(store, id) {
      await store.delete(`tiny/${id}`);
      expect(await store.head(`tiny/${id}`)).toBeNull();
      await expect(store.delete(`tiny/${id}`)).resolves.toBeUndefined();
    },
  },
  {
    name: 'passes its readiness check',
    async run(store) {
      await expect(store.check()).resolves.toBeUndefined();
    },
  },
];

/** A fresh id per run, so runs against a shared server do not meet. */
export const contractImageId = (): string => `C${Math.random().toString(36).slice(2, 9).padEnd(7, '0')}`.slice(0, 8);

/** Removes what the checks may have left. */
async function removeContractObjects(store: ObjectStore, id: string): Promise<void> {
  for (const kind of KINDS) await store.delete(objectKey(kind, id));
}

/** Runs the contract against one adapter: the in-memory reference, the filesystem store, a real S3 server. */
export function testStorage(label: string, factory: () => Promise<ObjectStore> | ObjectStore): void {
  describe(`storage contract: ${label}`, () => {
    let store: ObjectStore;
    const id = contractImageId();

    beforeAll(async () => {
      store = await factory();
      await store.init();
      await store.init(); // idempotent
    });
    afterAll(async () => {
      await removeContractObjects(store, id);
      await store.dispose();
    });

    for (const check of STORAGE_CHECKS) it(check.name, () => check.run(store, id));
  });
}
