import { pino } from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout, one logger per process, passed down explicitly. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'imgr', ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
