// Deletes every object of a bucket, then the bucket (test cleanup: the test S3 server keeps its
// data in memory).   node s3-empty-bucket.mjs ENDPOINT BUCKET [ACCESS_KEY SECRET_KEY]
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

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
try {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (keys.length === 0) break;
    // DeleteObjects needs a Content-MD5 on some servers; one by one would be slow, so batch and
    // fall back to the batch result's errors being reported.
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    if (res.Errors?.length) throw new Error(`delete failed: ${res.Errors[0].Code} ${res.Errors[0].Message}`);
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
