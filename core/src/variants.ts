/**
 * The four variants of the original contract: the name is both the S3 key prefix and the URL suffix,
 * the box the bounding square in pixels. Free of imports, so the web page can take the same list.
 */
export const VARIANTS = [
  { name: 'big', box: 1024 },
  { name: 'medium', box: 512 },
  { name: 'small', box: 256 },
  { name: 'tiny', box: 128 },
] as const;

export type Variant = (typeof VARIANTS)[number];
export type VariantName = Variant['name'];

/** `['big', 'medium', 'small', 'tiny']`, largest first. */
export const VARIANT_NAMES: readonly VariantName[] = VARIANTS.map((variant) => variant.name);

export function variantForBox(box: number): Variant | undefined {
  return VARIANTS.find((variant) => variant.box === box);
}

export function isVariantName(value: string): value is VariantName {
  return VARIANTS.some((variant) => variant.name === value);
}
