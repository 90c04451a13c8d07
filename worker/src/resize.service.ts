import {
  ALTERNATE_FORMATS,
  type AlternateFormat,
  createLimiter,
  DependencyError,
  detectFormat,
  errorMessage,
  type ImageLimits,
  type Logger,
  type Metrics,
  type ObjectStore,
  objectKey,
  PermanentJobError,
  type ReceivedJob,
  RenderTimeoutError,
  renderVariants,
  retry,
  tombstoneKey,
  VARIANTS,
  type VariantName,
  variantForBox,
  writeFailureRecord,
} from '@imgr/core';
import { takeBackVariants, writeVariants } from './variant-objects.js';

export interface ResizeServiceOptions {
  storage: ObjectStore;
  logger: Logger;
  metrics: Metrics;
  /** Images decoded and encoded at once; the CPU-bound part. */
  concurrency: number;
  /** Attempts of each storage operation before the job goes back to the queue. */
  maxAttempts: number;
  /** Decode budget and time limit of each render. */
  limits: ImageLimits;
  /** WebP/AVIF copies written for still images' sizes (IMGR_MODERN_FORMATS); default both. */
  modernFormats?: readonly AlternateFormat[];
  /**
   * Deliveries of one task that may be lost with their worker (it died holding the task) before the
   * task is dead-lettered instead of tried again: an image that kills its worker stops at this count.
   */
  maxLostDeliveries: number;
}

/** What the status route shows for a failed image: fixed wording, never the decoder's text. */
const JOB_FAILURES = {
  'corrupt-image': 'The image cannot be decoded.',
  'render-timeout': 'The image took longer to resize than the time limit allows.',
  'unsupported-type': 'The stored file is not a JPEG, PNG, GIF, WebP or AVIF image.',
  'delivery-limit': 'The image stopped the worker every time it was resized.',
} as const;

/** Images this worker finished recently: later tasks for them are acknowledged without any I/O. */
const REMEMBERED_IMAGES = 4096;

/**
 * Makes the variants of an image. A task for any size renders every missing size from one decode;
 * tasks for sizes already made are acknowledged without work, and tasks for the same image that
 * arrive together share one render.
 *
 * A task the API published for an upload it just stored (origin `upload`), on its first delivery,
 * finds either none of its sizes or all of them (another worker wrote the four together): one HEAD
 * of its own size tells which, while the original is already being fetched. Other first deliveries
 * (origin `sweep`, or `external`: a Celery producer) ask for all four sizes while fetching; a
 * redelivered message asks first, as the original may not be needed at all. Later tasks of an upload
 * this worker has just finished need no storage at all.
 */
