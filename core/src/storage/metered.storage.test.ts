import { describe, expect, it } from 'vitest';
import { DependencyError } from '../errors.js';
import { createMetrics } from '../metrics.js';
import { createMemoryStorage } from './memory.storage.js';
import { withStorageMetrics } from './metered.storage.js';
import { testStorage } from './storage.contract.js';

testStorage('memory, metered', () => withStorageMetrics(createMemoryStorage(), createMetrics('test')));

async function countOf(metrics: ReturnType<typeof createMetrics>, labels: { operation: string; result: string }): Promise<number> {
  const { values } = await metrics.storageDuration.get();
  return values
    .filter((sample) => sample.metricName === 'imgr_storage_request_duration_seconds_count')
    .filter((sample) => sample.labels.operation === labels.operation && sample.labels.result === labels.result)
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('withStorageMetrics', () => {
  it('times each call by operation and tells found, missing and failed apart', async () => {
    const metrics = createMetrics('test');
    const store = withStorageMetrics(createMemoryStorage(), metrics);
    await store.init();
    await store.put('original/AbCd1234', Buffer.from('x'), { contentType: 'image/png' });
    await store.head('original/AbCd1234');
    await store.head('original/Missing1');
    await store.readBuffer('original/AbCd1234');
    for await (const _ of store.list('original/')) {
      // drained: the listing is observed once it ends
    }
    expect(await countOf(metrics, { operation: 'put', result: 'ok' })).toBe(1);
    expect(await countOf(metrics, { operation: 'head', result: 'ok' })).toBe(1);
    expect(await countOf(metrics, { operation: 'head', result: 'not-found' })).toBe(1);
    expect(await countOf(metrics, { operation: 'get', result: 'ok' })).toBe(1);
    expect(await countOf(metrics, { operation: 'list', result: 'ok' })).toBe(1);
  });

  it('counts a failing call as an error and still throws it', async () => {
    const metrics = createMetrics('test');
    const failing = createMemoryStorage();
    failing.put = async () => {
      throw new DependencyError('storage', 'S3 answered 503', true);
    };
    const store = withStorageMetrics(failing, metrics);
    await expect(store.put('original/AbCd1234', Buffer.from('x'), { contentType: 'image/png' })).rejects.toThrow(/503/);
    expect(await countOf(metrics, { operation: 'put', result: 'error' })).toBe(1);
  });
});
