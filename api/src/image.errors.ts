import { HTTP_ERRORS, type HttpErrorName } from './http-errors.js';

/** The catalogue entries the image service refuses with; which status each one gets is the HTTP layer's business. */
export type ImageErrorCode = Extract<
  HttpErrorName,
  | 'unsupportedType'
  | 'corruptImage'
  | 'tooManyPixels'
  | 'tooManyFrames'
  | 'animationTooLarge'
  | 'tooManyDecodedPixels'
  | 'notFound'
  | 'notReady'
  | 'missingToken'
  | 'wrongToken'
  | 'storageUnavailable'
  | 'queueUnavailable'
>;

export interface ImageErrorDetails {
  /** Replaces the catalogue's message when the refusal has figures to give (the image's size, the limit). */
  message?: string;
  /** When asking again may succeed: how long to wait first. */
  retryAfterSeconds?: number;
  /** Facts a client can act on (the accepted types, the limit), sent beside `error` and `message`. */
  extra?: Record<string, unknown>;
}

/** Why the image service refused an operation; the error handler turns it into the catalogue's answer. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    readonly details: ImageErrorDetails = {},
  ) {
    super(details.message ?? HTTP_ERRORS[code].message);
  }
}
