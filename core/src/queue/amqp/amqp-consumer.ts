import type { Channel, ConsumeMessage } from 'amqplib';
import { errorMessage, PermanentJobError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { JobHandler } from '../queue.port.js';
import { type AmqpConnection, withTimeout } from './amqp-connection.js';
import { decodeCeleryTask, ORIGINAL_SIZE } from './celery-message.js';

/**
 * Counts imgr keeps in the headers of a message it hands back itself (a classic queue, the one
 * Celery declares, counts nothing): deliveries lost with their worker, and transient retries.
 */
export const LOST_DELIVERIES_HEADER = 'x-imgr-lost-deliveries';
export const RETRIES_HEADER = 'x-imgr-retries';
/** Headers of a dead letter: why it can never succeed, in a word and in a sentence. */
export const REASON_HEADER = 'x-imgr-reason';

export interface AmqpConsumerOptions {
  connection: AmqpConnection;
  queue: string;
  deadLetterQueue: string;
  /** Pause before a failed job is handed back to the broker, so an outage does not spin. */
  redeliveryDelayMs: number;
  handler: JobHandler;
  /** Unacknowledged messages the broker may push to this consumer. */
  prefetch: number;
  /** Bound on opening the consume channel, so a broker that accepts and never answers cannot stall restarts. */
  openTimeoutMs: number;
  logger: Logger;
}

export interface AmqpConsumer {
  /** Opens a channel and consumes; after a loss, `connectionLost()` starts again by itself. */
  start(): Promise<void>;
  /** The shared connection went away: consume again once the broker is back. */
  connectionLost(): void;
  /** Stops taking messages, waits for the handlers in progress, closes the channel. */
  stop(): Promise<void>;
}

function countHeader(headers: Record<string, unknown> | undefined, name: string): number {
  const value = headers?.[name];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

/** Puts a copy of the message back at the tail of the queue with updated counts, then acks the original. */
async function handBack(options: AmqpConsumerOptions, channel: Channel, message: ConsumeMessage, counts: Record<string, number>) {
  await options.connection.send(options.queue, message.content, {
    ...message.properties,
    headers: { ...message.properties.headers, ...counts },
  });
  channel.ack(message);
}

async function deadLetter(options: AmqpConsumerOptions, channel: Channel, message: ConsumeMessage, error: PermanentJobError) {
  await options.connection.send(options.deadLetterQueue, message.content, {
    ...message.properties,
    persistent: true,
    headers: {
      ...message.properties.headers,
      [REASON_HEADER]: error.reason,
      'x-imgr-error': error.message,
      'x-imgr-failed-at': new Date().toISOString(),
    },
  });
  channel.ack(message);
  options.logger.error({ reason: error.reason, err: error.message }, 'job dead-lettered');
}

/**
 * Given out again by the broker: its last holder went away without an answer (crash, OOM kill, lost
 * connection). Classic queues keep no delivery count, so the count travels in a copy, and the copy is
 * what gets handled. If the copy cannot be sent, the broker keeps the original.
 */
async function countLostDelivery(options: AmqpConsumerOptions, channel: Channel, message: ConsumeMessage): Promise<void> {
  const lost = countHeader(message.properties.headers, LOST_DELIVERIES_HEADER) + 1;
  await handBack(options, channel, message, { [LOST_DELIVERIES_HEADER]: lost }).catch((error: unknown) => {
    options.logger.warn({ err: errorMessage(error) }, 'could not count a lost delivery; message goes back to the queue');
    channel.nack(message, false, true);
  });
}

/** Runs the handler on one message and answers the broker: ack, dead letter, or a counted copy later. */
async function handleMessage(options: AmqpConsumerOptions, channel: Channel, message: ConsumeMessage, stopping: () => boolean) {
  const headers = message.properties.headers;
  if (message.fields.redelivered) return countLostDelivery(options, channel, message);
  const lostDeliveries = countHeader(headers, LOST_DELIVERIES_HEADER);
  const retries = countHeader(headers, RETRIES_HEADER);
  try {
    const task = decodeCeleryTask(message.content, headers, message.properties.correlationId);
    // The original backend's "original" size: its worker does nothing with it, nor does imgr's.
    if (task.box === ORIGINAL_SIZE) return channel.ack(message);
    await options.handler({ ...task, redelivered: lostDeliveries + retries > 0, lostDeliveries });
    channel.ack(message);
  } catch (error) {
    if (error instanceof PermanentJobError) {
      await deadLetter(options, channel, message, error).catch((dlqError: unknown) => {
        options.logger.warn({ err: errorMessage(dlqError) }, 'dead-letter failed; message goes back to the queue');
        channel.nack(message, false, true);
      });
      return;
    }
    // Give the dependency time to come back before the job is handed out again; when stopping, hand
    // it back at once so another worker takes it. Handed back as a copy, not a nack: a nacked message
    // returns flagged "redelivered", which would count as a lost delivery.
    if (!stopping()) await new Promise((resolve) => setTimeout(resolve, options.redeliveryDelayMs));
    await handBack(options, channel, message, { [RETRIES_HEADER]: retries + 1 }).catch(() => channel.nack(message, false, true));
  }
}

/** Consumes one queue with manual acks, on a channel of its own, again after every broker loss. */
export function createAmqpConsumer(options: AmqpConsumerOptions): AmqpConsumer {
  const log = options.logger;
  const inFlight = new Set<Promise<void>>();
  let consuming: { channel: Channel; tag: string } | undefined;
  let starting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let stopped = false;

  const scheduleRestart = (): void => {
    if (stopped || reconnectTimer) return;
    // Capped at 2 s: a broker back from a restart is consumed from again within about 2 s.
    const delay = Math.min(250 * 2 ** attempt, 2000);
    attempt++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      start().catch((error: unknown) => {
        log.warn({ err: errorMessage(error), attempt }, 'broker reconnect failed');
        scheduleRestart();
      });
    }, delay);
  };

  const track = (channel: Channel, message: ConsumeMessage): void => {
    const task = handleMessage(options, channel, message, () => stopped)
      // A failed ack means the channel died: the broker redelivers, the work is idempotent.
      .catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'ack failed; the broker will redeliver'))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  /** Given up on: an attempt past its deadline closes whatever channel it still opens. */
  interface Opening {
    abandoned: boolean;
  }

  /** The broker cancelled the consumer (its queue went away or moved) but kept the channel: start again. */
  const cancelled = (channel: Channel): void => {
    log.warn({ queue: options.queue }, 'consumer cancelled by the broker');
    if (consuming?.channel !== channel) return;
    consuming = undefined;
    // Handlers still running answer on this channel: close it once they are done.
    void Promise.allSettled([...inFlight]).then(() => channel.close().catch(() => undefined));
    scheduleRestart();
  };

  async function open(opening: Opening): Promise<void> {
    const channel = await (await options.connection.model()).createChannel();
    channel.on('error', (error: Error) => log.warn({ err: error.message }, 'consume channel error'));
    // The channel, not only the connection, is watched: a broker still booting can close it while it
    // opens, or right after; consuming then starts again instead of resting on a dead channel.
    let channelClosed = false;
    channel.on('close', () => {
      channelClosed = true;
      if (consuming?.channel !== channel) return;
      consuming = undefined;
      scheduleRestart();
    });
    await channel.prefetch(options.prefetch);
    const reply = await channel.consume(options.queue, (message) => (message ? track(channel, message) : cancelled(channel)), {
      noAck: false,
    });
    // Stopped or given up on while opening: a consumer nobody tracks would hold its prefetched messages.
    if (stopped || opening.abandoned) return void (await channel.close().catch(() => undefined));
    if (channelClosed) throw new Error('consume channel closed while opening');
    consuming = { channel, tag: reply.consumerTag };
    attempt = 0;
    log.info({ queue: options.queue, prefetch: options.prefetch }, 'consuming');
  }

  /** One consumer per process: a start while one runs or opens has nothing to do. */
  function start(): Promise<void> {
    if (stopped || consuming) return Promise.resolve();
    if (!starting) {
      const opening: Opening = { abandoned: false };
      starting = withTimeout(open(opening), options.openTimeoutMs, 'start consuming')
        .catch((error: unknown) => {
          opening.abandoned = true;
          throw error;
        })
        .finally(() => {
          starting = undefined;
        });
    }
    return starting;
  }

  return {
    start: () =>
      // A broker that is down at start is not fatal: keep trying in the background.
      start().catch((error: unknown) => {
        log.warn({ err: errorMessage(error) }, 'broker unreachable; will keep trying');
        scheduleRestart();
      }),
    connectionLost() {
      consuming = undefined;
      scheduleRestart();
    },
    async stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const current = consuming;
      consuming = undefined;
      await current?.channel.cancel(current.tag).catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      await current?.channel.close().catch(() => undefined);
    },
  };
}
