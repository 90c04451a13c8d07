import type { Config, Logger } from '@imgr/core';
import { type SweepReport, sweepMissingVariants } from '@imgr/worker';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { queueFromConfig, storageFromConfig } from './adapters.js';

/** One reconciliation pass, for `imgr sweep` (a Nomad periodic job). */
export async function runSweep(config: Config, logger: Logger) {
  const storage = storageFromConfig(config);
  const queue = queueFromConfig(config, logger);
  try {
    await queue.init();
    const report = await sweepMissingVariants({ storage, queue, logger, minAgeMs: config.env.IMGR_SWEEP_MIN_AGE_S * 1000 });
    if (config.env.IMGR_PUSHGATEWAY_URL) await pushSweepReport(config.env.IMGR_PUSHGATEWAY_URL, report, logger);
    return report;
  } finally {
    await queue.dispose();
    await storage.dispose();
  }
}

/**
 * A batch job is gone before Prometheus could scrape it: its result goes to a Pushgateway, where
 * the "sweep re-enqueued images" alert reads it. A failed push is logged, never fails the sweep.
 */
async function pushSweepReport(url: string, report: SweepReport, logger: Logger): Promise<void> {
  const registry = new Registry();
  const images = new Gauge({
    name: 'imgr_sweep_images',
    help: 'Originals seen by the last sweep, by state (requeued = variants were missing and re-enqueued)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  for (const state of ['complete', 'tooRecent', 'failed', 'requeued'] as const) images.set({ state }, report[state]);
  new Gauge({ name: 'imgr_sweep_last_run_timestamp_seconds', help: 'End of the last sweep', registers: [registry] }).setToCurrentTime();
  try {
    await new Pushgateway(url, { timeout: 5000 }, registry).pushAdd({ jobName: 'imgr-sweep' });
  } catch (error) {
    logger.warn({ err: error, url }, 'sweep report not pushed');
  }
}
