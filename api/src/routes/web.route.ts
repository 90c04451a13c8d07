import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_CONFIG_PATH = '/config.json';
export const HASHED_ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * The page runs only its own scripts and styles, talks only to this origin (single-machine mode serves the API
 * here), shows images from here, blobs (previews of picked files) and data: URLs, and cannot be framed.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface HeaderTarget {
  header(name: string, value: string): unknown;
}

/** Headers of the HTML page itself (revalidated on every load so a new build is picked up at once). */
export function setPageHeaders(response: HeaderTarget): void {
  response.header('content-security-policy', PAGE_CSP);
  response.header('referrer-policy', 'no-referrer');
  response.header('x-content-type-options', 'nosniff');
  response.header('x-frame-options', 'DENY');
  response.header('cache-control', 'no-cache');
}

/** Single-machine mode: the built web page from the same origin, configured to call this very API. */
export async function registerWebRoutes(app: FastifyInstance, webDir: string): Promise<void> {
  // preCompressed: the build writes .br/.gz copies of its assets; they are sent to clients that accept them.
  await app.register(fastifyStatic, {
    root: webDir,
    index: false,
    wildcard: true,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (response, path) => {
      // Files under assets/ carry a content hash in their name: a new build gets new names, so they never go stale.
      const hashed = path.startsWith(join(webDir, 'assets') + sep);
      response.header('cache-control', hashed ? HASHED_ASSET_CACHE_CONTROL : 'no-cache');
      if (path.endsWith('.html')) setPageHeaders(response);
    },
  });
  app.get(WEB_CONFIG_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return { endpoint: '/' };
  });
}
