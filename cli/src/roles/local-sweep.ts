import type { Config, Logger } from '@imgr/core';
import { sweepMissingVariants } from '@imgr/worker';
import type { Dependencies } from '../dependencies.js';

/**
 * Single-machine mode has no separate sweep job: it reconciles itself. The in-process queue loses its tasks
 * with the process, so at start every original missing a size is re-enqueued whatever its age; later passes
 * (and every pass on a real broker, whose tasks survive) leave originals younger than IMGR_SWEEP_MIN_AGE_S.
 * Returns the timer of the later passes (none when IMGR_SWEEP_INTERVAL_S is 0).
 */
export function startLocalSweep(
  config: Config,
  dependencies: Dependencies,
  options: { logger: Logger; storagePrepared: Promise<boolean>; skip: () => boolean },
): NodeJS.Timeout | undefined {
  const { storage, queue } = dependencies;
  const { logger } = options;
  const env = config.env;
  const minAgeMs = env.IMGR_SWEEP_MIN_AGE_S * 1000;
  const pass = (ageMs: number) =>
    options.skip()
      ? undefined
      : sweepMissingVariants({ storage, queue, logger, minAgeMs: ageMs }).catch((error: unknown) =>
          logger.warn({ err: error }, 'sweep pass failed; the next one retries'),
        );
  void options.storagePrepared.then(() => pass(queue.name === 'memory-queue' ? 0 : minAgeMs));
  if (env.IMGR_SWEEP_INTERVAL_S === 0) return undefined;
  return setInterval(() => void pass(minAgeMs), env.IMGR_SWEEP_INTERVAL_S * 1000).unref();
}
