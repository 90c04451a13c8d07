// Deletes every object of a bucket, then the bucket (test cleanup: the test S3 server keeps its
// data in memory).   node s3-empty-bucket.mjs ENDPOINT BUCKET [ACCESS_KEY SECRET_KEY]
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const [endpoint, bucket, accessKeyId = 'test', secretAccessKey = 'testsecret'] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
let deleted = 0;
let previous = '';
try {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => o.Key);
    if (keys.length === 0) break;
    // A server that acknowledges deletes without doing them (seen on a full Ceph) must not loop us.
    if (keys.join() === previous) throw new Error(`the server keeps listing ${keys.length} deleted objects`);
    previous = keys.join();
    // One request per object, 16 at a time: the batch DeleteObjects call was seen hanging on a
    // nearly full Ceph test cluster, and some servers want a Content-MD5 on it.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    }
    deleted += keys.length;
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  console.log(JSON.stringify({ bucket, deleted_objects: deleted, bucket_deleted: true }));
} catch (error) {
  if (error.name === 'NoSuchBucket') console.log(JSON.stringify({ bucket, deleted_objects: deleted, bucket_deleted: false }));
  else {
    console.error(`s3-empty-bucket: ${error.name}: ${error.message} (${deleted} objects deleted)`);
    process.exit(1);
  }
}
