import { DependencyError, type Metrics } from '@imgr/core';
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../http-errors.js';
import { ImageError } from '../image.errors.js';

/** Seconds a client should wait after storage or the broker failed, before trying again. */
export const DEPENDENCY_RETRY_AFTER_S = 5;

/**
 * The catalogue's answer to any error a route, a plugin or the service raised; `undefined` for an
 * unexpected one (a bug), which is answered 500 and logged. The one place where an unavailable
 * storage or broker becomes a 503.
 */
export function httpErrorOf(error: FastifyError | Error): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof ImageError) return new HttpError(error.code, error.details);
  if (error instanceof DependencyError) {
    return new HttpError(error.dependency === 'queue' ? 'queueUnavailable' : 'storageUnavailable', {
      retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S,
    });
  }
  const { code, statusCode } = error as FastifyError;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || statusCode === 413) return new HttpError('tooLarge');
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError('missingFile');
  if (statusCode === 408) return new HttpError('requestTimeout');
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return new HttpError('badRequest', { message: error.message });
  return undefined;
}

/** Most one warn line per dependency per this many ms: an outage answers thousands of 503s. */
export const DEPENDENCY_WARN_INTERVAL_MS = 10_000;

/**
 * Why a 503 was answered, at warn: the dependency's own words (ECONNREFUSED, a 403 with its code, a
 * timeout) go to the log, never to the client. One line per dependency per interval, which says how
 * many like it were left out since the last.
 */
function dependencyWarner(intervalMs: number) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (error: DependencyError, log: FastifyBaseLogger) => {
    const now = Date.now();
    const seen = last.get(error.dependency);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed++;
      return;
    }
    last.set(error.dependency, { at: now, suppressed: 0 });
    log.warn(
      { dependency: error.dependency, err: error, suppressedSinceLast: seen?.suppressed ?? 0 },
      `${error.dependency} unavailable: answering 503`,
    );
  };
}

/** Headers that describe a stored object, which no error answer may carry (its type would also stop the JSON body). */
const OBJECT_HEADERS = ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges', 'content-range'] as const;

/** Every error and every unknown route answered with the catalogue's JSON, counted by code. */
export const errorHandlerPlugin = fp<{ metrics: Metrics; dependencyWarnIntervalMs?: number }>(
  async (app, options) => {
    const warnDependency = dependencyWarner(options.dependencyWarnIntervalMs ?? DEPENDENCY_WARN_INTERVAL_MS);
    app.setErrorHandler((error: FastifyError | Error, request, reply) => {
      if (error instanceof DependencyError) warnDependency(error, request.log);
      // A read that failed after its object's headers were set (a body failing before its first byte)
      // answers the catalogue's JSON, without the object's type or validators.
      for (const header of OBJECT_HEADERS) reply.removeHeader(header);
      const httpError = httpErrorOf(error);
      if (!httpError) {
        request.log.error({ err: error }, 'unexpected error');
        options.metrics.httpErrors.inc({ code: 'internal' });
        return reply.status(500).send({ error: 'internal', message: 'Unexpected server error.' });
      }
      options.metrics.httpErrors.inc({ code: httpError.code });
      if (httpError.details.retryAfterSeconds !== undefined) reply.header('retry-after', String(httpError.details.retryAfterSeconds));
      // An oversized body is not read to the end: close the connection rather than drain it.
      if (httpError.status === 413) reply.header('connection', 'close');
      return reply.status(httpError.status).send(httpError.body());
    });
    app.setNotFoundHandler((_request, reply) => reply.status(404).send(new HttpError('notFound').body()));
  },
  { name: 'imgr-error-handler' },
);
