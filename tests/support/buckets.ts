import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { services } from './services.js';

/** A plain S3 client on the test server, for counting and cleaning what a suite left behind. */
export function testS3Client(): S3Client {
  return new S3Client({
    endpoint: services.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: services.s3AccessKey, secretAccessKey: services.s3SecretKey },
  });
}

/** Every key in `bucket`. */
export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Empties and removes a suite's bucket: the test S3 server keeps objects in memory (Ceph memstore),
 * so suites that leave their images behind fill it up for everyone.
 */
export async function removeBucket(bucket: string): Promise<void> {
  const s3 = testS3Client();
  try {
    for (;;) {
      const keys = await listKeys(s3, bucket);
      if (keys.length === 0) break;
      // One by one: Ceph 16 wants a Content-MD5 on DeleteObjects that the SDK no longer sends.
      for (const Key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchBucket') throw error;
  } finally {
    s3.destroy();
  }
}
