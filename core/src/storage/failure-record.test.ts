import { describe, expect, it } from 'vitest';
import { decodeFailureRecord, encodeFailureRecord, readFailureRecord, writeFailureRecord } from './failure-record.js';
import { FAILURE_PREFIX, failureKey, imageIdsUnder } from './image-keys.js';
import { createMemoryStorage } from './memory.storage.js';

const record = { reason: 'corrupt-image', message: 'The image cannot be decoded.', at: new Date('2026-01-02T03:04:05.000Z') };

describe('encodeFailureRecord / decodeFailureRecord', () => {
  it('round-trips a record through the stored JSON', () => {
    const bytes = encodeFailureRecord(record);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ ...record, at: '2026-01-02T03:04:05.000Z' });
    expect(decodeFailureRecord(bytes)).toEqual(record);
  });

  it.each([
    ['not JSON', '{"reason":'],
    ['not an object', '"corrupt-image"'],
    ['null', 'null'],
    ['a missing message', '{"reason":"corrupt-image","at":"2026-01-02T03:04:05.000Z"}'],
    ['a message of another type', '{"reason":"x","message":42,"at":"2026-01-02T03:04:05.000Z"}'],
  ])('answers null for %s', (_, text) => {
    expect(decodeFailureRecord(Buffer.from(text))).toBeNull();
  });

  it('reads a record that has only a message, or a date that is not one', () => {
    expect(decodeFailureRecord(Buffer.from('{"message":"cannot decode"}'))).toEqual({ reason: 'unknown', message: 'cannot decode' });
    expect(decodeFailureRecord(Buffer.from('{"reason":"x","message":"y","at":"yesterday"}'))).toEqual({ reason: 'x', message: 'y' });
  });
});

describe('writeFailureRecord / readFailureRecord', () => {
  it('stores the record under failed/<id>, where the sweep finds it', async () => {
    const storage = createMemoryStorage();
    await writeFailureRecord(storage, 'AbCd1234', record);
    expect((await storage.head(failureKey('AbCd1234')))?.contentType).toBe('application/json');
    expect(await readFailureRecord(storage, 'AbCd1234')).toEqual(record);
    expect(await imageIdsUnder(storage, FAILURE_PREFIX)).toEqual(new Set(['AbCd1234']));
  });

  it('answers null for an image that has not failed', async () => {
    expect(await readFailureRecord(createMemoryStorage(), 'AbCd1234')).toBeNull();
  });

  it('still reports a failure whose record cannot be read, with a generic message', async () => {
    const storage = createMemoryStorage();
    await storage.put(failureKey('AbCd1234'), Buffer.from('garbage'), { contentType: 'text/plain' });
    expect(await readFailureRecord(storage, 'AbCd1234')).toMatchObject({ reason: 'unknown', message: 'failed' });
  });
});
