import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ACCEPTED_TYPES,
  ALTERNATE_FORMATS,
  type AlternateFormat,
  allAlternateKeys,
  alternateKey,
  errorMessage,
  expiresAtOf,
  expiryMarkerKey,
  failureKey,
  type ImageFormat,
  type ImageKind,
  type ImageLimits,
  isExpired,
  isNotModified,
  type JobContext,
  type JobQueue,
  type Logger,
  type Metrics,
  megapixels,
  newImageId,
  type ObjectInfo,
  type ObjectStore,
  objectKey,
  probeImage,
  type ReadConditions,
  type ReadResult,
  readFailureRecord,
  stripPersonalMetadata,
  tombstoneKey,
  VARIANTS,
  type VariantName,
} from '@imgr/core';
import type { ImageStatus, UploadResult, VariantState } from './contract.js';
import { type ExpiryPolicy, expiryMetadata, NO_EXPIRY_BY_DEFAULT, resolveExpiry } from './expiry-policy.js';
import { ImageError } from './image.errors.js';
import { imageUrls } from './image-urls.js';

export interface ImageServiceOptions {
  storage: ObjectStore;
  queue: JobQueue;
  logger: Logger;
  metrics: Metrics;
  limits: ImageLimits;
  /** Draws new ids; only tests replace it, to force collisions. */
  generateId?: () => string;
  /** Store originals as uploaded, personal metadata included (default: stripped). */
  keepOriginalMetadata?: boolean;
  /** Default and longest expiry of uploads (IMGR_DEFAULT_EXPIRES_IN_S, IMGR_MAX_EXPIRES_IN_S); default: never, 180 days. */
  expiry?: ExpiryPolicy;
}

const TOKEN_METADATA = 'delete-token-sha256';

/**
 * New ids tried before giving up. With 62^8 ids a single collision is already unlikely below
 * billions of images; five in a row mean something else is wrong (a broken random source).
 */
export const MAX_ID_ATTEMPTS = 5;
const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Seconds a client should wait before asking again for a size that is still being made. */
export const PENDING_RETRY_AFTER_S = 1;

/**
 * Upload, read, status and delete of images: the API's logic, free of HTTP details. Refusals are
 * `ImageError`s; storage failures (`DependencyError`) pass through untouched, for the HTTP layer to map.
 */
