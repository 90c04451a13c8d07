import { PassThrough, type Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { DependencyError } from '../errors.js';
import { credentialSource, type S3StaticCredentials } from './s3-credentials.js';
import { createS3Http, errorCodeHeader, readBody, type S3Http, type S3Request, type S3Response, S3TlsTrustError } from './s3-http.js';
import {
  isNotModified,
  type ListedObject,
  type ObjectInfo,
  type ObjectStore,
  type ReadConditions,
  type ReadResult,
  type WriteOptions,
} from './storage.port.js';

const DRIVER = 's3-storage';
const METADATA_PREFIX = 'x-amz-meta-';

export interface S3StorageOptions {
  /** Bucket for every image, created at start when missing, e.g. `images`. */
  bucket: string;
  /** Endpoint of an S3-compatible server, e.g. `http://minio:9000`; unset means AWS itself. */
  endpoint?: string | undefined;
  /** e.g. `us-east-1`. */
  region: string;
  /** Static keys (with `sessionToken` for STS ones); unset means the AWS default chain (environment, profile, instance or task role). */
  credentials?: S3StaticCredentials | undefined;
  /** PEM file of extra CAs to trust, e.g. `/etc/imgr/minio-ca.pem` (AWS_CA_BUNDLE). */
  caBundlePath?: string | undefined;
  /** Per-attempt time to the response headers, so an outage answers fast instead of hanging. */
  requestTimeoutMs?: number;
  /** Keys per listing page (S3 caps it at 1000); smaller only in tests of the paging. */
  listPageSize?: number;
}

/** What every operation below needs: the signed HTTP client and where it writes. */
interface Bucket {
  s3: S3Http;
  name: string;
  region: string;
  listPageSize: number;
}

const xml = new XMLParser({ isArray: (name) => name === 'Contents', parseTagValue: false });

/** S3 over signed HTTP (see s3-http.ts), path-style so MinIO, Ceph RGW and AWS all work. */
export function createS3Storage(options: S3StorageOptions): ObjectStore {
  const bucket: Bucket = {
    s3: createS3Http({
      endpoint: options.endpoint ?? `https://s3.${options.region}.amazonaws.com`,
      region: options.region,
      credentials: credentialSource(options.credentials),
      connectTimeoutMs: 2_000,
      responseTimeoutMs: options.requestTimeoutMs ?? 10_000,
      idleTimeoutMs: 60_000,
      // Throttling (429, 503 SlowDown) is waited out with backoff within the retry budget, as the AWS SDK does.
      maxAttempts: 6,
      retryBudgetMs: 20_000,
      caBundlePath: options.caBundlePath,
    }),
    name: options.bucket,
    region: options.region,
    listPageSize: options.listPageSize ?? 1000,
  };
  return {
    name: DRIVER,
    init: () => createBucketIfMissing(bucket),
    check: () => checkBucket(bucket),
    put: (key, body, writeOptions) => putObject(bucket, key, body, writeOptions),
    create: (key, body, writeOptions) => createObject(bucket, key, body, writeOptions),
    head: (key) => headObject(bucket, key),
    read: (key, conditions) => readObject(bucket, key, conditions),
    readBuffer: (key) => readObjectBuffer(bucket, key),
    delete: (key) => deleteObject(bucket, key),
    list: (prefix) => listObjects(bucket, prefix),
    dispose: async () => bucket.s3.dispose(),
  };
}

/** Every storage failure reads `[s3-storage] <action> <key or bucket>: <detail>`. */
function storageError(action: string, label: string, detail: string, retryable: boolean, cause?: unknown): DependencyError {
  return new DependencyError(
    'storage',
    `[${DRIVER}] ${action} ${label}: ${detail}`,
    retryable,
    cause === undefined ? undefined : { cause },
  );
}

/** The server answered but refused: its error code when it sent one; retryable for outages. */
async function refusal(bucket: Bucket, action: string, label: string, response: S3Response): Promise<DependencyError> {
  let code = errorCodeHeader(response.headers);
  if (!code && response.status !== 304 && response.headers['content-type']?.includes('xml')) {
    const body = await readBody(response).catch(() => Buffer.alloc(0));
    code = String((xml.parse(body.toString('utf8')) as { Error?: { Code?: unknown } }).Error?.Code ?? '');
  } else {
    response.body.resume();
  }
  return storageError(action, label, `${code || 'error'} (HTTP ${response.status})`, bucket.s3.isRetryableStatus(response.status));
}

/** Sends one request; network failures become retryable DependencyErrors (an untrusted certificate, permanent ones). */
async function send(bucket: Bucket, action: string, label: string, request: S3Request): Promise<S3Response> {
  try {
    return await bucket.s3.send(bucket.name, request);
  } catch (error) {
    throw storageError(action, label, (error as Error).message, !(error instanceof S3TlsTrustError), error);
  }
}

/** Sends one request whose body nobody reads, and fails unless the status is one of `accepted`. */
async function sendExpecting(bucket: Bucket, action: string, label: string, request: S3Request, accepted: number[]): Promise<number> {
  const response = await send(bucket, action, label, request);
  if (!accepted.includes(response.status)) throw await refusal(bucket, action, label, response);
  response.body.resume();
  return response.status;
}

/** A HEAD of an object or (without key) of the bucket: its answer, or null when it does not exist. */
async function headRequest(bucket: Bucket, action: string, key?: string): Promise<S3Response | null> {
  const label = key ?? bucket.name;
  const response = await send(bucket, action, label, { method: 'HEAD', key });
  response.body.resume();
  if (response.status === 404) return null;
  if (response.status !== 200) throw await refusal(bucket, action, label, response);
  return response;
}

function toInfo(response: S3Response, contentLength?: number): ObjectInfo {
  const headers = response.headers;
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(METADATA_PREFIX) && typeof value === 'string') metadata[name.slice(METADATA_PREFIX.length)] = value;
  }
  const lastModified = headers['last-modified'] ? new Date(headers['last-modified']) : new Date(0);
  return {
    contentType: headers['content-type'] ?? 'application/octet-stream',
    contentLength: contentLength ?? Number(headers['content-length'] ?? 0),
    etag: headers.etag ?? '""',
    lastModified: Number.isNaN(lastModified.getTime()) ? new Date(0) : lastModified,
    metadata,
  };
}

