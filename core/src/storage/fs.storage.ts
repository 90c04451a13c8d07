import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { DependencyError } from '../errors.js';
import { ALTERNATE_FORMATS } from '../image/modern-formats.js';
import { VARIANT_NAMES } from '../variants.js';
import {
  isNotModified,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ReadConditions,
  type ReadResult,
  type WriteOptions,
} from './storage.port.js';

const DRIVER = 'fs-storage';
// `<kind>/<id>`, or `<format>/<size>/<id>` for the WebP/AVIF copies, from the lists that name them.
const KEY_PATTERN = new RegExp(`^([a-z]+|(${ALTERNATE_FORMATS.join('|')})/(${VARIANT_NAMES.join('|')}))/[A-Za-z0-9._-]+$`);

export interface FsStorageOptions {
  /** Folder holding one sub-folder per key prefix, e.g. `./data`. */
  root: string;
}

interface Sidecar {
  contentType: string;
  etag: string;
  metadata: Record<string, string>;
}

/**
 * Local-folder store for the single-machine mode. Each object is a file plus a JSON sidecar; both are
 * written to a temporary name and renamed, so a reader never sees half an object.
 */
export function createFsStorage(options: FsStorageOptions): ObjectStore {
  const root = resolve(options.root);

  const pathOf = (key: string): string => {
    const path = resolve(root, key);
    // Keys come from validated ids, but the store refuses to climb out of its folder regardless.
    if (!KEY_PATTERN.test(key) || !path.startsWith(root + sep)) {
      throw new DependencyError('storage', `[${DRIVER}] invalid key ${JSON.stringify(key)}`, false);
    }
    return path;
  };
  const wrap = (error: unknown, action: string, key: string): never => {
    if (error instanceof DependencyError) throw error;
    throw new DependencyError('storage', `[${DRIVER}] ${action} ${key} failed`, true, { cause: error });
  };
  const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

  async function head(key: string): Promise<ObjectInfo | null> {
    const path = pathOf(key);
    try {
      const [stats, raw] = await Promise.all([stat(path), readFile(`${path}.meta.json`, 'utf8')]);
      const sidecar = JSON.parse(raw) as Sidecar;
      return {
        contentType: sidecar.contentType,
        contentLength: stats.size,
        etag: sidecar.etag,
        lastModified: stats.mtime,
        metadata: sidecar.metadata,
      };
    } catch (error) {
      if (isMissing(error)) return null;
      return wrap(error, 'head', key);
    }
  }

  /**
   * Writes both files under temporary names first. `replace` renames them into place; `create`
   * hard-links the data file, which fails with EEXIST like O_EXCL but only ever shows a complete
   * file, and moves the sidecar in only once the key is won (until then a reader sees no object).
   */
  async function write(key: string, body: Buffer, writeOptions: WriteOptions, mode: 'replace' | 'create'): Promise<boolean> {
    const path = pathOf(key);
    const sidecar: Sidecar = {
      contentType: writeOptions.contentType,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      metadata: writeOptions.metadata ?? {},
    };
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(`${temp}.meta`, JSON.stringify(sidecar));
      await writeFile(temp, body);
      if (mode === 'create') {
        try {
          await link(temp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw error;
        }
        await rename(`${temp}.meta`, `${path}.meta.json`);
        return true;
      }
      await rename(`${temp}.meta`, `${path}.meta.json`);
      await rename(temp, path);
      return true;
    } catch (error) {
      return wrap(error, mode === 'create' ? 'create' : 'put', key);
    } finally {
      await rm(temp, { force: true });
      await rm(`${temp}.meta`, { force: true });
    }
  }

  /** Every object under a folder, sub-folders included (S3 lists a prefix whole). */
  async function* listFolder(folder: string): AsyncIterable<ListedObject> {
    let names: string[];
    try {
      names = await readdir(join(root, folder));
    } catch (error) {
      if (isMissing(error)) return;
      return wrap(error, 'list', `${folder}/`);
    }
    for (const name of names.sort()) {
      if (name.endsWith('.meta.json') || name.endsWith('.tmp') || name.endsWith('.tmp.meta')) continue;
      const stats = await stat(join(root, folder, name)).catch(() => null);
      if (stats?.isDirectory()) yield* listFolder(`${folder}/${name}`);
      else if (stats) yield { key: `${folder}/${name}`, lastModified: stats.mtime };
    }
  }

  return {
    name: DRIVER,
    async init() {
      await mkdir(root, { recursive: true });
    },
    async check() {
      await stat(root).catch((error: unknown) => wrap(error, 'check', root));
    },
    async put(key: string, body: Buffer, writeOptions: WriteOptions) {
      await write(key, body, writeOptions, 'replace');
    },
    async create(key: string, body: Buffer, writeOptions: WriteOptions) {
      return write(key, body, writeOptions, 'create');
    },
    head,
    async read(key: string, conditions?: ReadConditions): Promise<ReadResult | null> {
      const info = await head(key);
      if (!info) return null;
      if (isNotModified(info, conditions)) return { status: 'not-modified' };
      // Opened here, not lazily by the stream: an object deleted since the head is missing (404), never a
      // stream failing after the answer has begun.
      const file = await open(pathOf(key), 'r').catch((error: unknown) => (isMissing(error) ? null : wrap(error, 'get', key)));
      if (!file) return null;
      const range = conditions?.range;
      if (range) return { status: 'found', info, range, body: file.createReadStream({ start: range.start, end: range.end }) };
      return { status: 'found', info, body: file.createReadStream() };
    },
    async readBuffer(key: string) {
      const info = await head(key);
      if (!info) return null;
      try {
        return { info, body: await readFile(pathOf(key)) };
      } catch (error) {
        if (isMissing(error)) return null;
        return wrap(error, 'read', key);
      }
    },
    async delete(key: string) {
      const path = pathOf(key);
      try {
        await rm(path, { force: true });
        await rm(`${path}.meta.json`, { force: true });
      } catch (error) {
        wrap(error, 'delete', key);
      }
    },
    async *list(prefix: string): AsyncIterable<ListedObject> {
      yield* listFolder(prefix.replace(/\/$/, ''));
    },
    async dispose() {},
  };
}
