import { execFileSync } from 'node:child_process';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { PermanentJobError } from '@imgr/core';
import { createAmqpQueue, RESIZE_TASK } from '@imgr/core/amqp';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { capturedHeaders, expectCapturedShape } from '../../core/src/queue/amqp/test-celery-message.js';
import { testQueue } from '../../core/src/queue/queue.contract.js';
import { services, silentLogger, waitFor } from '../support/services.js';

const suffix = Date.now().toString(36);
const created: string[] = [];

function queueNames(label: string) {
  const queue = `imgr-test-${label}-${suffix}`;
  const deadLetterQueue = `${queue}-dead`;
  created.push(queue, deadLetterQueue);
  return { queue, deadLetterQueue };
}

function amqpQueue(label: string) {
  return createAmqpQueue({
    url: services.amqpUrl,
    publishTimeoutMs: 3000,
    logger: silentLogger,
    redeliveryDelayMs: 50,
    ...queueNames(label),
  });
}

afterAll(async () => {
  const connection = await amqp.connect(services.amqpUrl);
  const channel = await connection.createChannel();
  for (const name of created) await channel.deleteQueue(name).catch(() => undefined);
  await connection.close();
});

/**
 * A TCP relay of the test's own in front of the shared broker: it can drop its connections, as a
 * broker going down does, and refuse new ones for a while, as a broker still booting does, without
 * disturbing anyone else's connections.
 */
async function brokerRelay() {
  const target = new URL(services.amqpUrl);
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port || 5672), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(services.amqpUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    /** Closes every relayed connection at once; with `refuse`, new ones are closed as they come. */
    drop(refuse: boolean) {
      refusing = refuse;
      for (const socket of sockets) socket.destroy();
    },
    accept() {
      refusing = false;
    },
    async close() {
      this.drop(true);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** How many consumers the broker counts on a queue, asked on a connection of the test's own. */
async function consumerCount(queue: string): Promise<number> {
  const connection = await amqp.connect(services.amqpUrl);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(queue)).consumerCount;
  } finally {
    await connection.close();
  }
}

testQueue('RabbitMQ', () => amqpQueue('contract'));

