import { loadConfig } from '@imgr/core';
import { createS3Storage } from '@imgr/core/adapters';
import { describe, expect, it } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';

// MinIO with temporary credentials from its STS (scripts/services/minio.sh prints them); skipped when it is not running.
const endpoint = process.env.IMGR_TEST_MINIO_ENDPOINT;
const sts = {
  AWS_ACCESS_KEY_ID: process.env.IMGR_TEST_MINIO_STS_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: process.env.IMGR_TEST_MINIO_STS_SECRET_KEY,
  AWS_SESSION_TOKEN: process.env.IMGR_TEST_MINIO_STS_SESSION_TOKEN,
};

/** The store as imgr builds it from its environment, so the session token's path through the config is tested too. */
function minioFromEnv(bucket: string) {
  const { storage } = loadConfig({ S3_ENDPOINT_URL: endpoint, S3_BUCKET_NAME: bucket, ...sts }, 'all');
  return createS3Storage({ bucket: storage.bucket, endpoint: storage.endpoint, region: storage.region, credentials: storage.credentials });
}

describe.skipIf(!endpoint)('S3 storage on MinIO', () => {
  testStorage('S3 (MinIO, STS credentials from the environment)', () => minioFromEnv('imgr-minio-contract'));

  it('works with STS credentials from the environment (AWS_SESSION_TOKEN)', async () => {
    const store = minioFromEnv('imgr-minio-sts');
    await store.init();
    await store.put('original/StsToken', Buffer.from('temporary keys'), { contentType: 'text/plain' });
    expect((await store.readBuffer('original/StsToken'))?.body.toString()).toBe('temporary keys');
    await store.delete('original/StsToken');
    await store.dispose();
  });
});
