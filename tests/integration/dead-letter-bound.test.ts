import { execFileSync } from 'node:child_process';
import { PermanentJobError } from '@imgr/core';
import { createAmqpQueue } from '@imgr/core/amqp';
import amqp from 'amqplib';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { services, silentLogger, waitFor } from '../support/services.js';

// The dead-letter queue is bounded by its own declaration (x-max-length, drop-head): a flood of
// failures cannot fill the broker. On a real RabbitMQ: past the bound the oldest letters go; a queue an
// earlier version declared without the bound is used as it is, with a warning naming the policy.
const suffix = Date.now().toString(36);
const created: string[] = [];
const policies: string[] = [];

function queueNames(label: string) {
  const queue = `imgr-test-${label}-${suffix}`;
  const deadLetterQueue = `imgr.test-${label}-${suffix}.dead-letter`;
  created.push(queue, deadLetterQueue);
  return { queue, deadLetterQueue };
}

afterAll(async () => {
  for (const name of policies) {
    try {
      execFileSync('rabbitmqctl', ['clear_policy', '-p', '/', name], { stdio: 'ignore' });
    } catch {}
  }
  const connection = await amqp.connect(services.amqpUrl);
  const channel = await connection.createChannel();
  for (const name of created) await channel.deleteQueue(name).catch(() => undefined);
  await connection.close();
});

async function withChannel<T>(use: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(services.amqpUrl);
  try {
    return await use(await connection.createChannel());
  } finally {
    await connection.close();
  }
}

const depth = (queue: string) => withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);

/** The image ids of every letter in a queue, oldest first (taken off the queue). */
const drain = (queue: string) =>
  withChannel(async (channel) => {
    const ids: string[] = [];
    for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
      ids.push(String((JSON.parse(message.content.toString()) as [unknown, { key: string }])[1].key));
    }
    return ids;
  });

const ids = (count: number) => Array.from({ length: count }, (_, i) => `Dead${String(i + 1).padStart(4, '0')}`);

/** Consumes with a handler that dead-letters every job, one at a time so the letters keep their order. */
async function deadLetterAll(
  queue: ReturnType<typeof createAmqpQueue>,
  jobIds: readonly string[],
  names: { queue: string; deadLetterQueue: string },
  expectedDepth: number,
) {
  let handled = 0;
  await queue.consume(
    async () => {
      handled += 1;
      throw new PermanentJobError('corrupt-image', 'cannot decode');
    },
    { prefetch: 1 },
  );
  for (const imageId of jobIds) await queue.publish([{ imageId, box: 128, origin: 'upload' }]);
  await waitFor(
    async () => handled === jobIds.length && (await depth(names.queue)) === 0 && (await depth(names.deadLetterQueue)) === expectedDepth,
    20_000,
    100,
  );
}

describe('dead-letter queue bounded in length (real RabbitMQ)', () => {
  it('keeps the newest letters up to IMGR_DEAD_LETTER_MAX_LENGTH and drops the oldest', async () => {
    const names = queueNames('bound');
    const queue = createAmqpQueue({
      url: services.amqpUrl,
      publishTimeoutMs: 3000,
      logger: silentLogger,
      redeliveryDelayMs: 50,
      deadLetterMaxLength: 3,
      ...names,
    });
    await queue.init();
    await deadLetterAll(queue, ids(7), names, 3);
    await queue.dispose();
    expect(await drain(names.deadLetterQueue)).toEqual(['Dead0005', 'Dead0006', 'Dead0007']);
  });

  it('uses a dead-letter queue declared without the bound as it is, warns with the policy, and the policy bounds it', async () => {
    const names = queueNames('legacy');
    // As versions before the bound declared it.
    await withChannel((channel) => channel.assertQueue(names.deadLetterQueue, { durable: true }));
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const queue = createAmqpQueue({
      url: services.amqpUrl,
      publishTimeoutMs: 3000,
      logger,
      redeliveryDelayMs: 50,
      deadLetterMaxLength: 2,
      ...names,
    });
    await queue.init();
    const warning = lines.find((line) => line.queue === names.deadLetterQueue);
    expect(warning?.msg).toMatch(/apply the policy/);
    const policy = String(warning?.policy);
    expect(policy).toContain('rabbitmqctl set_policy');
    expect(policy).toContain('"max-length": 2');

    // The connection survived the refused declaration: publishing, consuming and dead-lettering work,
    // and without a policy nothing is dropped.
    await deadLetterAll(queue, ids(3), names, 3);
    expect(await drain(names.deadLetterQueue)).toEqual(['Dead0001', 'Dead0002', 'Dead0003']);

    // The logged command, run as it is (a shell would strip its quotes), bounds the existing queue.
    let applied = false;
    try {
      execFileSync('sh', ['-c', policy.replace('imgr-dead-letter-bound', `imgr-test-bound-${suffix}`)], { stdio: 'ignore' });
      policies.push(`imgr-test-bound-${suffix}`);
      applied = true;
    } catch {}
    if (applied) {
      // Policies reach queues asynchronously; once applied, the bound holds for new letters.
      await queue.stopConsuming();
      await waitFor(
        async () => {
          const info = execFileSync('rabbitmqctl', ['list_queues', '-q', '-p', '/', 'name', 'policy'], { encoding: 'utf8' });
          return info.split('\n').some((row) => row.startsWith(names.deadLetterQueue) && row.includes(`imgr-test-bound-${suffix}`));
        },
        20_000,
        200,
      );
      await deadLetterAll(queue, ['Late0001', 'Late0002', 'Late0003'], names, 2);
      expect(await drain(names.deadLetterQueue)).toEqual(['Late0002', 'Late0003']);
    }
    await queue.dispose();
  });
});
