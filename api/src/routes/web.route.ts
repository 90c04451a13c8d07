import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_CONFIG_PATH = '/config.json';

/** Single-machine mode: the built web page from the same origin, configured to call this very API. */
export async function registerWebRoutes(app: FastifyInstance, webDir: string): Promise<void> {
  // preCompressed: the build writes .br/.gz copies of its assets; they are sent to clients that accept them.
  await app.register(fastifyStatic, { root: webDir, index: false, wildcard: true, cacheControl: true, maxAge: '1h', preCompressed: true });
  app.get(WEB_CONFIG_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return { endpoint: '/' };
  });
}
