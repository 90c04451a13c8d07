import { DetailedError, Upload } from 'tus-js-client';
import { ApiError, errorFromResponse, isUploadResponse, offlineError, type UploadResponse } from './api.ts';

/**
 * Bytes per PATCH. Each request stays bounded on a slow link (5 MiB at 400 kbit/s is under two
 * minutes), and it is S3's smallest multipart part, so the server's S3 staging stores each one as is.
 */
export const RESUMABLE_CHUNK_BYTES = 5 * 1024 * 1024;

/**
 * Waits between attempts after a lost connection or a 5xx/423/429; a 4xx refusal is not retried.
 * Short on purpose: after about 10 s the card says the server cannot be reached and offers Retry,
 * which goes on from where the upload stopped.
 */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000];

export interface ResumableUploadOptions {
  /** Absolute creation URL (`GET /`'s `resumable_upload_url`, resolved against the API root). */
  endpoint: string;
  file: Blob;
  name: string;
  onProgress: (sent: number, total: number) => void;
  /** Called once when an earlier, interrupted upload of the same file goes on from `offset` bytes. */
  onResume?: ((offset: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
  expiresIn?: string | undefined;
}

/** The server has no tus endpoint after all (an older server behind the same URL): POST /image instead. */
export class ResumableUnavailable extends Error {
  override readonly name = 'ResumableUnavailable';
}

function errorOf(error: Error | DetailedError): Error {
  if (error instanceof DetailedError && error.originalResponse) {
    const response = error.originalResponse;
    const status = response.getStatus();
    // Only the creation can meet a server without the route: later requests go to a URL it gave.
    if ((status === 404 || status === 405) && error.originalRequest.getMethod() === 'POST') return new ResumableUnavailable();
    return errorFromResponse(status, '', response.getBody() ?? '', response.getHeader('Retry-After') ?? null);
  }
  return offlineError();
}

/**
 * One file sent with the tus protocol (tus-js-client). The upload's URL is kept in localStorage under
 * the file's fingerprint (name, type, size, modification time, endpoint), so picking the same file
 * again after a reload or a lost connection goes on from what the server already has.
 */
export function resumableUpload(options: ResumableUploadOptions): Promise<UploadResponse> {
  const { signal } = options;
  return new Promise<UploadResponse>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError('aborted', 'Cancelled.'));
      return;
    }
    let resumedFrom: number | undefined;
    const upload = new Upload(options.file, {
      endpoint: options.endpoint,
      chunkSize: RESUMABLE_CHUNK_BYTES,
      retryDelays: RETRY_DELAYS_MS,
      metadata: { filename: options.name, ...(options.expiresIn ? { expires_in: options.expiresIn } : {}) },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => {
        if (resumedFrom === undefined) {
          resumedFrom = sent;
          if (sent > 0) options.onResume?.(sent, total);
        }
        options.onProgress(sent, total);
      },
      onSuccess: ({ lastResponse }) => {
        let body: unknown;
        try {
          body = JSON.parse(lastResponse.getBody() ?? '');
        } catch {
          body = undefined;
        }
        if (isUploadResponse(body)) resolve(body);
        else reject(new ApiError('server', 'The server answered with something that is not an upload result.', lastResponse.getStatus()));
      },
      onError: (error) => reject(signal?.aborted ? new ApiError('aborted', 'Cancelled.') : errorOf(error)),
    });
    // Cancel removes what the server staged; a reload does not, so the upload can go on afterwards.
    signal?.addEventListener(
      'abort',
      () => {
        void upload.abort(true).catch(() => undefined);
        reject(new ApiError('aborted', 'Cancelled.'));
      },
      { once: true },
    );
    void upload.findPreviousUploads().then(
      (previous) => {
        const latest = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
        if (latest) upload.resumeFromPreviousUpload(latest);
        if (!signal?.aborted) upload.start();
      },
      () => !signal?.aborted && upload.start(),
    );
  });
}
