import { execFileSync } from 'node:child_process';
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
