import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { BUILD } from './version.js';

/**
 * Every Prometheus metric of one process, on its own registry (no global default registry), so
 * tests and the single-machine mode can build several without clashes.
 */
/** The container's memory limit (cgroup v2, then v1); undefined when unlimited or not in a cgroup. */
function cgroupMemoryLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const limit = Number(readFileSync(file, 'utf8').trim());
      // v1 reports "unlimited" as a number near 2^63.
      if (Number.isSafeInteger(limit) && limit > 0 && limit < 2 ** 60) return limit;
    } catch {
      // not this cgroup version
    }
  }
  return undefined;
}

export function createMetrics(role: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  // Includes event-loop lag, heap and resident memory, GC and handles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const registers = [registry];
  // The usual `*_build_info` pattern: always 1, the facts in labels, joined onto other series by role.
  new Gauge({
    name: 'imgr_build_info',
    help: 'Version and git revision of the running imgr',
    labelNames: ['version', 'revision', 'nodejs'] as const,
    registers,
  }).set({ version: BUILD.version, revision: BUILD.revision, nodejs: process.version }, 1);
  const memoryLimit = cgroupMemoryLimit();
  if (memoryLimit !== undefined) {
    // Beside process_resident_memory_bytes, so an alert can divide one by the other (Nomad and compose alike).
    new Gauge({ name: 'imgr_memory_limit_bytes', help: 'Memory limit of the container (cgroup)', registers }).set(memoryLimit);
  }
  const metrics = {
    registry,
    ready: new Gauge({ name: 'imgr_ready', help: '1 when the last readiness probe answered ready, else 0', registers }),
    httpErrors: new Counter({
      name: 'imgr_http_errors_total',
      help: 'Error answers by catalogue code (busy, queue-unavailable, storage-unavailable...)',
      labelNames: ['code'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'imgr_http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    uploadBytes: new Counter({ name: 'imgr_upload_bytes_total', help: 'Bytes of accepted originals', registers }),
    uploads: new Counter({ name: 'imgr_uploads_total', help: 'Upload outcomes', labelNames: ['result'] as const, registers }),
    idCollisions: new Counter({ name: 'imgr_id_collisions_total', help: 'New image ids found taken and drawn again', registers }),
    refusedClients: new Counter({
      name: 'imgr_refused_clients_total',
      help: 'Requests refused to protect the service: rate limits, uploads arriving too slowly, upload slots full',
      labelNames: ['reason'] as const,
      registers,
    }),
    uploadsInProgress: new Gauge({ name: 'imgr_uploads_in_progress', help: 'Uploads being received or stored right now', registers }),
    publishes: new Counter({
      name: 'imgr_publish_confirms_total',
      help: 'Resize tasks confirmed (or not) by the broker',
      labelNames: ['result'] as const,
      registers,
    }),
    queueDepth: new Gauge({ name: 'imgr_queue_depth', help: 'Messages waiting in the resize queue, as last seen', registers }),
    brokerUp: new Gauge({ name: 'imgr_broker_up', help: '1 when the last broker check (every 5 s) succeeded, else 0', registers }),
    tasks: new Counter({
      name: 'imgr_tasks_total',
      help: 'Resize tasks handled (one per size), by outcome',
      labelNames: ['result'] as const,
      registers,
    }),
    // One observation per render, not per task: the four tasks of an upload share one render.
    resizeDuration: new Histogram({
      name: 'imgr_resize_duration_seconds',
      help: 'Time to read, render and store the missing variants of one image',
      labelNames: ['result'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retries: new Counter({ name: 'imgr_task_retries_total', help: 'Retried storage or broker operations in tasks', registers }),
    deadLetters: new Counter({
      name: 'imgr_dead_letters_total',
      help: 'Tasks that can never succeed, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    storageDuration: new Histogram({
      name: 'imgr_storage_request_duration_seconds',
      help: 'Object store calls by operation and outcome (ok, not-found, error)',
      labelNames: ['operation', 'result'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
  // Series the alerts watch exist at 0 from the start: `increase()` cannot see the first failure of a
  // counter that appears already at 1.
  for (const result of ['confirmed', 'failed']) metrics.publishes.inc({ result }, 0);
  for (const code of ['busy', 'queue-unavailable', 'storage-unavailable', 'internal']) metrics.httpErrors.inc({ code }, 0);
  for (const reason of ['unknown-size', 'missing-original', 'unsupported-type', 'corrupt-image', 'delivery-limit'])
    metrics.deadLetters.inc({ reason }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
