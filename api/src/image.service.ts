import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ACCEPTED_TYPES,
  DependencyError,
  errorMessage,
  failureKey,
  type ImageFormat,
  type ImageKind,
  type ImageLimits,
  type JobContext,
  type JobQueue,
  type Logger,
  type Metrics,
  newImageId,
  type ObjectStore,
  objectKey,
  probeImage,
  type ReadConditions,
  type ReadResult,
  stripPersonalMetadata,
  VARIANTS,
  type VariantName,
} from '@imgr/core';
import { type ImageUrls, imageUrls } from './contract.js';
import { HttpError } from './http-errors.js';

export interface ImageServiceOptions {
  storage: ObjectStore;
  queue: JobQueue;
  logger: Logger;
  metrics: Metrics;
  limits: ImageLimits;
  /** Store originals as uploaded, personal metadata included (default: stripped). */
  keepOriginalMetadata?: boolean;
}

export interface UploadResult extends ImageUrls {
  id: string;
  /** Shown once; only its SHA-256 is stored, in the original's metadata. */
  delete_token: string;
}

export type VariantState = { state: 'pending' } | { state: 'ready' } | { state: 'failed'; reason: string };

export interface ImageStatus {
  id: string;
  sizes: Record<VariantName, VariantState>;
}

const TOKEN_METADATA = 'delete-token-sha256';
const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Seconds a client should wait before asking again for a size that is still being made. */
export const PENDING_RETRY_AFTER_S = 1;

function storageError(error: unknown): never {
  if (error instanceof DependencyError) throw new HttpError('storageUnavailable', { retryAfterSeconds: 5 });
  throw error;
}

