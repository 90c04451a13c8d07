import type { Metrics } from '@imgr/core';
import type { FastifyReply } from 'fastify';
import { HttpError } from './http-errors.js';

/**
 * One upload in progress, counted against IMGR_MAX_CONCURRENT_UPLOADS from the moment its request
 * arrives until both its handler has finished with the bytes and its response is closed, whichever
 * comes last (a client that hangs up mid-store does not free the slot while its upload is still
 * being stored).
 */
export interface UploadSlot {
  /** The handler holds the bytes (reading, checking, storing). */
  handling(active: boolean): void;
}

/**
 * The uploads in progress on this instance, shared by `POST /image` and the resumable PATCHes so
 * that both together stay within the limit. `take` checks and counts in one synchronous step, so a
 * burst never takes more than the limit; beyond it, 503 `busy` with Retry-After.
 */
export function createUploadSlots(options: { max: number; metrics: Metrics }) {
  let active = 0;
  return {
    take(reply: FastifyReply): UploadSlot {
      if (active >= options.max) {
        options.metrics.refusedClients.inc({ reason: 'busy' });
        throw new HttpError('busy', { retryAfterSeconds: 1 });
      }
      active++;
      options.metrics.uploadsInProgress.set(active);
      let handling = false;
      let closed = false;
      let released = false;
      const release = () => {
        if (released || handling || !closed) return;
        released = true;
        active--;
        options.metrics.uploadsInProgress.set(active);
      };
      reply.raw.once('close', () => {
        closed = true;
        release();
      });
      return {
        handling(now) {
          handling = now;
          release();
        },
      };
    },
  };
}

export type UploadSlots = ReturnType<typeof createUploadSlots>;
