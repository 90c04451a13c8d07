/**
 * Failures of an outside dependency (storage, broker). `retryable` tells a server fault or an outage,
 * worth another attempt, from a permanent fault that no retry can fix.
 */
export class DependencyError extends Error {
  override readonly name: string = 'DependencyError';
  constructor(
    readonly dependency: 'storage' | 'queue',
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A job that can never succeed (corrupt image, unknown task, malformed body): dead-letter it. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
