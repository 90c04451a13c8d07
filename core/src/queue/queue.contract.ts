import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from '../errors.js';
import type { JobQueue, ReceivedJob } from './queue.port.js';

const waitFor = async (condition: () => boolean, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/**
 * The behaviour every queue adapter owes the worker: delivery of what was published, redelivery of
 * what failed transiently, dead-lettering of what can never succeed. Run against the in-process
 * reference and a real RabbitMQ.
 */
export function testQueue(label: string, factory: () => Promise<JobQueue> | JobQueue): void {
  describe(`queue contract: ${label}`, () => {
    let queue: JobQueue;
    const seen: ReceivedJob[] = [];
    const failOnce = new Set<string>();
    const failed = new Set<string>();

    beforeAll(async () => {
      queue = await factory();
      await queue.init();
      await queue.consume(
        async (job) => {
          if (job.imageId.startsWith('P')) throw new PermanentJobError('corrupt-image', 'never decodable');
          if (job.imageId.startsWith('T') && !failed.has(`${job.imageId}:${job.box}`)) {
            failed.add(`${job.imageId}:${job.box}`);
            failOnce.add(job.imageId);
            throw new Error('storage hiccup');
          }
          seen.push(job);
        },
        { prefetch: 4 },
      );
    });
    afterAll(async () => {
      await queue.dispose();
    });

    it('delivers every published job once it is confirmed, with its context', async () => {
      await queue.publish(
        [
          { imageId: 'AAAA0001', box: 1024, origin: 'upload' },
          { imageId: 'AAAA0001', box: 512, origin: 'upload' },
        ],
        { requestId: 'req-42' },
      );
      await waitFor(() => seen.filter((job) => job.imageId === 'AAAA0001').length === 2);
      const jobs = seen.filter((job) => job.imageId === 'AAAA0001');
      expect(jobs.map((job) => job.box).sort((a, b) => a - b)).toEqual([512, 1024]);
      expect(jobs[0]?.context.requestId).toBe('req-42');
      expect(jobs[0]?.redelivered).toBe(false);
    });

    it('redelivers a job whose handler failed transiently', async () => {
      await queue.publish([{ imageId: 'TTTT0001', box: 256, origin: 'upload' }]);
      await waitFor(() => seen.some((job) => job.imageId === 'TTTT0001'));
      expect(failOnce.has('TTTT0001')).toBe(true);
      expect(seen.find((job) => job.imageId === 'TTTT0001')?.redelivered).toBe(true);
    });

    it('does not deliver a permanently failing job again', async () => {
      await queue.publish([{ imageId: 'PPPP0001', box: 128, origin: 'upload' }]);
      await queue.publish([{ imageId: 'AAAA0002', box: 128, origin: 'upload' }]);
      await waitFor(() => seen.some((job) => job.imageId === 'AAAA0002'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.some((job) => job.imageId === 'PPPP0001')).toBe(false);
    });

    it('stops consuming: later jobs stay queued', async () => {
      await queue.stopConsuming();
      await queue.publish([{ imageId: 'AAAA0003', box: 128, origin: 'upload' }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.some((job) => job.imageId === 'AAAA0003')).toBe(false);
      expect(await queue.depth()).toBeGreaterThanOrEqual(1);
    });
  });
}
