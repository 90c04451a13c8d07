import { randomUUID } from 'node:crypto';
import { errorMessage, PermanentJobError } from '../errors.js';
import type { ConsumeOptions, DeadLetter, JobContext, JobHandler, JobQueue, ReceivedJob, ResizeJob } from './queue.port.js';

export interface MemoryQueueOptions {
  /** Pause before a failed job is offered again, so an outage does not spin the CPU. */
  redeliveryDelayMs?: number;
}

/**
 * In-process queue for the single-machine mode and the reference for the queue contract: same
 * ack / dead-letter / redeliver semantics as the AMQP adapter, nothing survives a restart (so no
 * delivery is ever lost with its worker: `lostDeliveries` stays 0).
 */
export function createMemoryQueue(options: MemoryQueueOptions = {}): JobQueue & { readonly deadLetters: DeadLetter[] } {
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 1000;
  const pending: ReceivedJob[] = [];
  const deadLetters: DeadLetter[] = [];
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let handler: JobHandler | undefined;
  let limit = 1;

  const pump = (): void => {
    while (handler && running.size < limit && pending.length > 0) {
      const job = pending.shift() as ReceivedJob;
      const task: Promise<void> = handler(job)
        .catch((error: unknown) => {
          if (error instanceof PermanentJobError) {
            deadLetters.push({ reason: error.reason, message: error.message, body: JSON.stringify(job) });
            return;
          }
          const timer = setTimeout(() => {
            timers.delete(timer);
            pending.push({ ...job, redelivered: true });
            pump();
          }, redeliveryDelayMs);
          timers.add(timer);
        })
        .finally(() => {
          running.delete(task);
          pump();
        });
      running.add(task);
    }
  };

  return {
    name: 'memory-queue',
    messaging: { system: 'imgr-memory', destination: 'in-process' },
    deadLetters,
    async init() {},
    async check() {},
    async publish(jobs: readonly ResizeJob[], context: JobContext = {}) {
      for (const job of jobs) pending.push({ ...job, taskId: randomUUID(), redelivered: false, lostDeliveries: 0, context });
      queueMicrotask(pump);
    },
    async consume(jobHandler: JobHandler, consumeOptions: ConsumeOptions) {
      handler = jobHandler;
      limit = consumeOptions.prefetch;
      pump();
    },
    async stopConsuming() {
      handler = undefined;
      await Promise.allSettled([...running]);
    },
    async depth() {
      return pending.length;
    },
    async dispose() {
      handler = undefined;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]).catch((error: unknown) => errorMessage(error));
    },
  };
}
