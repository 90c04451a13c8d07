import type { MultipartFile } from '@fastify/multipart';
import type { Metrics } from '@imgr/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UPLOAD_PATH } from '../contract.js';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';
import { createUploadBufferPool, type UploadBufferPool } from '../upload-buffers.js';

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
async function readFileField(request: FastifyRequest, maxUploadBytes: number, pool: UploadBufferPool): Promise<Buffer | undefined> {
  let bytes: Buffer | undefined;
  // The file is smaller than the whole body; onRequest already refused bodies declared too large.
  const declared = Number(request.headers['content-length']);
  const capacity = Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxUploadBytes) : undefined;
  try {
    for await (const part of request.parts({ limits: { files: MAX_FILE_PARTS } })) {
      if (part.type !== 'file') continue;
      const wanted = part.fieldname === 'file' && bytes === undefined;
      const body = await readPart(part as MultipartFile, wanted ? new PartCollector(capacity, pool) : undefined);
      if (wanted) bytes = body;
    }
  } catch (error) {
    throw multipartError(error);
  }
  return bytes;
}

/**
 * The whole body must arrive within the request timeout. Node's own request timeout is not
 * reliable here (it is only checked every 30 s and not at all while headersTimeout is larger),
 * so a client trickling a body would hold the upload slot and its buffer indefinitely. Answers
 * 408 and closes the connection; the half-read body then fails the handler, whose error is moot.
 */
function armBodyDeadline(request: FastifyRequest, reply: FastifyReply, timeoutMs: number): void {
  const timer = setTimeout(() => {
    if (request.raw.complete || reply.sent) return;
    const error = new HttpError('requestTimeout');
    reply.raw.once('finish', () => request.raw.destroy());
    void reply.status(error.status).header('connection', 'close').send(error.body());
  }, timeoutMs);
  reply.raw.once('close', () => clearTimeout(timer));
}

/** `POST /image`: multipart field `file`, answered 201 only once the resize tasks are confirmed. */
export function registerUploadRoute(
  app: FastifyInstance,
  options: { images: ImageService; maxUploadBytes: number; maxConcurrentUploads: number; metrics?: Pick<Metrics, 'uploadsInProgress'> },
): void {
  let active = 0;
  const buffers = createUploadBufferPool({
    maxBuffers: options.maxConcurrentUploads,
    maxBufferBytes: Math.min(4 * 1024 * 1024, options.maxUploadBytes),
  });
  // The server's request timeout, as the app configured it (IMGR_REQUEST_TIMEOUT_MS).
  const bodyTimeoutMs = app.server.requestTimeout;

  app.post(UPLOAD_PATH, {
    // Refuse what is certain to be too large before reading a byte of it.
    onRequest: async (request, reply) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD) throw new HttpError('tooLarge');
      if (active >= options.maxConcurrentUploads) throw new HttpError('busy', { retryAfterSeconds: 1 });
      if (bodyTimeoutMs > 0) armBodyDeadline(request, reply, bodyTimeoutMs);
    },
    handler: async (request, reply) => {
      active++;
      options.metrics?.uploadsInProgress.set(active);
      try {
        if (!request.isMultipart()) throw new HttpError('missingFile');
        const bytes = await readFileField(request, options.maxUploadBytes, buffers);
        if (bytes === undefined || bytes.length === 0) throw new HttpError('missingFile');
        try {
          const result = await options.images.upload(bytes, { requestId: request.id });
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
        active--;
        options.metrics?.uploadsInProgress.set(active);
      }
    },
  });
}
