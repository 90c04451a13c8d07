import { ACCEPTED_TYPES } from '@imgr/core';
import type { FastifyInstance } from 'fastify';
import { indexBody } from '../image-urls.js';

export const INDEX_PATH = '/';

/** `GET /`: the original's JSON index, or the web page when a browser asks and the page is served here. */
export function registerIndexRoute(
  app: FastifyInstance,
  options: { maxUploadBytes: number; webEnabled: boolean; resumable: boolean },
): void {
  const body = indexBody({ maxUploadBytes: options.maxUploadBytes, acceptedTypes: ACCEPTED_TYPES, resumable: options.resumable });
  app.get(INDEX_PATH, async (request, reply) => {
    // One URL, two bodies chosen by Accept: caches must keep them apart.
    reply.header('vary', 'Accept');
    if (options.webEnabled && (request.headers.accept ?? '').includes('text/html')) {
      return reply.type('text/html').sendFile('index.html');
    }
    return body;
  });
}