function writeHeaders(writeOptions: WriteOptions): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': writeOptions.contentType };
  for (const [name, value] of Object.entries(writeOptions.metadata ?? {})) headers[`${METADATA_PREFIX}${name}`] = value;
  return headers;
}

async function createBucketIfMissing(bucket: Bucket): Promise<void> {
  if (await headRequest(bucket, 'head bucket')) return;
  // Outside us-east-1, AWS wants the bucket's region in the body.
  const body =
    bucket.region === 'us-east-1'
      ? undefined
      : Buffer.from(
          `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${bucket.region}</LocationConstraint></CreateBucketConfiguration>`,
        );
  const response = await send(bucket, 'create bucket', bucket.name, { method: 'PUT', body });
  if (response.status === 200) return void response.body.resume();
  const error = await refusal(bucket, 'create bucket', bucket.name, response);
  // Another instance may have created it between our two calls.
  if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(error.message)) throw error;
}

async function checkBucket(bucket: Bucket): Promise<void> {
  if (!(await headRequest(bucket, 'check bucket'))) {
    throw storageError('check bucket', bucket.name, 'NoSuchBucket (HTTP 404)', false);
  }
}

async function putObject(bucket: Bucket, key: string, body: Buffer, writeOptions: WriteOptions): Promise<void> {
  await sendExpecting(bucket, 'put', key, { method: 'PUT', key, headers: writeHeaders(writeOptions), body }, [200]);
}

/**
 * Conditional write (AWS, MinIO and Ceph RGW honour it): 412 when the key exists. AWS answers 409
 * while another conditional write of the key is in flight: taken, too. A retried attempt whose first
 * answer was lost also sees 412; the caller then uses another key, and the orphan is only an
 * unreferenced object.
 */
async function createObject(bucket: Bucket, key: string, body: Buffer, writeOptions: WriteOptions): Promise<boolean> {
  const headers = { ...writeHeaders(writeOptions), 'if-none-match': '*' };
  const status = await sendExpecting(bucket, 'create', key, { method: 'PUT', key, headers, body }, [200, 409, 412]);
  return status === 200;
}

