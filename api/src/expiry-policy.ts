import { EXPIRES_AT_METADATA, MIN_EXPIRES_IN_S, parseExpiresIn } from '@imgr/core';
import { HttpError } from './http-errors.js';

/** The operator's side of expiry (IMGR_DEFAULT_EXPIRES_IN_S, IMGR_MAX_EXPIRES_IN_S). */
export interface ExpiryPolicy {
  /** Seconds given to uploads that ask for none; 0: they never expire. */
  defaultSeconds: number;
  /** Longest a client may ask for, e.g. 15 552 000 (180 days). */
  maxSeconds: number;
}

export const NO_EXPIRY_BY_DEFAULT: ExpiryPolicy = { defaultSeconds: 0, maxSeconds: 180 * 86_400 };

/** When an upload expires: the client's `expires_in`, else the operator's default; `undefined`: never. */
export function resolveExpiry(expiresIn: string | undefined, policy: ExpiryPolicy, now: Date): Date | undefined {
  let seconds = policy.defaultSeconds;
  if (expiresIn !== undefined) {
    const parsed = parseExpiresIn(expiresIn, policy.maxSeconds);
    if ('problem' in parsed) {
      throw new HttpError('invalidExpiresIn', {
        message:
          parsed.problem === 'malformed'
            ? 'expires_in is seconds (3600) or a number with a unit s, m, h or d (90m, 12h, 7d).'
            : `expires_in is ${parsed.seconds} s; it must be from ${MIN_EXPIRES_IN_S} s (5 minutes) to ${policy.maxSeconds} s.`,
        extra: { min_expires_in: MIN_EXPIRES_IN_S, max_expires_in: policy.maxSeconds },
      });
    }
    seconds = parsed.seconds;
  }
  return seconds > 0 ? new Date(now.getTime() + seconds * 1000) : undefined;
}

export const expiryMetadata = (expiresAt: Date | undefined): Record<string, string> =>
  expiresAt ? { [EXPIRES_AT_METADATA]: expiresAt.toISOString() } : {};
