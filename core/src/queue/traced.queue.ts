import { SpanKind, type Tracer } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext, inSpan } from '../telemetry.js';
import type { JobQueue } from './queue.port.js';

/**
 * Wraps a queue so publishing is a producer span whose context travels in the task headers, and
 * each delivered task runs in a consumer span continuing that trace: one trace shows the upload and
 * every resize it caused, across processes (what a Celery instrumentation shows in Python).
 */
export function withQueueTracing(queue: JobQueue, tracer: Tracer): JobQueue {
  return {
    ...queue,
    name: queue.name,
    init: () => queue.init(),
    check: () => queue.check(),
    depth: () => queue.depth(),
    stopConsuming: () => queue.stopConsuming(),
    dispose: () => queue.dispose(),
    publish: (jobs, jobContext = {}) =>
      inSpan(
        tracer,
        `publish ${queue.messaging.destination}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': queue.messaging.system,
            'messaging.destination.name': queue.messaging.destination,
            'messaging.batch.message_count': jobs.length,
          },
        },
        () => queue.publish(jobs, { ...jobContext, trace: injectTraceContext() }),
      ),
    consume: (handler, options) =>
      queue.consume(
        (job) =>
          inSpan(
            tracer,
            `process ${queue.messaging.destination}`,
            {
              kind: SpanKind.CONSUMER,
              parent: extractTraceContext(job.context.trace),
              attributes: {
                'messaging.system': queue.messaging.system,
                'messaging.destination.name': queue.messaging.destination,
                'imgr.job.origin': job.origin,
                'messaging.message.id': job.taskId,
                'imgr.image.id': job.imageId,
                'imgr.resize.box': job.box,
                'imgr.redelivered': job.redelivered,
              },
            },
            () => handler(job),
          ),
        options,
      ),
  };
}
