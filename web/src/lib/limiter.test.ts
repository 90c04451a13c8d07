import { describe, expect, it } from 'vitest';
import { createLimiter } from './limiter.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('createLimiter', () => {
  it('never runs more than the limit at once and starts waiters in order', async () => {
    const run = createLimiter(2);
    const gates = Array.from({ length: 5 }, deferred);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const all = gates.map((gate, index) =>
      run(async () => {
        started.push(index);
        active++;
        peak = Math.max(peak, active);
        await gate.promise;
        active--;
        return index;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    // A task arriving while a slot is being handed over must queue behind the waiters.
    gates[0]?.resolve();
    const late = run(async () => 'late');
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
    expect(await late).toBe('late');
    expect(peak).toBe(2);
  });

  it('frees the slot of a failed task', async () => {
    const run = createLimiter(1);
    await expect(run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await run(async () => 1)).toBe(1);
  });

  it('refuses a limit below one', () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
  });
});
