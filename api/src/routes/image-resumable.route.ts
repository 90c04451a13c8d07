import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '@imgr/core';
import { Server as TusServer, type Upload } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import { RESUMABLE_UPLOAD_PATH } from '../contract.js';
import { HttpError, type HttpErrorName } from '../http-errors.js';
import type { ImageService } from '../image.service.js';
import { DEPENDENCY_RETRY_AFTER_S, httpErrorOf } from '../plugins/error-handler.plugin.js';
import type { ResumableStore } from '../resumable/resumable-store.port.js';
import { cutSlowBody } from '../slow-body.js';
import type { UploadSlots } from '../upload-slots.js';

/** Upload-Metadata keys the server reads; any other is ignored. */
export const RESUMABLE_METADATA = { expiresIn: 'expires_in', filename: 'filename' } as const;

/** The random part of an upload's id, the last segment of its URL. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

export interface ResumableRouteOptions {
  images: ImageService;
  store: ResumableStore;
  slots: UploadSlots;
  logger: Logger;
  /** Upload-Length above this is refused with 413 at creation, before any byte is stored (IMGR_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** How often expired unfinished uploads are looked for and removed; 0: never (tests call it themselves). */
  cleanupIntervalMs: number;
  /** Slowest PATCH body kept, per window (IMGR_UPLOAD_MIN_BYTES_PER_S); 0 turns the guard off. */
  minUploadBytesPerSecond: number;
  /** Length of that window (10 s; tests shorten it). */
  bodyRateWindowMs?: number | undefined;
  metrics: Metrics;
}

/** tus's own refusals (plain text) in imgr's JSON shape, under the status the protocol gives them. */
const TUS_STATUS_ERRORS: Record<number, HttpErrorName> = {
  404: 'uploadNotFound',
  409: 'offsetMismatch',
  410: 'uploadExpired',
  413: 'tooLarge',
};

/** The answer tus sends for an error: the status it chose, imgr's JSON body. */
function tusErrorBody(status: number, text: string): { status_code: number; body: string } {
  const kind = TUS_STATUS_ERRORS[status];
  if (kind) return { status_code: status, body: JSON.stringify(new HttpError(kind).body()) };
  const message = text.trim() || 'The resumable upload request was refused.';
  return { status_code: status, body: JSON.stringify({ error: status >= 500 ? 'internal' : 'bad-request', message }) };
}

/**
 * Resumable uploads (tus 1.0) under `/image/uploads`, served by `@tus/server` on a `ResumableStore`.
 * A finished upload goes through the image service's `upload`, exactly as `POST /image` does (checks,
 * metadata removal, storage, queue); the completing PATCH answers with its JSON, and the staged bytes
 * are removed whether the image was accepted or refused.
 */
export function registerResumableRoute(app: FastifyInstance, options: ResumableRouteOptions): void {
  const { store, images } = options;
  const log = options.logger.child({ component: 'resumable-uploads' });
  // The fastify request id of each raw request, for the log lines and job context of the completing PATCH.
  const requestIds = new WeakMap<object, string>();

  async function finish(request: { runtime?: { node?: { req: object } | undefined } | undefined }, upload: Upload) {
    const requestId = (request.runtime?.node?.req && requestIds.get(request.runtime.node.req)) ?? 'resumable';
    try {
      const bytes = await store.readFinished(upload.id);
      const result = await images.upload(bytes, { requestId }, upload.metadata?.[RESUMABLE_METADATA.expiresIn] ?? undefined);
      return { status_code: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(result) };
    } catch (error) {
      // The staged copy is read through the tus store's own S3 client, whose failures imgr's catalogue
      // does not know: an outage there is a storage outage (503), not a bug.
      let httpError = httpErrorOf(error as Error);
      if (!httpError) {
        log.warn({ err: error, requestId }, 'finishing a resumable upload failed: answering 503');
        httpError = new HttpError('storageUnavailable', { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S });
      }
      throw { status_code: httpError.status, body: JSON.stringify(httpError.body()) };
    } finally {
      // Accepted (now stored as an image) or refused: the staged copy has no further use.
      await store.discard(upload.id).catch((error: unknown) => log.warn({ err: error, id: upload.id }, 'staged upload left for expiry'));
    }
  }

  const tus = new TusServer({
    path: RESUMABLE_UPLOAD_PATH,
    datastore: store.datastore,
    maxSize: options.maxUploadBytes,
    // Relative, so the URL stays right behind the ingress whatever host and scheme the client used.
    relativeLocation: true,
    namingFunction: () => `${store.idPrefix}${randomBytes(16).toString('hex')}`,
    generateUrl: (_request, { path, id }) => `${path}/${id.slice(store.idPrefix.length)}`,
    getFileIdFromRequest: (_request, last) => (last && UPLOAD_ID.test(last) ? `${store.idPrefix}${last}` : undefined),
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    onUploadCreate: async (_request, upload) => {
      // A bad expires_in is refused before the client sends 25 MiB to learn it.
      images.checkExpiresIn(upload.metadata?.[RESUMABLE_METADATA.expiresIn] ?? undefined);
      return {};
    },
    onUploadFinish: finish,
    onResponseError: (_request, error) => {
      if ('status_code' in error && error.body.startsWith('{')) return error;
      if ('status_code' in error) return tusErrorBody(error.status_code, error.body);
      const httpError = httpErrorOf(error);
      if (httpError) return { status_code: httpError.status, body: JSON.stringify(httpError.body()) };
      log.error({ err: error }, 'resumable upload store failed');
      return tusErrorBody(503, '');
    },
  });

  if (options.cleanupIntervalMs > 0) {
    const timer = setInterval(() => {
      tus.cleanUpExpiredUploads().then(
        (removed) => removed > 0 && log.info({ removed }, 'expired resumable uploads removed'),
        (error: unknown) => log.warn({ err: error }, 'cleaning expired resumable uploads failed'),
      );
    }, options.cleanupIntervalMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  app.addHook('onClose', async () => store.dispose?.());

  app.register(async (scope) => {
    // tus reads the body itself, from the raw request.
    scope.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      // Only requests that carry bytes hold an upload slot (and the one that completes also checks and stores).
      const carriesBytes = request.method === 'PATCH' || (request.method === 'POST' && Number(request.headers['content-length'] ?? 0) > 0);
      const slot = carriesBytes ? options.slots.take(reply) : undefined;
      slot?.handling(true);
      if (request.method === 'PATCH') {
        cutSlowBody(request, {
          minBytesPerSecond: options.minUploadBytesPerSecond,
          windowMs: options.bodyRateWindowMs,
          onTooSlow: () => options.metrics.refusedClients.inc({ reason: 'upload-too-slow' }),
        });
      }
      requestIds.set(request.raw, request.id);
      reply.hijack();
      reply.raw.setHeader('x-request-id', request.id);
      try {
        const response = await tus.handleWeb(new NodeRequest({ req: request.raw, res: reply.raw }));
        // Every error body is imgr's JSON (onResponseError); tus itself sets no type for them.
        if (response.status >= 400) {
          response.headers.set('content-type', 'application/json; charset=utf-8');
        }
        await sendNodeResponse(reply.raw, response);
      } finally {
        slot?.handling(false);
      }
    };
    // OPTIONS stays the API's CORS preflight (plugins/request-basics.plugin.ts), which allows PATCH.
    const methods = ['POST', 'HEAD', 'PATCH', 'DELETE'] as const;
    scope.route({ method: [...methods], url: RESUMABLE_UPLOAD_PATH, handler });
    scope.route({ method: [...methods], url: `${RESUMABLE_UPLOAD_PATH}/:uploadId`, handler });
  });
}
