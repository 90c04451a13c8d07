import { failureKey } from './image-keys.js';
import type { ObjectStore } from './storage.port.js';

/**
 * What the worker leaves at `failed/<id>` when an image can never be resized, and what the status
 * route shows from it. Its presence alone stops the sweep from enqueueing the image again.
 */
export interface FailureRecord {
  /** Stable code, e.g. `corrupt-image`, `render-timeout`, `unsupported-type`. */
  reason: string;
  /** Fixed wording for people, never the decoder's own text. */
  message: string;
  /** When the worker gave up; absent from records written by hand or by older versions. */
  at?: Date | undefined;
}

const CONTENT_TYPE = 'application/json';

/** The stored JSON: `{"reason": ..., "message": ..., "at": "<ISO 8601>"}`. */
export function encodeFailureRecord(record: Required<FailureRecord>): Buffer {
  return Buffer.from(JSON.stringify({ reason: record.reason, message: record.message, at: record.at.toISOString() }));
}

/**
 * The record, or `null` for bytes that are not one (cut short, not JSON, no message). Only the
 * message is required: a record written by hand may say nothing else.
 */
export function decodeFailureRecord(bytes: Buffer): FailureRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { reason, message, at } = parsed as Record<string, unknown>;
  if (typeof message !== 'string') return null;
  const date = typeof at === 'string' ? new Date(at) : undefined;
  return {
    reason: typeof reason === 'string' ? reason : 'unknown',
    message,
    at: date && !Number.isNaN(date.getTime()) ? date : undefined,
  };
}

export async function writeFailureRecord(storage: ObjectStore, imageId: string, record: Required<FailureRecord>): Promise<void> {
  await storage.put(failureKey(imageId), encodeFailureRecord(record), { contentType: CONTENT_TYPE });
}

/**
 * `null` when the image has not failed; a record whose content cannot be read still means it failed,
 * and reads as `unknown` with a generic message.
 */
export async function readFailureRecord(storage: ObjectStore, imageId: string): Promise<FailureRecord | null> {
  const stored = await storage.readBuffer(failureKey(imageId));
  if (!stored) return null;
  return decodeFailureRecord(stored.body) ?? { reason: 'unknown', message: 'failed', at: stored.info.lastModified };
}
