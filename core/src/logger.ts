import { trace } from '@opentelemetry/api';
import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout, one logger per process, passed down explicitly. Lines written inside a
 * traced operation carry its trace and span ids, so logs and traces join up.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'imgr', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"warn" rather than 40: log shippers and people read names.
    formatters: { level: (label) => ({ level: label }) },
    // An Error logged under `err` keeps its type, message, stack and cause.
    serializers: { err: pino.stdSerializers.errWithCause },
    mixin() {
      const span = trace.getActiveSpan()?.spanContext();
      return span && span.traceId !== '00000000000000000000000000000000' ? { trace_id: span.traceId, span_id: span.spanId } : {};
    },
  });
}
