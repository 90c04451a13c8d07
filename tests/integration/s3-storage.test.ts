import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';
import { removeBucket } from '../support/buckets.js';
import { s3Storage, services } from '../support/services.js';

testStorage('S3 (Ceph RADOS Gateway)', () => s3Storage('imgr-contract'));

describe('S3 storage on a real server', () => {
  it('creates its bucket at start when missing', async () => {
    const bucket = `imgr-new-${Date.now()}`;
    const store = s3Storage(bucket);
    await store.init();
    const client = new S3Client({
      endpoint: services.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: services.s3AccessKey, secretAccessKey: services.s3SecretKey },
    });
    const head = await client.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    client.destroy();
    await store.dispose();
    await removeBucket(bucket);
  });

  it('round-trips a 15 MB binary object byte for byte', async () => {
    const store = s3Storage('imgr-contract');
    await store.init();
    const body = Buffer.alloc(15 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    await store.put('original/Big15MBx', body, { contentType: 'application/octet-stream' });
    expect((await store.readBuffer('original/Big15MBx'))?.body.equals(body)).toBe(true);
    await store.delete('original/Big15MBx');
    await store.dispose();
  });

  it('reports a retryable error, not a hang, when the server does not answer', async () => {
    const { createS3Storage } = await import('@imgr/core');
    const store = createS3Storage({ bucket: 'x', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', requestTimeoutMs: 1000 });
    const started = Date.now();
    await expect(store.check()).rejects.toMatchObject({ name: 'DependencyError', retryable: true });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
