import type { FastifyInstance } from 'fastify';

/** The one HTTP server of a process, whatever its role: the API's, or the worker's health and metrics. */
export interface HttpServer {
  http: FastifyInstance;
  /** Turns readiness red at once, first thing on shutdown. */
  setDraining(): void;
}

/**
 * Once stopping, every response asks its client to close the connection. A keep-alive connection
 * that was busy when the server began to close would otherwise stay open, idle, after its last
 * response, and hold the exit until IMGR_SHUTDOWN_TIMEOUT_MS.
 */
export function closeConnectionsWhenStopping(http: FastifyInstance, isStopping: () => boolean): void {
  http.addHook('onSend', async (_request, reply, payload) => {
    if (isStopping()) reply.header('connection', 'close');
    return payload;
  });
}
