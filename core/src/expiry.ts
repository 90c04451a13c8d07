/**
 * Per-upload expiry. The moment is kept twice: in the `expires-at` metadata of every object of the
 * image (the API checks it on each read, so an image stops being served the second it expires, before
 * any sweep), and in the name of a tiny marker `expiring/<seconds>-<id>`, which the sweep lists in
 * time order to find what is due without reading every original's metadata.
 */
export const EXPIRES_AT_METADATA = 'expires-at';

export const EXPIRY_PREFIX = 'expiring';

/** Shortest and longest expiry a client may ask for: 5 minutes and 180 days. */
export const MIN_EXPIRES_IN_S = 300;
export const MAX_EXPIRES_IN_S = 180 * 86_400;

/** Zero-padded seconds: key order is time order for the next 300 years. */
export function expiryMarkerKey(expiresAt: Date, id: string): string {
  return `${EXPIRY_PREFIX}/${String(Math.floor(expiresAt.getTime() / 1000)).padStart(11, '0')}-${id}`;
}

/** The moment and id a marker names; `undefined` for a key that is not a marker. */
export function parseExpiryMarker(key: string): { expiresAt: Date; id: string } | undefined {
  const match = key.match(/^expiring\/(\d{11})-([A-Za-z0-9]{8})$/);
  if (!match) return undefined;
  return { expiresAt: new Date(Number(match[1]) * 1000), id: match[2] as string };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export type ExpiresInProblem = { problem: 'malformed' } | { problem: 'out-of-range'; seconds: number };

/**
 * `expires_in` as a client sends it: seconds (`3600`) or a number with a unit (`90m`, `12h`, `7d`),
 * within [MIN_EXPIRES_IN_S, maxSeconds].
 */
export function parseExpiresIn(value: string, maxSeconds: number): { seconds: number } | ExpiresInProblem {
  const match = value.trim().match(/^(\d{1,9})([smhd]?)$/);
  if (!match) return { problem: 'malformed' };
  const seconds = Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
  if (seconds < MIN_EXPIRES_IN_S || seconds > maxSeconds) return { problem: 'out-of-range', seconds };
  return { seconds };
}

/** The stored moment, read from an object's metadata; `undefined` when the image never expires. */
export function expiresAtOf(metadata: Record<string, string>): Date | undefined {
  const value = metadata[EXPIRES_AT_METADATA];
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function isExpired(metadata: Record<string, string>, now: Date = new Date()): boolean {
  const expiresAt = expiresAtOf(metadata);
  return expiresAt !== undefined && expiresAt.getTime() <= now.getTime();
}
