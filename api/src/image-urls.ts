import { VARIANTS } from '@imgr/core';
import { type ImageUrls, type IndexBody, RESUMABLE_UPLOAD_PATH, UPLOAD_PATH } from './contract.js';

export function imageUrls(id: string): ImageUrls {
  const urls: Record<string, string> = { original: `/image/${id}` };
  for (const variant of VARIANTS) urls[variant.name] = `/image/${id}/${variant.name}`;
  return urls as ImageUrls;
}

/** The original's `GET /` index: URL templates with `{id}` to fill in. */
export function indexBody(limits: { maxUploadBytes: number; acceptedTypes: readonly string[]; resumable?: boolean }): IndexBody {
  const templates: Record<string, string> = { upload_url: UPLOAD_PATH, original_image_url: '/image/{id}' };
  for (const variant of VARIANTS) templates[`${variant.name}_image_url`] = `/image/{id}/${variant.name}`;
  const resumable = limits.resumable ? { resumable_upload_url: RESUMABLE_UPLOAD_PATH } : {};
  return { ...templates, max_upload_bytes: limits.maxUploadBytes, accepted_types: limits.acceptedTypes, ...resumable } as IndexBody;
}
