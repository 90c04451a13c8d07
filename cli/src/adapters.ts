import { join } from 'node:path';
import { createFsResumableStore, createS3ResumableStore, type ResumableStore } from '@imgr/api';
import type { Config, JobQueue, Logger, ObjectStore } from '@imgr/core';
import { createFsStorage, createMemoryQueue, createS3Storage } from '@imgr/core/adapters';
import { createAmqpQueue } from '@imgr/core/amqp';

/** The one place where configuration picks the storage adapter. */
export function storageFromConfig(config: Config): ObjectStore {
  const storage = config.storage;
  if (storage.kind === 'fs') return createFsStorage({ root: storage.dataDir });
  return createS3Storage({
    bucket: storage.bucket,
    endpoint: storage.endpoint,
    region: storage.region,
    credentials: storage.credentials,
    caBundlePath: storage.caBundlePath,
  });
}

/** The one place where configuration picks the queue adapter. */
export function queueFromConfig(config: Config, logger: Logger): JobQueue {
  if (config.brokerUrl.startsWith('memory://')) return createMemoryQueue();
  return createAmqpQueue({
    url: config.brokerUrl,
    publishTimeoutMs: config.env.IMGR_PUBLISH_TIMEOUT_MS,
    deadLetterMaxLength: config.env.IMGR_DEAD_LETTER_MAX_LENGTH,
    logger,
  });
}

/**
 * The one place where configuration picks where resumable uploads are staged: imgr's bucket (any API
 * instance can continue an upload) or a folder beside the filesystem storage (one machine).
 */
export function resumableStoreFromConfig(config: Config): ResumableStore {
  const storage = config.storage;
  const expirationMs = config.env.IMGR_RESUMABLE_EXPIRES_S * 1000;
  if (storage.kind === 'fs') return createFsResumableStore({ directory: join(storage.dataDir, 'uploads-in-progress'), expirationMs });
  return createS3ResumableStore({
    bucket: storage.bucket,
    endpoint: storage.endpoint,
    region: storage.region,
    credentials: storage.credentials,
    caBundlePath: storage.caBundlePath,
    expirationMs,
  });
}
