import { VARIANTS, type VariantName } from '@imgr/core';

/** URL paths of one image, as the original API returns them (relative to the API's root). */
export type ImageUrls = { original: string } & Record<VariantName, string>;

export const UPLOAD_PATH = '/image';

export function imageUrls(id: string): ImageUrls {
  const urls: Record<string, string> = { original: `/image/${id}` };
  for (const variant of VARIANTS) urls[variant.name] = `/image/${id}/${variant.name}`;
  return urls as ImageUrls;
}

/** The original's `GET /` index: URL templates with `{id}` to fill in. */
export function indexBody(limits: { maxUploadBytes: number; acceptedTypes: readonly string[] }) {
  const templates: Record<string, string> = { upload_url: UPLOAD_PATH, original_image_url: '/image/{id}' };
  for (const variant of VARIANTS) templates[`${variant.name}_image_url`] = `/image/{id}/${variant.name}`;
  return { ...templates, max_upload_bytes: limits.maxUploadBytes, accepted_types: limits.acceptedTypes };
}
