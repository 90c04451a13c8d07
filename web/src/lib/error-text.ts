import type { ApiError } from './api.ts';
import { formatBytes } from './format.ts';

/** What the page says about a failure: a short title, a sentence in plain words, and whether Retry can help. */
export interface ErrorText {
  title: string;
  message: string;
  retryable: boolean;
}

export interface ErrorContext {
  /** Bytes of the file that was sent. */
  fileSize?: number;
  /** The server's limit from `GET /`, when it says. */
  maxUploadBytes?: number;
  /** `navigator.onLine`: false tells "this device is offline" from "the server does not answer". */
  online?: boolean;
}

/** "8 seconds", "1 minute", "3 minutes": a wait as people say it. */
export function formatWait(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return `${whole} ${whole === 1 ? 'second' : 'seconds'}`;
  const minutes = Math.ceil(whole / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

const retryIn = (error: ApiError, fallback: string) =>
  error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0 ? `Retry in ${formatWait(error.retryAfterSeconds)}.` : fallback;

function tooLarge(context: ErrorContext): string {
  const { fileSize, maxUploadBytes } = context;
  if (fileSize !== undefined && maxUploadBytes !== undefined) {
    return `This file is ${formatBytes(fileSize)}; this server takes images up to ${formatBytes(maxUploadBytes)}.`;
  }
  if (maxUploadBytes !== undefined) return `This server takes images up to ${formatBytes(maxUploadBytes)}.`;
  return 'The file is larger than this server accepts.';
}

/**
 * The words for one failed call, chosen by the API's error code (its catalogue, `{"error": <code>}`), then by
 * HTTP status for servers that send no code (the original API, a proxy). The server's own sentence is kept
 * where it carries the numbers (pixel and frame limits), since it is already written for people.
 */
export function explainError(error: ApiError, context: ErrorContext = {}): ErrorText {
  const permanent = (title: string, message: string): ErrorText => ({ title, message, retryable: false });
  const transient = (title: string, message: string): ErrorText => ({ title, message, retryable: true });

  switch (error.code) {
    case 'too-large':
      return permanent('Too large', tooLarge(context));
    case 'unsupported-type':
      return permanent('Not a supported image', 'This server takes JPEG, PNG, GIF, WebP and AVIF images only.');
    case 'corrupt-image':
      return permanent('Damaged image', 'The file is damaged or incomplete, so it cannot be read as an image. Save it again and retry.');
    case 'too-many-pixels':
      return permanent('Too many pixels', `${error.message} Shrink it and upload it again.`);
    case 'too-many-frames':
    case 'animation-too-large':
    case 'too-many-decoded-pixels':
      return permanent('Animation too large', error.message);
    case 'rate-limited':
      return transient('Too many uploads', `This device sent many requests in a short time. ${retryIn(error, 'Retry in a minute.')}`);
    case 'busy':
      return transient('Server busy', `The server is handling many uploads at once. ${retryIn(error, 'Retry in a few seconds.')}`);
    case 'storage-unavailable':
    case 'queue-unavailable':
      return transient('Server not ready', `The server cannot store images just now. ${retryIn(error, 'Retry in a minute.')}`);
    case 'request-timeout':
    case 'upload-too-slow':
      return transient('Connection too slow', 'The upload moved too slowly and the server stopped waiting. Retry, one file at a time.');
  }

  switch (error.kind) {
    case 'too-large':
      return permanent('Too large', tooLarge(context));
    case 'unsupported-type':
      return permanent('Not a supported image', error.message || 'This server does not accept this kind of file.');
    case 'corrupt':
      return permanent('Unreadable image', error.message);
    case 'busy':
      return transient('Server busy', `The server is busy. ${retryIn(error, 'Retry in a few seconds.')}`);
    case 'offline':
      return context.online === false
        ? transient('Offline', 'This device is offline. Retry once it is connected again.')
        : transient('Server unreachable', 'The server does not answer: it may be down or restarting. Retry in a moment.');
    case 'aborted':
      return transient('Cancelled', 'You stopped this upload.');
    case 'server':
      return error.status >= 500
        ? transient('Server error', `The server failed (HTTP ${error.status}). Retry; if it keeps failing, tell its operator.`)
        : transient('Server error', error.message);
    default:
      return { title: error.title, message: error.message, retryable: error.retryable };
  }
}
