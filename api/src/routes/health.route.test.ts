import { createMetrics } from '@imgr/core';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createReadinessGate, READINESS_PATH, registerHealthRoutes } from './health.route.js';

/** The gate's answer after each outcome in turn (true: every dependency up). */
const run = (gate: ReturnType<typeof createReadinessGate>, outcomes: boolean[]) => outcomes.map((allUp) => gate.record(allUp));

describe('createReadinessGate', () => {
  it('starts unready and turns ready after recoverAfter good evaluations in a row', () => {
    expect(run(createReadinessGate({ failAfter: 3, recoverAfter: 2 }), [false, true, false, true, true, true])).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('stays ready through fewer than failAfter failures in a row, however often they come', () => {
    const gate = createReadinessGate({ failAfter: 3, recoverAfter: 2 });
    run(gate, [true, true]);
    expect(run(gate, [false, false, true, false, false, true, false])).toEqual([true, true, true, true, true, true, true]);
  });

  it('turns unready on the failAfter-th failure in a row, and a single good answer does not bring it back', () => {
    const gate = createReadinessGate({ failAfter: 3, recoverAfter: 2 });
    run(gate, [true, true]);
    expect(run(gate, [false, false, false, true, false, true, true])).toEqual([true, true, false, false, false, false, true]);
  });

  it('decides on every evaluation with 1 and 1', () => {
    expect(run(createReadinessGate({ failAfter: 1, recoverAfter: 1 }), [true, false, true, true, false])).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('GET /health/ready with hysteresis', () => {
  it('keeps answering 200 while one check fails briefly, showing the failure, and 503 once it keeps failing', async () => {
    let storageUp = true;
    const app = Fastify();
    const metrics = createMetrics('api');
    const health = registerHealthRoutes(app, {
      checks: [
        {
          name: 'storage',
          check: async () => {
            if (!storageUp) throw new Error('timed out');
          },
        },
      ],
      metrics,
      hysteresis: { failAfter: 2, recoverAfter: 2 },
    });
    const probe = async () => {
      const response = await app.inject({ method: 'GET', url: READINESS_PATH });
      return [response.statusCode, response.json()] as const;
    };
    expect((await probe())[0]).toBe(503);
    expect(await probe()).toEqual([200, { status: 'ready', checks: { storage: 'up' } }]);
    storageUp = false;
    expect(await probe()).toEqual([200, { status: 'ready', checks: { storage: 'down: timed out' } }]);
    expect(await probe()).toEqual([503, { status: 'unavailable', checks: { storage: 'down: timed out' } }]);
    expect((await metrics.ready.get()).values[0]?.value).toBe(0);
    storageUp = true;
    expect((await probe())[0]).toBe(503);
    expect((await probe())[0]).toBe(200);
    // Draining is not a dependency's hiccup: red at once.
    health.setDraining();
    expect(await probe()).toEqual([503, { status: 'draining', checks: {} }]);
    await app.close();
  });
});
