import type { Config, Logger, Metrics, Role } from '@imgr/core';
import { tuneResizer } from '@imgr/core';
import { closeDependencies, connectQueue, type Dependencies, openDependencies, prepareStorage } from './dependencies.js';
import { readinessChecks, refreshReadinessEvery5s } from './readiness.js';
import { createApiServer } from './roles/api.role.js';
import { closeConnectionsWhenStopping, type HttpServer } from './roles/http-server.js';
import { startLocalSweep } from './roles/local-sweep.js';
import { createWorkerHealthServer, type RunningWorker, startWorker } from './roles/worker.role.js';

export interface Running {
  /** The HTTP server's address, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Graceful stop: readiness red, stop consuming, drain requests, close connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A failure no retry can fix (storage refusing for good): the caller ends the process. */
  onFatal(error: unknown): void;
}

/** Starts the role's parts in this process: `all` = API + worker + web page, sharing one HTTP server. */
export async function start(
  role: Exclude<Role, 'sweep'>,
  config: Config,
  logger: Logger,
  metrics: Metrics,
  options: StartOptions,
): Promise<Running> {
  const env = config.env;
  tuneResizer({ concurrency: env.IMGR_SHARP_CONCURRENCY, cacheMb: env.IMGR_SHARP_CACHE_MB });
  const dependencies = await openDependencies(role, config, logger, metrics);

  let stopping = false;
  const isStopping = () => stopping;
  let storageReady = false;
  const storagePrepared = prepareStorage(dependencies.storage, {
    logger,
    isStopping,
    onFatal: (error) => {
      logger.fatal({ err: error }, 'storage cannot be prepared');
      options.onFatal(error);
    },
  }).then((prepared) => {
    storageReady = prepared;
    return prepared;
  });
  await connectQueue(dependencies.queue, logger, metrics);
  const readiness = readinessChecks(dependencies, () => storageReady);

  const server =
    role === 'worker'
      ? createWorkerHealthServer(config, { logger, metrics, readiness })
      : await createApiServer(config, dependencies, { logger, metrics, readiness, withWebPage: role === 'all' });
  const readinessTimer = refreshReadinessEvery5s(server.http, metrics);
  const worker = role === 'api' ? undefined : startWorker(config, dependencies, { logger, metrics, storagePrepared, isStopping });
  const sweepTimer =
    role === 'all' ? startLocalSweep(config, dependencies, { logger, storagePrepared, skip: () => stopping || !storageReady }) : undefined;
  closeConnectionsWhenStopping(server.http, isStopping);

  const url = await server.http.listen({ port: env.PORT, host: env.HOST });
  logger.info({ url, role, storage: dependencies.storage.name, queue: dependencies.queue.name }, 'imgr started');
  return {
    url,
    async stop() {
      stopping = true;
      clearInterval(readinessTimer);
      clearInterval(sweepTimer);
      await stopInOrder(config, { server, worker, dependencies });
    },
  };
}

/**
 * Readiness red first, then (after IMGR_SHUTDOWN_DELAY_MS, so load balancers see it before connections
 * are refused) requests and tasks drained together, then connections closed.
 */
async function stopInOrder(
  config: Config,
  parts: { server: HttpServer; worker: RunningWorker | undefined; dependencies: Dependencies },
): Promise<void> {
  parts.server.setDraining();
  parts.worker?.drain();
  const delayMs = config.env.IMGR_SHUTDOWN_DELAY_MS;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await Promise.all([parts.dependencies.queue.stopConsuming(), parts.server.http.close()]);
  await closeDependencies(parts.dependencies);
}
