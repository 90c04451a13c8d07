import { type ImageKind, isImageId, isNotModified, isVariantName, type ObjectInfo } from '@imgr/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';

export const ORIGINAL_PATH = '/image/:id';
export const VARIANT_PATH = '/image/:id/:size';

/** Stored images never change under their key: let browsers and proxies keep them a day. */
const CACHE_CONTROL = 'public, max-age=86400';

function setObjectHeaders(reply: FastifyReply, info: ObjectInfo): void {
  reply
    .header('content-type', info.contentType)
    .header('content-length', String(info.contentLength))
    .header('etag', info.etag)
    .header('last-modified', info.lastModified.toUTCString())
    .header('cache-control', CACHE_CONTROL);
}

function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function notModified(reply: FastifyReply, etag: string | undefined) {
  reply.header('cache-control', CACHE_CONTROL);
  if (etag && !etag.includes(',')) reply.header('etag', etag);
  return reply.status(304).send();
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
    const conditions = {
      ifNoneMatch: request.headers['if-none-match'],
      ifModifiedSince: parseDate(request.headers['if-modified-since']),
    };
    if (request.method === 'HEAD') {
      const info = await images.head(id, kind);
      if (isNotModified(info, conditions)) return notModified(reply, info.etag);
      setObjectHeaders(reply, info);
      return reply.send();
    }
    const result = await images.read(id, kind, conditions);
    if (result.status === 'not-modified') return notModified(reply, conditions.ifNoneMatch);
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
