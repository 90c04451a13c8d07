import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DependencyError } from '../errors.js';
import type { ListedObject, ObjectInfo, ObjectStore, ReadConditions, ReadResult, WriteOptions } from './storage.port.js';

const DRIVER = 's3-storage';

export interface S3StorageOptions {
  /** Bucket for every image, created at start when missing, e.g. `images`. */
  bucket: string;
  /** Endpoint of an S3-compatible server, e.g. `http://minio:9000`; unset means AWS itself. */
  endpoint?: string | undefined;
  /** e.g. `us-east-1`. */
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Per-attempt timeout of one S3 request, so an outage answers fast instead of hanging. */
  requestTimeoutMs?: number;
}

interface HttpMetadata {
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

function statusOf(error: unknown): number | undefined {
  return (error as HttpMetadata | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const status = statusOf(error);
  const name = (error as Error | undefined)?.name;
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/** Server faults, throttling and network errors are worth retrying; other client faults are not. */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return true;
  const status = statusOf(error) ?? 500;
  return error.$fault === 'server' || status >= 500 || status === 429 || status === 408;
}

function toInfo(output: {
  ContentType?: string | undefined;
  ContentLength?: number | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
  Metadata?: Record<string, string> | undefined;
}): ObjectInfo {
  return {
    contentType: output.ContentType ?? 'application/octet-stream',
    contentLength: output.ContentLength ?? 0,
    etag: output.ETag ?? '""',
    lastModified: output.LastModified ?? new Date(0),
    metadata: output.Metadata ?? {},
  };
}

/** S3 through the AWS SDK v3, path-style so MinIO, Ceph RGW and AWS all work. */
export function createS3Storage(options: S3StorageOptions): ObjectStore {
  let client: S3Client | undefined;
  const s3 = (): S3Client => {
    client ??= new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: options.credentials,
      forcePathStyle: true,
      // Non-AWS servers reject or corrupt the SDK's default aws-chunked checksum trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: 2_000,
        // Time to the response headers: an S3 that stops answering fails the call (503 upstream)
        // instead of holding the request; without throwOnRequestTimeout the SDK only logs a warning.
        requestTimeout: options.requestTimeoutMs ?? 10_000,
        throwOnRequestTimeout: true,
        // Idle time while a body streams: generous, because a slow client legitimately pauses the
        // download of an original through backpressure.
        socketTimeout: 60_000,
        httpAgent: { keepAlive: true, maxSockets: 128 },
      },
    });
    return client;
  };
  const fail = (error: unknown, action: string, key: string): never => {
    // HEAD answers have no body, so the SDK can only name them "Unknown": the status says more.
    const status = statusOf(error);
    const detail = `${(error as Error).name ?? 'error'}${status ? ` (HTTP ${status})` : ''}`;
    throw new DependencyError('storage', `[${DRIVER}] ${action} ${key}: ${detail}`, isRetryable(error), { cause: error });
  };

  async function head(key: string): Promise<ObjectInfo | null> {
    try {
      return toInfo(await s3().send(new HeadObjectCommand({ Bucket: options.bucket, Key: key })));
    } catch (error) {
      if (isNotFound(error)) return null;
      return fail(error, 'head', key);
    }
  }

  return {
    name: DRIVER,
    async init() {
      try {
        await s3().send(new HeadBucketCommand({ Bucket: options.bucket }));
      } catch (error) {
        if (!isNotFound(error)) fail(error, 'head bucket', options.bucket);
        try {
          await s3().send(new CreateBucketCommand({ Bucket: options.bucket }));
        } catch (createError) {
          // Another instance may have created it between our two calls.
          const name = (createError as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') fail(createError, 'create bucket', options.bucket);
        }
      }
    },
    async check() {
      try {
        await s3().send(new HeadBucketCommand({ Bucket: options.bucket }));
      } catch (error) {
        fail(error, 'check bucket', options.bucket);
      }
    },
    async put(key: string, body: Buffer, writeOptions: WriteOptions) {
      try {
        await s3().send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: key,
            Body: body,
            ContentType: writeOptions.contentType,
            ContentLength: body.length,
            Metadata: writeOptions.metadata,
          }),
        );
      } catch (error) {
        fail(error, 'put', key);
      }
    },
    head,
    async read(key: string, conditions?: ReadConditions): Promise<ReadResult | null> {
      try {
        const output = await s3().send(
          new GetObjectCommand({
            Bucket: options.bucket,
            Key: key,
            IfNoneMatch: conditions?.ifNoneMatch,
            // If-Modified-Since only counts when If-None-Match is absent (RFC 9110 13.1.3).
            IfModifiedSince: conditions?.ifNoneMatch === undefined ? conditions?.ifModifiedSince : undefined,
            Range: conditions?.range ? `bytes=${conditions.range.start}-${conditions.range.end}` : undefined,
          }),
        );
        const info = toInfo(output);
        const range = conditions?.range;
        if (range) {
          // The whole object's size follows the slash of Content-Range: "bytes 0-99/1234".
          const total = Number(output.ContentRange?.split('/')[1] ?? Number.NaN);
          return {
            status: 'found',
            info: { ...info, contentLength: Number.isFinite(total) ? total : info.contentLength },
            range,
            body: output.Body as Readable,
          };
        }
        return { status: 'found', info, body: output.Body as Readable };
      } catch (error) {
        if (statusOf(error) === 304) return { status: 'not-modified' };
        if (isNotFound(error)) return null;
        return fail(error, 'get', key);
      }
    },
    async readBuffer(key: string) {
      try {
        const output = await s3().send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        const bytes = await output.Body?.transformToByteArray();
        return { info: toInfo(output), body: Buffer.from(bytes ?? []) };
      } catch (error) {
        if (isNotFound(error)) return null;
        return fail(error, 'get', key);
      }
    },
    async delete(key: string) {
      try {
        await s3().send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
      } catch (error) {
        if (!isNotFound(error)) fail(error, 'delete', key);
      }
    },
    async *list(prefix: string): AsyncIterable<ListedObject> {
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await s3().send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix: prefix, ContinuationToken: token }));
        } catch (error) {
          return fail(error, 'list', prefix);
        }
        for (const item of page.Contents ?? []) {
          if (item.Key) yield { key: item.Key, lastModified: item.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async dispose() {
      client?.destroy();
      client = undefined;
    },
  };
}
