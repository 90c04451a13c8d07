import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBucket } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, startImgr, uploadFile, waitFor } from '../support/services.js';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}

interface OtlpJson {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[] }[];
  }[];
}

const attributes = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((entry) => [entry.key, entry.value.stringValue ?? entry.value.intValue ?? entry.value.boolValue]));

/** A minimal OTLP/HTTP (JSON) collector: what an OpenTelemetry Collector would receive. */
function collector(spans: ExportedSpan[]): Server {
  return createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const payload = JSON.parse(body) as OtlpJson;
      for (const resource of payload.resourceSpans) {
        const service = String(attributes(resource.resource.attributes)['service.name']);
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({ service, ...span, parentSpanId: span.parentSpanId || undefined, attributes: attributes(span.attributes) });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

describe('traces across processes', () => {
  const spans: ExportedSpan[] = [];
  const server = collector(spans);
  const broker = isolatedBroker('tracing');
  const bucket = `imgr-tracing-${Date.now().toString(36)}`;
  let api: ImgrProcess;
  let worker: ImgrProcess;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = imgrEnv(bucket, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      CELERY_BROKER_URL: broker.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_LEVEL: 'info',
    });
    api = await startImgr('api', env);
    worker = await startImgr('worker', env);
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    server.close();
    broker.dispose();
    await removeBucket(bucket);
  });

  it('links the upload request, the task messages and each resize in the worker into one trace', async () => {
    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'photo-3mp.jpg')));
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };

    const consumers = await waitFor(
      async () => {
        const found = spans.filter((span) => span.service === 'imgr-worker' && span.attributes['imgr.image.id'] === id);
        return found.length === 4 ? found : undefined;
      },
      30_000,
      100,
    );
    const upload = spans.find(
      (span) => span.service === 'imgr-api' && span.name === 'POST /image' && span.traceId === consumers[0]?.traceId,
    );
    expect(upload).toBeDefined();
    const producer = spans.find((span) => span.parentSpanId === upload?.spanId && span.name.startsWith('publish'));
    expect(producer?.service).toBe('imgr-api');
    for (const consumer of consumers) {
      expect(consumer.traceId).toBe(upload?.traceId);
      expect(consumer.parentSpanId).toBe(producer?.spanId);
    }
    expect(consumers.map((span) => Number(span.attributes['imgr.resize.box'])).sort((a, b) => a - b)).toEqual([128, 256, 512, 1024]);
    // The worker's storage writes hang under its consumer spans.
    const consumerIds = new Set(consumers.map((span) => span.spanId));
    const writes = spans.filter((span) => span.name === 'storage.put' && consumerIds.has(span.parentSpanId ?? ''));
    expect(writes.map((span) => span.attributes['imgr.storage.key'])).toEqual(expect.arrayContaining([`big/${id}`, `tiny/${id}`]));
  });

  it('writes the trace id into the JSON logs of both processes', async () => {
    const response = await uploadFile(api.url, readFileSync(join(fixtures, 'photo.png')));
    const { id } = (await response.json()) as { id: string };
    const lines = (output: string) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { trace_id?: string; requestId?: string; imageId?: string; url?: string });
    // The worker's line names the request id the API gave the upload; both carry the same trace id.
    const workerLine = await waitFor(async () => lines(worker.output()).find((line) => line.imageId === id), 30_000);
    const uploadLine = await waitFor(
      async () => lines(api.output()).find((line) => line.requestId === workerLine.requestId && line.url === '/image'),
      10_000,
    );
    expect(uploadLine.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(workerLine.trace_id).toBe(uploadLine.trace_id);
  });
});
