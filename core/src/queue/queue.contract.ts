import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from '../errors.js';
import type { JobHandler, JobQueue, ReceivedJob, ResizeJob } from './queue.port.js';

const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const upload = (imageId: string, box = 128): ResizeJob => ({ imageId, box, origin: 'upload' });

/**
 * The behaviour every queue adapter owes the worker: delivery of what was published, redelivery of
 * what failed transiently, dead-lettering of what can never succeed, a stop that lets the jobs in
 * hand finish and leaves later ones queued. Run against the in-process reference and a real RabbitMQ.
 */
export function testQueue(label: string, factory: () => Promise<JobQueue> | JobQueue): void {
  describe(`queue contract: ${label}`, () => {
    let queue: JobQueue;
    /** Every delivery, recorded before the handler decides anything. */
    const deliveries: ReceivedJob[] = [];
    /** Deliveries the handler completed. */
    const seen: ReceivedJob[] = [];
    const failedOnce = new Set<string>();
    const countOf = (imageId: string, list: readonly ReceivedJob[] = deliveries) => list.filter((job) => job.imageId === imageId).length;
    let releaseSlow = () => {};
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    let slowFinished = false;

    // P…: can never succeed. T…: fails once, transiently. S…: holds until released. Others succeed.
    const handler: JobHandler = async (job) => {
      deliveries.push(job);
      if (job.imageId.startsWith('P')) throw new PermanentJobError('corrupt-image', 'never decodable');
      if (job.imageId.startsWith('T') && !failedOnce.has(job.imageId)) {
        failedOnce.add(job.imageId);
        throw new Error('storage hiccup');
      }
      if (job.imageId.startsWith('S')) {
        await slowGate;
        slowFinished = true;
      }
      seen.push(job);
    };

    beforeAll(async () => {
      queue = await factory();
      await queue.init();
      await queue.consume(handler, { prefetch: 4 });
    });
    afterAll(async () => {
      await queue.dispose();
    });

    it('delivers every published job once it is confirmed, with its origin and context', async () => {
      await queue.publish([upload('AAAA0001', 1024), upload('AAAA0001', 512)], { requestId: 'req-42' });
      await waitFor(() => countOf('AAAA0001', seen) === 2);
      const jobs = seen.filter((job) => job.imageId === 'AAAA0001');
      expect(jobs.map((job) => job.box).sort((a, b) => a - b)).toEqual([512, 1024]);
      expect(jobs[0]).toMatchObject({ origin: 'upload', redelivered: false, lostDeliveries: 0, context: { requestId: 'req-42' } });
    });

    it('redelivers a job whose handler failed transiently, without counting it as lost', async () => {
      await queue.publish([{ imageId: 'TTTT0001', box: 256, origin: 'sweep' }]);
      await waitFor(() => countOf('TTTT0001', seen) === 1);
      expect(countOf('TTTT0001')).toBe(2);
      expect(seen.find((job) => job.imageId === 'TTTT0001')).toMatchObject({ redelivered: true, lostDeliveries: 0, origin: 'sweep' });
    });

    it('does not deliver a permanently failing job again', async () => {
      // Published together: by the time the transient one has come back, a redelivery of the
      // permanent one would have been handed back too, ahead of the marker published after.
      await queue.publish([upload('PPPP0001'), upload('TTTT0002')]);
      await waitFor(() => countOf('TTTT0002', seen) === 1);
      await queue.publish([upload('AAAA0002')]);
      await waitFor(() => countOf('AAAA0002', seen) === 1);
      expect(countOf('PPPP0001')).toBe(1);
    });

    it('stops consuming: the job in hand finishes first, later jobs stay queued until consuming again', async () => {
      await queue.publish([upload('SSSS0001')]);
      await waitFor(() => countOf('SSSS0001') === 1);
      const stopped = queue.stopConsuming().then(() => slowFinished);
      await new Promise((resolve) => setTimeout(resolve, 20));
      releaseSlow();
      expect(await stopped).toBe(true);

      await queue.publish([upload('AAAA0003')]);
      await waitFor(async () => (await queue.depth()) === 1);
      await queue.publish([upload('AAAA0004')]);
      // Both ready in the queue at once: no consumer took either.
      await waitFor(async () => (await queue.depth()) === 2);
      expect(countOf('AAAA0003') + countOf('AAAA0004')).toBe(0);

      await queue.consume(handler, { prefetch: 4 });
      await waitFor(() => countOf('AAAA0003', seen) === 1 && countOf('AAAA0004', seen) === 1);
      await waitFor(async () => (await queue.depth()) === 0);
      expect(countOf('SSSS0001')).toBe(1);
    });
  });
}
