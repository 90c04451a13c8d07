import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { PermanentJobError } from '../../errors.js';
import { isImageId } from '../../ids.js';
import type { JobContext, JobOrigin, ResizeJob } from '../queue.port.js';

/** The task name the original backend sends and the original worker registers. */
export const RESIZE_TASK = 'image_api.worker.resize_image';
export const CELERY_QUEUE = 'celery';
/** The original backend may send this size for "original": its worker treats it as a no-op. */
export const ORIGINAL_SIZE = 10_000_000;
/** imgr's own headers beside Celery's: who asked for the task, and the request behind it. */
const ORIGIN_HEADER = 'imgr_origin';
const REQUEST_ID_HEADER = 'imgr_request_id';

export interface CeleryEnvelope {
  body: Buffer;
  properties: {
    contentType: 'application/json';
    contentEncoding: 'utf-8';
    deliveryMode: 2;
    priority: 0;
    correlationId: string;
    replyTo: string;
    headers: Record<string, unknown>;
  };
}

/** Python's repr of the kwargs dict, as Celery writes `kwargsrepr`. */
function pythonRepr(kwargs: { key: string; size: number }): string {
  return `{'key': '${kwargs.key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}', 'size': ${kwargs.size}}`;
}

/**
 * Builds one Celery task-protocol-2 message, exactly as the original backend publishes it, so the
 * original Python worker can consume it. Extra headers carry the job's origin, imgr's request id
 * and trace context (Celery passes unknown headers through).
 */
export function encodeCeleryTask(job: ResizeJob, groupId: string, context: JobContext = {}): CeleryEnvelope {
  const taskId = randomUUID();
  const kwargs = { key: job.imageId, size: job.box };
  const headers: Record<string, unknown> = {
    lang: 'py',
    task: RESIZE_TASK,
    id: taskId,
    shadow: null,
    eta: null,
    expires: null,
    group: groupId,
    group_index: null,
    retries: 0,
    timelimit: [null, null],
    root_id: taskId,
    parent_id: null,
    argsrepr: '()',
    kwargsrepr: pythonRepr(kwargs),
    origin: `${process.pid}@${hostname()}`,
    ignore_result: false,
    ...context.trace,
    [ORIGIN_HEADER]: job.origin,
    ...(context.requestId ? { [REQUEST_ID_HEADER]: context.requestId } : {}),
  };
  const body = [[], kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }];
  return {
    body: Buffer.from(JSON.stringify(body), 'utf8'),
    properties: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      priority: 0,
      correlationId: taskId,
      replyTo: randomUUID(),
      headers,
    },
  };
}

export interface DecodedTask extends ResizeJob {
  taskId: string;
  context: JobContext;
}

const TRACE_HEADERS = ['traceparent', 'tracestate'];

/**
 * Who asked for a task. A message without imgr's origin header comes from another producer (the
 * original backend); one with only a request id was published by an imgr API older than the header.
 */
function originOf(headers: Record<string, unknown> | undefined): JobOrigin {
  const origin = headers?.[ORIGIN_HEADER];
  if (origin === 'upload' || origin === 'sweep') return origin;
  return typeof headers?.[REQUEST_ID_HEADER] === 'string' ? 'upload' : 'external';
}

/**
 * Reads a Celery message (protocol 2, JSON) into a resize job. Anything that is not a well-formed
 * `resize_image(key, size)` call is a permanent failure: no retry could ever make it succeed.
 */
export function decodeCeleryTask(content: Buffer, headers: Record<string, unknown> | undefined, correlationId?: string): DecodedTask {
  const task = headers?.task;
  if (task !== RESIZE_TASK) {
    throw new PermanentJobError('unknown-task', `unknown task ${JSON.stringify(task ?? null)}; this worker only runs ${RESIZE_TASK}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new PermanentJobError('bad-body', 'message body is not JSON', { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || !Array.isArray(parsed[0]) || typeof parsed[1] !== 'object' || parsed[1] === null) {
    throw new PermanentJobError('bad-body', 'message body is not a Celery [args, kwargs, embed] array');
  }
  const args = parsed[0] as unknown[];
  const kwargs = parsed[1] as Record<string, unknown>;
  // resize_image(key, size): positional arguments fill the parameters kwargs leave out.
  const key = kwargs.key ?? args[0];
  const size = kwargs.size ?? args[1];
  if (!isImageId(key)) {
    throw new PermanentJobError('bad-body', `task argument key must be an 8-character image id, got ${JSON.stringify(key ?? null)}`);
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
    throw new PermanentJobError('bad-body', `task argument size must be a positive integer, got ${JSON.stringify(size ?? null)}`);
  }
  const trace: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = headers?.[name];
    if (typeof value === 'string') trace[name] = value;
  }
  const requestId = headers?.[REQUEST_ID_HEADER];
  const id = headers?.id;
  return {
    imageId: key,
    box: size,
    origin: originOf(headers),
    taskId: typeof id === 'string' ? id : (correlationId ?? 'unknown'),
    context: { trace, requestId: typeof requestId === 'string' ? requestId : undefined },
  };
}
