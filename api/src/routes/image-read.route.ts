import { type ImageKind, isImageId, isNotModified, isVariantName, type ObjectInfo } from '@imgr/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contentRange, parseRange, readConditionsOf, sendNotModified, sendRangeNotSatisfiable } from '../conditional-request.js';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';
import { acceptedAlternates, varyOnAccept } from '../negotiation.js';

export const ORIGINAL_PATH = '/image/:id';
export const VARIANT_PATH = '/image/:id/:size';

/**
 * An id's bytes never change, but a delete must take effect: caches, browsers and shared ones alike, may keep a
 * copy yet must revalidate it on every use (a 304 from the ETag, no body), so a deleted image answers 404 at once.
 */
export const IMAGE_CACHE_CONTROL = 'public, no-cache';

function setObjectHeaders(reply: FastifyReply, info: ObjectInfo): void {
  reply
    .header('content-type', info.contentType)
    .header('content-length', String(info.contentLength))
    .header('etag', info.etag)
    .header('last-modified', info.lastModified.toUTCString())
    .header('cache-control', IMAGE_CACHE_CONTROL)
    .header('accept-ranges', 'bytes')
    // Stored bytes are served only as the image type detected at upload: a polyglot file (an image
    // that is also HTML or script) must never be sniffed into something a browser would run.
    .header('x-content-type-options', 'nosniff');
}

/** `GET|HEAD /image/<id>[/<size>]`: streams the object from storage, never buffering it whole. */
export function registerReadRoutes(app: FastifyInstance, images: ImageService): void {
  const serve = async (request: FastifyRequest<{ Params: { id: string; size?: string } }>, reply: FastifyReply) => {
    const { id, size } = request.params;
    if (!isImageId(id)) throw new HttpError('invalidId');
    let kind: ImageKind = 'original';
    if (size !== undefined) {
      if (!isVariantName(size)) throw new HttpError('notFound');
      kind = size;
    }
    const conditions = readConditionsOf(request.headers);
    const rangeHeader = request.method === 'GET' ? request.headers.range : undefined;
    // Sizes are negotiated (WebP/AVIF copies by Accept); originals are served as uploaded.
    const alternates = kind === 'original' ? [] : acceptedAlternates(request.headers.accept);
    if (kind !== 'original') varyOnAccept(reply);

    // HEAD, and ranges (which need the size first), start from the object's metadata.
    if (request.method === 'HEAD' || rangeHeader !== undefined) {
      const info = await images.head(id, kind, alternates);
      if (isNotModified(info, conditions)) return sendNotModified(reply, info.etag, IMAGE_CACHE_CONTROL);
      setObjectHeaders(reply, info);
      if (request.method === 'HEAD') return reply.send();
      const range = parseRange(rangeHeader, info.contentLength);
      if (range === null) return sendRangeNotSatisfiable(reply, info.contentLength);
      if (range !== undefined) {
        const partial = await images.read(id, kind, { range }, alternates);
        if (partial.status === 'found') {
          // A store that ignored the range sent the whole object: a plain 200, as RFC 9110 allows.
          if (!partial.range) return reply.send(partial.body);
          return reply
            .status(206)
            .header('content-range', contentRange(range, info.contentLength))
            .header('content-length', String(range.end - range.start + 1))
            .send(partial.body);
        }
      }
    }

    const result = await images.read(id, kind, conditions, alternates);
    if (result.status === 'not-modified') return sendNotModified(reply, conditions.ifNoneMatch, IMAGE_CACHE_CONTROL);
    setObjectHeaders(reply, result.info);
    return reply.send(result.body);
  };
  // Explicit HEAD routes (declared first) keep the object's Content-Length, which fastify's
  // automatic HEAD routes would reset to 0.
  for (const path of [ORIGINAL_PATH, VARIANT_PATH]) {
    app.head(path, serve);
    app.get(path, serve);
  }
}
