import { READINESS_PATH, type ReadinessCheck, type ReadinessHysteresis } from '@imgr/api';
import type { Config, Metrics } from '@imgr/core';
import type { FastifyInstance } from 'fastify';
import type { Dependencies } from './dependencies.js';

/** This instance can serve when its bucket is prepared and both storage and broker answer. */
export function readinessChecks(dependencies: Dependencies, isStoragePrepared: () => boolean): ReadinessCheck[] {
  return [
    {
      name: 'storage',
      check: async () => {
        if (!isStoragePrepared()) throw new Error('bucket not prepared yet');
        await dependencies.storage.check();
      },
    },
    { name: 'queue', check: () => dependencies.queue.check() },
  ];
}

export function readinessHysteresisOf(env: Config['env']): ReadinessHysteresis {
  return { failAfter: env.IMGR_READY_FAIL_AFTER, recoverAfter: env.IMGR_READY_RECOVER_AFTER };
}

/**
 * Readiness evaluated every 5 s even where nothing probes it (compose, a single machine), so
 * imgr_ready and imgr_broker_up (the readiness check of the broker) are always current.
 */
export function refreshReadinessEvery5s(http: FastifyInstance, metrics: Metrics): NodeJS.Timeout {
  return setInterval(() => {
    http.inject({ method: 'GET', url: READINESS_PATH }).then(
      (response) => {
        const body = response.json() as { checks?: Record<string, string> };
        if (body.checks?.queue !== undefined) metrics.brokerUp.set(body.checks.queue === 'up' ? 1 : 0);
      },
      () => undefined,
    );
  }, 5000).unref();
}
