import { extractTraceContext, type Span, SpanKind, type Tracer } from '@imgr/core';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span, set by the tracing plugin. */
    span: Span | undefined;
  }
}

/** Runs `fn` in the request's span context, so what it logs carries the trace id. */
export function inRequestSpan(request: FastifyRequest, fn: () => void): void {
  if (request.span) context.with(trace.setSpan(context.active(), request.span), fn);
  else fn();
}

/**
 * One server span per request, continuing the caller's trace when it sends `traceparent`. The
 * handler runs inside the span's context so storage and queue spans become its children.
 */
export const tracingPlugin = fp<{ tracer?: Tracer | undefined }>(
  async (app, options) => {
    const tracer = options.tracer ?? trace.getTracer('imgr');
    app.decorateRequest('span', undefined);
    app.addHook('onRequest', (request, _reply, done) => {
      const parent = extractTraceContext(request.headers);
      const span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, { kind: SpanKind.SERVER }, parent);
      span.setAttributes({
        'http.request.method': request.method,
        'url.path': request.url.split('?')[0] ?? '/',
        'imgr.request_id': request.id,
      });
      request.span = span;
      context.with(trace.setSpan(parent, span), done);
    });
    app.addHook('onError', async (request, _reply, error) => {
      request.span?.recordException(error);
    });
    app.addHook('onResponse', async (request, reply) => {
      const span = request.span;
      if (!span) return;
      span.setAttributes({ 'http.response.status_code': reply.statusCode, 'http.route': request.routeOptions.url ?? 'unmatched' });
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
  },
  { name: 'imgr-tracing' },
);
