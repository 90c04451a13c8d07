import { describe, expect, it } from 'vitest';
import { createUploadBufferPool } from './upload-buffers.js';

const MiB = 1024 * 1024;

describe('upload buffer pool', () => {
  it('rounds capacities up to whole MiB and hands a released buffer to the next upload that fits', () => {
    const pool = createUploadBufferPool({ maxBuffers: 4, maxBufferBytes: 4 * MiB });
    const first = pool.acquire(1_500_000);
    expect(first.length).toBe(2 * MiB);
    pool.release(first.subarray(0, 1_400_000));
    expect(pool.heldBytes()).toBe(2 * MiB);
    const second = pool.acquire(1_900_000);
    expect(second.buffer).toBe(first.buffer);
    expect(pool.heldBytes()).toBe(0);
  });

  it('picks the smallest buffer that fits and drops the smallest when full', () => {
    const pool = createUploadBufferPool({ maxBuffers: 2, maxBufferBytes: 4 * MiB });
    const [small, medium, large] = [pool.acquire(MiB), pool.acquire(2 * MiB), pool.acquire(3 * MiB)];
    for (const buffer of [small, medium, large]) pool.release(buffer);
    expect(pool.heldBytes()).toBe(5 * MiB); // 3 + 2: the 1 MiB buffer was dropped
    expect(pool.acquire(1_000).buffer).toBe(medium.buffer);
    expect(pool.acquire(1_000).buffer).toBe(large.buffer);
    expect(pool.acquire(1_000).buffer).not.toBe(small.buffer);
  });

  it('never keeps buffers above the limit or slices of Node’s shared pool', () => {
    const pool = createUploadBufferPool({ maxBuffers: 4, maxBufferBytes: 4 * MiB });
    const big = pool.acquire(5 * MiB);
    expect(big.length).toBe(5 * MiB);
    pool.release(big);
    pool.release(Buffer.from('a small upload'));
    expect(pool.heldBytes()).toBe(0);
  });
});