export function createResizeService(options: ResizeServiceOptions) {
  const { storage, metrics } = options;
  const log = options.logger.child({ component: 'resize-service' });
  const limit = createLimiter(options.concurrency);
  const inFlight = new Map<string, Promise<number>>();
  const finished = new Set<string>();
  const remember = (imageId: string) => {
    finished.add(imageId);
    if (finished.size > REMEMBERED_IMAGES) finished.delete(finished.values().next().value as string);
  };
  let draining = false;

  const io = <T>(operation: () => Promise<T>): Promise<T> =>
    retry(operation, {
      attempts: options.maxAttempts,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      retryable: (error) => error instanceof DependencyError && error.retryable,
      onRetry: (error, attempt, delayMs) => {
        metrics.retries.inc();
        log.warn({ err: errorMessage(error), attempt, delayMs }, 'storage operation failed; retrying');
      },
    });

  async function markFailed(imageId: string, error: PermanentJobError): Promise<never> {
    const record = { reason: error.reason, message: error.message, at: new Date() };
    await io(() => writeFailureRecord(storage, imageId, record)).catch((markError: unknown) =>
      log.warn({ err: errorMessage(markError), imageId }, 'could not record the failure'),
    );
    throw error;
  }

  /** Returns how many variants it wrote. */
  async function renderMissing(imageId: string, requested: VariantName, redelivered: boolean, freshUpload: boolean): Promise<number> {
    const existence: Promise<boolean[]> = freshUpload
      ? io(() => storage.head(objectKey(requested, imageId))).then((info) => VARIANTS.map(() => info !== null))
      : io(() => Promise.all(VARIANTS.map((variant) => storage.head(objectKey(variant.name, imageId))))).then((infos) =>
          infos.map((info) => info !== null),
        );
    const readOriginal = () => io(() => storage.readBuffer(objectKey('original', imageId)));
    let pending: ReturnType<typeof readOriginal> | undefined;
    if (!redelivered) {
      pending = readOriginal();
      pending.catch(() => undefined); // settled below, after the existence check
    }
    const existing = await existence;
    const missing = VARIANTS.filter((_, index) => !existing[index]);
    if (missing.length === 0) return 0;
    const original = await (pending ?? readOriginal());
    if (!original) throw new PermanentJobError('missing-original', `no original stored for image ${imageId}`);
    const format = detectFormat(original.body);
    if (!format) {
      return markFailed(imageId, new PermanentJobError('unsupported-type', JOB_FAILURES['unsupported-type']));
    }
    const rendered = await limit(async () => {
      // Jobs still waiting for a render slot when the worker stops go back to the queue at once.
      if (draining) throw new DependencyError('queue', 'worker is shutting down; job handed back to the queue', true);
      return renderVariants(original.body, format, missing, options.limits, {
        alternates: options.modernFormats ?? ALTERNATE_FORMATS,
      }).catch((error: unknown) => {
        // The decoder's own text goes to the log only; the failure record and the status say it in our words.
        const timeout = error instanceof RenderTimeoutError;
        log.warn({ imageId, err: errorMessage(error) }, timeout ? 'render passed its time limit' : 'image cannot be decoded');
        return markFailed(
          imageId,
          timeout
            ? new PermanentJobError('render-timeout', JOB_FAILURES['render-timeout'], { cause: error })
            : new PermanentJobError('corrupt-image', JOB_FAILURES['corrupt-image'], { cause: error }),
        );
      });
    });
    // A DELETE answered while this render ran leaves a tombstone first: nothing is published then,
    // and sizes written just as the tombstone appeared are taken back (the DELETE's own removal may
    // have run before them).
    const deleted = () => io(() => storage.head(tombstoneKey(imageId))).then((tombstone) => tombstone !== null);
    if (await deleted()) return 0;
    // Variants are written only after all of them rendered: a reader never sees a half-made set for long.
    await io(() => writeVariants(storage, imageId, rendered, original.info.metadata));
    if (await deleted()) {
      await io(() => takeBackVariants(storage, imageId, rendered));
      log.info({ imageId }, 'image deleted during its resize; sizes taken back');
      return 0;
    }
    return rendered.length;
  }

  /** A task whose workers died holding it, again and again: dead-lettered before anything is read. */
  async function refuseLost(job: ReceivedJob): Promise<never> {
    log.error(
      { imageId: job.imageId, size: job.box, taskId: job.taskId, lostDeliveries: job.lostDeliveries },
      'task lost with its worker too many times; dead-lettered',
    );
    metrics.tasks.inc({ result: 'delivery-limit' });
    metrics.deadLetters.inc({ reason: 'delivery-limit' });
    return markFailed(job.imageId, new PermanentJobError('delivery-limit', JOB_FAILURES['delivery-limit']));
  }

  async function handle(job: ReceivedJob): Promise<void> {
    const variant = variantForBox(job.box);
    if (!variant) {
      throw new PermanentJobError('unknown-size', `size ${job.box} is none of ${VARIANTS.map((v) => v.box).join(', ')}`);
    }
    if (job.lostDeliveries >= options.maxLostDeliveries) return refuseLost(job);
    log.debug({ imageId: job.imageId, size: job.box, taskId: job.taskId, lostDeliveries: job.lostDeliveries }, 'task started');
    if (draining) throw new DependencyError('queue', 'worker is shutting down; job handed back to the queue', true);
    const started = process.hrtime.bigint();
    let run = inFlight.get(job.imageId);
    // Only an upload's own tasks trust the memory of finished images: a sweep re-enqueues an image
    // because storage lacks sizes, whatever this worker made before.
    const freshUpload = !job.redelivered && job.origin === 'upload';
    if (!run && freshUpload && finished.has(job.imageId)) run = Promise.resolve(0);
    if (!run) {
      // Timed here, by the task that starts the render: the image's other tasks share it.
      const endRender = metrics.resizeDuration.startTimer();
      run = renderMissing(job.imageId, variant.name, job.redelivered, freshUpload)
        .then((written) => {
          remember(job.imageId);
          if (written > 0) endRender({ result: 'ok' });
          return written;
        })
        .catch((error: unknown) => {
          endRender({ result: error instanceof PermanentJobError ? error.reason : 'transient' });
          throw error;
        })
        .finally(() => inFlight.delete(job.imageId));
      inFlight.set(job.imageId, run);
    }
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const written = await run;
      metrics.tasks.inc({ result: 'ok' });
      log.info(
        {
          imageId: job.imageId,
          size: job.box,
          written,
          taskId: job.taskId,
          requestId: job.context.requestId,
          ms: Math.round(seconds() * 1000),
        },
        written > 0 ? 'variants written' : 'variant already present',
      );
    } catch (error) {
      const reason = error instanceof PermanentJobError ? error.reason : 'transient';
      metrics.tasks.inc({ result: reason });
      if (error instanceof PermanentJobError) metrics.deadLetters.inc({ reason });
      throw error;
    }
  }

  return {
    handle,
    /** Stop taking new work: renders in progress finish, jobs not started yet are handed back. */
    drain() {
      draining = true;
    },
  };
}

export type ResizeService = ReturnType<typeof createResizeService>;