export function createImageService(options: ImageServiceOptions) {
  const { storage, queue, metrics, limits } = options;
  const generateId = options.generateId ?? newImageId;
  const log = options.logger.child({ component: 'image-service' });

  /** The original without GPS, serials, author or XMP; the probe already decoded its header, so a container
   * the stripper cannot walk is refused like any other corrupt file. */
  async function privateOriginal(bytes: Buffer, format: ImageFormat): Promise<Buffer> {
    try {
      return await stripPersonalMetadata(bytes, format);
    } catch (error) {
      log.info({ err: error }, 'metadata removal refused the file');
      metrics.uploads.inc({ result: 'corrupt-image' });
      throw new ImageError('corruptImage');
    }
  }

  /**
   * The one path of every new image, whichever way its bytes came (`POST /image` or a finished
   * resumable upload): checks, metadata removal, storage under a fresh id, then the resize tasks.
   */
  async function upload(bytes: Buffer, context: JobContext, expiresIn?: string): Promise<UploadResult> {
    const expiresAt = resolveExpiry(expiresIn, options.expiry ?? NO_EXPIRY_BY_DEFAULT, new Date());
    const probe = await probeImage(bytes, limits);
    if ('problem' in probe) {
      metrics.uploads.inc({ result: probe.problem });
      switch (probe.problem) {
        case 'unsupported-type':
          throw new ImageError('unsupportedType', {
            extra: { accepted_types: ACCEPTED_TYPES },
          });
        case 'corrupt-image':
          // The decoder's text helps an operator, not a client: it stays in the log.
          log.info({ detail: probe.detail }, 'upload refused: image cannot be decoded');
          throw new ImageError('corruptImage');
        case 'too-many-pixels':
          throw new ImageError('tooManyPixels', {
            message: `The image is ${probe.width}x${probe.height} (${megapixels(probe.width * probe.height)}); the limit is ${megapixels(limits.maxPixels)}.`,
            extra: { max_pixels: limits.maxPixels },
          });
        case 'too-many-frames':
          throw new ImageError('tooManyFrames', {
            message: `The animation has ${probe.frames} frames; the limit is ${limits.maxFrames}.`,
            extra: { max_frames: limits.maxFrames },
          });
        case 'animation-too-large':
          throw new ImageError('animationTooLarge', {
            message: `The animation's canvas is ${probe.width}x${probe.height} (${megapixels(probe.width * probe.height)}); animations are limited to ${megapixels(limits.maxAnimationPixels)}.`,
            extra: { max_animation_pixels: limits.maxAnimationPixels },
          });
        case 'too-many-decoded-pixels':
          throw new ImageError('tooManyDecodedPixels', {
            message: `The image is ${probe.width}x${probe.height} x ${probe.frames} frames (${megapixels(probe.width * probe.height * probe.frames)} to decode); the limit is ${megapixels(limits.maxDecodePixels)}.`,
            extra: { max_decode_pixels: limits.maxDecodePixels },
          });
      }
    }

    const stored = options.keepOriginalMetadata ? bytes : await privateOriginal(bytes, probe.format);
    const token = randomBytes(24).toString('base64url');
    const id = await storeOriginal(stored, probe.contentType, sha256(token).toString('hex'), expiryMetadata(expiresAt));
    const key = objectKey('original', id);
    if (expiresAt) {
      // The sweep finds due images by this marker; without it the image would never be removed.
      await storage
        .put(expiryMarkerKey(expiresAt, id), Buffer.alloc(0), { contentType: 'application/octet-stream' })
        .catch(async (error: unknown) => {
          await storage.delete(key).catch(() => undefined);
          throw error;
        });
    }
    try {
      await queue.publish(
        VARIANTS.map((variant) => ({ imageId: id, box: variant.box, origin: 'upload' })),
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
      throw new ImageError('queueUnavailable', { retryAfterSeconds: 5 });
    }
    metrics.uploads.inc({ result: 'accepted' });
    metrics.uploadBytes.inc(stored.length);
    return { id, ...imageUrls(id), delete_token: token, expires_at: expiresAt?.toISOString() ?? null };
  }

  /**
   * Stores the original under a new id that no other image holds or held: created only if absent
   * (never overwriting another upload and its token), and not the id of a deleted image, whose
   * tombstone would make workers take the new sizes back. Returns the id.
   */
  async function storeOriginal(bytes: Buffer, contentType: string, tokenHash: string, extra: Record<string, string>): Promise<string> {
    for (let attempt = 1; attempt <= MAX_ID_ATTEMPTS; attempt++) {
      const id = generateId();
      const key = objectKey('original', id);
      const [created, tombstone] = await Promise.all([
        storage.create(key, bytes, { contentType, metadata: { [TOKEN_METADATA]: tokenHash, ...extra } }),
        storage.head(tombstoneKey(id)),
      ]);
      if (created && !tombstone) return id;
      if (created) await storage.delete(key);
      metrics.idCollisions.inc();
      log.warn({ id, attempt }, 'new image id already taken; drawing another');
    }
    throw new ImageError('storageUnavailable', { retryAfterSeconds: 1, message: 'No free image id was found; retry shortly.' });
  }

  /** A variant that is missing while its original exists and has not failed is still pending. */
  async function isPending(id: string): Promise<boolean> {
    const [original, failure] = await Promise.all([storage.head(objectKey('original', id)), storage.head(failureKey(id))]);
    return original !== null && !isExpired(original.metadata) && failure === null;
  }

  /** The 404 for a missing object: with Retry-After when it is a size still being made. */
  async function missing(id: string, kind: ImageKind): Promise<never> {
    if (kind !== 'original' && (await isPending(id))) {
      throw new ImageError('notReady', { retryAfterSeconds: PENDING_RETRY_AFTER_S });
    }
    throw new ImageError('notFound');
  }

  /** The keys that may answer a read: the accepted WebP/AVIF copies, best first, then the size itself. */
  const candidates = (id: string, kind: ImageKind, alternates: readonly AlternateFormat[]): string[] =>
    kind === 'original' ? [objectKey(kind, id)] : [...alternates.map((format) => alternateKey(format, kind, id)), objectKey(kind, id)];

  /** An expired image answers exactly as a missing one, from the object's own metadata, before any sweep. */
  function unexpired(info: ObjectInfo): ObjectInfo {
    if (isExpired(info.metadata)) throw new ImageError('notFound');
    return info;
  }

  async function read(
    id: string,
    kind: ImageKind,
    conditions: ReadConditions,
    alternates: readonly AlternateFormat[] = [],
  ): Promise<ReadResult> {
    const conditional = conditions.ifNoneMatch !== undefined || conditions.ifModifiedSince !== undefined;
    for (const key of candidates(id, kind, alternates)) {
      if (conditional) {
        // A 304 from storage carries no metadata: the expiry is checked on a HEAD first.
        const info = await storage.head(key);
        if (!info) continue;
        if (isNotModified(unexpired(info), conditions)) return { status: 'not-modified' };
        const result = await storage.read(key, conditions.range && { range: conditions.range });
        if (result) return result;
        continue;
      }
      const result = await storage.read(key, conditions);
      if (result?.status === 'found' && isExpired(result.info.metadata)) {
        result.body.destroy();
        throw new ImageError('notFound');
      }
      if (result) return result;
    }
    return missing(id, kind);
  }

  async function head(id: string, kind: ImageKind, alternates: readonly AlternateFormat[] = []) {
    for (const key of candidates(id, kind, alternates)) {
      const info = await storage.head(key);
      if (info) return unexpired(info);
    }
    return missing(id, kind);
  }

  async function status(id: string): Promise<ImageStatus> {
    const [original, failure, ...variants] = await Promise.all([
      storage.head(objectKey('original', id)),
      readFailureRecord(storage, id),
      ...VARIANTS.map((variant) => storage.head(objectKey(variant.name, id))),
    ]);
    if (!original || isExpired(original.metadata)) throw new ImageError('notFound');
    const copies = await Promise.all(
      VARIANTS.map((variant, index) =>
        variants[index] ? Promise.all(ALTERNATE_FORMATS.map((format) => storage.head(alternateKey(format, variant.name, id)))) : [],
      ),
    );
    const sizes = Object.fromEntries(
      VARIANTS.map((variant, index): [VariantName, VariantState] => {
        if (variants[index]) return [variant.name, { state: 'ready' }];
        return [variant.name, failure ? { state: 'failed', reason: failure.message } : { state: 'pending' }];
      }),
    ) as Record<VariantName, VariantState>;
    const formats = Object.fromEntries(
      VARIANTS.map((variant, index) => [
        variant.name,
        [variants[index]?.contentType, ...(copies[index] ?? []).map((copy) => copy?.contentType)].filter((type) => type !== undefined),
      ]),
    ) as Record<VariantName, string[]>;
    return { id, sizes, formats, expires_at: expiresAtOf(original.metadata)?.toISOString() ?? null };
  }

  /**
   * Checks the token, leaves a tombstone (carrying the token's hash), then removes the sizes and the
   * original. The tombstone is written first so that a worker still resizing the image sees it and
   * takes its sizes back (worker/src/resize.service.ts). A repeated DELETE with the right token, of
   * an image already deleted, answers 204 again (and removes anything left); a wrong token 403.
   */
  async function remove(id: string, token: string | undefined): Promise<void> {
    if (!token) throw new ImageError('missingToken');
    const original = await storage.head(objectKey('original', id));
    const owner = original ?? (await storage.head(tombstoneKey(id)));
    if (!owner) throw new ImageError('notFound');
    const stored = Buffer.from(owner.metadata[TOKEN_METADATA] ?? '', 'hex');
    const given = sha256(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) throw new ImageError('wrongToken');
    if (original) {
      const tombstone = JSON.stringify({ deleted_at: new Date().toISOString() });
      await storage.put(tombstoneKey(id), Buffer.from(tombstone), {
        contentType: 'application/json',
        metadata: { [TOKEN_METADATA]: stored.toString('hex') },
      });
    }
    // Variants first, original last: until the original is gone the token still works, so a
    // delete interrupted halfway can simply be sent again.
    await Promise.all([
      ...VARIANTS.map((variant) => storage.delete(objectKey(variant.name, id))),
      ...allAlternateKeys(id).map((key) => storage.delete(key)),
      storage.delete(failureKey(id)),
    ]);
    await storage.delete(objectKey('original', id));
    log.info({ id, repeated: original === null }, 'image deleted');
  }

  /** Refuses a bad `expires_in` (400 `invalid-expires-in`) before any byte is sent: resumable uploads ask at creation. */
  function checkExpiresIn(expiresIn: string | undefined): void {
    resolveExpiry(expiresIn, options.expiry ?? NO_EXPIRY_BY_DEFAULT, new Date());
  }

  return { upload, checkExpiresIn, read, head, status, remove };
}

export type ImageService = ReturnType<typeof createImageService>;
