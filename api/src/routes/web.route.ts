import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HASHED_ASSET_CACHE_CONTROL, pageHeaders, REVALIDATE_CACHE_CONTROL } from '../page-headers.js';

export const WEB_CONFIG_PATH = '/config.json';
export { HASHED_ASSET_CACHE_CONTROL } from '../page-headers.js';

interface HeaderTarget {
  header(name: string, value: string): unknown;
}

/** Headers of the HTML page itself, the same table the web image's server sends (page-headers.ts). */
export function setPageHeaders(response: HeaderTarget): void {
  for (const [name, value] of Object.entries(pageHeaders())) response.header(name, value);
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
      // Files under assets/ carry a content hash in their name (see page-headers.ts).
      const hashed = path.startsWith(join(webDir, 'assets') + sep);
      response.header('cache-control', hashed ? HASHED_ASSET_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL);
      if (path.endsWith('.html')) setPageHeaders(response);
    },
  });
  app.get(WEB_CONFIG_PATH, async (_request, reply) => {
    reply.header('cache-control', REVALIDATE_CACHE_CONTROL);
    return { endpoint: '/' };
  });
}
