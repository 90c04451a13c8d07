import { createLogger, type ResizeJob, VARIANT_NAMES } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { describe, expect, it } from 'vitest';
import { sweepMissingVariants } from './sweep.service.js';

describe('sweepMissingVariants', () => {
  it('re-enqueues exactly the missing sizes of old enough, not failed originals', async () => {
    const storage = createMemoryStorage();
    const queue = createMemoryQueue();
    const published: ResizeJob[] = [];
    queue.publish = async (jobs) => {
      published.push(...jobs);
    };
    const put = (key: string) => storage.put(key, Buffer.from('x'), { contentType: 'image/png' });
    for (const name of VARIANT_NAMES) await put(`${name}/Complete`);
    await put('original/Complete');
    await put('original/HalfDone');
    await put('big/HalfDone');
    await put('medium/HalfDone');
    await put('original/NoneYet1');
    await put('original/Failed01');
    await put('failed/Failed01');

    const later = new Date(Date.now() + 3_600_000);
    const report = await sweepMissingVariants({ storage, queue, logger: createLogger('silent'), minAgeMs: 60_000, now: later });
    expect(report).toEqual({ originals: 4, complete: 1, tooRecent: 0, failed: 1, requeued: 2, tasks: 6, expired: 0 });
    expect(published).toEqual([
      { imageId: 'HalfDone', box: 256, origin: 'sweep' },
      { imageId: 'HalfDone', box: 128, origin: 'sweep' },
      { imageId: 'NoneYet1', box: 1024, origin: 'sweep' },
      { imageId: 'NoneYet1', box: 512, origin: 'sweep' },
      { imageId: 'NoneYet1', box: 256, origin: 'sweep' },
      { imageId: 'NoneYet1', box: 128, origin: 'sweep' },
    ]);

    const now = await sweepMissingVariants({ storage, queue, logger: createLogger('silent'), minAgeMs: 60_000 });
    expect(now).toMatchObject({ tooRecent: 2, requeued: 0 });
  });
});
