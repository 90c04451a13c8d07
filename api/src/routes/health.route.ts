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

/** How many evaluations in a row change readiness; both 1 when unset (every evaluation decides alone). */
export interface ReadinessHysteresis {
  /** Evaluations in a row with a dependency down before a ready instance turns unready (IMGR_READY_FAIL_AFTER). */
  failAfter: number;
  /** Evaluations in a row with every dependency up before an unready instance turns ready (IMGR_READY_RECOVER_AFTER). */
  recoverAfter: number;
}

/**
 * Readiness that does not flap: one slow or failed check (a loaded S3 answering late) does not take
 * the instance out of every load balancer at once, and one good answer does not put a failing one
 * back. The instance starts unready. Each evaluation (every probe of /health/ready) counts once.
 */
export function createReadinessGate(hysteresis: ReadinessHysteresis) {
  let ready = false;
  let streak = 0;
  return {
    /** Records one evaluation's outcome and returns whether the instance is ready now. */
    record(allUp: boolean): boolean {
      // A streak counts evaluations that disagree with the current state; one that agrees resets it.
      streak = allUp === ready ? 0 : streak + 1;
      if (streak >= (ready ? hysteresis.failAfter : hysteresis.recoverAfter)) {
        ready = allUp;
        streak = 0;
      }
      return ready;
    },
  };
}

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
  options: { checks: ReadinessCheck[]; metrics: Metrics; hysteresis?: ReadinessHysteresis | undefined },
): { setDraining(): void } {
  let draining = false;
  const gate = createReadinessGate(options.hysteresis ?? { failAfter: 1, recoverAfter: 1 });
  app.get(LIVENESS_PATH, async (_request, reply) => reply.type('text/plain').send('ok'));
  app.get(READINESS_PATH, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (draining) {
      options.metrics.ready.set(0);
      return reply.status(503).send({ status: 'draining', checks: {} });
    }
    const checks = Object.fromEntries(await Promise.all(options.checks.map(probe)));
    // The body always shows each check's own answer; the status follows the gate.
    const ready = gate.record(Object.values(checks).every((state) => state === 'up'));
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
