import multipart from '@fastify/multipart';
import type { Logger, Metrics, Tracer } from '@imgr/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ImageService } from './image.service.js';
import { accessLogPlugin } from './plugins/access-log.plugin.js';
import { errorHandlerPlugin } from './plugins/error-handler.plugin.js';
import { requestBasicsPlugin } from './plugins/request-basics.plugin.js';
import { tracingPlugin } from './plugins/tracing.plugin.js';
import { type RateLimits, registerRateLimits } from './rate-limits.js';
import type { ResumableStore } from './resumable/resumable-store.port.js';
import { type ReadinessCheck, type ReadinessHysteresis, registerHealthRoutes } from './routes/health.route.js';
import { registerDeleteRoute } from './routes/image-delete.route.js';
import { registerReadRoutes } from './routes/image-read.route.js';
import { registerResumableRoute } from './routes/image-resumable.route.js';
import { registerStatusRoute } from './routes/image-status.route.js';
import { registerUploadRoute } from './routes/image-upload.route.js';
import { registerIndexRoute } from './routes/index.route.js';
import { registerWebRoutes } from './routes/web.route.js';
import { apiServerOptions } from './server-options.js';
import { createUploadSlots } from './upload-slots.js';

export interface ApiOptions {
  images: ImageService;
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck[];
  /** Evaluations in a row that turn readiness (IMGR_READY_FAIL_AFTER / _RECOVER_AFTER); unset: each one decides. */
  readinessHysteresis?: ReadinessHysteresis | undefined;
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
  /** Resumable (tus) uploads under `/image/uploads`, staged in this store; unset: the route is absent. */
  resumable?: { store: ResumableStore; cleanupIntervalMs: number; bodyRateWindowMs?: number } | undefined;
}

/** Builds the HTTP app without listening, so tests can `inject()` requests. */
export interface Api {
  app: FastifyInstance;
  /** Turns readiness red at once; called first on SIGTERM so load balancers stop sending traffic. */
  setDraining(): void;
}

export async function buildApi(options: ApiOptions): Promise<Api> {
  const uploadTimeoutMs = options.uploadTimeoutMs ?? options.requestTimeoutMs;
  const app = Fastify(apiServerOptions({ ...options, uploadTimeoutMs }));
  // Order matters within each hook: the request id and CORS first, rate limits before the span starts.
  await app.register(requestBasicsPlugin, { requestTimeoutMs: options.requestTimeoutMs });
  await app.register(multipart, {
    limits: { fileSize: options.maxUploadBytes, files: 1, fields: 16, parts: 32, headerPairs: 200 },
  });
  await registerRateLimits(app, { limits: options.rateLimits ?? {}, metrics: options.metrics });
  await app.register(tracingPlugin, { tracer: options.tracer });
  await app.register(accessLogPlugin, { metrics: options.metrics });
  await app.register(errorHandlerPlugin, { metrics: options.metrics });
  const health = await registerRoutes(app, { ...options, uploadTimeoutMs });
  return { app, setDraining: health.setDraining };
}

/** Every route of the API, and the web page's when it is served here. */
async function registerRoutes(app: FastifyInstance, options: ApiOptions & { uploadTimeoutMs: number }) {
  registerIndexRoute(app, {
    maxUploadBytes: options.maxUploadBytes,
    webEnabled: options.webDir !== undefined,
    resumable: options.resumable !== undefined,
  });
  const slots = createUploadSlots({ max: options.maxConcurrentUploads, metrics: options.metrics });
  registerUploadRoute(app, {
    images: options.images,
    metrics: options.metrics,
    slots,
    maxUploadBytes: options.maxUploadBytes,
    maxConcurrentUploads: options.maxConcurrentUploads,
    uploadTimeoutMs: options.uploadTimeoutMs,
    minUploadBytesPerSecond: options.minUploadBytesPerSecond ?? 0,
  });
  if (options.resumable) {
    registerResumableRoute(app, {
      images: options.images,
      store: options.resumable.store,
      slots,
      logger: options.logger,
      maxUploadBytes: options.maxUploadBytes,
      cleanupIntervalMs: options.resumable.cleanupIntervalMs,
      minUploadBytesPerSecond: options.minUploadBytesPerSecond ?? 0,
      bodyRateWindowMs: options.resumable.bodyRateWindowMs,
      metrics: options.metrics,
    });
  }
  registerStatusRoute(app, options.images);
  registerReadRoutes(app, options.images);
  registerDeleteRoute(app, options.images);
  const health = registerHealthRoutes(app, {
    checks: options.readiness,
    metrics: options.metrics,
    hysteresis: options.readinessHysteresis,
  });
  if (options.webDir) await registerWebRoutes(app, options.webDir);
  return health;
}
