import {
  errorMessage,
  FAILURE_PREFIX,
  imageIdsUnder,
  type JobQueue,
  type Logger,
  type ObjectStore,
  VARIANTS,
  type VariantName,
} from '@imgr/core';
import { sweepExpiredImages } from './expiry-sweep.js';

export interface SweepOptions {
  storage: ObjectStore;
  queue: JobQueue;
  logger: Logger;
  /** Originals younger than this are left alone: their tasks are probably still in the queue. */
  minAgeMs: number;
  now?: Date;
}

export interface SweepReport {
  originals: number;
  complete: number;
  tooRecent: number;
  failed: number;
  requeued: number;
  tasks: number;
  /** Images past their expiry, deleted (every key) before the variants are checked. */
  expired: number;
}

/**
 * Reconciliation: finds originals whose variants are missing (a lost message, a purged queue, a
 * crash between store and publish) and enqueues the missing sizes again. Safe to run at any time
 * and as often as wanted: the worker skips sizes that already exist.
 */
export async function sweepMissingVariants(options: SweepOptions): Promise<SweepReport> {
  const log = options.logger.child({ component: 'sweep' });
  const cutoff = (options.now ?? new Date()).getTime() - options.minAgeMs;
  const expired = await sweepExpiredImages({ storage: options.storage, logger: log, ...(options.now && { now: options.now }) });
  const present = new Map<VariantName, Set<string>>();
  for (const variant of VARIANTS) present.set(variant.name, await imageIdsUnder(options.storage, variant.name));
  // A failure record, whatever it says, means no retry can make the sizes: its presence is enough.
  const failed = await imageIdsUnder(options.storage, FAILURE_PREFIX);
  const report: SweepReport = { originals: 0, complete: 0, tooRecent: 0, failed: 0, requeued: 0, tasks: 0, expired };

  for await (const original of options.storage.list('original/')) {
    const id = original.key.slice('original/'.length);
    report.originals++;
    const missing = VARIANTS.filter((variant) => !present.get(variant.name)?.has(id));
    if (missing.length === 0) {
      report.complete++;
    } else if (failed.has(id)) {
      report.failed++;
    } else if (original.lastModified.getTime() > cutoff) {
      report.tooRecent++;
    } else {
      try {
        await options.queue.publish(missing.map((variant) => ({ imageId: id, box: variant.box, origin: 'sweep' })));
        report.requeued++;
        report.tasks += missing.length;
        log.info({ id, sizes: missing.map((variant) => variant.name) }, 'missing variants re-enqueued');
      } catch (error) {
        log.error({ id, err: errorMessage(error) }, 're-enqueue failed');
        throw error;
      }
    }
  }
  log.info(report, 'sweep finished');
  return report;
}
