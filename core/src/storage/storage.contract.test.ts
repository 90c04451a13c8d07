import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from './memory.storage.js';
import { contractImageId, STORAGE_CHECKS } from './storage.contract.js';
import type { ObjectStore, WriteOptions } from './storage.port.js';

/** The reference store with one behaviour broken. */
type Breakage = (inner: ObjectStore) => Partial<ObjectStore>;

const BROKEN: Record<string, { breaks: string; change: Breakage }> = {
  'finds objects that do not exist': {
    breaks: 'answers null for a missing object on head, read and readBuffer',
    change: (inner) => ({
      head: async (key) =>
        (await inner.head(key)) ?? { contentType: '', contentLength: 0, etag: '""', lastModified: new Date(0), metadata: {} },
    }),
  },
  'loses the metadata': {
    breaks: 'stores bytes with their content type and metadata, and streams them back',
    change: (inner) => ({ put: (key, body, options) => inner.put(key, body, { contentType: options.contentType }) }),
  },
  'ignores conditional reads': {
    breaks: 'answers not-modified for a matching ETag or a later If-Modified-Since',
    change: (inner) => ({ read: (key, conditions) => inner.read(key, conditions?.range ? { range: conditions.range } : undefined) }),
  },
  'compares ETags strongly': {
    breaks: 'compares a weak ETag and an ETag list by RFC 9110 weak comparison',
    change: (inner) => ({
      read: (key, conditions) =>
        inner.read(key, conditions?.ifNoneMatch?.includes('W/') ? { ...conditions, ifNoneMatch: '"no-match"' } : conditions),
    }),
  },
  'ignores the range': {
    breaks: 'reads a byte range, reporting the whole size',
    change: (inner) => ({ read: (key, conditions) => inner.read(key, conditions && { ...conditions, range: undefined }) }),
  },
  'keeps a reference to the caller’s buffer': {
    breaks: 'keeps its own copy of what was put: the caller may reuse the buffer at once',
    change: (inner) => {
      const held = new Map<string, { body: Buffer; options: WriteOptions }>();
      const settle = async (key: string) => {
        const entry = held.get(key);
        if (entry) await inner.put(key, entry.body, entry.options);
        held.delete(key);
      };
      return {
        put: async (key, body, options) => void held.set(key, { body, options }),
        head: (key) => settle(key).then(() => inner.head(key)),
        readBuffer: (key) => settle(key).then(() => inner.readBuffer(key)),
        read: (key, conditions) => settle(key).then(() => inner.read(key, conditions)),
      };
    },
  },
  'keeps the first version on a second put': {
    breaks: 'replaces an object on a second put',
    change: (inner) => ({ put: async (key, body, options) => void ((await inner.head(key)) ?? (await inner.put(key, body, options))) }),
  },
  'overwrites on create': {
    breaks: 'creates an object only when its key is free, leaving an existing one untouched',
    change: (inner) => ({ create: (key, body, options) => inner.put(key, body, options).then(() => true) }),
  },
  'checks, then writes (not atomic)': {
    breaks: 'lets exactly one of several simultaneous creates of a key win',
    change: (inner) => ({
      create: async (key, body, options) => {
        if (await inner.head(key)) return false;
        await new Promise((resolve) => setImmediate(resolve));
        await inner.put(key, body, options);
        return true;
      },
    }),
  },
  'lists every key whatever the prefix': {
    breaks: 'lists by prefix',
    change: (inner) => ({ list: () => inner.list('') }),
  },
  'refuses keys under a two-level prefix': {
    breaks: 'stores and lists keys under a two-level prefix (the WebP/AVIF copies, `webp/<size>/<id>`)',
    change: (inner) => ({
      put: async (key, body, options) => {
        if (key.split('/').length > 2) throw new Error(`invalid key ${key}`);
        await inner.put(key, body, options);
      },
    }),
  },
  'fails to delete a missing object': {
    breaks: 'deletes, and deleting a missing object is not an error',
    change: (inner) => ({
      delete: async (key) => {
        if (!(await inner.head(key))) throw new Error(`no object ${key}`);
        await inner.delete(key);
      },
    }),
  },
  'fails its readiness check': {
    breaks: 'passes its readiness check',
    change: () => ({ check: async () => Promise.reject(new Error('not ready')) }),
  },
};

/** Runs every check in order, as testStorage does, and names those that failed. */
async function failingChecks(store: ObjectStore): Promise<string[]> {
  const id = contractImageId();
  const failed: string[] = [];
  for (const check of STORAGE_CHECKS) await check.run(store, id).catch(() => failed.push(check.name));
  return failed;
}

describe('storage contract', () => {
  it('passes on the reference store', async () => {
    expect(await failingChecks(createMemoryStorage())).toEqual([]);
  });

  it('names every check of the contract once among the broken stores', () => {
    const broken = Object.values(BROKEN).map((entry) => entry.breaks);
    expect([...broken].sort()).toEqual(STORAGE_CHECKS.map((check) => check.name).sort());
  });

  it.each(Object.entries(BROKEN))('fails on a store that %s', async (_, { breaks, change }) => {
    const inner = createMemoryStorage();
    const store: ObjectStore = { ...inner, ...change(inner) };
    expect(await failingChecks(store)).toContain(breaks);
  });
});
