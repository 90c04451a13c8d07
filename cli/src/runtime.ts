import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Api, buildApi, createImageService, READINESS_PATH, registerHealthRoutes } from '@imgr/api';
import {
  type Config,
  DependencyError,
  errorMessage,
  type ImageLimits,
  type Logger,
  type Metrics,
  type Role,
  retry,
  startTelemetry,
  tuneResizer,
  withQueueTracing,
  withStorageMetrics,
  withStorageTracing,
} from '@imgr/core';
import { createResizeService, type SweepReport, sweepMissingVariants } from '@imgr/worker';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { queueFromConfig, storageFromConfig } from './adapters.js';

export interface Running {
  /** The HTTP server's address, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Graceful stop: readiness red, stop consuming, drain requests, close connections. */
  stop(): Promise<void>;
}

function defaultWebDir(config: Config): string | undefined {
  const candidate = resolve(config.env.IMGR_WEB_DIR ?? fileURLToPath(new URL('../../web/dist', import.meta.url)));
  return existsSync(`${candidate}/index.html`) ? candidate : undefined;
}

/** Starts the role's parts in this process: `all` = API + worker + web page, sharing one HTTP server. */
export async function start(role: Exclude<Role, 'sweep'>, config: Config, logger: Logger, metrics: Metrics): Promise<Running> {
  const env = config.env;
  tuneResizer({ concurrency: env.IMGR_SHARP_CONCURRENCY, cacheMb: env.IMGR_SHARP_CACHE_MB });
  const limits: ImageLimits = {
    maxPixels: env.IMGR_MAX_PIXELS,
    maxFrames: env.IMGR_MAX_FRAMES,
    maxDecodePixels: env.IMGR_MAX_DECODE_PIXELS,
    maxAnimationPixels: env.IMGR_MAX_ANIMATION_PIXELS,
    renderTimeoutSeconds: env.IMGR_RENDER_TIMEOUT_S,
  };
  const telemetry = await startTelemetry({
    serviceName: env.OTEL_SERVICE_NAME ?? `imgr-${role}`,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const tracing = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const meteredStorage = withStorageMetrics(storageFromConfig(config), metrics);
  const storage = tracing ? withStorageTracing(meteredStorage, telemetry.tracer) : meteredStorage;
  const queue = tracing ? withQueueTracing(queueFromConfig(config, logger), telemetry.tracer) : queueFromConfig(config, logger);

  // Storage that is not there yet (a MinIO still starting, a slow bucket creation) does not stop
  // the process: it listens at once (liveness green, readiness red) and keeps preparing the bucket
  // in the background; the worker starts consuming once it is ready.
  let stopping = false;
  let storageReady = false;
  const storageInit = retry(() => (stopping ? Promise.resolve() : storage.init()), {
    attempts: Number.POSITIVE_INFINITY,
    baseDelayMs: 250,
    maxDelayMs: 5000,
    retryable: (error) => !stopping && error instanceof DependencyError && error.retryable,
    onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'storage not ready; retrying'),
  }).then(
    () => {
      storageReady = !stopping;
    },
    (error: unknown) => {
      if (stopping) return;
      // A permanent refusal (wrong credentials, a bucket name the server rejects) needs an operator:
      // exit so the orchestrator's restart policy and alerts see it.
      logger.fatal({ err: error }, 'storage cannot be prepared');
      process.exit(1);
    },
  );
  await queue.init().then(
    () => metrics.brokerUp.set(1),
    (error: unknown) => {
      metrics.brokerUp.set(0);
      logger.warn({ err: error }, 'broker not reachable yet; will retry on use');
    },
  );

  const readiness = [
    {
      name: 'storage',
      check: async () => {
        if (!storageReady) throw new Error('bucket not prepared yet');
        await storage.check();
      },
    },
    { name: 'queue', check: () => queue.check() },
  ];
  let api: Api | undefined;
  let http: FastifyInstance;
  let setDraining: () => void;

  if (role === 'api' || role === 'all') {
    const images = createImageService({
      storage,
      queue,
      logger,
      metrics,
      limits,
      keepOriginalMetadata: env.IMGR_KEEP_ORIGINAL_METADATA,
    });
    const webDir = role === 'all' ? defaultWebDir(config) : undefined;
    if (role === 'all' && !webDir) logger.warn('web page not built (npm run build): serving the API only');
    api = await buildApi({
      images,
      logger,
      metrics,
      readiness,
      webDir,
      tracer: telemetry.tracer,
      maxUploadBytes: env.IMGR_MAX_UPLOAD_BYTES,
      maxConcurrentUploads: env.IMGR_MAX_CONCURRENT_UPLOADS,
      requestTimeoutMs: env.IMGR_REQUEST_TIMEOUT_MS,
      uploadTimeoutMs: env.IMGR_UPLOAD_TIMEOUT_MS,
      minUploadBytesPerSecond: env.IMGR_UPLOAD_MIN_BYTES_PER_S,
      rateLimits: { uploads: env.IMGR_RATE_LIMIT_UPLOADS, deletes: env.IMGR_RATE_LIMIT_DELETES, lookups: env.IMGR_RATE_LIMIT_LOOKUPS },
      trustedProxies: env.IMGR_TRUSTED_PROXIES,
    });
    http = api.app;
    setDraining = api.setDraining;
  } else {
    // The worker answers only health and metrics over HTTP.
    http = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      forceCloseConnections: true,
    });
    setDraining = registerHealthRoutes(http, { checks: readiness, metrics }).setDraining;
  }

  // Readiness evaluated every 5 s even where nothing probes it (compose, a single machine), so
  // imgr_ready and imgr_broker_up (the readiness check of the broker) are always current.
  const readinessTimer = setInterval(() => {
    http.inject({ method: 'GET', url: READINESS_PATH }).then(
      (response) => {
        const body = response.json() as { checks?: Record<string, string> };
        if (body.checks?.queue !== undefined) metrics.brokerUp.set(body.checks.queue === 'up' ? 1 : 0);
      },
      () => undefined,
    );
  }, 5000).unref();
  /**
   * Single-machine mode has no separate sweep job: it reconciles itself. The in-process queue loses its tasks
   * with the process, so at start every original missing a size is re-enqueued whatever its age; later passes
   * (and every pass on a real broker, whose tasks survive) leave originals younger than IMGR_SWEEP_MIN_AGE_S.
   */
  function startLocalSweep(
    store: typeof storage,
    jobs: typeof queue,
    ready: Promise<void>,
    skip: () => boolean,
  ): NodeJS.Timeout | undefined {
    const minAgeMs = env.IMGR_SWEEP_MIN_AGE_S * 1000;
    const pass = (ageMs: number) =>
      skip()
        ? undefined
        : sweepMissingVariants({ storage: store, queue: jobs, logger, minAgeMs: ageMs }).catch((error: unknown) =>
            logger.warn({ err: error }, 'sweep pass failed; the next one retries'),
          );
    void ready.then(() => pass(jobs.name === 'memory-queue' ? 0 : minAgeMs));
    if (env.IMGR_SWEEP_INTERVAL_S === 0) return undefined;
    return setInterval(() => void pass(minAgeMs), env.IMGR_SWEEP_INTERVAL_S * 1000).unref();
  }

  let depthTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let drainWorker = () => {};
  if (role === 'worker' || role === 'all') {
    const resizer = createResizeService({
      storage,
      logger,
      metrics,
      concurrency: env.IMGR_WORKER_CONCURRENCY,
      maxAttempts: env.IMGR_WORKER_MAX_ATTEMPTS,
      maxLostDeliveries: env.IMGR_MAX_LOST_DELIVERIES,
      limits,
    });
    drainWorker = resizer.drain;
    void storageInit.then(() =>
      stopping || !storageReady ? undefined : queue.consume(resizer.handle, { prefetch: env.IMGR_WORKER_PREFETCH }),
    );
    if (role === 'all') sweepTimer = startLocalSweep(storage, queue, storageInit, () => stopping || !storageReady);
    depthTimer = setInterval(() => {
      queue
        .depth()
        .then((depth) => depth !== undefined && metrics.queueDepth.set(depth))
        .catch(() => undefined);
    }, 5000).unref();
  }

  // Once stopping, every response asks its client to close the connection. A keep-alive connection
  // that was busy when the server began to close would otherwise stay open, idle, after its last
  // response, and hold the exit until IMGR_SHUTDOWN_TIMEOUT_MS.
  http.addHook('onSend', async (_request, reply, payload) => {
    if (stopping) reply.header('connection', 'close');
    return payload;
  });

  const url = await http.listen({ port: env.PORT, host: env.HOST });
  logger.info({ url, role, storage: storage.name, queue: queue.name }, 'imgr started');

  return {
    url,
    async stop() {
      stopping = true;
      setDraining();
      drainWorker();
      clearInterval(depthTimer);
      clearInterval(readinessTimer);
      clearInterval(sweepTimer);
      // Give load balancers time to see the red readiness before connections are refused.
      if (env.IMGR_SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, env.IMGR_SHUTDOWN_DELAY_MS));
      await Promise.all([queue.stopConsuming(), http.close()]);
      await queue.dispose();
      await storage.dispose();
      await telemetry.shutdown();
    },
  };
}