describe('AMQP queue on a real RabbitMQ', () => {
  it('puts on the wire exactly the Celery message of the original backend', async () => {
    const names = queueNames('wire');
    const queue = createAmqpQueue({ url: services.amqpUrl, publishTimeoutMs: 3000, logger: silentLogger, ...names });
    await queue.init();
    await queue.publish([{ imageId: 'AbCd1234', box: 1024, origin: 'upload' }]);
    const connection = await amqp.connect(services.amqpUrl);
    const channel = await connection.createChannel();
    const message = await channel.get(names.queue, { noAck: true });
    await connection.close();
    await queue.dispose();
    expect(message).not.toBe(false);
    if (!message) return;
    expect(message.fields).toMatchObject({ exchange: '', routingKey: names.queue });
    expect(message.properties).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      correlationId: message.properties.headers?.id,
    });
    expect(message.properties.replyTo).toMatch(/^[0-9a-f-]{36}$/);
    expectCapturedShape(message.properties.headers, message.content, { key: 'AbCd1234', size: 1024 });
  });

  it('dead-letters a message that can never succeed, with the reason, and keeps consuming', async () => {
    const names = queueNames('dlq');
    const queue = createAmqpQueue({ url: services.amqpUrl, publishTimeoutMs: 3000, logger: silentLogger, ...names });
    await queue.init();
    const handled: string[] = [];
    await queue.consume(
      async (job) => {
        if (job.imageId === 'Corrupt1') throw new PermanentJobError('corrupt-image', 'cannot decode');
        handled.push(job.imageId);
      },
      { prefetch: 2 },
    );
    const connection = await amqp.connect(services.amqpUrl);
    const channel = await connection.createConfirmChannel();
    // A foreign task and a malformed body, as a misconfigured producer could send them.
    channel.sendToQueue(names.queue, Buffer.from('[[], {}, {}]'), { headers: { task: 'other.app.task' } });
    channel.sendToQueue(names.queue, Buffer.from('not json'), { headers: { task: RESIZE_TASK } });
    await channel.waitForConfirms();
    await queue.publish([
      { imageId: 'Corrupt1', box: 128, origin: 'upload' },
      { imageId: 'GoodOne1', box: 128, origin: 'upload' },
    ]);
    await waitFor(async () => handled.includes('GoodOne1'));
    const dead = await waitFor(async () => ((await channel.checkQueue(names.deadLetterQueue)).messageCount === 3 ? true : undefined));
    expect(dead).toBe(true);
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const message = await channel.get(names.deadLetterQueue, { noAck: true });
      if (message) reasons.push(String(message.properties.headers?.['x-imgr-reason']));
    }
    expect(reasons.sort()).toEqual(['bad-body', 'corrupt-image', 'unknown-task']);
    expect((await channel.checkQueue(names.queue)).messageCount).toBe(0);
    await connection.close();
    await queue.dispose();
  });

  it('acknowledges without a handler the original backend\'s "original" size 10000000, and says who sent each task', async () => {
    const names = queueNames('quirk');
    const queue = createAmqpQueue({ url: services.amqpUrl, publishTimeoutMs: 3000, logger: silentLogger, ...names });
    await queue.init();
    const handled: { box: number; origin: string }[] = [];
    await queue.consume(
      async (job) => {
        handled.push({ box: job.box, origin: job.origin });
      },
      { prefetch: 2 },
    );
    const connection = await amqp.connect(services.amqpUrl);
    const channel = await connection.createConfirmChannel();
    // As the original backend sends them: no imgr header at all.
    for (const size of [10_000_000, 256]) {
      const body = JSON.stringify([[], { key: 'Quirk001', size }, { callbacks: null, errbacks: null, chain: null, chord: null }]);
      channel.sendToQueue(names.queue, Buffer.from(body), { headers: { ...capturedHeaders, task: RESIZE_TASK } });
    }
    await channel.waitForConfirms();
    await queue.publish([{ imageId: 'Quirk001', box: 128, origin: 'sweep' }]);
    await waitFor(async () => handled.length === 2 || undefined);
    await waitFor(async () => (await channel.checkQueue(names.queue)).messageCount === 0 || undefined);
    expect(handled.sort((a, b) => a.box - b.box)).toEqual([
      { box: 128, origin: 'sweep' },
      { box: 256, origin: 'external' },
    ]);
    expect((await channel.checkQueue(names.deadLetterQueue)).messageCount).toBe(0);
    await connection.close();
    await queue.dispose();
  });

  it('counts a delivery lost with its worker, and not a transient failure', async () => {
    const names = queueNames('lost');
    const queue = createAmqpQueue({ url: services.amqpUrl, publishTimeoutMs: 3000, logger: silentLogger, redeliveryDelayMs: 50, ...names });
    await queue.init();
    await queue.publish([{ imageId: 'Lost0001', box: 128, origin: 'upload' }]);
    // A worker that dies holding the message: it takes it and its connection goes away unanswered.
    const dying = await amqp.connect(services.amqpUrl);
    const channel = await dying.createChannel();
    const taken = await waitFor(async () => (await channel.get(names.queue, { noAck: false })) || undefined);
    expect(taken.fields.redelivered).toBe(false);
    await dying.close();
    const deliveries: { redelivered: boolean; lostDeliveries: number }[] = [];
    let failures = 1;
    await queue.consume(
      async (job) => {
        deliveries.push({ redelivered: job.redelivered, lostDeliveries: job.lostDeliveries });
        if (failures-- > 0) throw new Error('storage hiccup');
      },
      { prefetch: 2 },
    );
    await waitFor(async () => deliveries.length === 2 || undefined);
    expect(deliveries).toEqual([
      { redelivered: true, lostDeliveries: 1 },
      { redelivered: true, lostDeliveries: 1 },
    ]);
    await queue.stopConsuming();
    const inspect = await amqp.connect(services.amqpUrl);
    expect((await (await inspect.createChannel()).checkQueue(names.queue)).messageCount).toBe(0);
    await inspect.close();
    await queue.dispose();
  });

  it('reconnects and resumes consuming after the broker drops every connection', async () => {
    const queue = amqpQueue('reconnect');
    await queue.init();
    const handled: string[] = [];
    await queue.consume(
      async (job) => {
        handled.push(job.imageId);
      },
      { prefetch: 2 },
    );
    await queue.publish([{ imageId: 'Before01', box: 128, origin: 'upload' }]);
    await waitFor(async () => handled.includes('Before01'));
    execFileSync('rabbitmqctl', ['close_all_connections', 'imgr integration test'], { stdio: 'ignore' });
    const published = await waitFor(
      async () => {
        await queue.publish([{ imageId: 'After001', box: 128, origin: 'upload' }]);
        return true;
      },
      20_000,
      200,
    );
    expect(published).toBe(true);
    await waitFor(async () => handled.includes('After001'), 20_000);
    await queue.dispose();
  });

  it('consumes again, with exactly one consumer, after losses that come while a reconnect is pending', async () => {
    const relay = await brokerRelay();
    const names = queueNames('flapping');
    const queue = createAmqpQueue({ url: relay.url, publishTimeoutMs: 2000, logger: silentLogger, redeliveryDelayMs: 50, ...names });
    await queue.init();
    const handled: string[] = [];
    await queue.consume(
      async (job) => {
        handled.push(job.imageId);
      },
      { prefetch: 2 },
    );
    await waitFor(async () => (await consumerCount(names.queue)) === 1);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // A broker that goes away, refuses a while, comes back and goes away again at once, several
    // times: each loss lands while the consumer's restart from the one before is still pending.
    for (const downMs of [300, 50, 700, 0, 1200]) {
      relay.drop(true);
      await pause(downMs);
      relay.accept();
      // Whatever opens first (the consumer's restart, a publish) is dropped while it opens.
      await waitFor(async () => (await queue.depth()) !== undefined, 10_000, 20).catch(() => undefined);
    }
    // Last, from a consumer back in place, an outage long enough for its restarts to fail: nothing
    // but its own retries brings it back.
    await waitFor(async () => (await consumerCount(names.queue)) === 1, 20_000);
    relay.drop(true);
    await pause(1500);
    relay.accept();
    await waitFor(
      async () => {
        await queue.publish([{ imageId: 'After002', box: 128, origin: 'upload' }]);
        return true;
      },
      20_000,
      200,
    );
    await waitFor(async () => handled.includes('After002'), 20_000);
    // One consumer, not an orphan beside it: the broker would hold prefetched messages on the orphan.
    expect(await consumerCount(names.queue)).toBe(1);
    await queue.dispose();
    await relay.close();
  });

  it('consumes again after the broker cancels its consumer and keeps the channel open', async () => {
    const names = queueNames('cancelled');
    const queue = createAmqpQueue({ url: services.amqpUrl, publishTimeoutMs: 2000, logger: silentLogger, ...names });
    await queue.init();
    const handled: string[] = [];
    await queue.consume(
      async (job) => {
        handled.push(job.imageId);
      },
      { prefetch: 2 },
    );
    await waitFor(async () => (await consumerCount(names.queue)) === 1);
    // Deleting the queue is what makes RabbitMQ cancel a consumer without closing its channel.
    const connection = await amqp.connect(services.amqpUrl);
    const channel = await connection.createChannel();
    await channel.deleteQueue(names.queue);
    await channel.assertQueue(names.queue, { durable: true });
    await connection.close();
    await queue.publish([{ imageId: 'Cancel01', box: 128, origin: 'upload' }]);
    await waitFor(async () => handled.includes('Cancel01'), 20_000);
    expect(await consumerCount(names.queue)).toBe(1);
    await queue.dispose();
  });

  it('fails a publish within its bound when the broker is unreachable', async () => {
    const queue = createAmqpQueue({ url: 'amqp://guest:guest@127.0.0.1:1/', publishTimeoutMs: 1000, logger: silentLogger });
    const started = Date.now();
    await expect(queue.publish([{ imageId: 'AbCd1234', box: 128, origin: 'upload' }])).rejects.toMatchObject({
      name: 'DependencyError',
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    await queue.dispose();
  });
});
