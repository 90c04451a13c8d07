import { describe, expect, it } from 'vitest';
import { PermanentJobError } from '../errors.js';
import { createMemoryQueue } from './memory.queue.js';
import { testQueue } from './queue.contract.js';

testQueue('in-process', () => createMemoryQueue({ redeliveryDelayMs: 10 }));

describe('in-process queue', () => {
  it('keeps dead letters with their reason', async () => {
    const queue = createMemoryQueue({ redeliveryDelayMs: 10 });
    await queue.consume(
      async () => {
        throw new PermanentJobError('corrupt-image', 'cannot decode');
      },
      { prefetch: 1 },
    );
    await queue.publish([{ imageId: 'AbCd1234', box: 128, origin: 'upload' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queue.deadLetters).toEqual([expect.objectContaining({ reason: 'corrupt-image', message: 'cannot decode' })]);
    await queue.dispose();
  });

  it('runs at most `prefetch` handlers at once', async () => {
    const queue = createMemoryQueue();
    let running = 0;
    let peak = 0;
    await queue.consume(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
      },
      { prefetch: 2 },
    );
    await queue.publish(Array.from({ length: 6 }, (_, i) => ({ imageId: `AbCd123${i}`, box: 128, origin: 'upload' })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peak).toBe(2);
    await queue.dispose();
  });
});
