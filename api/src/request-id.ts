import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A caller's id is kept (a proxy's or a client's, to follow one request through its logs) only when
 * it is short and made of characters that are safe in logs, traces and task messages: a UUID, a
 * HAProxy `%ID`, a 32-hex trace id all fit.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request's id: the caller's X-Request-Id when it matches the pattern, otherwise a random UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}
