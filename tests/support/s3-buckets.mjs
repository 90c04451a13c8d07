// Cleaning up test buckets on the test S3 servers (Ceph RGW, MinIO), for the suites, the deployment
// simulations and the bench: the test cluster is shared and small, and what a run leaves fills it up
// for everyone.
//   node tests/support/s3-buckets.mjs remove <bucket> [endpoint]
// env: IMGR_TEST_S3_ENDPOINT (http://127.0.0.1:7480), IMGR_TEST_S3_ACCESS_KEY (test), IMGR_TEST_S3_SECRET_KEY (testsecret)

import { pathToFileURL } from 'node:url';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** Where the test S3 server is, as scripts/services/ceph-s3.sh starts it. */
export const testS3 = {
  endpoint: process.env.IMGR_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  accessKey: process.env.IMGR_TEST_S3_ACCESS_KEY ?? 'test',
  secretKey: process.env.IMGR_TEST_S3_SECRET_KEY ?? 'testsecret',
};

/**
 * A plain S3 client on a test server (the test server by default).
 * @param {{ endpoint?: string, accessKey?: string, secretKey?: string }} [where]
 * @returns {S3Client}
 */
export function testS3Client(where = {}) {
  const { endpoint, accessKey, secretKey } = { ...testS3, ...where };
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    // Checksums only where S3 requires them: Ceph 16 does not know the newer default ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Every key in `bucket`.
 * @param {S3Client} s3
 * @param {string} bucket
 * @returns {Promise<string[]>}
 */
export async function listKeys(s3, bucket) {
  /** @type {string[]} */
  const keys = [];
  /** @type {string | undefined} */
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Deletes every object of `bucket`; returns how many.
 * One request per object, 16 at a time: the batch DeleteObjects call was seen hanging on a nearly
 * full Ceph test cluster, and Ceph 16 wants a Content-MD5 on it that the SDK no longer sends.
 * @param {S3Client} s3
 * @param {string} bucket
 * @returns {Promise<number>}
 */
export async function emptyBucket(s3, bucket) {
  let deleted = 0;
  let previous = '';
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
    if (keys.length === 0) return deleted;
    // A server that acknowledges deletes without doing them (seen on a full Ceph) must not loop us.
    if (keys.join() === previous) throw new Error(`the server keeps listing ${keys.length} deleted objects of ${bucket}`);
    previous = keys.join();
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    }
    deleted += keys.length;
  }
}

/**
 * Empties and deletes `bucket`; a bucket that does not exist is no error.
 * @param {string} bucket
 * @param {S3Client} [s3] a client of the caller's (the test server's by default; not destroyed here)
 * @returns {Promise<{ bucket: string, deleted_objects: number, bucket_deleted: boolean }>}
 */
export async function removeBucket(bucket, s3) {
  const client = s3 ?? testS3Client();
  let deleted = 0;
  try {
    deleted = await emptyBucket(client, bucket);
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    return { bucket, deleted_objects: deleted, bucket_deleted: true };
  } catch (error) {
    if (/** @type {{ name?: string }} */ (error).name === 'NoSuchBucket')
      return { bucket, deleted_objects: deleted, bucket_deleted: false };
    throw error;
  } finally {
    if (s3 === undefined) client.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [action, bucket, endpoint] = process.argv.slice(2);
  if (action !== 'remove' || !bucket) {
    console.error('usage: s3-buckets.mjs remove <bucket> [endpoint]');
    process.exit(2);
  }
  const s3 = testS3Client(endpoint ? { endpoint } : {});
  try {
    console.log(JSON.stringify(await removeBucket(bucket, s3)));
  } catch (error) {
    console.error(`s3-buckets: ${bucket}: ${/** @type {Error} */ (error).name}: ${/** @type {Error} */ (error).message}`);
    process.exitCode = 1;
  } finally {
    s3.destroy();
  }
}