/** Upload, read, status and delete of images: the API's logic, free of HTTP details. */
export function createImageService(options: ImageServiceOptions) {
  const { storage, queue, metrics } = options;
  const log = options.logger.child({ component: 'image-service' });

  /** The original without GPS, serials, author or XMP; the probe already decoded its header, so a container
   * the stripper cannot walk is refused like any other corrupt file. */
  async function privateOriginal(bytes: Buffer, format: ImageFormat): Promise<Buffer> {
    try {
      return await stripPersonalMetadata(bytes, format);
    } catch (error) {
      log.info({ err: errorMessage(error) }, 'metadata removal refused the file');
      metrics.uploads.inc({ result: 'corrupt-image' });
      throw new HttpError('corruptImage', { extra: { detail: 'the file structure is damaged' } });
    }
  }

  async function upload(bytes: Buffer, context: JobContext): Promise<UploadResult> {
    const probe = await probeImage(bytes, options.limits);
    if ('problem' in probe) {
      metrics.uploads.inc({ result: probe.problem });
      switch (probe.problem) {
        case 'unsupported-type':
          throw new HttpError('unsupportedType', {
            extra: { accepted_types: ACCEPTED_TYPES },
          });
        case 'corrupt-image':
          throw new HttpError('corruptImage', { extra: { detail: probe.detail } });
        case 'too-many-pixels':
          throw new HttpError('tooManyPixels', {
            message: `The image is ${probe.width}x${probe.height} pixels; the limit is ${options.limits.maxPixels} pixels.`,
            extra: { max_pixels: options.limits.maxPixels },
          });
        case 'too-many-frames':
          throw new HttpError('tooManyFrames', {
            message: `The animation has ${probe.frames} frames; the limit is ${options.limits.maxFrames}.`,
            extra: { max_frames: options.limits.maxFrames },
          });
      }
    }

    const stored = options.keepOriginalMetadata ? bytes : await privateOriginal(bytes, probe.format);
    const id = newImageId();
    const token = randomBytes(24).toString('base64url');
    const key = objectKey('original', id);
    await storage
      .put(key, stored, { contentType: probe.contentType, metadata: { [TOKEN_METADATA]: sha256(token).toString('hex') } })
      .catch(storageError);
    try {
      await queue.publish(
        VARIANTS.map((variant) => ({ imageId: id, box: variant.box })),
        context,
      );
      metrics.publishes.inc({ result: 'confirmed' }, VARIANTS.length);
    } catch (error) {
      metrics.publishes.inc({ result: 'failed' }, VARIANTS.length);
      // No 201 without confirmed tasks: remove the original so nothing half-accepted stays behind.
      // If that delete fails too, the reconciliation sweep will make its variants later.
      await storage
        .delete(key)
        .catch((deleteError: unknown) => log.warn({ id, err: errorMessage(deleteError) }, 'orphan original left for the sweep'));
      log.warn({ id, err: errorMessage(error) }, 'publish failed; upload refused');
      metrics.uploads.inc({ result: 'queue-unavailable' });
      throw new HttpError('queueUnavailable', { retryAfterSeconds: 5 });
    }
    metrics.uploads.inc({ result: 'accepted' });
    metrics.uploadBytes.inc(stored.length);
    return { id, ...imageUrls(id), delete_token: token };
  }

  /** A variant that is missing while its original exists and has not failed is still pending. */
  async function isPending(id: string): Promise<boolean> {
    const [original, failure] = await Promise.all([storage.head(objectKey('original', id)), storage.head(failureKey(id))]);
    return original !== null && failure === null;
  }

  /** The 404 for a missing object: with Retry-After when it is a size still being made. */
  async function missing(id: string, kind: ImageKind): Promise<never> {
    if (kind !== 'original' && (await isPending(id).catch(storageError))) {
      throw new HttpError('notReady', { retryAfterSeconds: PENDING_RETRY_AFTER_S });
    }
    throw new HttpError('notFound');
  }

  async function read(id: string, kind: ImageKind, conditions: ReadConditions): Promise<ReadResult> {
    return (await storage.read(objectKey(kind, id), conditions).catch(storageError)) ?? missing(id, kind);
  }

  async function head(id: string, kind: ImageKind) {
    return (await storage.head(objectKey(kind, id)).catch(storageError)) ?? missing(id, kind);
  }

  async function status(id: string): Promise<ImageStatus> {
    const [original, failure, ...variants] = await Promise.all([
      storage.head(objectKey('original', id)),
      storage.readBuffer(failureKey(id)),
      ...VARIANTS.map((variant) => storage.head(objectKey(variant.name, id))),
    ]).catch(storageError);
    if (!original) throw new HttpError('notFound');
    let reason = 'failed';
    if (failure) {
      try {
        reason = (JSON.parse(failure.body.toString('utf8')) as { message?: string }).message ?? reason;
      } catch {
        // keep the generic reason: the record is informative only
      }
    }
    const sizes = Object.fromEntries(
      VARIANTS.map((variant, index): [VariantName, VariantState] => {
        if (variants[index]) return [variant.name, { state: 'ready' }];
        return [variant.name, failure ? { state: 'failed', reason } : { state: 'pending' }];
      }),
    ) as Record<VariantName, VariantState>;
    return { id, sizes };
  }

  async function remove(id: string, token: string | undefined): Promise<void> {
    if (!token) throw new HttpError('missingToken');
    const original = await storage.head(objectKey('original', id)).catch(storageError);
    if (!original) throw new HttpError('notFound');
    const stored = Buffer.from(original.metadata[TOKEN_METADATA] ?? '', 'hex');
    const given = sha256(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) throw new HttpError('wrongToken');
    // Variants first, original last: until the original is gone the token still works, so a
    // delete interrupted halfway can simply be sent again.
    await Promise.all([...VARIANTS.map((variant) => storage.delete(objectKey(variant.name, id))), storage.delete(failureKey(id))]).catch(
      storageError,
    );
    await storage.delete(objectKey('original', id)).catch(storageError);
    log.info({ id }, 'image deleted');
  }

  return { upload, read, head, status, remove };
}

export type ImageService = ReturnType<typeof createImageService>;
