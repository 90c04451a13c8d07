import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isNotModified, type ObjectInfo, type ObjectStore, type ReadResult, type WriteOptions } from './storage.port.js';

function entryOf(body: Buffer, options: WriteOptions): { info: ObjectInfo; body: Buffer } {
  const info: ObjectInfo = {
    contentType: options.contentType,
    contentLength: body.length,
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
    metadata: { ...options.metadata },
  };
  return { info, body: Buffer.from(body) };
}

/** Reference store kept in memory: the contract suite's baseline and the service tests' double. */
export function createMemoryStorage(): ObjectStore & { readonly size: number } {
  const objects = new Map<string, { info: ObjectInfo; body: Buffer }>();
  return {
    name: 'memory-storage',
    get size() {
      return objects.size;
    },
    async init() {},
    async check() {},
    async put(key, body, options) {
      objects.set(key, entryOf(body, options));
    },
    async create(key, body, options) {
      if (objects.has(key)) return false;
      objects.set(key, entryOf(body, options));
      return true;
    },
    async head(key) {
      return objects.get(key)?.info ?? null;
    },
    async read(key, conditions): Promise<ReadResult | null> {
      const entry = objects.get(key);
      if (!entry) return null;
      if (isNotModified(entry.info, conditions)) return { status: 'not-modified' };
      const range = conditions?.range;
      if (range)
        return { status: 'found', info: entry.info, range, body: Readable.from([entry.body.subarray(range.start, range.end + 1)]) };
      return { status: 'found', info: entry.info, body: Readable.from([entry.body]) };
    },
    async readBuffer(key) {
      const entry = objects.get(key);
      return entry ? { info: entry.info, body: Buffer.from(entry.body) } : null;
    },
    async delete(key) {
      objects.delete(key);
    },
    async *list(prefix) {
      for (const [key, entry] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
        if (key.startsWith(prefix)) yield { key, lastModified: entry.info.lastModified };
      }
    },
    async dispose() {
      objects.clear();
    },
  };
}
