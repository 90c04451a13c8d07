import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { DependencyError, errorMessage, PermanentJobError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CELERY_QUEUE, decodeCeleryTask, encodeCeleryTask } from './celery-message.js';
import type { ConsumeOptions, JobContext, JobHandler, JobQueue, ResizeJob } from './queue.port.js';

const DRIVER = 'amqp-queue';

export interface AmqpQueueOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672/%2F`. */
  url: string;
  /** Bound on connect + confirm of one publish, so a dead broker answers fast instead of hanging. */
  publishTimeoutMs: number;
  logger: Logger;
  /** Queue of the original application: `celery` (durable, no arguments, as Celery declares it). */
  queue?: string;
  /** Where jobs that can never succeed go, with the reason in their headers. */
  deadLetterQueue?: string;
  /** Pause before a failed job is handed back to the broker, so an outage does not spin. */
  redeliveryDelayMs?: number;
}

/**
 * Counts imgr keeps in the headers of a message it hands back itself (a classic queue, the one
 * Celery declares, counts nothing): deliveries lost with their worker, and transient retries.
 */
const LOST_DELIVERIES_HEADER = 'x-imgr-lost-deliveries';
const RETRIES_HEADER = 'x-imgr-retries';

function countHeader(headers: Record<string, unknown> | undefined, name: string): number {
  const value = headers?.[name];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

interface Link {
  model: ChannelModel;
  publisher: ConfirmChannel;
}

/**
 * A 10 s heartbeat unless the URL sets one: a broker lost without a TCP reset (a partition, a dead
 * VM) is noticed in seconds, not after the 60 s RabbitMQ proposes.
 */
export function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyError('queue', `[${DRIVER}] ${what} timed out after ${ms} ms`, true)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * RabbitMQ adapter speaking Celery's task protocol 2 on the `celery` queue. Publishes through a
 * confirm channel; consumes with manual acks. Reconnects by itself with backoff after the broker
 * goes away, and resumes consuming.
 */
export function createAmqpQueue(options: AmqpQueueOptions): JobQueue {
  const queue = options.queue ?? CELERY_QUEUE;
  const deadLetterQueue = options.deadLetterQueue ?? 'imgr.dead-letter';
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 1000;
  const log = options.logger.child({ component: DRIVER });
  let link: Promise<Link> | undefined;
  let activeModel: ChannelModel | undefined;
  let consumer: { handler: JobHandler; options: ConsumeOptions; channel?: Channel; model?: ChannelModel; tag?: string } | undefined;
  const inFlight = new Set<Promise<void>>();
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectAttempt = 0;
  let disposed = false;

  const scheduleReconnect = (): void => {
    if (disposed || reconnectTimer || !consumer) return;
    // Capped at 2 s: a broker back from a restart is consumed from again within about 2 s.
    const delay = Math.min(250 * 2 ** reconnectAttempt, 2000);
    reconnectAttempt++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      startConsumer().catch((error: unknown) => {
        log.warn({ err: errorMessage(error), attempt: reconnectAttempt }, 'broker reconnect failed');
        scheduleReconnect();
      });
    }, delay);
  };

  async function open(): Promise<Link> {
    const model = await amqp.connect(withHeartbeat(options.url), {
      timeout: options.publishTimeoutMs,
      clientProperties: { connection_name: `imgr ${process.pid}` },
    });
    model.on('error', (error: Error) => log.warn({ err: error.message }, 'broker connection error'));
    model.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked publishing (resource alarm)'));
    model.on('close', () => {
      // Only the connection in use matters: one that failed half-way or came too late was never used.
      if (model !== activeModel) return;
      activeModel = undefined;
      link = undefined;
      if (consumer?.model === model) {
        consumer.channel = undefined;
        consumer.model = undefined;
      }
      if (!disposed) {
        log.warn('broker connection closed');
        scheduleReconnect();
      }
    });
    try {
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (error: Error) => log.warn({ err: error.message }, 'publish channel error'));
      await publisher.assertQueue(queue, { durable: true });
      await publisher.assertQueue(deadLetterQueue, { durable: true });
      return { model, publisher };
    } catch (error) {
      // A broker still starting can accept the connection and then fail the channel: close it.
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  /** The shared connection, opened on first use and again after a loss, bounded in time. */
  function connection(): Promise<Link> {
    if (disposed) return Promise.reject(new DependencyError('queue', `[${DRIVER}] disposed`, false));
    if (!link) {
      const attempt = open();
      link = withTimeout(attempt, options.publishTimeoutMs, 'connect').then(
        (opened) => {
          activeModel = opened.model;
          return opened;
        },
        (error: unknown) => {
          link = undefined;
          // A connection that completes after its deadline is closed, not leaked.
          attempt.then(
            (late) => late.model.close().catch(() => undefined),
            () => undefined,
          );
          throw error instanceof DependencyError
            ? error
            : new DependencyError('queue', `[${DRIVER}] cannot reach the broker: ${errorMessage(error)}`, true, { cause: error });
        },
      );
    }
    return link;
  }

  function confirm(channel: ConfirmChannel, target: string, content: Buffer, properties: object): Promise<void> {
    return new Promise((resolve, reject) => {
      channel.sendToQueue(target, content, properties, (error: unknown) =>
        error ? reject(new DependencyError('queue', `[${DRIVER}] broker refused the message`, true, { cause: error })) : resolve(),
      );
    });
  }

  async function deadLetter(channel: Channel, message: ConsumeMessage, error: PermanentJobError): Promise<void> {
    const { publisher } = await connection();
    await confirm(publisher, deadLetterQueue, message.content, {
      ...message.properties,
      persistent: true,
      headers: {
        ...message.properties.headers,
        'x-imgr-reason': error.reason,
        'x-imgr-error': error.message,
        'x-imgr-failed-at': new Date().toISOString(),
      },
    });
    channel.ack(message);
    log.error({ reason: error.reason, err: error.message }, 'job dead-lettered');
  }

  /** Puts a copy of the message back at the tail of the queue with updated counts, then acks the original. */
  async function handBack(channel: Channel, message: ConsumeMessage, counts: Record<string, number>): Promise<void> {
    const { publisher } = await connection();
    await confirm(publisher, queue, message.content, {
      ...message.properties,
      headers: { ...message.properties.headers, ...counts },
    });
    channel.ack(message);
  }

  async function onMessage(channel: Channel, message: ConsumeMessage, handler: JobHandler): Promise<void> {
    const headers = message.properties.headers;
    const lostDeliveries = countHeader(headers, LOST_DELIVERIES_HEADER);
    if (message.fields.redelivered) {
      // Given out again by the broker: its last holder went away without an answer (crash, OOM
      // kill, lost connection). Classic queues keep no delivery count, so the count travels in a
      // copy; the copy is what gets handled. If the copy cannot be sent, the broker keeps the original.
      await handBack(channel, message, { [LOST_DELIVERIES_HEADER]: lostDeliveries + 1 }).catch((error: unknown) => {
        log.warn({ err: errorMessage(error) }, 'could not count a lost delivery; message goes back to the queue');
        channel.nack(message, false, true);
      });
      return;
    }
    const retries = countHeader(headers, RETRIES_HEADER);
    try {
      const task = decodeCeleryTask(message.content, headers, message.properties.correlationId);
      await handler({ ...task, redelivered: lostDeliveries + retries > 0, lostDeliveries });
      channel.ack(message);
    } catch (error) {
      if (error instanceof PermanentJobError) {
        await deadLetter(channel, message, error).catch((dlqError: unknown) => {
          log.warn({ err: errorMessage(dlqError) }, 'dead-letter failed; message goes back to the queue');
          channel.nack(message, false, true);
        });
        return;
      }
      // Give the dependency time to come back before the job is handed out again; when stopping,
      // hand it back at once so another worker takes it. Handed back as a copy, not a nack: a nacked
      // message returns flagged "redelivered", which would count as a lost delivery.
      if (consumer) await new Promise((resolve) => setTimeout(resolve, redeliveryDelayMs));
      await handBack(channel, message, { [RETRIES_HEADER]: retries + 1 }).catch(() => channel.nack(message, false, true));
    }
  }

  async function startConsumer(): Promise<void> {
    // One consumer per process: a reconnect that finds one already running has nothing to do.
    if (!consumer || disposed || consumer.channel) return;
    const { model } = await connection();
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => log.warn({ err: error.message }, 'consume channel error'));
    await channel.prefetch(consumer.options.prefetch);
    const current = consumer;
    const reply = await channel.consume(
      queue,
      (message) => {
        if (!message) return; // consumer cancelled by the broker: the close handler reconnects
        const task = onMessage(channel, message, current.handler)
          // A failed ack means the channel died: the broker redelivers, the work is idempotent.
          .catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'ack failed; the broker will redeliver'))
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      },
      { noAck: false },
    );
    current.channel = channel;
    current.model = model;
    current.tag = reply.consumerTag;
    reconnectAttempt = 0;
    log.info({ queue, prefetch: current.options.prefetch }, 'consuming');
  }

  return {
    name: DRIVER,
    async init() {
      await withTimeout(connection(), options.publishTimeoutMs, 'connect');
    },
    async check() {
      const { publisher } = await withTimeout(connection(), options.publishTimeoutMs, 'connect');
      await withTimeout(publisher.checkQueue(queue), options.publishTimeoutMs, 'check queue');
    },
    async publish(jobs: readonly ResizeJob[], context: JobContext = {}) {
      const groupId = randomUUID();
      const attempt = async (): Promise<void> => {
        const { publisher } = await connection();
        await Promise.all(
          jobs.map((job) => {
            const envelope = encodeCeleryTask(job, groupId, context);
            return confirm(publisher, queue, envelope.body, envelope.properties);
          }),
        );
      };
      await withTimeout(attempt(), options.publishTimeoutMs, 'publish');
    },
    async consume(handler: JobHandler, consumeOptions: ConsumeOptions) {
      consumer = { handler, options: consumeOptions };
      // A broker that is down at start is not fatal: keep trying in the background.
      await startConsumer().catch((error: unknown) => {
        log.warn({ err: errorMessage(error) }, 'broker unreachable; will keep trying');
        scheduleReconnect();
      });
    },
    async stopConsuming() {
      const current = consumer;
      consumer = undefined;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      if (current?.channel && current.tag) {
        await current.channel.cancel(current.tag).catch(() => undefined);
      }
      await Promise.allSettled([...inFlight]);
      await current?.channel?.close().catch(() => undefined);
    },
    async depth() {
      try {
        const { publisher } = await withTimeout(connection(), options.publishTimeoutMs, 'connect');
        return (await withTimeout(publisher.checkQueue(queue), options.publishTimeoutMs, 'check queue')).messageCount;
      } catch {
        return undefined;
      }
    },
    async dispose() {
      await this.stopConsuming();
      disposed = true;
      const current = link;
      link = undefined;
      if (current) {
        const { model } = await current.catch(() => ({ model: undefined }));
        await model?.close().catch(() => undefined);
      }
    },
  };
}
