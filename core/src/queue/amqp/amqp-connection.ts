import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { DependencyError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';

export const DRIVER = 'amqp-queue';

export interface AmqpConnectionOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672/%2F`. */
  url: string;
  /** Bound on connect (and on each call that needs the connection), so a dead broker answers fast. */
  timeoutMs: number;
  logger: Logger;
  /** Declared (durable) on every new connection. */
  queues: readonly QueueDeclaration[];
  /** Called when the connection in use goes away; not called after `close()`. */
  onLost: () => void;
}

export interface QueueDeclaration {
  name: string;
  /**
   * `x-` arguments (a length bound...). None: declared as Celery declares its queue. A queue that already
   * exists with other arguments is used as it is, and `policy` is logged as the way to bound it.
   */
  arguments?: Readonly<Record<string, string | number>>;
  /** The command that puts the same bound on an existing queue as a policy, for the operator. */
  policy?: string;
}

export interface AmqpConnection {
  /** The shared connection, opened on first use and again after a loss, bounded in time. */
  model(): Promise<ChannelModel>;
  /** The shared confirm channel, for publishing and queue checks. */
  publisher(): Promise<ConfirmChannel>;
  /** Sends one message to a queue; resolves once the broker has confirmed (persisted) it. */
  send(queue: string, content: Buffer, properties: Options.Publish): Promise<void>;
  close(): Promise<void>;
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

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyError('queue', `[${DRIVER}] ${what} timed out after ${ms} ms`, true)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function unreachable(error: unknown): DependencyError {
  return error instanceof DependencyError
    ? error
    : new DependencyError('queue', `[${DRIVER}] cannot reach the broker: ${errorMessage(error)}`, true, { cause: error });
}

async function openLink(options: AmqpConnectionOptions, log: Logger, onClose: () => void): Promise<Link> {
  const model = await amqp.connect(withHeartbeat(options.url), {
    timeout: options.timeoutMs,
    clientProperties: { connection_name: `imgr ${process.pid}` },
  });
  // Watched from the first moment: a close that comes while the link is still being set up (a broker
  // booting or stopping) must not leave a dead connection in use.
  model.on('close', onClose);
  model.on('error', (error: Error) => log.warn({ err: error.message }, 'broker connection error'));
  model.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked publishing (resource alarm)'));
  try {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (error: Error) => log.warn({ err: error.message }, 'publish channel error'));
    // Publishing needs this channel: once it is gone, the whole link is, and the next call opens a new one.
    publisher.on('close', () => void model.close().catch(() => undefined));
    for (const queue of options.queues) {
      // As Celery declares `celery`: durable, no arguments (others would fail its declaration).
      if (!queue.arguments) await publisher.assertQueue(queue.name, { durable: true });
      else await declareWithArguments(model, queue, log);
    }
    return { model, publisher };
  } catch (error) {
    // A broker still starting can accept the connection and then fail the channel: close it.
    await model.close().catch(() => undefined);
    throw error;
  }
}

/** AMQP's PRECONDITION_FAILED: the queue exists with other arguments (the broker closes the channel). */
const PRECONDITION_FAILED = 406;

/**
 * Declares a queue with its arguments on a channel of its own: a broker that refuses the declaration
 * (the queue exists with other arguments, as earlier versions declared it) closes that channel only.
 * Then the existing queue is checked passively and used as it is, and the operator is told which
 * policy gives it the same bound: redeclaring it would mean deleting it with its messages.
 */
async function declareWithArguments(model: ChannelModel, queue: QueueDeclaration, log: Logger): Promise<void> {
  const declare = await model.createChannel();
  // The refusal also arrives as a channel error event; the rejected declaration below handles it.
  declare.on('error', () => undefined);
  try {
    await declare.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
    await declare.close();
    return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== PRECONDITION_FAILED) throw error;
  }
  const check = await model.createChannel();
  await check.checkQueue(queue.name);
  await check.close();
  log.warn(
    { queue: queue.name, arguments: queue.arguments, policy: queue.policy },
    'queue exists without the arguments imgr declares it with; using it as it is: apply the policy to bound it',
  );
}

/** One connection per process with its confirm channel, shared by publishing and consuming. */
export function createAmqpConnection(options: AmqpConnectionOptions): AmqpConnection {
  const log = options.logger.child({ component: DRIVER });
  let link: Promise<Link> | undefined;
  let closed = false;

  /** The connection in use went away: forget it, so the next call opens a new one. */
  const lost = (which: Promise<Link>): void => {
    // A connection replaced already (or one closed on purpose) is nobody's concern.
    if (closed || link !== which) return;
    link = undefined;
    log.warn('broker connection closed');
    options.onLost();
  };

  function current(): Promise<Link> {
    if (closed) return Promise.reject(new DependencyError('queue', `[${DRIVER}] disposed`, false));
    if (link) return link;
    const attempt = openLink(options, log, () => lost(bounded));
    const bounded: Promise<Link> = withTimeout(attempt, options.timeoutMs, 'connect').catch((error: unknown) => {
      if (link === bounded) link = undefined;
      // A connection that completes after its deadline is closed, not leaked.
      attempt.then(
        (late) => late.model.close().catch(() => undefined),
        () => undefined,
      );
      throw unreachable(error);
    });
    link = bounded;
    return bounded;
  }

  return {
    model: async () => (await current()).model,
    publisher: async () => (await current()).publisher,
    async send(queue, content, properties) {
      const publisher = (await current()).publisher;
      const confirmed = new Promise<void>((resolve, reject) => {
        publisher.sendToQueue(queue, content, properties, (error: unknown) =>
          error ? reject(new DependencyError('queue', `[${DRIVER}] broker refused the message`, true, { cause: error })) : resolve(),
        );
      });
      // Bounded: a blocked or half-started broker must not hold a consumer's handback or a dead letter forever.
      await withTimeout(confirmed, options.timeoutMs, 'confirm');
    },
    async close() {
      closed = true;
      const opened = link;
      link = undefined;
      const model = await opened?.then((value) => value.model).catch(() => undefined);
      await model?.close().catch(() => undefined);
    },
  };
}
