import type { VariantName } from '../variants.js';
import type { ObjectStore } from './storage.port.js';

/**
 * Where an image's objects live in the bucket: `<kind>/<id>` for the original and each variant (the
 * original application's layout), plus two records of imgr's own under their own prefixes.
 */
export type ImageKind = 'original' | VariantName;

export function objectKey(kind: ImageKind, id: string): string {
  return `${kind}/${id}`;
}

/** Prefix of the records the worker writes when an image can never be resized (failure-record.ts). */
export const FAILURE_PREFIX = 'failed';

export function failureKey(id: string): string {
  return `${FAILURE_PREFIX}/${id}`;
}

/**
 * Prefix of the marks a DELETE leaves before removing anything: a worker still resizing the image
 * checks for it and does not publish (or takes back) its sizes. Tiny, never removed by imgr.
 */
const TOMBSTONE_PREFIX = 'deleted';

export function tombstoneKey(id: string): string {
  return `${TOMBSTONE_PREFIX}/${id}`;
}

/** The ids of every object under one prefix (`big`, `failed`...), read by listing the bucket. */
export async function imageIdsUnder(storage: ObjectStore, prefix: ImageKind | typeof FAILURE_PREFIX): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const object of storage.list(`${prefix}/`)) ids.add(object.key.slice(prefix.length + 1));
  return ids;
}
