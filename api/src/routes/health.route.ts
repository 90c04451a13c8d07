import { errorMessage, type Metrics } from '@imgr/core';
import type { FastifyInstance } from 'fastify';

export const LIVENESS_PATH = '/health';
export const READINESS_PATH = '/health/ready';
export const METRICS_PATH = '/metrics';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: ReadinessCheck): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return [check.name, 'up'];
  } catch (error) {
    return [check.name, `down: ${errorMessage(error)}`];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health` is liveness: cheap, only says the process answers. `/health/ready` says whether this
 * instance can do its job now (storage and broker reachable, not shutting down): load balancers
 * and Consul route on it. `/metrics` is Prometheus.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  options: { checks: ReadinessCheck[]; metrics: Metrics },
): { setDraining(): void } {
  let draining = false;
  app.get(LIVENESS_PATH, async (_request, reply) => reply.type('text/plain').send('ok'));
  app.get(READINESS_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (draining) {
      options.metrics.ready.set(0);
      return reply.status(503).send({ status: 'draining', checks: {} });
    }
    const checks = Object.fromEntries(await Promise.all(options.checks.map(probe)));
    const ready = Object.values(checks).every((state) => state === 'up');
    options.metrics.ready.set(ready ? 1 : 0);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
  app.get(METRICS_PATH, async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
  return {
    setDraining() {
      draining = true;
    },
  };
}
