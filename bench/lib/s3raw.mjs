// The storage limit: PUT and GET straight to the S3 server with the AWS SDK, configured as imgr's
// S3 adapter configures it (path style, keep-alive, no aws-chunked checksums).
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { closedLoop } from './load.mjs';

export function s3Client(s3) {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000, httpAgent: { keepAlive: true, maxSockets: 128 } },
  });
}

/**
 * PUTs cycle through a few hundred keys: RGW writes an overwrite as fully as a new object (objects
 * under 4 MiB live whole in their head object), and the memory-backed test cluster, shared with
 * other test runs, does not fill up with the benchmark's bytes.
 */
export async function rawPut(client, bucket, body, { concurrency, durationMs, contentType = 'image/jpeg' }) {
  let n = 0;
  return closedLoop({
    concurrency,
    durationMs,
    task: async () => {
      const key = `raw/${n++ % 256}`;
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.length }),
        );
        return { ok: true, status: 200 };
      } catch (error) {
        return { ok: false, status: error?.$metadata?.httpStatusCode ?? 0 };
      }
    },
  });
}

/** GETs read the whole body, as a client of imgr does. */
export async function rawGet(client, bucket, key, { concurrency, durationMs }) {
  return closedLoop({
    concurrency,
    durationMs,
    task: async () => {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        for await (const _ of out.Body) {
          // drain
        }
        return { ok: true, status: 200 };
      } catch (error) {
        return { ok: false, status: error?.$metadata?.httpStatusCode ?? 0 };
      }
    },
  });
}
