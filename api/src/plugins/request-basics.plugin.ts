import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import { UPLOAD_PATH } from '../contract.js';
import { armBodyDeadline } from '../slow-body.js';

const hasBody = (headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined }): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/**
 * What every request gets before its route runs: CORS open to all origins (as the original API),
 * its id in X-Request-Id, and a deadline for its body.
 */
export const requestBasicsPlugin = fp<{ requestTimeoutMs: number }>(
  async (app, options) => {
    await app.register(cors, {
      origin: '*',
      exposedHeaders: ['Retry-After', 'ETag', 'Content-Length', 'X-Request-Id'],
      // PATCH for resumable uploads; their own answers expose the tus headers (Upload-Offset, Location…).
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    });
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
      // Bodies other than uploads (which have their own deadline and rate guard) must arrive within the request timeout.
      if (request.routeOptions.url !== UPLOAD_PATH && hasBody(request.headers)) armBodyDeadline(request, reply, options.requestTimeoutMs);
    });
  },
  { name: 'imgr-request-basics' },
);
