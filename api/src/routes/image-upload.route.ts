import type { FastifyInstance } from 'fastify';
import { UPLOAD_PATH } from '../contract.js';
import { HttpError } from '../http-errors.js';
import type { ImageService } from '../image.service.js';

/** Bytes of multipart framing and other fields allowed on top of the file itself. */
const MULTIPART_OVERHEAD = 64 * 1024;

/** `POST /image`: multipart field `file`, answered 201 only once the resize tasks are confirmed. */
export function registerUploadRoute(
  app: FastifyInstance,
  options: { images: ImageService; maxUploadBytes: number; maxConcurrentUploads: number },
): void {
  let active = 0;

  app.post(UPLOAD_PATH, {
    // Refuse what is certain to be too large before reading a byte of it.
    onRequest: async (request) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > options.maxUploadBytes + MULTIPART_OVERHEAD) throw new HttpError('tooLarge');
      if (active >= options.maxConcurrentUploads) throw new HttpError('busy', { retryAfterSeconds: 1 });
    },
    handler: async (request, reply) => {
      active++;
      try {
        if (!request.isMultipart()) throw new HttpError('missingFile');
        let bytes: Buffer | undefined;
        for await (const part of request.parts()) {
          if (part.type === 'file' && part.fieldname === 'file' && bytes === undefined) bytes = await part.toBuffer();
          else if (part.type === 'file') part.file.resume(); // other file fields are ignored, as the original did
        }
        if (bytes === undefined || bytes.length === 0) throw new HttpError('missingFile');
        const result = await options.images.upload(bytes, { requestId: request.id });
        return reply.status(201).send(result);
      } finally {
        active--;
      }
    },
  });
}
