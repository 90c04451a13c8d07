import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import { explainError, formatWait } from './error-text.ts';

const MiB = 1024 * 1024;
const refusal = (status: number, code: string, message = 'server words', retryAfter?: number) =>
  new ApiError(status === 429 || status === 503 ? 'busy' : 'server', message, status, retryAfter, code);

describe('error texts', () => {
  it('gives sizes in human units for a file over the limit, and no Retry', () => {
    expect(explainError(refusal(413, 'too-large'), { fileSize: 31.4 * MiB, maxUploadBytes: 25 * MiB })).toEqual({
      title: 'Too large',
      message: 'This file is 31 MB; this server takes images up to 25 MB.',
      retryable: false,
    });
    expect(explainError(refusal(413, 'too-large')).message).toBe('The file is larger than this server accepts.');
  });

  it('names the accepted formats for a 415 and says a 422 cannot be read, neither retryable', () => {
    expect(explainError(refusal(415, 'unsupported-type'))).toEqual({
      title: 'Not a supported image',
      message: 'This server takes JPEG, PNG, GIF, WebP and AVIF images only.',
      retryable: false,
    });
    expect(explainError(refusal(422, 'corrupt-image'))).toMatchObject({ title: 'Damaged image', retryable: false });
    const pixels = explainError(refusal(422, 'too-many-pixels', 'The image is 10000x6000 (60 MP); the limit is 50 MP.'));
    expect(pixels).toEqual({
      title: 'Too many pixels',
      message: 'The image is 10000x6000 (60 MP); the limit is 50 MP. Shrink it and upload it again.',
      retryable: false,
    });
  });

  it('tells the Retry-After wait of a 429 and a 503 in words', () => {
    expect(explainError(refusal(429, 'rate-limited', 'x', 42))).toEqual({
      title: 'Too many uploads',
      message: 'This device sent many requests in a short time. Retry in 42 seconds.',
      retryable: true,
    });
    expect(explainError(refusal(503, 'busy', 'x', 90)).message).toBe('The server is handling many uploads at once. Retry in 2 minutes.');
    expect(explainError(refusal(503, 'busy')).message).toBe('The server is handling many uploads at once. Retry in a few seconds.');
    expect(explainError(refusal(503, 'storage-unavailable'))).toMatchObject({ title: 'Server not ready', retryable: true });
  });

  it('tells an offline device from a server that does not answer', () => {
    const network = new ApiError('offline', 'Could not reach the server.');
    expect(explainError(network, { online: false })).toEqual({
      title: 'Offline',
      message: 'This device is offline. Retry once it is connected again.',
      retryable: true,
    });
    expect(explainError(network, { online: true })).toEqual({
      title: 'Server unreachable',
      message: 'The server does not answer: it may be down or restarting. Retry in a moment.',
      retryable: true,
    });
  });

  it('falls back on the HTTP status for servers without codes (the original API, a proxy)', () => {
    expect(explainError(new ApiError('server', 'HTTP 502 Bad Gateway', 502))).toMatchObject({
      title: 'Server error',
      message: 'The server failed (HTTP 502). Retry; if it keeps failing, tell its operator.',
    });
    expect(explainError(new ApiError('too-large', 'Request Entity Too Large', 413), { maxUploadBytes: 16 * MiB }).message).toBe(
      'This server takes images up to 16 MB.',
    );
    expect(explainError(new ApiError('aborted', 'Cancelled.'))).toMatchObject({ title: 'Cancelled', message: 'You stopped this upload.' });
  });

  it('says waits as people do', () => {
    expect([formatWait(0.2), formatWait(1), formatWait(59), formatWait(60), formatWait(61)]).toEqual([
      '1 second',
      '1 second',
      '59 seconds',
      '1 minute',
      '2 minutes',
    ]);
  });
});
