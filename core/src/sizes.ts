/**
 * Celery tasks may carry this size for "original": the original worker treats it as a no-op.
 * A quirk of the Celery wire format, kept apart from the variants and the key layout so that it can
 * move into the AMQP adapter without touching them.
 */
export const ORIGINAL_SIZE = 10_000_000;
