import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import aws4 from 'aws4';

/** Keys for SigV4; `sessionToken` for temporary credentials (an instance role, STS). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When temporary credentials stop working. */
  expiration?: Date | undefined;
}

/** `refresh` asks for new credentials after the server refused the current ones (a rewritten profile file). */
export type CredentialSource = (options?: { refresh?: boolean }) => Promise<S3Credentials>;

export interface S3HttpOptions {
  /** e.g. `http://minio:9000`; path-style requests (`/<bucket>/<key>`) go there. */
  endpoint: string;
  region: string;
  credentials: CredentialSource;
  /** Connection establishment, per attempt. */
  connectTimeoutMs: number;
  /** From sending the request to the response headers, per attempt: an S3 that stops answering fails fast. */
  responseTimeoutMs: number;
  /** Longest silence while a body streams (a slow client pauses a download through backpressure). */
  idleTimeoutMs: number;
  /** Attempts for failures worth retrying (network errors, 5xx, 429, 408); every request imgr makes is idempotent. */
  maxAttempts: number;
  /** Longest total time spent waiting between attempts, e.g. 20 s: throttling is waited out, within the caller's budget. */
  retryBudgetMs?: number;
  /** PEM file of extra trusted CAs (AWS_CA_BUNDLE, as the AWS SDK reads it). */
  caBundlePath?: string | undefined;
}

export interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** Object key below the bucket; absent for requests on the bucket itself. */
  key?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface S3Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** Must be consumed or destroyed by the caller. */
  body: IncomingMessage;
}

/** The request never got an answer (refused, reset, timed out): always worth another attempt. */
class S3NetworkError extends Error {
  override readonly name = 'S3NetworkError';
}

