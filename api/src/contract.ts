/**
 * The API's response shapes, for the web page to import type-only (`import type … from
 * '@imgr/api/contract'`). This file imports nothing, so the page's build needs no other package;
 * contract.test.ts checks that the sizes named here are core's variants.
 */

/** The resized sizes, as they appear in URLs and bodies. */
export type SizeName = 'big' | 'medium' | 'small' | 'tiny';

/** URL paths of one image, as the original API returns them (relative to the API's root). */
export type ImageUrls = { original: string } & Record<SizeName, string>;

export const UPLOAD_PATH = '/image';

/**
 * Creation URL of resumable uploads (tus 1.0: creation, termination, expiration). Upload-Metadata
 * may carry `filename` and `expires_in`; the PATCH that completes an upload answers 200 with the
 * same body as `201 POST /image`.
 */
export const RESUMABLE_UPLOAD_PATH = '/image/uploads';

/** Body of `201 POST /image`: the original's `id` and URLs, and imgr's `delete_token`. */
export interface UploadResult extends ImageUrls {
  id: string;
  /** Shown once; only its SHA-256 is stored, in the original's metadata. */
  delete_token: string;
  /** ISO moment the image stops being served; `null`: never. */
  expires_at: string | null;
}

export type VariantState = { state: 'pending' } | { state: 'ready' } | { state: 'failed'; reason: string };

/** Body of `GET /image/<id>/status`. */
export interface ImageStatus {
  id: string;
  sizes: Record<SizeName, VariantState>;
  /** Media types each ready size can be served as: its original's format, then its WebP/AVIF copies. */
  formats: Record<SizeName, string[]>;
  expires_at: string | null;
}

/** Body of `GET /` (JSON): the original's URL templates with `{id}` to fill in, and imgr's upload limits. */
export type IndexBody = { upload_url: string; original_image_url: string } & Record<`${SizeName}_image_url`, string> & {
    max_upload_bytes: number;
    accepted_types: readonly string[];
    /** Present when the server takes resumable (tus) uploads: their creation URL. */
    resumable_upload_url?: string;
  };
