import { Readable } from 'node:stream';
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

  it("answers a body that fails before its first byte 503, without the object's validators", async () => {
    const app = Fastify();
    await app.register(errorHandlerPlugin, { metrics: createMetrics('api') });
    app.get('/image', async (_request, reply) => {
      const body = new Readable({
        read() {
          this.destroy(new DependencyError('storage', '[s3-storage] get original/x: body cut short: aborted', true));
        },
      });
      return reply
        .header('etag', '"abc"')
        .header('last-modified', new Date().toUTCString())
        .header('content-type', 'image/jpeg')
        .send(body);
    });
    const response = await app.inject({ method: 'GET', url: '/image' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe(String(DEPENDENCY_RETRY_AFTER_S));
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers['last-modified']).toBeUndefined();
    expect(response.json()).toMatchObject({ error: 'storage-unavailable' });
    await app.close();
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

describe('errorHandlerPlugin: why a 503 was answered', () => {
  it('logs the dependency failure at warn, one line per interval, counting those left out', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
    const app = Fastify({ logger: { level: 'info', stream } });
    await app.register(errorHandlerPlugin, { metrics: createMetrics('api'), dependencyWarnIntervalMs: 60_000 });
    app.get('/storage', async () => {
      throw new DependencyError('storage', '[s3-storage] head big/x: connect ECONNREFUSED 127.0.0.1:7480', true);
    });
    app.get('/queue', async () => {
      throw new DependencyError('queue', 'publish not confirmed within 5000 ms', true);
    });
    for (let i = 0; i < 5; i++) expect((await app.inject('/storage')).statusCode).toBe(503);
    expect((await app.inject('/queue')).statusCode).toBe(503);
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => [line.dependency, line.msg])).toEqual([
      ['storage', 'storage unavailable: answering 503'],
      ['queue', 'queue unavailable: answering 503'],
    ]);
    expect(JSON.stringify(warnings[0])).toContain('ECONNREFUSED');
    await app.close();
  });

  it('says how many were left out when the next line comes', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
    const app = Fastify({ logger: { level: 'info', stream } });
    await app.register(errorHandlerPlugin, { metrics: createMetrics('api'), dependencyWarnIntervalMs: 50 });
    app.get('/storage', async () => {
      throw new DependencyError('storage', 'timeout', true);
    });
    for (let i = 0; i < 3; i++) await app.inject('/storage');
    await new Promise((resolve) => setTimeout(resolve, 80));
    await app.inject('/storage');
    expect(lines.filter((line) => line.level === 40).map((line) => line.suppressedSinceLast)).toEqual([0, 2]);
    await app.close();
  });
});
