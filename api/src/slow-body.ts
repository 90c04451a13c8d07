import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

/**
 * Length of each window over which a body's rate is measured. The first window is the grace: a
 * client has 10 s after its headers before it is judged, and is then judged every 10 s, so a pause
 * of a few seconds on a real link (a phone changing cells) costs nothing.
 */
export const BODY_RATE_WINDOW_MS = 10_000;

/**
 * Answers 408 `upload-too-slow` and closes the connection when fewer than `minBytesPerSecond`
 * bytes arrived in a window. The socket's own byte count is read, not the body stream, so the
 * watch neither consumes nor pauses it. A slowloris (bytes per minute) is cut after 10-20 s; a
 * 400 kbit/s phone moves 50 times the default 1 KB/s.
 */
export function watchBodyRate(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { minBytesPerSecond: number; windowMs?: number; onTooSlow?: () => void },
): void {
  watchSocketRate(
    request,
    options,
    () => request.raw.complete || reply.sent,
    () => {
      const error = new HttpError('tooSlow', {
        message: `The upload arrived at less than ${options.minBytesPerSecond} bytes per second over ${(options.windowMs ?? BODY_RATE_WINDOW_MS) / 1000} s; the connection is closed.`,
        extra: { min_bytes_per_second: options.minBytesPerSecond },
      });
      reply.raw.once('finish', () => request.raw.destroy());
      void reply.status(error.status).header('connection', 'close').send(error.body());
    },
  );
}

/**
 * The same guard for a request whose answer another library writes (a resumable PATCH, answered by
 * tus): a body slower than `minBytesPerSecond` over a window is cut by closing the connection. tus
 * keeps the bytes that arrived, so a real client that stalled resumes from them; a slowloris loses
 * its upload slot after 10-20 s, as on `POST /image`.
 */
export function cutSlowBody(
  request: FastifyRequest,
  options: { minBytesPerSecond: number; windowMs?: number; onTooSlow?: () => void },
): void {
  watchSocketRate(
    request,
    options,
    () => request.raw.complete,
    () => request.raw.destroy(),
  );
}

/** Calls `cut` once when fewer than the minimum bytes reached the socket in a window, until `done()`. */
function watchSocketRate(
  request: FastifyRequest,
  options: { minBytesPerSecond: number; windowMs?: number; onTooSlow?: () => void },
  done: () => boolean,
  cut: () => void,
): void {
  const socket = request.raw.socket;
  const windowMs = options.windowMs ?? BODY_RATE_WINDOW_MS;
  const minBytes = Math.ceil((options.minBytesPerSecond * windowMs) / 1000);
  // inject()'s fake socket counts no bytes: nothing to measure there.
  if (minBytes <= 0 || typeof socket?.bytesRead !== 'number') return;
  let seen = socket.bytesRead;
  const timer = setInterval(() => {
    if (done()) return clearInterval(timer);
    const read = socket.bytesRead;
    if (read - seen >= minBytes) {
      seen = read;
      return;
    }
    clearInterval(timer);
    options.onTooSlow?.();
    cut();
  }, windowMs);
  timer.unref();
  // Cleared when the request closes, or at the next window once done() says the body is over.
  request.raw.once('close', () => clearInterval(timer));
}

/**
 * The whole body must arrive within `timeoutMs` (the upload timeout for uploads, the request
 * timeout for any other body). Node's own request timeout is not reliable here (it is only checked
 * every 30 s and not at all while headersTimeout is larger), so a client trickling a body would
 * hold the upload slot and its buffer indefinitely. Answers
 * 408 and closes the connection; the half-read body then fails the handler, whose error is moot.
 */
export function armBodyDeadline(request: FastifyRequest, reply: FastifyReply, timeoutMs: number): void {
  const timer = setTimeout(() => {
    if (request.raw.complete || reply.sent) return;
    const error = new HttpError('requestTimeout');
    reply.raw.once('finish', () => request.raw.destroy());
    void reply.status(error.status).header('connection', 'close').send(error.body());
  }, timeoutMs);
  reply.raw.once('close', () => clearTimeout(timer));
}
