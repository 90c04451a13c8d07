import type { DataStore } from '@tus/server';

/**
 * Where resumable (tus) uploads stay while they arrive: a tus DataStore, plus the two things the API
 * does with a finished one (read it whole for the image service, then drop it). The staged bytes are
 * never served: read routes only map `/image/<id>` to the image keys (`original/<id>`, `big/<id>`…).
 */
export interface ResumableStore {
  readonly datastore: DataStore;
  /** Put before the random part of every upload id, so staged objects sit under their own prefix. */
  readonly idPrefix: string;
  /** Every byte of a finished upload. */
  readFinished(id: string): Promise<Buffer>;
  /** Removes a finished, refused or abandoned upload: its bytes and its tus record. */
  discard(id: string): Promise<void>;
  dispose?(): void;
}

/** Collects a stream into one buffer: finished uploads are at most IMGR_MAX_UPLOAD_BYTES. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
