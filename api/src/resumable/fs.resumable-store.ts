import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { type ResumableStore, readAll } from './resumable-store.port.js';

export interface FsResumableStoreOptions {
  /** Folder of the partial uploads, e.g. `<IMGR_DATA_DIR>/uploads-in-progress` (one machine: `imgr all`). */
  directory: string;
  /** An unfinished upload older than this is refused and removed by the cleanup (IMGR_RESUMABLE_EXPIRES_S). */
  expirationMs: number;
}

/** Resumable uploads in files, for the filesystem storage mode, where a single process serves them all. */
export function createFsResumableStore(options: FsResumableStoreOptions): ResumableStore {
  // Made here, at start, where a failure is a clear error: FileStore also makes it, in a callback that
  // throws (an uncaught exception) when that fails.
  mkdirSync(options.directory, { recursive: true });
  const datastore = new FileStore({ directory: options.directory, expirationPeriodInMilliseconds: options.expirationMs });
  return {
    datastore,
    idPrefix: '',
    readFinished: async (id) => readAll(datastore.read(id)),
    async discard(id) {
      await datastore.remove(id).catch(async () => {
        // Already half gone (a cleanup raced us): make sure neither the bytes nor the record stay.
        await rm(join(options.directory, id), { force: true });
        await rm(join(options.directory, `${id}.json`), { force: true });
      });
    },
  };
}
