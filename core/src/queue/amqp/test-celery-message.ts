import { expect } from 'vitest';
import { RESIZE_TASK } from './celery-message.js';

// The message captured from the original backend (the project's wire-format notes), for tests.
export const capturedBody = Buffer.from(
  JSON.stringify([[], { key: 'AbCd1234', size: 1024 }, { callbacks: null, errbacks: null, chain: null, chord: null }]),
);

export const capturedHeaders = {
  lang: 'py',
  task: RESIZE_TASK,
  id: '5f3c2a1e-0000-4000-8000-000000000001',
  root_id: '5f3c2a1e-0000-4000-8000-000000000001',
  parent_id: null,
  group: '5f3c2a1e-0000-4000-8000-0000000000ff',
  group_index: null,
  shadow: null,
  eta: null,
  expires: null,
  retries: 0,
  timelimit: [null, null],
  argsrepr: '()',
  kwargsrepr: "{'key': 'AbCd1234', 'size': 1024}",
  origin: '42@host',
  ignore_result: false,
};

const IMGR_HEADERS = ['imgr_origin', 'imgr_request_id', 'traceparent', 'tracestate'];

/**
 * Asserts that headers and body have exactly the captured shape for `resize_image(key, size)`:
 * the same header names, the same constant values, a task id repeated as root id.
 */
export function expectCapturedShape(headers: Record<string, unknown> | undefined, body: Buffer, task: { key: string; size: number }): void {
  expect(headers).toMatchObject({
    lang: 'py',
    task: RESIZE_TASK,
    root_id: headers?.id,
    parent_id: null,
    group_index: null,
    shadow: null,
    eta: null,
    expires: null,
    retries: 0,
    timelimit: [null, null],
    argsrepr: '()',
    kwargsrepr: `{'key': '${task.key}', 'size': ${task.size}}`,
    ignore_result: false,
  });
  expect(headers?.origin).toMatch(/^\d+@.+/);
  // Besides Celery's own headers, only imgr's (which Celery passes through) and the trace context.
  const celeryHeaders = Object.keys(headers ?? {}).filter((name) => !IMGR_HEADERS.includes(name));
  expect(celeryHeaders.sort()).toEqual(Object.keys(capturedHeaders).sort());
  expect(JSON.parse(body.toString('utf8'))).toEqual([[], task, { callbacks: null, errbacks: null, chain: null, chord: null }]);
}