/** One reconciliation pass, for `imgr sweep` (a Nomad periodic job). */
export async function runSweep(config: Config, logger: Logger) {
  const storage = storageFromConfig(config);
  const queue = queueFromConfig(config, logger);
  try {
    await queue.init();
    const report = await sweepMissingVariants({ storage, queue, logger, minAgeMs: config.env.IMGR_SWEEP_MIN_AGE_S * 1000 });
    if (config.env.IMGR_PUSHGATEWAY_URL) await pushSweepReport(config.env.IMGR_PUSHGATEWAY_URL, report, logger);
    return report;
  } finally {
    await queue.dispose();
    await storage.dispose();
  }
}

/**
 * A batch job is gone before Prometheus could scrape it: its result goes to a Pushgateway, where
 * the "sweep re-enqueued images" alert reads it. A failed push is logged, never fails the sweep.
 */
async function pushSweepReport(url: string, report: SweepReport, logger: Logger): Promise<void> {
  const registry = new Registry();
  const images = new Gauge({
    name: 'imgr_sweep_images',
    help: 'Originals seen by the last sweep, by state (requeued = variants were missing and re-enqueued)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  for (const state of ['complete', 'tooRecent', 'failed', 'requeued'] as const) images.set({ state }, report[state]);
  new Gauge({ name: 'imgr_sweep_last_run_timestamp_seconds', help: 'End of the last sweep', registers: [registry] }).setToCurrentTime();
  try {
    await new Pushgateway(url, { timeout: 5000 }, registry).pushAdd({ jobName: 'imgr-sweep' });
  } catch (error) {
    logger.warn({ err: error, url }, 'sweep report not pushed');
  }
}