/** The server's certificate is not trusted: never fixes itself, so never retried. */
export class S3TlsTrustError extends Error {
  override readonly name = 'S3TlsTrustError';
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** 429, or a 503 whose error code says SlowDown (AWS, MinIO, Ceph): the server asks to slow down. */
function isThrottling(response: S3Response): boolean {
  return response.status === 429 || (response.status === 503 && /slowdown/i.test(errorCodeHeader(response.headers)));
}

/** Node's codes for a certificate the client does not trust: retrying never fixes them. */
const TLS_TRUST_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/;
/** S3 refuses signatures more than 15 minutes off; a smaller gap is left alone (Date has 1 s precision). */
const MAX_SKEW_MS = 4 * 60_000;

/** Most a Linux socket buffers on its own (tcp_wmem autotuning reaches 4 MiB). */
const KERNEL_SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/** The slowest link to the store imgr waits for: 64 KiB/s (512 kbit/s). */
const SLOWEST_LINK_BYTES_PER_S = 64 * 1024;

/** The server's reason from its error headers: HEAD answers carry no XML body, MinIO and AWS say it there. */
export function errorCodeHeader(headers: IncomingHttpHeaders): string {
  const code = headers['x-amz-error-code'] ?? headers['x-minio-error-code'];
  const region = headers['x-amz-bucket-region'];
  const reason = typeof code === 'string' ? code : '';
  return typeof region === 'string' && region ? `${reason || 'error'}, bucket in region ${region}` : reason;
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** SigV4's date format: 20261201T221400Z. */
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '');

/** RFC 3986 encoding, as SigV4 canonicalises it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Signed S3 requests over Node's own HTTP client with keep-alive. This replaced the AWS SDK on
 * imgr's hot path after measuring it on this project's server: the SDK spent 0.5-1.1 ms of CPU on
 * each HEAD, GET or PUT (middleware stack, endpoint rules, schema parsing), this client 0.1-0.2 ms,
 * which the API and the worker, sharing cores with S3 itself, give back to serving and resizing.
 * imgr only needs path-style GET, HEAD, PUT and DELETE of whole objects plus one listing, all
 * idempotent, so retries are plain re-sends.
 */
export function createS3Http(options: S3HttpOptions) {
  const base = new URL(options.endpoint);
  const secure = base.protocol === 'https:';
  const transport = secure ? https : http;
  // LIFO reuses the warmest sockets and lets idle ones expire; 128 matches the API's worst concurrency.
  const ca = options.caBundlePath ? readFileSync(options.caBundlePath) : undefined;
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 128, scheduling: 'lifo', ...(ca ? { ca } : {}) })
    : new http.Agent({ keepAlive: true, maxSockets: 128, scheduling: 'lifo' });
  // Server time minus ours, learnt from a skew refusal's Date header (a resumed VM, a broken NTP).
  let clockOffsetMs = 0;
  let lastRefreshAt = 0;
  const basePath = base.pathname.replace(/\/$/, '');

  function pathOf(bucket: string, request: S3Request): string {
    const keyPath = request.key === undefined ? '' : `/${request.key.split('/').map(rfc3986).join('/')}`;
    const query = Object.entries(request.query ?? {})
      .map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`)
      .join('&');
    return `${basePath}/${rfc3986(bucket)}${keyPath}${query ? `?${query}` : ''}`;
  }

  async function attempt(bucket: string, request: S3Request): Promise<S3Response> {
    const credentials = await options.credentials();
    const headers: Record<string, string> = { ...request.headers };
    // Over TLS the channel already protects the body, so it is not hashed for the signature (as the
    // AWS SDK does); over plain HTTP the signature covers it, so nothing on the path can alter it.
    if (secure) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    if (request.body) headers['content-length'] = String(request.body.length);
    headers['x-amz-date'] = amzDate(Date.now() + clockOffsetMs);
    const signed = aws4.sign(
      {
        host: base.host,
        path: pathOf(bucket, request),
        method: request.method,
        service: 's3',
        region: options.region,
        headers,
        body: request.body,
      },
      credentials,
    );
    return new Promise<S3Response>((resolve, reject) => {
      const fail = (error: Error) => {
        req.destroy();
        reject(error);
      };
      // Time to the first byte counts from the end of the body: a slow link moving an upload is not silence.
      let responseTimer: NodeJS.Timeout | undefined;
      let sendTimer: NodeJS.Timeout | undefined;
      const armSendTimer = () => {
        clearTimeout(sendTimer);
        sendTimer = setTimeout(() => fail(new S3NetworkError(`upload stalled for ${options.idleTimeoutMs} ms`)), options.idleTimeoutMs);
      };
      const req = transport.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method: request.method,
          path: signed.path,
          headers: signed.headers as Record<string, string>,
          agent,
        },
        (res) => {
          clearTimeout(responseTimer);
          clearTimeout(sendTimer);
          res.setTimeout(options.idleTimeoutMs, () => res.destroy(new S3NetworkError(`body stalled for ${options.idleTimeoutMs} ms`)));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
        },
      );
      req.once('socket', (socket) => {
        if (socket.connecting) {
          const connectTimer = setTimeout(
            () => fail(new S3NetworkError(`no connection within ${options.connectTimeoutMs} ms`)),
            options.connectTimeoutMs,
          );
          socket.once('connect', () => clearTimeout(connectTimer));
          socket.once('close', () => clearTimeout(connectTimer));
        }
      });
      req.once('finish', () => {
        clearTimeout(sendTimer);
        // "finish" means the body is in the kernel's send buffer (up to megabytes), not at the server:
        // on a slow link the last of it may still be on its way, so the wait allows for that too.
        const inKernelMs = Math.round((Math.min(request.body?.length ?? 0, KERNEL_SEND_BUFFER_BYTES) / SLOWEST_LINK_BYTES_PER_S) * 1000);
        const waitMs = options.responseTimeoutMs + inKernelMs;
        responseTimer = setTimeout(() => fail(new S3NetworkError(`no answer within ${waitMs} ms of sending the request`)), waitMs);
      });
      req.once('error', (error) => {
        clearTimeout(responseTimer);
        clearTimeout(sendTimer);
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (TLS_TRUST_ERRORS.test(code)) {
          reject(new S3TlsTrustError(`TLS: ${error.message} (${code}); trust the server's CA with AWS_CA_BUNDLE`, { cause: error }));
        } else {
          reject(new S3NetworkError(`${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`, { cause: error }));
        }
      });
      // Every write that drains re-arms the stall timer, so only silence fails a moving upload.
      req.on('drain', armSendTimer);
      armSendTimer();
      req.end(request.body);
    });
  }

  /** Learns the server's clock from a refusal's Date; true when the offset changed enough to re-sign. */
  function learnClock(response: S3Response): boolean {
    const serverDate = Date.parse(String(response.headers.date ?? ''));
    if (Number.isNaN(serverDate)) return false;
    const offset = serverDate - Date.now();
    if (Math.abs(offset - clockOffsetMs) < MAX_SKEW_MS) return false;
    clockOffsetMs = offset;
    return true;
  }

  /**
   * The server's Retry-After when it fits in what is left of the budget, otherwise full jitter over an
   * exponential base (100 ms, 200 ms, ... up to 5 s). MinIO says 60 s on every 429/503: waiting that
   * long would fail the caller, whose own budget is shorter, so a retry comes sooner than asked.
   */
  const backoffMs = (attemptNo: number, budgetLeftMs: number, response?: S3Response) => {
    const hinted = response && retryAfterMs(response.headers);
    if (hinted !== undefined && hinted <= budgetLeftMs) return hinted;
    return Math.random() * Math.min(5_000, 100 * 2 ** (attemptNo - 1));
  };

  /** Sends the request; retries outages and throttling with backoff within the budget, and once after a clock correction. */
  async function send(bucket: string, given: S3Request): Promise<S3Response> {
    // Over TLS the body is not in the signature (UNSIGNED-PAYLOAD): an MD5 the server checks catches
    // a body altered before it was encrypted. Every S3 server verifies Content-MD5, where the SDK's
    // newer CRC headers are refused or ignored by some; computed once for every attempt.
    const request =
      secure && given.body
        ? { ...given, headers: { ...given.headers, 'content-md5': createHash('md5').update(given.body).digest('base64') } }
        : given;
    let waitedMs = 0;
    let clockRetried = false;
    let credentialsRetried = false;
    const budget = options.retryBudgetMs ?? 20_000;
    for (let attemptNo = 1; ; attemptNo++) {
      let response: S3Response | undefined;
      try {
        response = await attempt(bucket, request);
        // A refusal from a server whose clock is minutes away from ours: re-sign once on its time.
        if ((response.status === 403 || response.status === 400) && !clockRetried && learnClock(response)) {
          clockRetried = true;
          response.body.resume();
          continue;
        }
        // Refused keys may have been replaced (a profile file rewritten, a rotated role): reload them once.
        if (response.status === 403 && !credentialsRetried && Date.now() - lastRefreshAt > 5_000) {
          credentialsRetried = true;
          lastRefreshAt = Date.now();
          const before = await options.credentials();
          const after = await options.credentials({ refresh: true }).catch(() => before);
          if (
            after.accessKeyId !== before.accessKeyId ||
            after.secretAccessKey !== before.secretAccessKey ||
            after.sessionToken !== before.sessionToken
          ) {
            response.body.resume();
            continue;
          }
        }
        if (!RETRYABLE_STATUS.has(response.status)) return response;
      } catch (error) {
        if (!(error instanceof S3NetworkError)) throw error;
        if (attemptNo >= options.maxAttempts) throw error;
      }
      const pause = backoffMs(attemptNo, budget - waitedMs, response);
      // Throttling says "later", not "broken": it is waited out for the whole budget, however many
      // attempts that takes; outages stop at maxAttempts.
      const attemptsLeft = (response !== undefined && isThrottling(response)) || attemptNo < options.maxAttempts;
      if (response && (!attemptsLeft || waitedMs + pause > budget)) return response;
      if (waitedMs + pause > budget) throw new S3NetworkError(`no answer after ${attemptNo} attempts within the ${budget} ms retry budget`);
      response?.body.resume();
      waitedMs += pause;
      await sleep(pause);
    }
  }

  return {
    send,
    isRetryableStatus: (status: number) => RETRYABLE_STATUS.has(status),
    dispose: () => agent.destroy(),
  };
}

export type S3Http = ReturnType<typeof createS3Http>;

/** The whole body of a response, sized up front when the server says how long it is. */
export async function readBody(response: S3Response): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  if (Number.isFinite(declared) && declared !== length) throw new S3NetworkError(`body cut short: ${length} of ${declared} bytes`);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
}
