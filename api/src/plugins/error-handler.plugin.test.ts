import { createMetrics, DependencyError } from '@imgr/core';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { HTTP_ERRORS } from '../http-errors.js';
import { ImageError, type ImageErrorCode } from '../image.errors.js';
import { DEPENDENCY_RETRY_AFTER_S, errorHandlerPlugin, httpErrorOf } from './error-handler.plugin.js';

const IMAGE_ERROR_CODES: ImageErrorCode[] = [
  'unsupportedType',
  'corruptImage',
  'tooManyPixels',
  'tooManyFrames',
  'animationTooLarge',
  'tooManyDecodedPixels',
  'notFound',
  'notReady',
  'missingToken',
  'wrongToken',
  'storageUnavailable',
  'queueUnavailable',
];

describe('httpErrorOf', () => {
  it("answers each of the service's refusals with its catalogue entry, keeping the service's message and facts", () => {
    for (const code of IMAGE_ERROR_CODES) {
      const mapped = httpErrorOf(new ImageError(code, { message: 'why', extra: { limit: 3 } }));
      expect(mapped).toMatchObject({ status: HTTP_ERRORS[code].status, code: HTTP_ERRORS[code].code });
      expect(mapped?.body()).toEqual({ error: HTTP_ERRORS[code].code, message: 'why', limit: 3 });
    }
  });

  it('answers an unavailable storage or broker 503 with Retry-After, whatever raised it', () => {
    const storage = httpErrorOf(new DependencyError('storage', 'socket hang up', true));
    const queue = httpErrorOf(new DependencyError('queue', 'channel closed', false));
    expect(storage).toMatchObject({ status: 503, code: 'storage-unavailable', details: { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S } });
    expect(queue).toMatchObject({ status: 503, code: 'queue-unavailable', details: { retryAfterSeconds: DEPENDENCY_RETRY_AFTER_S } });
    // The dependency's own words (hosts, keys) never reach the client.
    expect(storage?.body().message).toBe(HTTP_ERRORS.storageUnavailable.message);
  });

  it("maps fastify's client errors into the catalogue and leaves a bug unmapped", () => {
    expect(httpErrorOf(Object.assign(new Error('big'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 }))?.code).toBe('too-large');
    expect(httpErrorOf(Object.assign(new Error('slow'), { statusCode: 408 }))?.code).toBe('request-timeout');
    expect(httpErrorOf(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }))?.body()).toEqual({
      error: 'bad-request',
      message: 'Body is not valid JSON',
    });
    expect(httpErrorOf(new TypeError('undefined is not a function'))).toBeUndefined();
  });
});

describe('errorHandlerPlugin', () => {
  async function appThrowing(error: Error) {
    const app = Fastify();
    await app.register(errorHandlerPlugin, { metrics: createMetrics('api') });
    app.get('/boom', async () => {
      throw error;
    });
    return app;
  }

  it('sends the status, the JSON body and Retry-After', async () => {
    const app = await appThrowing(new DependencyError('storage', 'down', true));
    const response = await app.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(DEPENDENCY_RETRY_AFTER_S));
    expect(response.json()).toEqual({ error: 'storage-unavailable', message: HTTP_ERRORS.storageUnavailable.message });
  });

  it('answers a bug 500 without its message, and an unknown route with the JSON 404', async () => {
    const app = await appThrowing(new Error('secret internals'));
    const bug = await app.inject({ method: 'GET', url: '/boom' });
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toEqual({ error: 'internal', message: 'Unexpected server error.' });
    const missing = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not found', message: HTTP_ERRORS.notFound.message });
  });
});
