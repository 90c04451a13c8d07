/** The four variants of the original contract: S3 key prefix and URL suffix share the name. */
export const VARIANTS = [
  { name: 'big', box: 1024 },
  { name: 'medium', box: 512 },
  { name: 'small', box: 256 },
  { name: 'tiny', box: 128 },
] as const;

export type VariantName = (typeof VARIANTS)[number]['name'];
export type ImageKind = 'original' | VariantName;

export function variantForBox(box: number): (typeof VARIANTS)[number] | undefined {
  return VARIANTS.find((variant) => variant.box === box);
}

export function isVariantName(value: string): value is VariantName {
  return VARIANTS.some((variant) => variant.name === value);
}

export function objectKey(kind: ImageKind, id: string): string {
  return `${kind}/${id}`;
}

/** Prefix of the records the worker writes when an image can never be resized (read by the status route). */
export const FAILURE_PREFIX = 'failed';

export function failureKey(id: string): string {
  return `${FAILURE_PREFIX}/${id}`;
}

/**
 * Prefix of the marks a DELETE leaves before removing anything: a worker still resizing the image
 * checks for it and does not publish (or takes back) its sizes. Tiny, never removed by imgr.
 */
export const TOMBSTONE_PREFIX = 'deleted';

export function tombstoneKey(id: string): string {
  return `${TOMBSTONE_PREFIX}/${id}`;
}
