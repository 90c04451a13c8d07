import { describe, expect, it } from 'vitest';
import { createPacedLimiter } from './pacing.ts';

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createPacedLimiter', () => {
  it('sends one file at a time until the link is measured fast, then up to the maximum', async () => {
    const limiter = createPacedLimiter(3, 1000);
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const runs = gates.map((gate, index) =>
      limiter.run(async () => {
        started.push(index);
        await gate.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0]);
    // 10 KB in 2 s: fast for a limit of 1000 B/s.
    limiter.measure(10_000, 0, 2000);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('goes back to one file at a time on a slow link, keeping the order of the waiting files', async () => {
    const limiter = createPacedLimiter(3, 1000);
    limiter.measure(10_000, 0, 2000);
    expect(limiter.limit()).toBe(3);
    // 1 KB in 2 s: slow.
    limiter.measure(1000, 0, 2000);
    expect(limiter.limit()).toBe(1);
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, index) =>
      limiter.run(async () => {
        started.push(index);
        await gate.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0]);
    gates[0]?.resolve();
    await tick();
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    gates[2]?.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2]);
  });

  it('judges nothing from the first moments of a transfer', () => {
    const limiter = createPacedLimiter(3, 1000);
    limiter.measure(1_000_000, 0, 100);
    expect(limiter.limit()).toBe(1);
  });
});
