// Test helper: empties and deletes an S3 bucket (the per-run bucket of tests/docker/stack-test.sh).
//   node tests/docker/s3-bucket.mjs delete <bucket>
// env: S3_ENDPOINT_URL (http://127.0.0.1:7480), AWS_ACCESS_KEY_ID (test), AWS_SECRET_ACCESS_KEY (testsecret)
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const [action, bucket] = process.argv.slice(2);
if (action !== 'delete' || !bucket) {
  console.error('usage: s3-bucket.mjs delete <bucket>');
  process.exit(2);
}
const s3 = new S3Client({
  endpoint: process.env.S3_ENDPOINT_URL ?? 'http://127.0.0.1:7480',
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testsecret',
  },
});
let token;
do {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
  const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  token = page.NextContinuationToken;
} while (token);
await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
