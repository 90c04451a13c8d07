import {
  type Config,
  DependencyError,
  type JobQueue,
  type Logger,
  type Metrics,
  type ObjectStore,
  type Role,
  retry,
  startTelemetry,
  type Telemetry,
  withQueueTracing,
  withStorageMetrics,
  withStorageTracing,
} from '@imgr/core';
import { queueFromConfig, storageFromConfig } from './adapters.js';

/** What every serving role shares: the adapters (metered, traced when tracing is on) and telemetry. */
export interface Dependencies {
  storage: ObjectStore;
  queue: JobQueue;
  telemetry: Telemetry;
}

export async function openDependencies(role: Role, config: Config, logger: Logger, metrics: Metrics): Promise<Dependencies> {
  const env = config.env;
  const telemetry = await startTelemetry({
    serviceName: env.OTEL_SERVICE_NAME ?? `imgr-${role}`,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const tracing = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const meteredStorage = withStorageMetrics(storageFromConfig(config), metrics);
  const storage = tracing ? withStorageTracing(meteredStorage, telemetry.tracer) : meteredStorage;
  const queue = tracing ? withQueueTracing(queueFromConfig(config, logger), telemetry.tracer) : queueFromConfig(config, logger);
  return { storage, queue, telemetry };
}

/** Closes what `openDependencies` opened, the consumer already stopped. */
export async function closeDependencies(dependencies: Dependencies): Promise<void> {
  await dependencies.queue.dispose();
  await dependencies.storage.dispose();
  await dependencies.telemetry.shutdown();
}

/**
 * Storage that is not there yet (a MinIO still starting, a slow bucket creation) does not stop the
 * process: it listens at once (liveness green, readiness red) and keeps preparing the bucket in the
 * background. Resolves `true` once prepared, `false` when the process began to stop first. A
 * permanent refusal (wrong credentials, a bucket name the server rejects) needs an operator:
 * `onFatal` ends the process so the orchestrator's restart policy and alerts see it.
 */
export function prepareStorage(
  storage: ObjectStore,
  options: { logger: Logger; isStopping: () => boolean; onFatal: (error: unknown) => void },
): Promise<boolean> {
  const { logger, isStopping } = options;
  return retry(() => (isStopping() ? Promise.resolve() : storage.init()), {
    attempts: Number.POSITIVE_INFINITY,
    baseDelayMs: 250,
    maxDelayMs: 5000,
    retryable: (error) => !isStopping() && error instanceof DependencyError && error.retryable,
    onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'storage not ready; retrying'),
  }).then(
    () => !isStopping(),
    (error: unknown) => {
      if (!isStopping()) options.onFatal(error);
      return false;
    },
  );
}

/** A broker that is down at start is not fatal: publishing and consuming reconnect on use. */
export async function connectQueue(queue: JobQueue, logger: Logger, metrics: Metrics): Promise<void> {
  await queue.init().then(
    () => metrics.brokerUp.set(1),
    (error: unknown) => {
      metrics.brokerUp.set(0);
      logger.warn({ err: error }, 'broker not reachable yet; will retry on use');
    },
  );
}
