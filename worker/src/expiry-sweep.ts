import {
  allAlternateKeys,
  EXPIRY_PREFIX,
  errorMessage,
  failureKey,
  isExpired,
  type Logger,
  type ObjectStore,
  objectKey,
  parseExpiryMarker,
  tombstoneKey,
  VARIANTS,
} from '@imgr/core';

/** Every key an image may hold but its original: the sizes, their WebP/AVIF copies, a failure record. */
export function derivedKeys(id: string): string[] {
  return [...VARIANTS.map((variant) => objectKey(variant.name, id)), ...allAlternateKeys(id), failureKey(id)];
}

/**
 * Deletes the images whose expiry has passed: every key, the original last, after a tombstone (as a
 * DELETE leaves: a worker still resizing the image takes its sizes back, the id is never given to
 * another upload, and the tombstone keeps the token's hash so a late DELETE still answers 204). The
 * original's own metadata decides, not the marker, so a stray marker never removes a live image.
 */
export async function sweepExpiredImages(options: { storage: ObjectStore; logger: Logger; now?: Date }): Promise<number> {
  const { storage } = options;
  const now = options.now ?? new Date();
  let expired = 0;
  for await (const listed of storage.list(`${EXPIRY_PREFIX}/`)) {
    const marker = parseExpiryMarker(listed.key);
    if (!marker || marker.expiresAt.getTime() > now.getTime()) continue;
    const original = await storage.head(objectKey('original', marker.id));
    if (original && isExpired(original.metadata, now)) {
      const tombstone = JSON.stringify({ deleted_at: now.toISOString(), expired: true });
      await storage.put(tombstoneKey(marker.id), Buffer.from(tombstone), { contentType: 'application/json', metadata: original.metadata });
      await Promise.all(derivedKeys(marker.id).map((key) => storage.delete(key)));
      await storage.delete(objectKey('original', marker.id));
      expired++;
      options.logger.info({ id: marker.id, expiresAt: marker.expiresAt.toISOString() }, 'expired image deleted');
    }
    await storage
      .delete(listed.key)
      .catch((error: unknown) => options.logger.warn({ key: listed.key, err: errorMessage(error) }, 'marker left'));
  }
  return expired;
}
