#!/usr/bin/env node
import { BUILD, ConfigError, createLogger, createMetrics, errorMessage, loadConfig, type Role } from '@imgr/core';
import { runSweep, start } from './runtime.js';

const USAGE = `usage: imgr [all|api|worker|sweep|--version]
  all     API, worker and web page in one process (default; local storage and in-process queue unless configured)
  api     the HTTP API only
  worker  the resize worker only (health and metrics on PORT)
  sweep   re-enqueue resize tasks for originals with missing variants, then exit`;

const ROLES: readonly Role[] = ['all', 'api', 'worker', 'sweep'];

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'all';
  if (arg === '--version' || arg === '-v') {
    console.log(`imgr ${BUILD.version} (${BUILD.revision})`);
    return;
  }
  if (arg === '--help' || arg === '-h' || !ROLES.includes(arg as Role)) {
    console.error(USAGE);
    process.exit(arg === '--help' || arg === '-h' ? 0 : 2);
  }
  const role = arg as Role;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, role);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`imgr: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.env.LOG_LEVEL, { role });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });

  if (role === 'sweep') {
    const timeoutS = config.env.IMGR_SWEEP_TIMEOUT_S;
    if (timeoutS > 0) {
      // Re-enqueueing is idempotent, so stopping half-way only leaves the rest to the next run.
      setTimeout(() => {
        logger.error({ timeoutS }, 'sweep did not finish within IMGR_SWEEP_TIMEOUT_S; exiting');
        process.exit(1);
      }, timeoutS * 1000).unref();
    }
    const report = await runSweep(config, logger);
    console.log(JSON.stringify(report));
    return;
  }

  const running = await start(role, config, logger, createMetrics(role));
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.warn({ timeoutMs: config.env.IMGR_SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; exiting');
      process.exit(0);
    }, config.env.IMGR_SHUTDOWN_TIMEOUT_MS + config.env.IMGR_SHUTDOWN_DELAY_MS);
    deadline.unref();
    running.stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error(`imgr: ${errorMessage(error)}`);
  process.exit(1);
});
