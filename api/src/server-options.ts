import type { Server } from 'node:http';
import type { Logger } from '@imgr/core';
import { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyReply, LogController } from 'fastify';
import { HttpError, rawErrorResponse } from './http-errors.js';
import { requestIdOf } from './request-id.js';

/**
 * Fastify's server settings for the API: request ids, trusted proxies, and the timeouts that keep
 * a slow client from holding a connection and a buffer forever.
 */
export function apiServerOptions(options: {
  logger: Logger;
  requestTimeoutMs: number;
  uploadTimeoutMs: number;
  trustedProxies?: readonly string[] | undefined;
}): FastifyHttpOptions<Server> {
  // Node's own deadline is the longest of the two; each request's own one is armed per route.
  const serverTimeoutMs = Math.max(options.requestTimeoutMs, options.uploadTimeoutMs);
  return {
    loggerInstance: options.logger as FastifyBaseLogger,
    // imgr writes its own access line (with the trace id): plugins/access-log.plugin.ts.
    // One field name for the request id in every log line (the worker logs the same `requestId`).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Random ids (unique across instances and restarts); a caller's X-Request-Id only when it is short and safe.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // The ingress's X-Forwarded-For names the client only when the connection comes from it.
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    // Node enforces these only when they are given to createServer (with a checking interval), not
    // when set on the server afterwards.
    http: {
      requestTimeout: serverTimeoutMs,
      headersTimeout: Math.min(options.requestTimeoutMs, 10_000),
      connectionsCheckingInterval: 500,
    },
    requestTimeout: serverTimeoutMs,
    connectionTimeout: serverTimeoutMs,
    // Any id the router sees reaches our own validation ("invalid id" JSON) instead of a bare 414.
    maxParamLength: 16_384,
    // Errors raised before routing answer with the catalogue's JSON like everything else.
    frameworkErrors: (_error, _request, reply) => {
      const error = new HttpError('badRequest', { message: 'The URL is not valid percent-encoding.' });
      (reply as unknown as FastifyReply).status(error.status).send(error.body());
    },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return;
      const kind =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? 'headersTooLarge'
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 'requestTimeout'
            : 'badRequest';
      socket.end(rawErrorResponse(kind));
    },
    keepAliveTimeout: 65_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  };
}
