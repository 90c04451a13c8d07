import { describe, expect, it } from 'vitest';
import { PermanentJobError } from '../errors.js';
import { decodeCeleryTask, encodeCeleryTask, RESIZE_TASK } from './celery-message.js';

// The message captured from the original backend (see the wire-format notes in the project docs).
const capturedBody = Buffer.from(
  JSON.stringify([[], { key: 'AbCd1234', size: 1024 }, { callbacks: null, errbacks: null, chain: null, chord: null }]),
);
const capturedHeaders = {
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

describe('encodeCeleryTask', () => {
  it('shapes body, headers and properties exactly as the original backend', () => {
    const envelope = encodeCeleryTask({ imageId: 'AbCd1234', box: 1024 }, 'group-1');
    expect(JSON.parse(envelope.body.toString('utf8'))).toEqual([
      [],
      { key: 'AbCd1234', size: 1024 },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
    const { headers, ...properties } = envelope.properties;
    expect(properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0 });
    expect(properties.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(properties.replyTo).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers).toMatchObject({
      lang: 'py',
      task: RESIZE_TASK,
      id: properties.correlationId,
      root_id: properties.correlationId,
      parent_id: null,
      group: 'group-1',
      group_index: null,
      shadow: null,
      eta: null,
      expires: null,
      retries: 0,
      timelimit: [null, null],
      argsrepr: '()',
      kwargsrepr: "{'key': 'AbCd1234', 'size': 1024}",
      ignore_result: false,
    });
    expect(headers.origin).toMatch(/^\d+@.+/);
    expect(Object.keys(headers).sort()).toEqual(Object.keys(capturedHeaders).sort());
  });

  it('adds trace context and request id as extra headers only when present', () => {
    const envelope = encodeCeleryTask({ imageId: 'AbCd1234', box: 512 }, 'g', {
      requestId: 'req-1',
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(envelope.properties.headers).toMatchObject({ imgr_request_id: 'req-1', traceparent: expect.stringMatching(/^00-/) });
  });
});

describe('decodeCeleryTask', () => {
  it('accepts the captured message unchanged', () => {
    expect(decodeCeleryTask(capturedBody, capturedHeaders)).toEqual({
      imageId: 'AbCd1234',
      box: 1024,
      taskId: capturedHeaders.id,
      context: { trace: {}, requestId: undefined },
    });
  });

  it('reads positional arguments too', () => {
    const body = Buffer.from(JSON.stringify([['AbCd1234', 256], {}, {}]));
    expect(decodeCeleryTask(body, capturedHeaders)).toMatchObject({ imageId: 'AbCd1234', box: 256 });
  });

  it('round-trips what the encoder writes', () => {
    const envelope = encodeCeleryTask({ imageId: 'Zz9Zz9Zz', box: 128 }, 'g', { requestId: 'r' });
    expect(decodeCeleryTask(envelope.body, envelope.properties.headers)).toMatchObject({
      imageId: 'Zz9Zz9Zz',
      box: 128,
      context: { requestId: 'r' },
    });
  });

  it.each([
    ['an unknown task', capturedBody, { ...capturedHeaders, task: 'other.task' }, 'unknown-task'],
    ['no task header', capturedBody, {}, 'unknown-task'],
    ['a body that is not JSON', Buffer.from('{not json'), capturedHeaders, 'bad-body'],
    ['a body that is not an array', Buffer.from('{"key":"AbCd1234"}'), capturedHeaders, 'bad-body'],
    ['a bad key', Buffer.from(JSON.stringify([[], { key: '../etc', size: 1 }, {}])), capturedHeaders, 'bad-body'],
    ['a bad size', Buffer.from(JSON.stringify([[], { key: 'AbCd1234', size: 'big' }, {}])), capturedHeaders, 'bad-body'],
  ])('rejects %s as permanent', (_label, body, headers, reason) => {
    try {
      decodeCeleryTask(body, headers);
      expect.unreachable('decode should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(PermanentJobError);
      expect((error as PermanentJobError).reason).toBe(reason);
    }
  });
});
