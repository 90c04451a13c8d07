import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Api, buildApi, createImageService, registerHealthRoutes } from '@imgr/api';
import {
  type Config,
  DependencyError,
  errorMessage,
  type Logger,
  type Metrics,
  type Role,
  retry,
  startTelemetry,
  tuneResizer,
  withQueueTracing,
  withStorageTracing,
} from '@imgr/core';
import { createResizeService, sweepMissingVariants } from '@imgr/worker';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
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
  const telemetry = await startTelemetry({
    serviceName: env.OTEL_SERVICE_NAME ?? `imgr-${role}`,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const tracing = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const storage = tracing ? withStorageTracing(storageFromConfig(config), telemetry.tracer) : storageFromConfig(config);
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
    onRetry: (error, attempt) => logger.warn({ err: errorMessage(error), attempt }, 'storage not ready; retrying'),
  }).then(
    () => {
      storageReady = !stopping;
    },
    (error: unknown) => {
      if (stopping) return;
      // A permanent refusal (wrong credentials, a bucket name the server rejects) needs an operator:
      // exit so the orchestrator's restart policy and alerts see it.
      logger.fatal({ err: errorMessage(error) }, 'storage cannot be prepared');
      process.exit(1);
    },
  );
  await queue.init().catch((error: unknown) => logger.warn({ err: errorMessage(error) }, 'broker not reachable yet; will retry on use'));

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
      limits: { maxPixels: env.IMGR_MAX_PIXELS, maxFrames: env.IMGR_MAX_FRAMES },
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
            logger.warn({ err: errorMessage(error) }, 'sweep pass failed; the next one retries'),
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
    return await sweepMissingVariants({ storage, queue, logger, minAgeMs: config.env.IMGR_SWEEP_MIN_AGE_S * 1000 });
  } finally {
    await queue.dispose();
    await storage.dispose();
  }
}
