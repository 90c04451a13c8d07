import type { Readable } from 'node:stream';

export interface ObjectInfo {
  contentType: string;
  contentLength: number;
  /** Quoted entity tag, as HTTP sends it. */
  etag: string;
  lastModified: Date;
  /** User metadata (S3 `x-amz-meta-*`), keys in lower case. */
  metadata: Record<string, string>;
}

export interface ReadConditions {
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: Date | undefined;
  /** Inclusive byte range, already checked against the object's size by the caller. */
  range?: ByteRange | undefined;
}

export interface ByteRange {
  start: number;
  end: number;
}

export type ReadResult = { status: 'found'; info: ObjectInfo; body: Readable; range?: ByteRange } | { status: 'not-modified' };

export interface WriteOptions {
  contentType: string;
  metadata?: Record<string, string>;
}

export interface ListedObject {
  key: string;
  lastModified: Date;
}

/**
 * Where images live. Keys are `<kind>/<id>`, checked by the caller. "Not found" is `null`; every
 * other failure is a `DependencyError`.
 */
export interface ObjectStore {
  readonly name: string;
  /** Prepares the store (creates the bucket or folder when missing). */
  init(): Promise<void>;
  /** Cheap round trip for readiness probes; throws when the store cannot serve. */
  check(): Promise<void>;
  /** Keeps no reference to `body` once settled: the API reuses upload buffers. */
  put(key: string, body: Buffer, options: WriteOptions): Promise<void>;
  /**
   * Writes only when no object has this key, atomically (S3 `If-None-Match: *`, a hard link on the
   * filesystem): `false` when one already exists, which is then left untouched.
   */
  create(key: string, body: Buffer, options: WriteOptions): Promise<boolean>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Streams the object; honours conditional headers the way an HTTP server would. */
  read(key: string, conditions?: ReadConditions): Promise<ReadResult | null>;
  readBuffer(key: string): Promise<{ info: ObjectInfo; body: Buffer } | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<ListedObject>;
  dispose(): Promise<void>;
}

/** Shared HTTP conditional logic for stores that evaluate conditions themselves. */
export function isNotModified(info: ObjectInfo, conditions: ReadConditions | undefined): boolean {
  if (!conditions) return false;
  if (conditions.ifNoneMatch !== undefined) {
    const tags = conditions.ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    // Weak comparison (RFC 9110 8.8.3.2): W/"x" matches "x" either way round.
    const current = info.etag.replace(/^W\//, '');
    return tags.includes('*') || tags.includes(current);
  }
  if (conditions.ifModifiedSince !== undefined) {
    return Math.floor(info.lastModified.getTime() / 1000) <= Math.floor(conditions.ifModifiedSince.getTime() / 1000);
  }
  return false;
}
