import type { IncomingHttpHeaders } from 'node:http';
import type { ByteRange, ReadConditions } from '@imgr/core';
import type { FastifyReply } from 'fastify';

/**
 * Conditional requests and ranges (RFC 9110 sections 13 and 14) for routes that serve stored
 * objects. The comparison itself (weak ETags, If-None-Match over If-Modified-Since) is the
 * store's, `isNotModified` in core: these helpers read the headers and write the answers.
 */

/** An HTTP-date; `undefined` when absent or not a date, so that a broken If-Modified-Since is ignored (RFC 9110 13.1.3). */
export function parseHttpDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The validators of a conditional GET or HEAD: If-None-Match as sent, If-Modified-Since as a date. */
export function readConditionsOf(headers: IncomingHttpHeaders): ReadConditions {
  return { ifNoneMatch: headers['if-none-match'], ifModifiedSince: parseHttpDate(headers['if-modified-since']) };
}

/**
 * One `bytes=` range against an object of `size` bytes. `undefined`: no usable Range header (serve
 * the whole object, as RFC 9110 allows for multiple or malformed ranges); `null`: unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | undefined {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || size === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size) return null;
  return start <= end ? { start, end } : undefined;
}

/** Content-Range of a 206 answer. */
export const contentRange = (range: ByteRange, size: number): string => `bytes ${range.start}-${range.end}/${size}`;

/** 416: the range starts past the end; Content-Range tells the client the object's size. */
export function sendRangeNotSatisfiable(reply: FastifyReply, size: number) {
  reply.header('content-range', `bytes */${size}`).header('content-length', '0');
  return reply.status(416).send();
}

/**
 * 304 without a body, with the Cache-Control a 200 would carry and, when the client named one
 * tag, that ETag (it matched; with a list we do not know which one did).
 */
export function sendNotModified(reply: FastifyReply, etag: string | undefined, cacheControl: string) {
  reply.header('cache-control', cacheControl);
  if (etag && !etag.includes(',')) reply.header('etag', etag);
  return reply.status(304).send();
}
