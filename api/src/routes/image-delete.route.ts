import { isImageId } from '@imgr/core';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';

export const DELETE_PATH = '/image/:id';
export const DELETE_TOKEN_HEADER = 'x-delete-token';

/** `DELETE /image/<id>` with the upload's token in `X-Delete-Token`: removes the original and every size. */
export function registerDeleteRoute(app: FastifyInstance, images: ImageService): void {
  app.delete<{ Params: { id: string } }>(DELETE_PATH, async (request, reply) => {
    if (!isImageId(request.params.id)) throw new HttpError('invalidId');
    const token = request.headers[DELETE_TOKEN_HEADER];
    await images.remove(request.params.id, typeof token === 'string' ? token : undefined);
    return reply.status(204).send();
  });
}
