#!/usr/bin/env node
import { BUILD, type Config, ConfigError, createLogger, createMetrics, errorMessage, type Logger, loadConfig, type Role } from '@imgr/core';
import { type Running, start } from './runtime.js';
import { runSweep } from './sweep.js';

const USAGE = `usage: imgr [all|api|worker|sweep|--version]
  all     API, worker and web page in one process (default; local storage and in-process queue unless configured)
  api     the HTTP API only
  worker  the resize worker only (health and metrics on PORT)
  sweep   re-enqueue resize tasks for originals with missing variants, then exit`;

const ROLES: readonly Role[] = ['all', 'api', 'worker', 'sweep'];

/**
 * The process's only way out before its natural end: usage and config errors, a fatal dependency,
 * an unhandled rejection, the sweep's deadline and the end of a shutdown all come here.
 */
function exit(code: number): never {
  process.exit(code);
}

/** Exit code when the arguments say not to run (version, help, a wrong role), otherwise the role. */
function roleFromArguments(arg: string): Role | number {
  if (arg === '--version' || arg === '-v') {
    console.log(`imgr ${BUILD.version} (${BUILD.revision})`);
    return 0;
  }
  if (ROLES.includes(arg as Role)) return arg as Role;
  console.error(USAGE);
  return arg === '--help' || arg === '-h' ? 0 : 2;
}

/** One pass, bounded by IMGR_SWEEP_TIMEOUT_S; re-enqueueing is idempotent, so stopping half-way only leaves the rest to the next run. */
async function sweepOnce(config: Config, logger: Logger): Promise<void> {
  const timeoutS = config.env.IMGR_SWEEP_TIMEOUT_S;
  if (timeoutS > 0) {
    setTimeout(() => {
      logger.error({ timeoutS }, 'sweep did not finish within IMGR_SWEEP_TIMEOUT_S; exiting');
      exit(1);
    }, timeoutS * 1000).unref();
  }
  const report = await runSweep(config, logger);
  console.log(JSON.stringify(report));
}

/** SIGTERM or SIGINT: a graceful stop, cut short after the shutdown delay plus timeout. */
function stopOnSignals(running: Running, config: Config, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn({ timeoutMs: config.env.IMGR_SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; exiting');
      exit(0);
    }, config.env.IMGR_SHUTDOWN_TIMEOUT_MS + config.env.IMGR_SHUTDOWN_DELAY_MS).unref();
    running.stop().then(
      () => {
        logger.info('stopped cleanly');
        exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** Resolves with an exit code to leave at once, or nothing when the process ends by itself or on a signal. */
async function main(): Promise<number | undefined> {
  const role = roleFromArguments(process.argv[2] ?? 'all');
  if (typeof role === 'number') return role;
  let config: Config;
  try {
    config = loadConfig(process.env, role);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`imgr: ${error.message}`);
    return 2;
  }
  const logger = createLogger(config.env.LOG_LEVEL, { role });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    exit(1);
  });
  if (role === 'sweep') {
    await sweepOnce(config, logger);
    return undefined;
  }
  const running = await start(role, config, logger, createMetrics(role), { onFatal: () => exit(1) });
  stopOnSignals(running, config, logger);
  return undefined;
}

main().then(
  (code) => {
    // 0: nothing is left running; the process ends by itself once its output is flushed.
    if (code !== undefined && code !== 0) exit(code);
  },
  (error: unknown) => {
    console.error(`imgr: ${errorMessage(error)}`);
    exit(1);
  },
);
