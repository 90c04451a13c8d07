import { alternateKey, EXPIRES_AT_METADATA, type ObjectStore, objectKey, type RenderedVariant } from '@imgr/core';

interface VariantObject {
  key: string;
  body: Buffer;
  contentType: string;
}

/** The WebP/AVIF copies of the rendered sizes, then the sizes in the original's format. */
function objectsOf(imageId: string, rendered: readonly RenderedVariant[]): { copies: VariantObject[]; sizes: VariantObject[] } {
  return {
    copies: rendered.flatMap((variant) =>
      variant.alternates.map((alternate) => ({
        key: alternateKey(alternate.format, variant.name, imageId),
        body: alternate.body,
        contentType: alternate.contentType,
      })),
    ),
    sizes: rendered.map((variant) => ({ key: objectKey(variant.name, imageId), body: variant.body, contentType: variant.contentType })),
  };
}

/**
 * Writes the copies first and the sizes last: a size that exists has its copies already, which is
 * what "ready" means to the status route and to the worker's own "already made" check. The image's
 * expiry travels on every object, so the API can refuse an expired one from the object it reads.
 */
export async function writeVariants(
  storage: ObjectStore,
  imageId: string,
  rendered: readonly RenderedVariant[],
  originalMetadata: Record<string, string>,
): Promise<void> {
  const expiresAt = originalMetadata[EXPIRES_AT_METADATA];
  const metadata = expiresAt !== undefined ? { [EXPIRES_AT_METADATA]: expiresAt } : undefined;
  const put = (object: VariantObject) =>
    storage.put(object.key, object.body, { contentType: object.contentType, ...(metadata && { metadata }) });
  const { copies, sizes } = objectsOf(imageId, rendered);
  await Promise.all(copies.map(put));
  await Promise.all(sizes.map(put));
}

/** Removes what writeVariants wrote (an image deleted while it was being resized). */
export async function takeBackVariants(storage: ObjectStore, imageId: string, rendered: readonly RenderedVariant[]): Promise<void> {
  const { copies, sizes } = objectsOf(imageId, rendered);
  await Promise.all([...sizes, ...copies].map((object) => storage.delete(object.key)));
}
