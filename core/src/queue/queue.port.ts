/**
 * Who asked for a job: an API for an upload it just stored, the sweep for an image it found
 * incomplete, or another producer on the same queue (the original Celery backend).
 */
export type JobOrigin = 'upload' | 'sweep' | 'external';

/** One resize request: make the variant of `imageId` that fits in a `box` x `box` square. */
export interface ResizeJob {
  imageId: string;
  box: number;
  origin: JobOrigin;
}

/** What travels beside a job so logs and traces join up across processes. */
export interface JobContext {
  requestId?: string | undefined;
  /** W3C trace context carriers (`traceparent`, `tracestate`). */
  trace?: Record<string, string> | undefined;
}

export interface ReceivedJob extends ResizeJob {
  taskId: string;
  /** True when this job was handed out before (a worker died, lost the broker or gave it back). */
  redelivered: boolean;
  /**
   * Earlier deliveries of this job that ended with no answer from their worker: it died (OOM kill,
   * crash) or lost the broker while holding the job. A job that kills every worker it reaches shows
   * a growing count; the worker dead-letters it at its limit. Transient failures do not count.
   */
  lostDeliveries: number;
  context: JobContext;
}

/**
 * Resolves: the job is done and acknowledged. Throws `PermanentJobError`: the job is dead-lettered
 * with the reason. Throws anything else: the job goes back to the queue for a later attempt.
 */
export type JobHandler = (job: ReceivedJob) => Promise<void>;

export interface ConsumeOptions {
  /** Unacknowledged messages the broker may push to this consumer. */
  prefetch: number;
}

export interface DeadLetter {
  reason: string;
  message: string;
  body: string;
}

/** How traces name the queue (OpenTelemetry's `messaging.system` and `messaging.destination.name`). */
export interface MessagingLabels {
  system: string;
  destination: string;
}

export interface JobQueue {
  readonly name: string;
  readonly messaging: MessagingLabels;
  /** Connects and declares the queues; rejects when the broker cannot be reached. */
  init(): Promise<void>;
  /** Throws when the broker is unreachable right now (readiness). */
  check(): Promise<void>;
  /** Resolves only once the broker has confirmed every job (persisted), or rejects. */
  publish(jobs: readonly ResizeJob[], context?: JobContext): Promise<void>;
  consume(handler: JobHandler, options: ConsumeOptions): Promise<void>;
  /** Stops taking new messages and waits for the handlers in progress. */
  stopConsuming(): Promise<void>;
  /** Messages waiting in the queue, when the broker can tell. */
  depth(): Promise<number | undefined>;
  dispose(): Promise<void>;
}
