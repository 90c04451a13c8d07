import type { Metrics } from '@imgr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UPLOAD_PATH } from '../contract.js';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';
import { MULTIPART_OVERHEAD, readFileField } from '../multipart-reader.js';
import { armBodyDeadline, watchBodyRate } from '../slow-body.js';
import { createUploadBufferPool } from '../upload-buffers.js';
import type { UploadSlot, UploadSlots } from '../upload-slots.js';

/** Optional form field (or query parameter) asking for the upload to expire: `3600`, `90m`, `7d` (core/src/expiry.ts). */
export const EXPIRES_IN_FIELD = 'expires_in';

function expiresInOfQuery(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[EXPIRES_IN_FIELD];
  return typeof value === 'string' ? value : undefined;
}

export interface UploadRouteOptions {
  images: ImageService;
  metrics: Metrics;
  maxUploadBytes: number;
  /** Uploads read, checked and stored at once (IMGR_MAX_CONCURRENT_UPLOADS); the next one gets 503 busy. */
  maxConcurrentUploads: number;
  /** The instance's upload slots, shared with the resumable uploads. */
  slots: UploadSlots;
  /** Longest time the whole body may take to arrive (IMGR_UPLOAD_TIMEOUT_MS). */
  uploadTimeoutMs: number;
  /** Slowest body kept, in each 10 s window (IMGR_UPLOAD_MIN_BYTES_PER_S); 0 turns the guard off. */
  minUploadBytesPerSecond: number;
}

/** `POST /image`: multipart field `file`, answered 201 only once the resize tasks are confirmed. */
export function registerUploadRoute(app: FastifyInstance, options: UploadRouteOptions): void {
  const slots = new WeakMap<FastifyRequest, UploadSlot>();
  const buffers = createUploadBufferPool({
    maxBuffers: options.maxConcurrentUploads,
    maxBufferBytes: Math.min(4 * 1024 * 1024, options.maxUploadBytes),
  });

  app.post(UPLOAD_PATH, {
    // Refuse what is certain to be too large before reading a byte of it.
    onRequest: async (request, reply) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD) throw new HttpError('tooLarge');
      slots.set(request, options.slots.take(reply));
      armBodyDeadline(request, reply, options.uploadTimeoutMs);
      watchBodyRate(request, reply, {
        minBytesPerSecond: options.minUploadBytesPerSecond,
        onTooSlow: () => options.metrics.refusedClients.inc({ reason: 'upload-too-slow' }),
      });
    },
    handler: async (request, reply) => {
      const slot = slots.get(request);
      slot?.handling(true);
      try {
        if (!request.isMultipart()) throw new HttpError('missingFile');
        const form = await readFileField(request, options.maxUploadBytes, buffers);
        const bytes = form.bytes;
        if (bytes === undefined || bytes.length === 0) throw new HttpError('missingFile');
        try {
          const expiresIn = form.fields.get(EXPIRES_IN_FIELD) ?? expiresInOfQuery(request.query);
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
        slot?.handling(false);
      }
    },
  });
}
