import { describe, expect, it } from 'vitest';
import { createLimiter } from './limiter.js';

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

  it('never runs two tasks at limit 1, whenever a newcomer arrives as the slot is handed to a waiter', async () => {
    // The old limiter freed the slot and woke the waiter separately: a task arriving in between ran at once.
    const afterMicrotasks = async (count: number) => {
      for (let i = 0; i < count; i++) await Promise.resolve();
    };
    for (let delay = 0; delay < 8; delay++) {
      const run = createLimiter(1);
      const gate = deferred();
      let active = 0;
      let peak = 0;
      const task = (wait: Promise<unknown>) => async () => {
        active++;
        peak = Math.max(peak, active);
        await wait;
        active--;
      };
      const first = run(task(gate.promise));
      const waiter = run(task(tick()));
      gate.resolve();
      await afterMicrotasks(delay);
      const newcomer = run(task(tick()));
      await Promise.all([first, waiter, newcomer]);
      expect(peak, `newcomer ${delay} microtasks after the first task was let go`).toBe(1);
    }
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
