import { type ReadinessCheck, registerHealthRoutes } from '@imgr/api';
import { type Config, imageLimitsOf, type Logger, type Metrics } from '@imgr/core';
import { createResizeService } from '@imgr/worker';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Dependencies } from '../dependencies.js';
import { readinessHysteresisOf } from '../readiness.js';
import type { HttpServer } from './http-server.js';

/** The worker answers only health and metrics over HTTP. */
export function createWorkerHealthServer(
  config: Config,
  options: { logger: Logger; metrics: Metrics; readiness: ReadinessCheck[] },
): HttpServer {
  const http = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  const { setDraining } = registerHealthRoutes(http, {
    checks: options.readiness,
    metrics: options.metrics,
    hysteresis: readinessHysteresisOf(config.env),
  });
  return { http, setDraining };
}

export interface RunningWorker {
  /** Takes no new task, lets the running ones finish (the queue's stopConsuming waits for them). */
  drain(): void;
}

/** Consumes resize tasks once the bucket is prepared, and reports the queue's depth every 5 s. */
export function startWorker(
  config: Config,
  dependencies: Dependencies,
  options: { logger: Logger; metrics: Metrics; storagePrepared: Promise<boolean>; isStopping: () => boolean },
): RunningWorker {
  const { logger, metrics } = options;
  const { storage, queue } = dependencies;
  const env = config.env;
  const resizer = createResizeService({
    storage,
    logger,
    metrics,
    concurrency: env.IMGR_WORKER_CONCURRENCY,
    maxAttempts: env.IMGR_WORKER_MAX_ATTEMPTS,
    maxLostDeliveries: env.IMGR_MAX_LOST_DELIVERIES,
    limits: imageLimitsOf(env),
    modernFormats: env.IMGR_MODERN_FORMATS,
  });
  void options.storagePrepared.then((prepared) =>
    prepared && !options.isStopping() ? queue.consume(resizer.handle, { prefetch: env.IMGR_WORKER_PREFETCH }) : undefined,
  );
  const depthTimer = setInterval(() => {
    queue
      .depth()
      .then((depth) => depth !== undefined && metrics.queueDepth.set(depth))
      .catch(() => undefined);
  }, 5000).unref();
  return {
    drain() {
      resizer.drain();
      clearInterval(depthTimer);
    },
  };
}
