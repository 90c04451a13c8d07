/**
 * Every error the API answers, with its status and stable code. The first three keep the
 * original application's exact `error` strings so its clients keep working.
 */
export const HTTP_ERRORS = {
  missingFile: { status: 400, code: 'missing file', message: 'The request has no multipart field named "file".' },
  invalidId: { status: 400, code: 'invalid id', message: 'Image ids are 8 characters from a-z, A-Z and 0-9.' },
  notFound: { status: 404, code: 'not found', message: 'No such image or size.' },
  notReady: { status: 404, code: 'not found', message: 'This size is not ready yet; retry shortly.' },
  wrongToken: { status: 403, code: 'forbidden', message: 'The delete token does not match this image.' },
  missingToken: { status: 401, code: 'missing token', message: 'Send the delete token in the X-Delete-Token header.' },
  tooLarge: { status: 413, code: 'too-large', message: 'The file is larger than the upload limit.' },
  unsupportedType: { status: 415, code: 'unsupported-type', message: 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted.' },
  corruptImage: { status: 422, code: 'corrupt-image', message: 'The file is damaged or truncated and cannot be read as an image.' },
  tooManyPixels: { status: 422, code: 'too-many-pixels', message: 'The image has more pixels than the limit.' },
  tooManyFrames: { status: 422, code: 'too-many-frames', message: 'The animation has more frames than the limit.' },
  animationTooLarge: { status: 422, code: 'animation-too-large', message: "The animation's canvas is larger than the limit." },
  tooManyDecodedPixels: {
    status: 422,
    code: 'too-many-decoded-pixels',
    message: 'The image has more pixels to decode (width x height x frames) than the limit.',
  },
  busy: { status: 503, code: 'busy', message: 'Too many uploads in progress; retry shortly.' },
  storageUnavailable: { status: 503, code: 'storage-unavailable', message: 'Image storage is unavailable; retry shortly.' },
  queueUnavailable: { status: 503, code: 'queue-unavailable', message: 'The resize queue is unavailable; retry shortly.' },
  requestTimeout: { status: 408, code: 'request-timeout', message: 'The request took too long to arrive.' },
  tooSlow: { status: 408, code: 'upload-too-slow', message: 'The upload arrived slower than the server accepts.' },
  rateLimited: { status: 429, code: 'rate-limited', message: 'Too many requests from this client; retry after the delay in Retry-After.' },
  badRequest: { status: 400, code: 'bad-request', message: 'The request is malformed.' },
  uploadNotFound: {
    status: 404,
    code: 'upload-not-found',
    message: 'No such resumable upload: it finished, was refused, expired or never existed. Start a new one.',
  },
  uploadExpired: { status: 410, code: 'upload-expired', message: 'This resumable upload was left unfinished too long and is gone.' },
  offsetMismatch: {
    status: 409,
    code: 'offset-mismatch',
    message: 'Upload-Offset is not where the upload stands; ask with HEAD and continue from there.',
  },
  invalidExpiresIn: {
    status: 400,
    code: 'invalid-expires-in',
    message: 'expires_in must be from 5 minutes to the longest expiry allowed.',
  },
} as const;

export type HttpErrorName = keyof typeof HTTP_ERRORS;

export interface ErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

/** Thrown by services; the app's error handler turns it into the catalogue's status and JSON body. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: string;
  constructor(
    kind: HttpErrorName,
    readonly details: { message?: string; retryAfterSeconds?: number; extra?: Record<string, unknown> } = {},
  ) {
    const entry = HTTP_ERRORS[kind];
    super(details.message ?? entry.message);
    this.status = entry.status;
    this.code = entry.code;
  }

  body(): ErrorBody {
    return { error: this.code, message: this.message, ...this.details.extra };
  }
}

/**
 * A complete raw HTTP response for errors Node's parser raises before any route runs (malformed
 * framing, oversized headers, a request that took too long): the same JSON bodies as the rest.
 */
export function rawErrorResponse(kind: 'badRequest' | 'requestTimeout' | 'headersTooLarge'): string {
  const { status, reason, code, message } =
    kind === 'headersTooLarge'
      ? {
          status: 431,
          reason: 'Request Header Fields Too Large',
          code: 'headers-too-large',
          message: 'The request headers are larger than the server accepts.',
        }
      : { ...HTTP_ERRORS[kind], reason: kind === 'badRequest' ? 'Bad Request' : 'Request Timeout' };
  const body = JSON.stringify({ error: code, message });
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
