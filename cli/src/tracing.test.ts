import { buildApi, createImageService } from '@imgr/api';
import {
  BUILD,
  createLogger,
  createMetrics,
  DEFAULT_IMAGE_LIMITS,
  SpanKind,
  startTelemetry,
  withQueueTracing,
  withStorageTracing,
} from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import { createResizeService } from '@imgr/worker';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';

describe('tracing', () => {
  it('shows one trace from the upload request through each resize task', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await startTelemetry({ serviceName: 'imgr-test', spanProcessor: new SimpleSpanProcessor(exporter) });
    const logger = createLogger('silent');
    const metrics = createMetrics('all');
    const rawStorage = createMemoryStorage();
    const storage = withStorageTracing(rawStorage, telemetry.tracer);
    const queue = withQueueTracing(createMemoryQueue(), telemetry.tracer);
    const resizer = createResizeService({
      storage,
      logger,
      metrics,
      concurrency: 1,
      maxAttempts: 1,
      limits: DEFAULT_IMAGE_LIMITS,
      maxLostDeliveries: 3,
    });
    await queue.consume(resizer.handle, { prefetch: 4 });
    const images = createImageService({
      storage,
      queue,
      logger,
      metrics,
      limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 1e8, maxFrames: 10 },
    });
    const { app } = await buildApi({
      images,
      logger,
      metrics,
      tracer: telemetry.tracer,
      readiness: [],
      maxUploadBytes: 1e7,
      maxConcurrentUploads: 2,
      requestTimeoutMs: 10_000,
    });

    const boundary = 'b0undary';
    const file = await solidImage(600, 400, 'jpeg');
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const response = await app.inject({
      method: 'POST',
      url: '/image',
      payload,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, traceparent: `00-${callerTrace}-b7ad6b7169203331-01` },
    });
    expect(response.statusCode).toBe(201);
    const { id } = response.json();
    for (let i = 0; i < 200 && !(await rawStorage.head(`tiny/${id}`)); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.dispose();
    await app.close();

    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([callerTrace]));
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    const producer = spans.find((span) => span.kind === SpanKind.PRODUCER);
    const consumers = spans.filter((span) => span.kind === SpanKind.CONSUMER);
    expect(server?.name).toBe('POST /image');
    // The version in package.json, so a trace viewer tells releases apart.
    expect(server?.resource.attributes['service.version']).toBe(BUILD.version);
    expect(BUILD.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(producer?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(consumers.map((span) => span.attributes['imgr.resize.box']).sort()).toEqual([1024, 128, 256, 512]);
    for (const consumer of consumers) expect(consumer.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    const puts = spans
      .filter((span) => span.name === 'storage.put' || span.name === 'storage.create')
      .map((span) => span.attributes['imgr.storage.key']);
    expect(puts).toEqual(expect.arrayContaining([`original/${id}`, `big/${id}`, `tiny/${id}`]));
    await telemetry.shutdown();
  });
});
