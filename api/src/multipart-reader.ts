import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import type { UploadBufferPool } from './upload-buffers.js';

/** Bytes of multipart framing and other fields allowed on top of the file itself. */
export const MULTIPART_OVERHEAD = 64 * 1024;

/** File parts one upload may carry: the `file` field plus a few others, which are read past and ignored. */
export const MAX_FILE_PARTS = 4;

const LIMIT_ERRORS = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);

/**
 * What went wrong while reading the multipart body, in the catalogue's terms: too large stays
 * 413 (the app maps it), too many parts and broken framing (no boundary, unterminated, a client
 * that went away) are the client's fault, 400, never a 500.
 */
function multipartError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return error;
  if (typeof code === 'string' && LIMIT_ERRORS.has(code)) {
    return new HttpError('badRequest', { message: `The upload has too many parts; send one file in the field "file".` });
  }
  return new HttpError('badRequest', { message: 'The multipart body is malformed or incomplete.' });
}

/**
 * Collects a part's chunks into one buffer. With the request's declared length the buffer comes
 * from the pool, up front, and each chunk is copied in as it arrives: the chunks die young, in
 * V8's cheap young-generation collections, instead of being kept until the part ends and then
 * concatenated, which doubled the bytes held per upload (see upload-buffers.ts for the rest).
 */
class PartCollector {
  private buffer: Buffer | undefined;
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(capacity: number | undefined, pool: UploadBufferPool) {
    if (capacity !== undefined && capacity > 0) this.buffer = pool.acquire(capacity);
  }

  add(chunk: Buffer): void {
    if (this.buffer && this.length + chunk.length <= this.buffer.length) chunk.copy(this.buffer, this.length);
    else {
      // More bytes than declared (cannot happen with an honest Content-Length): keep chunks instead.
      if (this.buffer) this.chunks.push(this.buffer.subarray(0, this.length));
      this.buffer = undefined;
      this.chunks.push(chunk);
    }
    this.length += chunk.length;
  }

  bytes(): Buffer {
    return this.buffer ? this.buffer.subarray(0, this.length) : Buffer.concat(this.chunks, this.length);
  }
}

/**
 * Reads one file part (keeping its bytes or not), refusing it with 413 the moment it passes the
 * upload limit: the rest of the body is never read. (The plugin's toBuffer() would only notice at
 * the end of the part, so a chunked body without end would be read until the request timeout.)
 * The parser may have cut the part at the limit before this listens, hence `truncated`, not 'limit'.
 * `collector` keeps the bytes; without one they are read past.
 */
function readPart(part: MultipartFile, collector: PartCollector | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => reject(new HttpError('tooLarge'));
    if (part.file.truncated) return tooLarge();
    part.file.on('limit', tooLarge);
    part.file.on('data', (chunk: Buffer) => {
      if (part.file.truncated) return tooLarge();
      collector?.add(chunk);
    });
    part.file.once('error', reject);
    part.file.once('end', () => (part.file.truncated ? tooLarge() : resolve(collector?.bytes() ?? Buffer.alloc(0))));
    part.file.once('close', () => {
      if (!part.file.readableEnded) reject(new HttpError('badRequest', { message: 'The multipart body is malformed or incomplete.' }));
    });
  });
}

/** The file and the text fields of an upload's form. */
export interface UploadForm {
  /** The first file part named `file`; `undefined` when there is none. */
  bytes: Buffer | undefined;
  fields: ReadonlyMap<string, string>;
}

/**
 * The bytes of the first file part named `file` and the text fields; other file parts are read past
 * and ignored, as the original did. Refusals are the catalogue's `HttpError`s, except a
 * part over the limit seen by the parser itself, left for the app to answer 413.
 */
export async function readFileField(request: FastifyRequest, maxUploadBytes: number, pool: UploadBufferPool): Promise<UploadForm> {
  let bytes: Buffer | undefined;
  const fields = new Map<string, string>();
  // The file is smaller than the whole body; onRequest already refused bodies declared too large.
  const declared = Number(request.headers['content-length']);
  const capacity = Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxUploadBytes) : undefined;
  try {
    for await (const part of request.parts({ limits: { files: MAX_FILE_PARTS } })) {
      if (part.type !== 'file') {
        // Text fields (such as expires_in) are kept, first value of each name; their size is bounded by the body's.
        if (!fields.has(part.fieldname)) fields.set(part.fieldname, String(part.value));
        continue;
      }
      const wanted = part.fieldname === 'file' && bytes === undefined;
      const body = await readPart(part as MultipartFile, wanted ? new PartCollector(capacity, pool) : undefined);
      if (wanted) bytes = body;
    }
  } catch (error) {
    throw multipartError(error);
  }
  return { bytes, fields };
}
