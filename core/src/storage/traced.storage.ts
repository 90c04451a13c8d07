import { SpanKind, type Tracer } from '@opentelemetry/api';
import { inSpan } from '../telemetry.js';
import type { ObjectStore } from './storage.port.js';

/**
 * Wraps a store so each call is a client span (`storage.put original/AbCd1234`), as a botocore
 * instrumentation would show S3 calls. Listing is left out: the sweep lists thousands of keys.
 */
export function withStorageTracing(store: ObjectStore, tracer: Tracer): ObjectStore {
  const span = <T>(operation: string, key: string, work: () => Promise<T>) =>
    inSpan(
      tracer,
      `storage.${operation}`,
      { kind: SpanKind.CLIENT, attributes: { 'imgr.storage.driver': store.name, 'imgr.storage.key': key } },
      work,
    );
  return {
    ...store,
    name: store.name,
    init: () => store.init(),
    check: () => store.check(),
    put: (key, body, options) => span('put', key, () => store.put(key, body, options)),
    create: (key, body, options) => span('create', key, () => store.create(key, body, options)),
    head: (key) => span('head', key, () => store.head(key)),
    read: (key, conditions) => span('get', key, () => store.read(key, conditions)),
    readBuffer: (key) => span('get', key, () => store.readBuffer(key)),
    delete: (key) => span('delete', key, () => store.delete(key)),
    list: (prefix) => store.list(prefix),
    dispose: () => store.dispose(),
  };
}
