import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BUILD } from './version.js';

export type { Span, Tracer };
export { SpanKind };

export interface TelemetryOptions {
  /** e.g. `imgr-api`; shown as the service in trace viewers. */
  serviceName: string;
  /** OTLP/HTTP collector base URL, e.g. `http://otel-collector:4318`; unset: tracing off (no-op spans). */
  endpoint?: string | undefined;
  /** Replaces the OTLP exporter (tests collect spans in memory). */
  spanProcessor?: SpanProcessor;
}

export interface Telemetry {
  tracer: Tracer;
  /** Flushes spans still buffered; called on shutdown. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'imgr';

/**
 * Tracing is off unless a collector is configured: the tracer then hands out no-op spans, so the
 * instrumented code costs next to nothing, and the SDK is not even loaded (about 8 MiB of resident
 * memory per process). When on, W3C trace context links the upload request, the task messages and
 * each resize into one trace.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (!options.endpoint && !options.spanProcessor) {
    return { tracer: trace.getTracer(TRACER_NAME), shutdown: async () => {} };
  }
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor }, { NodeTracerProvider }] =
    await Promise.all([
      import('@opentelemetry/core'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
    ]);
  const processor =
    options.spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint?.replace(/\/$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.namespace': 'imgr',
      'service.version': BUILD.version,
      'vcs.ref.head.revision': BUILD.revision,
    }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return { tracer: provider.getTracer(TRACER_NAME), shutdown: () => provider.shutdown() };
}

/** The active trace context as message headers (`traceparent`, `tracestate`). */
export function injectTraceContext(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

export function extractTraceContext(carrier: Record<string, string | string[] | undefined> | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/** Runs `work` inside a new active span, recording failures on it. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Record<string, string | number | boolean>; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
