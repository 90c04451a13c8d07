// The storage limit: PUT and GET straight to the S3 server, with no imgr in between. Measured with
// two clients, the AWS SDK (configured as imgr configured it until it had a client of its own: path
// style, keep-alive, no aws-chunked checksums) and imgr's own S3 client (core/src/storage/s3-http.ts,
// through the S3 adapter of the measured build); the faster of the two is the server's limit.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { app } from './imgr.mjs';
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

/** The raw clients, each as `{ put(key, body, contentType), get(key) }` resolving to an HTTP-like status. */
export async function rawClients(s3, bucket) {
  const sdk = s3Client(s3);
  const { createS3Storage } = await import(pathToFileURL(join(app.root, 'core/dist/adapters.js')).href);
  const store = createS3Storage({
    bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
  });
  const status = (error) => error?.$metadata?.httpStatusCode ?? 0;
  return {
    'AWS SDK': {
      put: (key, body, contentType) =>
        sdk
          .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.length }))
          .then(() => 200, status),
      get: async (key) => {
        try {
          const out = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          for await (const _ of out.Body) {
            // drain
          }
          return 200;
        } catch (error) {
          return status(error);
        }
      },
      dispose: () => sdk.destroy(),
    },
    "imgr's S3 client": {
      put: (key, body, contentType) =>
        store.put(key, body, { contentType }).then(
          () => 200,
          () => 0,
        ),
      get: async (key) => {
        try {
          const out = await store.read(key);
          if (out?.status !== 'found') return 404;
          for await (const _ of out.body) {
            // drain
          }
          return 200;
        } catch {
          return 0;
        }
      },
      dispose: () => store.dispose(),
    },
  };
}

/**
 * PUTs cycle through a few hundred keys: RGW writes an overwrite as fully as a new object (objects
 * under 4 MiB live whole in their head object), and the test cluster, shared with other test runs,
 * does not fill up with the benchmark's bytes.
 */
export async function rawPut(client, body, { concurrency, durationMs, contentType = 'image/jpeg' }) {
  let n = 0;
  return closedLoop({
    concurrency,
    durationMs,
    task: async () => {
      const status = await client.put(`raw/${n++ % 256}`, body, contentType);
      return { ok: status === 200, status };
    },
  });
}

/** GETs read the whole body, as a client of imgr does. */
export async function rawGet(client, key, { concurrency, durationMs }) {
  return closedLoop({
    concurrency,
    durationMs,
    task: async () => {
      const status = await client.get(key);
      return { ok: status === 200, status };
    },
  });
}
