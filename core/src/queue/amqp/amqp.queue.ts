import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { ConsumeOptions, JobContext, JobHandler, JobQueue, ResizeJob } from '../queue.port.js';
import { createAmqpConnection, DRIVER, type QueueDeclaration, withTimeout } from './amqp-connection.js';
import { type AmqpConsumer, createAmqpConsumer } from './amqp-consumer.js';
import { CELERY_QUEUE, encodeCeleryTask } from './celery-message.js';

/** Where imgr puts the tasks that can never succeed, with the reason in their headers. */
export const DEAD_LETTER_QUEUE = 'imgr.dead-letter';
/** Dead letters kept at most (IMGR_DEAD_LETTER_MAX_LENGTH): about 10 MB of tasks; the alert fires at the first. */
export const DEAD_LETTER_MAX_LENGTH = 10_000;

/**
 * The dead-letter queue bounded in length: past `maxLength` the broker drops the oldest letter
 * (`drop-head`), so a flood of failures cannot fill the broker's disk; every letter was counted in
 * `imgr_dead_letters_total` and its failure recorded in the bucket (`failed/<id>`) before. 0: unbounded.
 * `vhost` only completes the policy command logged when the queue exists without the bound.
 */
export function deadLetterDeclaration(name: string, maxLength: number, vhost = '/'): QueueDeclaration {
  if (maxLength === 0) return { name };
  const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return {
    name,
    arguments: { 'x-max-length': maxLength, 'x-overflow': 'drop-head' },
    policy: `rabbitmqctl set_policy -p '${vhost}' --apply-to queues imgr-dead-letter-bound '${pattern}' '{"max-length": ${maxLength}, "overflow": "drop-head"}'`,
  };
}

/** The virtual host of an AMQP URL, as RabbitMQ names it (an empty path is `/`). */
function vhostOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
}

export interface AmqpQueueOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672/%2F`. */
  url: string;
  /** Bound on connect + confirm of one publish, so a dead broker answers fast instead of hanging. */
  publishTimeoutMs: number;
  logger: Logger;
  /** Queue of the original application: `celery` (durable, no arguments, as Celery declares it). */
  queue?: string;
  /** Where jobs that can never succeed go, with the reason in their headers: `imgr.dead-letter`. */
  deadLetterQueue?: string;
  /** Dead letters kept at most; past it the oldest is dropped. 0: unbounded. 10 000. */
  deadLetterMaxLength?: number;
  /** Pause before a failed job is handed back to the broker, so an outage does not spin: 1000 ms. */
  redeliveryDelayMs?: number;
}

/**
 * RabbitMQ adapter speaking Celery's task protocol 2 on the `celery` queue. Publishes through a
 * confirm channel; consumes with manual acks. Reconnects by itself with backoff after the broker
 * goes away, and resumes consuming.
 */
export function createAmqpQueue(options: AmqpQueueOptions): JobQueue {
  const queue = options.queue ?? CELERY_QUEUE;
  const deadLetterQueue = options.deadLetterQueue ?? DEAD_LETTER_QUEUE;
  const logger = options.logger.child({ component: DRIVER });
  const timeoutMs = options.publishTimeoutMs;
  let consumer: AmqpConsumer | undefined;
  const connection = createAmqpConnection({
    url: options.url,
    timeoutMs,
    logger: options.logger,
    queues: [
      { name: queue },
      deadLetterDeclaration(deadLetterQueue, options.deadLetterMaxLength ?? DEAD_LETTER_MAX_LENGTH, vhostOf(options.url)),
    ],
    onLost: () => consumer?.connectionLost(),
  });
  const messageCount = async (): Promise<number> => {
    const publisher = await withTimeout(connection.publisher(), timeoutMs, 'connect');
    return (await withTimeout(publisher.checkQueue(queue), timeoutMs, 'check queue')).messageCount;
  };

  return {
    name: DRIVER,
    messaging: { system: 'rabbitmq', destination: queue },
    async init() {
      await connection.publisher();
    },
    async check() {
      await messageCount();
    },
    async publish(jobs: readonly ResizeJob[], context: JobContext = {}) {
      const groupId = randomUUID();
      const sendAll = () =>
        Promise.all(
          jobs.map((job) => {
            const envelope = encodeCeleryTask(job, groupId, context);
            return connection.send(queue, envelope.body, envelope.properties);
          }),
        );
      await withTimeout(sendAll(), timeoutMs, 'publish');
    },
    async consume(handler: JobHandler, consumeOptions: ConsumeOptions) {
      await consumer?.stop();
      consumer = createAmqpConsumer({
        connection,
        queue,
        deadLetterQueue,
        redeliveryDelayMs: options.redeliveryDelayMs ?? 1000,
        handler,
        prefetch: consumeOptions.prefetch,
        openTimeoutMs: timeoutMs,
        logger,
      });
      await consumer.start();
    },
    async stopConsuming() {
      const current = consumer;
      consumer = undefined;
      await current?.stop();
    },
    depth: () => messageCount().catch(() => undefined),
    async dispose() {
      await this.stopConsuming();
      await connection.close();
    },
  };
}
