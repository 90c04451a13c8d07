import type { MultipartFile } from '@fastify/multipart';
import type { Metrics } from '@imgr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UPLOAD_PATH } from '../contract.js';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';
import { armBodyDeadline, watchBodyRate } from '../slow-body.js';
import { createUploadBufferPool, type UploadBufferPool } from '../upload-buffers.js';

/** Optional form field (or query parameter) asking for the upload to expire: `3600`, `90m`, `7d` (core/src/expiry.ts). */
export const EXPIRES_IN_FIELD = 'expires_in';

function expiresInOfQuery(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[EXPIRES_IN_FIELD];
  return typeof value === 'string' ? value : undefined;
}

/** Bytes of multipart framing and other fields allowed on top of the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** File parts one upload may carry: the `file` field plus a few others, which are read past and ignored. */
const MAX_FILE_PARTS = 4;

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

/** The bytes of the first file part named `file`; other parts are read past and ignored, as the original did. */
async function readFileField(
  request: FastifyRequest,
  maxUploadBytes: number,
  pool: UploadBufferPool,
): Promise<{ bytes: Buffer | undefined; expiresIn: string | undefined }> {
  let bytes: Buffer | undefined;
  let expiresIn: string | undefined;
  // The file is smaller than the whole body; onRequest already refused bodies declared too large.
  const declared = Number(request.headers['content-length']);
  const capacity = Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxUploadBytes) : undefined;
  try {
    for await (const part of request.parts({ limits: { files: MAX_FILE_PARTS } })) {
      if (part.type !== 'file') {
        if (part.fieldname === EXPIRES_IN_FIELD) expiresIn = String(part.value);
        continue;
      }
      const wanted = part.fieldname === 'file' && bytes === undefined;
      const body = await readPart(part as MultipartFile, wanted ? new PartCollector(capacity, pool) : undefined);
      if (wanted) bytes = body;
    }
  } catch (error) {
    throw multipartError(error);
  }
  return { bytes, expiresIn };
}

export interface UploadRouteOptions {
  images: ImageService;
  metrics: Metrics;
  maxUploadBytes: number;
  /** Uploads read, checked and stored at once (IMGR_MAX_CONCURRENT_UPLOADS); the next one gets 503 busy. */
  maxConcurrentUploads: number;
  /** Longest time the whole body may take to arrive (IMGR_UPLOAD_TIMEOUT_MS). */
  uploadTimeoutMs: number;
  /** Slowest body kept, in each 10 s window (IMGR_UPLOAD_MIN_BYTES_PER_S); 0 turns the guard off. */
  minUploadBytesPerSecond: number;
}

/**
 * An upload slot, taken in onRequest, in the same synchronous step as the check (so a burst never
 * takes more than the limit), and given back once both the handler has finished with the bytes
 * and the response is closed, whichever comes last (a client that hangs up mid-store does not free
 * the slot while its upload is still being stored).
 */
interface UploadSlot {
  handling: boolean;
  closed: boolean;
  released: boolean;
}

/** `POST /image`: multipart field `file`, answered 201 only once the resize tasks are confirmed. */
export function registerUploadRoute(app: FastifyInstance, options: UploadRouteOptions): void {
  let active = 0;
  const slots = new WeakMap<FastifyRequest, UploadSlot>();
  const release = (slot: UploadSlot | undefined) => {
    if (!slot || slot.released || slot.handling || !slot.closed) return;
    slot.released = true;
    active--;
    options.metrics.uploadsInProgress.set(active);
  };
  const buffers = createUploadBufferPool({
    maxBuffers: options.maxConcurrentUploads,
    maxBufferBytes: Math.min(4 * 1024 * 1024, options.maxUploadBytes),
  });

  app.post(UPLOAD_PATH, {
    // Refuse what is certain to be too large before reading a byte of it.
    onRequest: async (request, reply) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD) throw new HttpError('tooLarge');
      if (active >= options.maxConcurrentUploads) {
        options.metrics.refusedClients.inc({ reason: 'busy' });
        throw new HttpError('busy', { retryAfterSeconds: 1 });
      }
      active++;
      options.metrics.uploadsInProgress.set(active);
      const slot: UploadSlot = { handling: false, closed: false, released: false };
      slots.set(request, slot);
      reply.raw.once('close', () => {
        slot.closed = true;
        release(slot);
      });
      armBodyDeadline(request, reply, options.uploadTimeoutMs);
      watchBodyRate(request, reply, {
        minBytesPerSecond: options.minUploadBytesPerSecond,
        onTooSlow: () => options.metrics.refusedClients.inc({ reason: 'upload-too-slow' }),
      });
    },
    handler: async (request, reply) => {
      const slot = slots.get(request);
      if (slot) slot.handling = true;
      try {
        if (!request.isMultipart()) throw new HttpError('missingFile');
        const form = await readFileField(request, options.maxUploadBytes, buffers);
        const bytes = form.bytes;
        if (bytes === undefined || bytes.length === 0) throw new HttpError('missingFile');
        try {
          const expiresIn = form.expiresIn ?? expiresInOfQuery(request.query);
          const result = await options.images.upload(bytes, { requestId: request.id }, expiresIn);
          return reply.status(201).send(result);
        } finally {
          // Stored (or refused) and answered: nothing reads these bytes any more.
          buffers.release(bytes);
        }
      } catch (error) {
        // Already answered (408 from the body deadline): nothing more to say to this client.
        if (reply.sent) return reply;
        throw error;
      } finally {
        if (slot) slot.handling = false;
        release(slot);
      }
    },
  });
}
