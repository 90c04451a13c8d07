import { XMLParser } from 'fast-xml-parser';
import { DependencyError } from '../errors.js';
import {
  type CredentialSource,
  createS3Http,
  errorCodeHeader,
  readBody,
  type S3Credentials,
  type S3Response,
  S3TlsTrustError,
} from './s3-http.js';
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
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  /** PEM file of extra CAs to trust, e.g. `/etc/imgr/minio-ca.pem` (AWS_CA_BUNDLE). */
  caBundlePath?: string | undefined;
  /** Per-attempt time to the response headers, so an outage answers fast instead of hanging. */
  requestTimeoutMs?: number;
  /** Keys per listing page (S3 caps it at 1000); smaller only in tests of the paging. */
  listPageSize?: number;
}

const xml = new XMLParser({ isArray: (name) => name === 'Contents', parseTagValue: false });

/** Static keys as given, or the AWS default chain, loaded only when needed and refreshed before expiry. */
function credentialSource(credentials: S3StorageOptions['credentials']): CredentialSource {
  if (credentials) {
    const fixed: S3Credentials = { ...credentials };
    return async () => fixed;
  }
  let cached: Promise<S3Credentials> | undefined;
  // ignoreCache: a refresh re-reads the profile files, so rewritten keys are picked up without a restart.
  let provider: ((options?: { forceRefresh?: boolean }) => Promise<S3Credentials>) | undefined;
  return async (request) => {
    provider ??= (await import('@aws-sdk/credential-provider-node')).defaultProvider({ ignoreCache: true });
    if (request?.refresh) {
      cached = provider({ forceRefresh: true });
      return cached;
    }
    const current = await cached?.catch(() => undefined);
    if (current && (!current.expiration || current.expiration.getTime() - Date.now() > 5 * 60_000)) return current;
    cached = provider();
    return cached;
  };
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

/** S3 over signed HTTP (see s3-http.ts), path-style so MinIO, Ceph RGW and AWS all work. */
export function createS3Storage(options: S3StorageOptions): ObjectStore {
  const { bucket } = options;
  const s3 = createS3Http({
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
  });

  /** Every storage failure reads `[s3-storage] <action> <key or bucket>: <detail>`. */
  const storageError = (action: string, label: string, detail: string, retryable: boolean, cause?: unknown) =>
    new DependencyError('storage', `[${DRIVER}] ${action} ${label}: ${detail}`, retryable, cause === undefined ? undefined : { cause });

  /** The server answered but refused: its error code when it sent one; retryable for outages. */
  async function failure(action: string, key: string, response: S3Response): Promise<DependencyError> {
    let code = errorCodeHeader(response.headers);
    if (!code && response.status !== 304 && response.headers['content-type']?.includes('xml')) {
      const body = await readBody(response).catch(() => Buffer.alloc(0));
      code = String((xml.parse(body.toString('utf8')) as { Error?: { Code?: unknown } }).Error?.Code ?? '');
    } else {
      response.body.resume();
    }
    return storageError(action, key, `${code || 'error'} (HTTP ${response.status})`, s3.isRetryableStatus(response.status));
  }

  /** Sends one request; network failures become retryable DependencyErrors. */
  async function call(action: string, label: string, request: Parameters<typeof s3.send>[1]): Promise<S3Response> {
    try {
      return await s3.send(bucket, request);
    } catch (error) {
      throw storageError(action, label, (error as Error).message, !(error instanceof S3TlsTrustError), error);
    }
  }

  /** A HEAD of an object or (without key) of the bucket: its answer, or null when it does not exist. */
  async function headRequest(action: string, key?: string): Promise<S3Response | null> {
    const label = key ?? bucket;
    const response = await call(action, label, { method: 'HEAD', key });
    response.body.resume();
    if (response.status === 404) return null;
    if (response.status !== 200) throw await failure(action, label, response);
    return response;
  }

  async function head(key: string): Promise<ObjectInfo | null> {
    const response = await headRequest('head', key);
    return response && toInfo(response);
  }

  const checkBucket = async (action: string): Promise<boolean> => (await headRequest(action)) !== null;

  return {
    name: DRIVER,
    async init() {
      if (await checkBucket('head bucket')) return;
      // Outside us-east-1, AWS wants the bucket's region in the body.
      const body =
        options.region === 'us-east-1'
          ? undefined
          : Buffer.from(
              `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${options.region}</LocationConstraint></CreateBucketConfiguration>`,
            );
      const response = await call('create bucket', bucket, { method: 'PUT', body });
      if (response.status === 200) return void response.body.resume();
      const error = await failure('create bucket', bucket, response);
      // Another instance may have created it between our two calls.
      if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(error.message)) throw error;
    },
    async check() {
      if (!(await checkBucket('check bucket'))) {
        throw storageError('check bucket', bucket, 'NoSuchBucket (HTTP 404)', false);
      }
    },
    async put(key: string, body: Buffer, writeOptions: WriteOptions) {
      const response = await call('put', key, { method: 'PUT', key, headers: writeHeaders(writeOptions), body });
      if (response.status !== 200) throw await failure('put', key, response);
      response.body.resume();
    },
    async create(key: string, body: Buffer, writeOptions: WriteOptions) {
      // Conditional write (AWS, MinIO and Ceph RGW honour it): 412 when the key exists. AWS answers
      // 409 while another conditional write of the key is in flight: taken, too. A retried attempt
      // whose first answer was lost also sees 412; the caller then uses another key, and the orphan
      // is only an unreferenced object.
      const headers = { ...writeHeaders(writeOptions), 'if-none-match': '*' };
      const response = await call('create', key, { method: 'PUT', key, headers, body });
      if (response.status === 412 || response.status === 409) {
        response.body.resume();
        return false;
      }
      if (response.status !== 200) throw await failure('create', key, response);
      response.body.resume();
      return true;
    },
    head,
    async read(key: string, conditions?: ReadConditions): Promise<ReadResult | null> {
      // Conditions are evaluated here by imgr's own RFC 9110 rules (weak comparison, lists): S3 servers
      // compare If-None-Match strongly or verbatim, and each differently.
      const headers: Record<string, string> = {};
      const range = conditions?.range;
      if (range) headers.range = `bytes=${range.start}-${range.end}`;
      const response = await call('get', key, { method: 'GET', key, headers });
      if (response.status === 304) {
        response.body.resume();
        return { status: 'not-modified' };
      }
      if (response.status === 404) {
        response.body.resume();
        return null;
      }
      if ((response.status === 200 || response.status === 206) && isNotModified(toInfo(response), conditions)) {
        response.body.destroy();
        return { status: 'not-modified' };
      }
      if (response.status === 206 && range) {
        // The whole object's size follows the slash of Content-Range: "bytes 0-99/1234".
        const total = Number(response.headers['content-range']?.split('/')[1] ?? Number.NaN);
        return { status: 'found', info: toInfo(response, Number.isFinite(total) ? total : undefined), range, body: response.body };
      }
      if (response.status !== 200) throw await failure('get', key, response);
      return { status: 'found', info: toInfo(response), body: response.body };
    },
    async readBuffer(key: string) {
      const response = await call('get', key, { method: 'GET', key });
      if (response.status === 404) {
        response.body.resume();
        return null;
      }
      if (response.status !== 200) throw await failure('get', key, response);
      try {
        return { info: toInfo(response), body: await readBody(response) };
      } catch (error) {
        throw storageError('get', key, (error as Error).message, true, error);
      }
    },
    async delete(key: string) {
      const response = await call('delete', key, { method: 'DELETE', key });
      if (response.status !== 204 && response.status !== 200 && response.status !== 404) throw await failure('delete', key, response);
      response.body.resume();
    },
    async *list(prefix: string): AsyncIterable<ListedObject> {
      let token: string | undefined;
      do {
        const query: Record<string, string> = { 'list-type': '2', prefix, 'max-keys': String(options.listPageSize ?? 1000) };
        if (token) query['continuation-token'] = token;
        const response = await call('list', prefix, { method: 'GET', query });
        if (response.status !== 200) throw await failure('list', prefix, response);
        let page: { Contents?: { Key?: string; LastModified?: string }[]; IsTruncated?: string; NextContinuationToken?: string };
        try {
          page = (xml.parse((await readBody(response)).toString('utf8')) as { ListBucketResult?: typeof page }).ListBucketResult ?? {};
        } catch (error) {
          throw storageError('list', prefix, (error as Error).message, true, error);
        }
        for (const item of page.Contents ?? []) {
          if (item.Key) yield { key: item.Key, lastModified: new Date(item.LastModified ?? 0) };
        }
        token = page.IsTruncated === 'true' ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async dispose() {
      s3.dispose();
    },
  };
}
