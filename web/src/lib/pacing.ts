/**
 * Below this rate (per file) the link is the bottleneck: parallel files would only split it and
 * each finish later, so files go one at a time (400 kbit/s moves 50 KB/s).
 */
export const SLOW_LINK_BYTES_PER_SECOND = 256 * 1024;

/** Progress measured over at least this long before the link is judged. */
const MEASURE_AFTER_MS = 1500;

export interface PacedLimiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** A transfer's progress: `bytes` sent since it started at `startedAt` (ms, same clock as `now`). */
  measure(bytes: number, startedAt: number, now: number): void;
  /** Files allowed at once now: 1 until a transfer has been measured fast, then `max`. */
  limit(): number;
}

/**
 * Runs up to `max` uploads at once on a fast link and one at a time on a slow one, judged from the
 * uploads' own progress. It starts with one: on a fast link the first file is measured within a
 * second or two, on a slow one the first file gets the whole link.
 */
export function createPacedLimiter(max: number, slowBytesPerSecond = SLOW_LINK_BYTES_PER_SECOND): PacedLimiter {
  // 0: no link is slow, every file may start at once (up to `max`).
  let fast = slowBytesPerSecond <= 0;
  let active = 0;
  let waiting: Array<() => void> = [];
  const limit = () => (fast ? max : 1);
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resume of woken) resume();
  };
  return {
    limit,
    measure(bytes, startedAt, now) {
      const elapsed = now - startedAt;
      if (elapsed < MEASURE_AFTER_MS) return;
      if (slowBytesPerSecond <= 0) return;
      const wasFast = fast;
      fast = (bytes * 1000) / elapsed >= slowBytesPerSecond;
      if (fast && !wasFast) wake();
    },
    async run(task) {
      // Woken waiters check again in their order of arrival; the ones that still cannot start queue up again.
      while (active >= limit()) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await task();
      } finally {
        active--;
        wake();
      }
    },
  };
}
