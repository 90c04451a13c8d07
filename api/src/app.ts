import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import { DependencyError, extractTraceContext, type Logger, type Metrics, type Span, SpanKind, type Tracer } from '@imgr/core';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import { UPLOAD_PATH } from './contract.js';
import { HttpError, rawErrorResponse } from './http-errors.js';
import type { ImageService } from './image.service.js';
import { type RateLimits, registerRateLimits } from './rate-limits.js';
import { requestIdOf } from './request-id.js';
import { type ReadinessCheck, registerHealthRoutes } from './routes/health.route.js';
import { registerDeleteRoute } from './routes/image-delete.route.js';
import { registerReadRoutes } from './routes/image-read.route.js';
import { registerStatusRoute } from './routes/image-status.route.js';
import { registerUploadRoute } from './routes/image-upload.route.js';
import { registerIndexRoute } from './routes/index.route.js';
import { registerWebRoutes } from './routes/web.route.js';
import { armBodyDeadline } from './slow-body.js';

const hasBody = (headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined }): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

export interface ApiOptions {
  images: ImageService;
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  maxUploadBytes: number;
  maxConcurrentUploads: number;
  /** Longest time any request but an upload may take to arrive (IMGR_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Longest time an upload's body may take to arrive (IMGR_UPLOAD_TIMEOUT_MS); defaults to requestTimeoutMs. */
  uploadTimeoutMs?: number | undefined;
  /** Slowest upload body kept, per 10 s window (IMGR_UPLOAD_MIN_BYTES_PER_S); 0 or unset: no guard. */
  minUploadBytesPerSecond?: number | undefined;
  /** Requests per client per minute; unset (tests) or 0: no limit. */
  rateLimits?: Partial<RateLimits> | undefined;
  /** Addresses or CIDR ranges whose X-Forwarded-For names the client (IMGR_TRUSTED_PROXIES). */
  trustedProxies?: readonly string[] | undefined;
  /** Server spans for every request; a no-op tracer when tracing is off. */
  tracer?: Tracer | undefined;
  /** Built web page to serve (single-machine mode); unset in production, where the web has its own container. */
  webDir?: string | undefined;
}

/** Builds the HTTP app without listening, so tests can `inject()` requests. */
export interface Api {
  app: FastifyInstance;
  /** Turns readiness red at once; called first on SIGTERM so load balancers stop sending traffic. */
  setDraining(): void;
}

export async function buildApi(options: ApiOptions): Promise<Api> {
  const uploadTimeoutMs = options.uploadTimeoutMs ?? options.requestTimeoutMs;
  // Node's own deadline is the longest of the two; each request's own one is armed per route.
  const serverTimeoutMs = Math.max(options.requestTimeoutMs, uploadTimeoutMs);
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // imgr writes its own access line (with the trace id) in the onResponse hook below.
    // One field name for the request id in every log line (the worker logs the same `requestId`).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Random ids (unique across instances and restarts); a caller's X-Request-Id only when it is short and safe.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // The ingress's X-Forwarded-For names the client only when the connection comes from it.
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    // Slow clients cannot hold a connection and a buffer forever. Node enforces these only when they
    // are given to createServer (with a checking interval), not when set on the server afterwards.
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
  });

  await app.register(cors, {
    origin: '*',
    exposedHeaders: ['Retry-After', 'ETag', 'Content-Length', 'X-Request-Id'],
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
  });
  await app.register(multipart, {
    limits: { fileSize: options.maxUploadBytes, files: 1, fields: 16, parts: 32, headerPairs: 200 },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Bodies other than uploads (which have their own deadline and rate guard) must arrive within the request timeout.
    if (request.routeOptions.url !== UPLOAD_PATH && hasBody(request.headers)) armBodyDeadline(request, reply, options.requestTimeoutMs);
  });
  await registerRateLimits(app, { limits: options.rateLimits ?? {}, metrics: options.metrics });

  // One server span per request, continuing the caller's trace when it sends `traceparent`. The
  // handler runs inside the span's context so storage and queue spans become its children.
  const tracer = options.tracer ?? trace.getTracer('imgr');
  const spans = new WeakMap<object, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = extractTraceContext(request.headers);
    const span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, { kind: SpanKind.SERVER }, parent);
    span.setAttributes({
      'http.request.method': request.method,
      'url.path': request.url.split('?')[0] ?? '/',
      'imgr.request_id': request.id,
    });
    spans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onError', async (request, _reply, error) => {
    spans.get(request)?.recordException(error);
  });
  // Metrics, the access log line (inside the span's context, so it carries the trace id) and the span's end.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const span = spans.get(request);
    const log = () => {
      if (reply.statusCode >= 500 || request.url.startsWith('/image')) {
        request.log.info(
          { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
          'request',
        );
      }
    };
    if (!span) return log();
    context.with(trace.setSpan(context.active(), span), log);
    span.setAttributes({ 'http.response.status_code': reply.statusCode, 'http.route': route });
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    let httpError: HttpError;
    if (error instanceof HttpError) httpError = error;
    else if (error.code === 'FST_REQ_FILE_TOO_LARGE' || error.statusCode === 413) httpError = new HttpError('tooLarge');
    else if (error.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      httpError = new HttpError('missingFile');
    else if (error instanceof DependencyError)
      httpError = new HttpError(error.dependency === 'queue' ? 'queueUnavailable' : 'storageUnavailable', { retryAfterSeconds: 5 });
    else if (error.statusCode === 408) httpError = new HttpError('requestTimeout');
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      httpError = new HttpError('badRequest', { message: error.message });
    } else {
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

  app.setNotFoundHandler((_request, reply) => {
    const error = new HttpError('notFound');
    return reply.status(404).send(error.body());
  });

  registerIndexRoute(app, { maxUploadBytes: options.maxUploadBytes, webEnabled: options.webDir !== undefined });
  registerUploadRoute(app, {
    images: options.images,
    metrics: options.metrics,
    maxUploadBytes: options.maxUploadBytes,
    maxConcurrentUploads: options.maxConcurrentUploads,
    uploadTimeoutMs,
    minUploadBytesPerSecond: options.minUploadBytesPerSecond ?? 0,
  });
  registerStatusRoute(app, options.images);
  registerReadRoutes(app, options.images);
  registerDeleteRoute(app, options.images);
  const health = registerHealthRoutes(app, { checks: options.readiness, metrics: options.metrics });
  if (options.webDir) await registerWebRoutes(app, options.webDir);
  return { app, setDraining: health.setDraining };
}
