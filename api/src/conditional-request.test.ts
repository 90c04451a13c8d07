import { isNotModified, type ObjectInfo } from '@imgr/core';
import Fastify, { type FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  contentRange,
  parseHttpDate,
  parseRange,
  readConditionsOf,
  sendNotModified,
  sendRangeNotSatisfiable,
} from './conditional-request.js';

const SIZE = 1000;

describe('parseRange', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=900-', { start: 900, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    // A suffix longer than the object is the whole object; a last byte past the end is the end (RFC 9110 14.1.2).
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['bytes=999-999', { start: 999, end: 999 }],
  ])('reads %s as a satisfiable range', (header, range) => {
    expect(parseRange(header, SIZE)).toEqual(range);
  });

  it.each(['bytes=1000-', 'bytes=5000-6000', 'bytes=-0'])('finds %s unsatisfiable (416)', (header) => {
    expect(parseRange(header, SIZE)).toBeNull();
  });

  it('finds every range of an empty object unsatisfiable, a suffix included', () => {
    expect(parseRange('bytes=-10', 0)).toBeNull();
    expect(parseRange('bytes=0-', 0)).toBeNull();
  });

  // A server may ignore a Range it does not support or cannot read, and send the whole object (RFC 9110 14.2).
  it.each([undefined, '', 'bytes=-', 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes = 0-1', 'bytes=0x10-'])(
    'ignores %s (whole object)',
    (header) => {
      expect(parseRange(header, SIZE)).toBeUndefined();
    },
  );

  it('names the served bytes and the total in Content-Range', () => {
    expect(contentRange({ start: 900, end: 999 }, SIZE)).toBe('bytes 900-999/1000');
  });
});

describe('conditional requests', () => {
  const info: ObjectInfo = {
    contentType: 'image/png',
    contentLength: SIZE,
    etag: '"abc"',
    lastModified: new Date('2024-05-01T10:00:00Z'),
    metadata: {},
  };
  const notModified = (headers: Record<string, string>) => isNotModified(info, readConditionsOf(headers));

  it('reads HTTP-dates and ignores what is not one', () => {
    expect(parseHttpDate('Wed, 01 May 2024 10:00:00 GMT')?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseHttpDate('yesterday')).toBeUndefined();
    expect(parseHttpDate('')).toBeUndefined();
    expect(parseHttpDate(undefined)).toBeUndefined();
  });

  it('answers 304 to a matching If-None-Match, weak or in a list, and to *', () => {
    expect(notModified({ 'if-none-match': '"abc"' })).toBe(true);
    expect(notModified({ 'if-none-match': 'W/"abc"' })).toBe(true);
    expect(notModified({ 'if-none-match': '"x", "abc"' })).toBe(true);
    expect(notModified({ 'if-none-match': '*' })).toBe(true);
    expect(notModified({ 'if-none-match': '"other"' })).toBe(false);
  });

  it('answers 304 when not modified since the date, to the second', () => {
    expect(notModified({ 'if-modified-since': 'Wed, 01 May 2024 10:00:00 GMT' })).toBe(true);
    expect(notModified({ 'if-modified-since': 'Wed, 01 May 2024 11:00:00 GMT' })).toBe(true);
    expect(notModified({ 'if-modified-since': 'Wed, 01 May 2024 09:59:59 GMT' })).toBe(false);
    expect(notModified({ 'if-modified-since': 'not a date' })).toBe(false);
  });

  it('lets If-None-Match decide alone when both are sent (RFC 9110 13.1.3)', () => {
    expect(notModified({ 'if-none-match': '"other"', 'if-modified-since': 'Wed, 01 May 2024 11:00:00 GMT' })).toBe(false);
  });
});

describe('answers', () => {
  async function answer(send: (reply: FastifyReply) => unknown) {
    const app = Fastify();
    app.get('/', async (_request, reply) => send(reply));
    const response = await app.inject({ method: 'GET', url: '/' });
    await app.close();
    return response;
  }

  it('sends 304 with no body, the cache policy and the one tag the client named', async () => {
    const single = await answer((reply) => sendNotModified(reply, '"abc"', 'public, no-cache'));
    expect(single.statusCode).toBe(304);
    expect(single.body).toBe('');
    expect(single.headers).toMatchObject({ etag: '"abc"', 'cache-control': 'public, no-cache' });
    const list = await answer((reply) => sendNotModified(reply, '"x", "abc"', 'public, no-cache'));
    expect(list.headers.etag).toBeUndefined();
  });

  it('sends 416 with the size in Content-Range and no body', async () => {
    const response = await answer((reply) => sendRangeNotSatisfiable(reply, SIZE));
    expect(response.statusCode).toBe(416);
    expect(response.headers['content-range']).toBe('bytes */1000');
    expect(response.body).toBe('');
  });
});
