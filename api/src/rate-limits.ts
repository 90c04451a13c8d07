import rateLimit from '@fastify/rate-limit';
import type { Metrics } from '@imgr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RESUMABLE_UPLOAD_PATH, UPLOAD_PATH } from './contract.js';
import { HttpError } from './http-errors.js';

/** Requests per client per minute for each kind of request; 0 turns that limit off. */
export interface RateLimits {
  /** `POST /image` and `POST /image/uploads` (IMGR_RATE_LIMIT_UPLOADS). */
  uploads: number;
  /** `DELETE /image/<id>` (IMGR_RATE_LIMIT_DELETES). */
  deletes: number;
  /** Reads, HEADs and status of images (IMGR_RATE_LIMIT_LOOKUPS): what an id guesser sends. */
  lookups: number;
}

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Client addresses remembered per instance: an LRU, so a flood of addresses cannot grow memory. */
const TRACKED_CLIENTS = 50_000;

type LimitedKind = keyof RateLimits;

function kindOf(request: FastifyRequest): LimitedKind | undefined {
  const route = request.routeOptions.url;
  if (route === UPLOAD_PATH) return request.method === 'POST' ? 'uploads' : undefined;
  // Creating a resumable upload counts as an upload; its PATCHes and HEADs as lookups (a 25 MiB file
  // resumed a few times must not use up the client's uploads).
  if (route === RESUMABLE_UPLOAD_PATH && request.method === 'POST') return 'uploads';
  if (route === undefined || !route.startsWith('/image/')) return undefined;
  return request.method === 'DELETE' ? 'deletes' : 'lookups';
}

/**
 * Per-client fixed-window limits, counted in this instance's memory: with N API instances behind
 * the ingress a client gets up to N times the limit (docs/operations.md). The client is
 * `request.ip`, which follows X-Forwarded-For only from trusted proxies (the app's trustProxy).
 */
export async function registerRateLimits(app: FastifyInstance, options: { limits: Partial<RateLimits>; metrics: Metrics }) {
  const limitOf = (kind: LimitedKind | undefined): number => (kind === undefined ? 0 : (options.limits[kind] ?? 0));
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: RATE_LIMIT_WINDOW_MS,
    cache: TRACKED_CLIENTS,
    keyGenerator: (request) => `${kindOf(request)}:${request.ip}`,
    allowList: (request) => limitOf(kindOf(request)) === 0,
    max: (request) => limitOf(kindOf(request)),
    // Only Retry-After: the x-ratelimit-* headers would be sent on every read.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
    errorResponseBuilder: (request, context) => {
      const kind = kindOf(request) ?? 'lookups';
      options.metrics.refusedClients.inc({ reason: `rate-limited-${kind}` });
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new HttpError('rateLimited', {
        message: `More than ${context.max} ${kind} per minute from this client; retry in ${retryAfterSeconds} s.`,
        retryAfterSeconds,
        extra: { limit: context.max, window_seconds: RATE_LIMIT_WINDOW_MS / 1000 },
      });
    },
  });
}
