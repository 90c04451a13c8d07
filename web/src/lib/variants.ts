import { ApiError, type ImgrApi, SIZES, type Size, type SizeStatus } from './api.ts';

export type Variants = Record<Size, SizeStatus>;

export interface BackoffOptions {
  /** First wait between two checks, in ms (400). */
  initialMs: number;
  /** Each wait is the previous one times this (1.5). */
  factor: number;
  /** Longest wait between two checks, in ms (5000); a server's Retry-After may ask for more, up to 30 s. */
  maxMs: number;
  /** Stop checking after this long, in ms (180000): the variants are then reported as timed out. */
  giveUpAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 400, factor: 1.5, maxMs: 5000, giveUpAfterMs: 180_000 };
const MAX_RETRY_AFTER_MS = 30_000;

export type WatchOutcome = 'complete' | 'timeout' | 'aborted';

export const allPending = (): Variants => ({
  big: { state: 'pending' },
  medium: { state: 'pending' },
  small: { state: 'pending' },
  tiny: { state: 'pending' },
});

const settled = (variants: Variants) => SIZES.every((size) => variants[size].state !== 'pending');

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Follows the resizing of one image until every size is ready or failed, calling `onChange` on each
 * change. Uses imgr's status route, or, on a server without one (the original API), asks for each
 * missing variant with HEAD. Waits grow between checks, so a slow queue costs a few requests a minute.
 */
export async function watchVariants(
  api: ImgrApi,
  upload: { id: string } & Record<Size, string>,
  onChange: (variants: Variants) => void,
  signal: AbortSignal,
  options: BackoffOptions = DEFAULT_BACKOFF,
): Promise<WatchOutcome> {
  let variants = allPending();
  let useStatusRoute = true;
  let delay = options.initialMs;
  const started = Date.now();

  for (;;) {
    if (signal.aborted) return 'aborted';
    let hintMs = 0;
    try {
      let next: Variants | null = null;
      if (useStatusRoute) {
        next = await api.status(upload.id);
        if (next === null) {
          useStatusRoute = false;
          continue;
        }
      } else {
        next = { ...variants };
        for (const size of SIZES) {
          if (next[size].state !== 'pending') continue;
          const probe = await api.probe(api.url(upload[size]));
          if (probe.ready) next[size] = { state: 'ready' };
          else hintMs = Math.max(hintMs, (probe.retryAfterSeconds ?? 0) * 1000);
        }
      }
      if (signal.aborted) return 'aborted';
      if (SIZES.some((size) => next[size].state !== variants[size].state)) {
        variants = next;
        onChange(variants);
      }
      if (settled(variants)) return 'complete';
    } catch (error) {
      // Busy, offline or a server error: keep trying, slower, until the deadline.
      if (error instanceof ApiError && error.retryAfterSeconds !== undefined) hintMs = error.retryAfterSeconds * 1000;
    }
    if (Date.now() - started >= options.giveUpAfterMs) return 'timeout';
    await sleep(Math.max(delay, Math.min(hintMs, MAX_RETRY_AFTER_MS)), signal);
    delay = Math.min(delay * options.factor, options.maxMs);
  }
}
