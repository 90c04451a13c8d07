import type { Metrics } from '@imgr/core';
import fp from 'fastify-plugin';
import { inRequestSpan } from './tracing.plugin.js';

/**
 * The request-duration histogram for every request, and imgr's own access line (fastify's is off)
 * for image routes and server errors, inside the request's span so it carries the trace id.
 */
export const accessLogPlugin = fp<{ metrics: Metrics }>(
  async (app, options) => {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      options.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      if (reply.statusCode < 500 && !request.url.startsWith('/image')) return;
      inRequestSpan(request, () =>
        request.log.info(
          { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
          'request',
        ),
      );
    });
  },
  { name: 'imgr-access-log' },
);
