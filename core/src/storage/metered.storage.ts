import type { Metrics } from '../metrics.js';
import type { ObjectStore } from './storage.port.js';

type Operation = 'put' | 'create' | 'head' | 'get' | 'delete' | 'list' | 'check';

/**
 * Wraps a store so each call is timed in `imgr_storage_request_duration_seconds{operation,result}`:
 * latency per S3 operation, and errors as `result="error"` (a missing object is `not-found`, an
 * answer, not a failure). The adapter itself stays free of metrics, as with tracing.
 */
export function withStorageMetrics(store: ObjectStore, metrics: Pick<Metrics, 'storageDuration'>): ObjectStore {
  async function timed<T>(operation: Operation, work: () => Promise<T>): Promise<T> {
    const end = metrics.storageDuration.startTimer({ operation });
    try {
      const value = await work();
      end({ result: value === null ? 'not-found' : 'ok' });
      return value;
    } catch (error) {
      end({ result: 'error' });
      throw error;
    }
  }
  return {
    name: store.name,
    init: () => store.init(),
    check: () => timed('check', () => store.check()),
    put: (key, body, options) => timed('put', () => store.put(key, body, options)),
    create: (key, body, options) => timed('create', () => store.create(key, body, options)),
    head: (key) => timed('head', () => store.head(key)),
    read: (key, conditions) => timed('get', () => store.read(key, conditions)),
    readBuffer: (key) => timed('get', () => store.readBuffer(key)),
    delete: (key) => timed('delete', () => store.delete(key)),
    // One observation per page would need the adapter's paging; the whole listing is timed instead.
    list: (prefix) => timedListing(prefix),
    dispose: () => store.dispose(),
  };

  async function* timedListing(prefix: string) {
    const end = metrics.storageDuration.startTimer({ operation: 'list' });
    try {
      yield* store.list(prefix);
      end({ result: 'ok' });
    } catch (error) {
      end({ result: 'error' });
      throw error;
    }
  }
}
