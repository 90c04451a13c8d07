import { describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../errors.js';
import { decodeCeleryTask, encodeCeleryTask } from './celery-message.js';
import { capturedBody, capturedHeaders, expectCapturedShape } from './test-celery-message.js';

describe('encodeCeleryTask', () => {
  it('shapes body, headers and properties exactly as the original backend', () => {
    const envelope = encodeCeleryTask({ imageId: 'AbCd1234', box: 1024, origin: 'upload' }, 'group-1');
    const { headers, ...properties } = envelope.properties;
    expect(properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0 });
    expect(properties.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(properties.replyTo).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers).toMatchObject({ id: properties.correlationId, group: 'group-1' });
    expectCapturedShape(headers, envelope.body, { key: 'AbCd1234', size: 1024 });
  });

  it('adds trace context and request id as extra headers only when present', () => {
    const envelope = encodeCeleryTask({ imageId: 'AbCd1234', box: 512, origin: 'upload' }, 'g', {
      requestId: 'req-1',
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(envelope.properties.headers).toMatchObject({
      imgr_origin: 'upload',
      imgr_request_id: 'req-1',
      traceparent: expect.stringMatching(/^00-/),
    });
    expect(encodeCeleryTask({ imageId: 'AbCd1234', box: 512, origin: 'sweep' }, 'g').properties.headers).not.toHaveProperty(
      'imgr_request_id',
    );
  });
});

describe('decodeCeleryTask', () => {
  it('accepts the captured message unchanged', () => {
    expect(decodeCeleryTask(capturedBody, capturedHeaders)).toEqual({
      imageId: 'AbCd1234',
      box: 1024,
      origin: 'external',
      taskId: capturedHeaders.id,
      context: { trace: {}, requestId: undefined },
    });
  });

  it('reads positional arguments too', () => {
    const body = Buffer.from(JSON.stringify([['AbCd1234', 256], {}, {}]));
    expect(decodeCeleryTask(body, capturedHeaders)).toMatchObject({ imageId: 'AbCd1234', box: 256, origin: 'external' });
  });

  it('round-trips what the encoder writes', () => {
    const envelope = encodeCeleryTask({ imageId: 'Zz9Zz9Zz', box: 128, origin: 'upload' }, 'g');
    expect(decodeCeleryTask(envelope.body, envelope.properties.headers)).toMatchObject({
      imageId: 'Zz9Zz9Zz',
      box: 128,
      origin: 'upload',
      context: { requestId: undefined },
    });
  });

  it('takes a task with a request id but no origin (an imgr API older than the header) for an upload', () => {
    expect(decodeCeleryTask(capturedBody, { ...capturedHeaders, imgr_request_id: 'req-7' })).toMatchObject({ origin: 'upload' });
    expect(decodeCeleryTask(capturedBody, { ...capturedHeaders, imgr_origin: 'sweep' })).toMatchObject({ origin: 'sweep' });
    expect(decodeCeleryTask(capturedBody, { ...capturedHeaders, imgr_origin: 'other' })).toMatchObject({ origin: 'external' });
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
