import { isImageId } from '@imgr/core';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';

export const STATUS_PATH = '/image/:id/status';

/** `GET /image/<id>/status`: pending, ready or failed (with the reason) for each size. */
export function registerStatusRoute(app: FastifyInstance, images: ImageService): void {
  app.get<{ Params: { id: string } }>(STATUS_PATH, async (request, reply) => {
    if (!isImageId(request.params.id)) throw new HttpError('invalidId');
    const status = await images.status(request.params.id);
    const pending = Object.values(status.sizes).some((size) => size.state === 'pending');
    reply.header('cache-control', 'no-store');
    if (pending) reply.header('retry-after', '1');
    return status;
  });
}