async function headObject(bucket: Bucket, key: string): Promise<ObjectInfo | null> {
  const response = await headRequest(bucket, 'head', key);
  return response && toInfo(response);
}

/**
 * Conditions are evaluated here by imgr's own RFC 9110 rules (weak comparison, lists): S3 servers
 * compare If-None-Match strongly or verbatim, and each differently.
 */
async function readObject(bucket: Bucket, key: string, conditions?: ReadConditions): Promise<ReadResult | null> {
  const range = conditions?.range;
  const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
  const response = await send(bucket, 'get', key, { method: 'GET', key, headers });
  if (response.status === 304 || response.status === 404) {
    response.body.resume();
    return response.status === 304 ? { status: 'not-modified' } : null;
  }
  if ((response.status === 200 || response.status === 206) && isNotModified(toInfo(response), conditions)) {
    response.body.destroy();
    return { status: 'not-modified' };
  }
  if (response.status === 206 && range) {
    // The whole object's size follows the slash of Content-Range: "bytes 0-99/1234".
    const total = Number(response.headers['content-range']?.split('/')[1] ?? Number.NaN);
    return { status: 'found', info: toInfo(response, Number.isFinite(total) ? total : undefined), range, body: objectBody(response, key) };
  }
  if (response.status !== 200) throw await refusal(bucket, 'get', key, response);
  return { status: 'found', info: toInfo(response), body: objectBody(response, key) };
}

/**
 * The object's bytes, whose failure midway (the server stopped, the connection reset) is a storage
 * error like any other: before the first byte reaches the client it becomes a 503, never a 500. A
 * reader that gives up (a client gone) releases the connection.
 */
function objectBody(response: S3Response, key: string): Readable {
  const source = response.body;
  const body = new PassThrough();
  source.on('error', (error) => body.destroy(storageError('get', key, `body cut short: ${error.message}`, true, error)));
  body.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(body);
}

async function readObjectBuffer(bucket: Bucket, key: string): Promise<{ info: ObjectInfo; body: Buffer } | null> {
  const response = await send(bucket, 'get', key, { method: 'GET', key });
  if (response.status === 404) {
    response.body.resume();
    return null;
  }
  if (response.status !== 200) throw await refusal(bucket, 'get', key, response);
  try {
    return { info: toInfo(response), body: await readBody(response) };
  } catch (error) {
    throw storageError('get', key, (error as Error).message, true, error);
  }
}

/** Deleting a missing object is no error (S3 answers 204 either way; some servers 404). */
async function deleteObject(bucket: Bucket, key: string): Promise<void> {
  await sendExpecting(bucket, 'delete', key, { method: 'DELETE', key }, [200, 204, 404]);
}

interface ListPage {
  Contents?: { Key?: string; LastModified?: string }[];
  IsTruncated?: string;
  NextContinuationToken?: string;
}

async function listPage(bucket: Bucket, prefix: string, token: string | undefined): Promise<ListPage> {
  const query: Record<string, string> = { 'list-type': '2', prefix, 'max-keys': String(bucket.listPageSize) };
  if (token) query['continuation-token'] = token;
  const response = await send(bucket, 'list', prefix, { method: 'GET', query });
  if (response.status !== 200) throw await refusal(bucket, 'list', prefix, response);
  try {
    return (xml.parse((await readBody(response)).toString('utf8')) as { ListBucketResult?: ListPage }).ListBucketResult ?? {};
  } catch (error) {
    throw storageError('list', prefix, (error as Error).message, true, error);
  }
}

async function* listObjects(bucket: Bucket, prefix: string): AsyncIterable<ListedObject> {
  let token: string | undefined;
  do {
    const page = await listPage(bucket, prefix, token);
    for (const item of page.Contents ?? []) {
      if (item.Key) yield { key: item.Key, lastModified: new Date(item.LastModified ?? 0) };
    }
    token = page.IsTruncated === 'true' ? page.NextContinuationToken : undefined;
  } while (token);
}
