import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric of one process, on its own registry (no global default registry), so
 * tests and the single-machine mode can build several without clashes.
 */
export function createMetrics(role: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  // Includes event-loop lag, heap and resident memory, GC and handles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const registers = [registry];
  return {
    registry,
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
    publishes: new Counter({
      name: 'imgr_publish_confirms_total',
      help: 'Resize tasks confirmed (or not) by the broker',
      labelNames: ['result'] as const,
      registers,
    }),
    queueDepth: new Gauge({ name: 'imgr_queue_depth', help: 'Messages waiting in the resize queue, as last seen', registers }),
    taskDuration: new Histogram({
      name: 'imgr_resize_duration_seconds',
      help: 'Time to produce the missing variants of one image, by the size the task asked for',
      labelNames: ['size', 'result'] as const,
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
