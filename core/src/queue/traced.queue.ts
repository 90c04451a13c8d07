import { SpanKind, type Tracer } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext, inSpan } from '../telemetry.js';
import { RESIZE_TASK } from './celery-message.js';
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
        `publish ${RESIZE_TASK}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.destination.name': 'celery',
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
            `run ${RESIZE_TASK}`,
            {
              kind: SpanKind.CONSUMER,
              parent: extractTraceContext(job.context.trace),
              attributes: {
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
