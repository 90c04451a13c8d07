import {
  createLogger,
  createMetrics,
  DEFAULT_IMAGE_LIMITS,
  DependencyError,
  type JobContext,
  type ResizeJob,
  VARIANTS,
  writeFailureRecord,
} from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { solidImage } from '@imgr/core/test-images';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { HTTP_ERRORS } from './http-errors.js';
import { createImageService, type ImageServiceOptions } from './image.service.js';

/**
 * What a refused operation answers, as the client sees it: the catalogue's `error` code
 * (api/src/http-errors.ts) and the Retry-After, whether the service names the entry, gives its code
 * or lets a dependency failure through for the HTTP layer to map.
 */
async function refusal(operation: Promise<unknown>): Promise<{ error: string; retryAfterSeconds?: number }> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof DependencyError) return { error: `${error.dependency}-unavailable` };
    const { code, details } = error as { code?: string; details?: { retryAfterSeconds?: number } };
    const entry = code !== undefined && code in HTTP_ERRORS ? HTTP_ERRORS[code as keyof typeof HTTP_ERRORS] : undefined;
    const answer: { error: string; retryAfterSeconds?: number } = { error: entry?.code ?? String(code) };
    if (details?.retryAfterSeconds !== undefined) answer.retryAfterSeconds = details.retryAfterSeconds;
    return answer;
  }
  throw new Error('the operation succeeded instead of being refused');
}

function setup(overrides: Partial<ImageServiceOptions> = {}) {
  const storage = createMemoryStorage();
  const queue = createMemoryQueue();
  const published: { jobs: readonly ResizeJob[]; context: JobContext | undefined }[] = [];
  const publish = queue.publish.bind(queue);
  queue.publish = async (jobs, context) => {
    await publish(jobs, context);
    published.push({ jobs, context });
  };
  const options: ImageServiceOptions = {
    storage,
    queue,
    logger: createLogger('silent'),
    metrics: createMetrics('api'),
    limits: DEFAULT_IMAGE_LIMITS,
    ...overrides,
  };
  return { storage, queue, published, service: createImageService(options) };
}

const png = () => solidImage(40, 30, 'png');
const unavailable = () => new DependencyError('storage', 'storage is down', true);

describe('ImageService.upload', () => {
  it('stores the original, asks for every size with the request context, and returns the links and a token', async () => {
    const { storage, published, service } = setup();
    const result = await service.upload(await png(), { requestId: 'req-1' });
    expect(result.id).toMatch(/^[a-zA-Z0-9]{8}$/);
    expect(result).toMatchObject({ original: `/image/${result.id}`, big: `/image/${result.id}/big`, tiny: `/image/${result.id}/tiny` });
    expect(result.delete_token.length).toBeGreaterThan(20);
    expect((await storage.head(`original/${result.id}`))?.contentType).toBe('image/png');
    expect(published).toHaveLength(1);
    expect(published[0]?.context).toMatchObject({ requestId: 'req-1' });
    expect(published[0]?.jobs).toEqual(VARIANTS.map((variant) => expect.objectContaining({ imageId: result.id, box: variant.box })));
  });

  it('removes personal metadata from the stored original unless told to keep it', async () => {
    const tagged = await sharp(await solidImage(40, 30, 'jpeg'))
      .withExif({ IFD0: { Artist: 'Someone Private' } })
      .jpeg()
      .toBuffer();
    const stripped = setup();
    const { id } = await stripped.service.upload(tagged, {});
    expect((await stripped.storage.readBuffer(`original/${id}`))?.body.includes('Someone Private')).toBe(false);
    const kept = setup({ keepOriginalMetadata: true });
    const other = await kept.service.upload(tagged, {});
    expect((await kept.storage.readBuffer(`original/${other.id}`))?.body.equals(tagged)).toBe(true);
  });

  it('refuses a file that is no image, a damaged one and one over the pixel limit, storing nothing', async () => {
    const { storage, published, service } = setup({ limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 100 } });
    expect(await refusal(service.upload(Buffer.from('plain text, not an image'), {}))).toMatchObject({ error: 'unsupported-type' });
    expect(await refusal(service.upload((await png()).subarray(0, 40), {}))).toEqual({ error: 'corrupt-image' });
    expect(await refusal(service.upload(await png(), {}))).toMatchObject({ error: 'too-many-pixels' });
    expect(storage.size).toBe(0);
    expect(published).toHaveLength(0);
  });

  it('answers queue-unavailable when the tasks cannot be published, and leaves no original behind', async () => {
    const { storage, queue, service } = setup();
    queue.publish = async () => Promise.reject(new DependencyError('queue', 'broker is down', true));
    expect(await refusal(service.upload(await png(), {}))).toMatchObject({ error: 'queue-unavailable' });
    expect(storage.size).toBe(0);
  });

  it('answers storage-unavailable when the original cannot be stored', async () => {
    const { storage, published, service } = setup();
    storage.create = async () => Promise.reject(unavailable());
    expect(await refusal(service.upload(await png(), {}))).toMatchObject({ error: 'storage-unavailable' });
    expect(published).toHaveLength(0);
  });

  it('draws another id when one is taken or belonged to a deleted image, and gives up after a few', async () => {
    const ids = ['Taken000', 'Gone0000', 'Fresh000'];
    const { storage, service } = setup({ generateId: () => ids.shift() ?? 'Taken000' });
    await storage.put('original/Taken000', Buffer.from('another upload'), { contentType: 'image/png' });
    await storage.put('deleted/Gone0000', Buffer.from('{}'), { contentType: 'application/json' });
    expect((await service.upload(await png(), {})).id).toBe('Fresh000');
    expect((await storage.readBuffer('original/Taken000'))?.body.toString()).toBe('another upload');
    expect(await storage.head('original/Gone0000')).toBeNull();
    expect(await refusal(service.upload(await png(), {}))).toMatchObject({ error: 'storage-unavailable' });
  });
});

describe('ImageService.read and head', () => {
  it('serves a stored original and size with their type', async () => {
    const { storage, service } = setup();
    const { id } = await service.upload(await png(), {});
    await storage.put(`small/${id}`, Buffer.from('small bytes'), { contentType: 'image/png' });
    expect(await service.read(id, 'original', {})).toMatchObject({ status: 'found', info: { contentType: 'image/png' } });
    expect(await service.head(id, 'small')).toMatchObject({ contentType: 'image/png', contentLength: 'small bytes'.length });
  });

  it('tells a size still being made (retry shortly) from an image that does not exist', async () => {
    const { service } = setup();
    const { id } = await service.upload(await png(), {});
    expect(await refusal(service.read(id, 'big', {}))).toEqual({ error: 'not found', retryAfterSeconds: 1 });
    expect(await refusal(service.head('Missing0', 'big'))).toEqual({ error: 'not found' });
  });

  it('does not ask a failed image to be retried', async () => {
    const { storage, service } = setup();
    const { id } = await service.upload(await png(), {});
    await writeFailureRecord(storage, id, { reason: 'corrupt-image', message: 'The image cannot be decoded.', at: new Date() });
    expect(await refusal(service.read(id, 'big', {}))).toEqual({ error: 'not found' });
  });

  it('answers storage-unavailable when storage fails', async () => {
    const { storage, service } = setup();
    storage.read = async () => Promise.reject(unavailable());
    expect(await refusal(service.read('AbCd1234', 'original', {}))).toMatchObject({ error: 'storage-unavailable' });
  });
});

describe('ImageService.status', () => {
  it('reports each size pending, then ready', async () => {
    const { storage, service } = setup();
    const { id } = await service.upload(await png(), {});
    expect(await service.status(id)).toEqual({
      id,
      sizes: { big: { state: 'pending' }, medium: { state: 'pending' }, small: { state: 'pending' }, tiny: { state: 'pending' } },
      formats: { big: [], medium: [], small: [], tiny: [] },
      expires_at: null,
    });
    await storage.put(`medium/${id}`, Buffer.from('m'), { contentType: 'image/png' });
    const ready = await service.status(id);
    expect(ready.sizes.medium).toEqual({ state: 'ready' });
    expect(ready.formats.medium).toEqual(['image/png']);
  });

  it("reports the missing sizes of a failed image as failed, with the failure record's message", async () => {
    const { storage, service } = setup();
    const { id } = await service.upload(await png(), {});
    await storage.put(`big/${id}`, Buffer.from('b'), { contentType: 'image/png' });
    await writeFailureRecord(storage, id, { reason: 'render-timeout', message: 'Took too long.', at: new Date() });
    const { sizes } = await service.status(id);
    expect(sizes.big).toEqual({ state: 'ready' });
    expect(sizes.tiny).toEqual({ state: 'failed', reason: 'Took too long.' });
  });

  it('answers not found for an unknown image', async () => {
    expect(await refusal(setup().service.status('Missing0'))).toEqual({ error: 'not found' });
  });
});

describe('ImageService.remove', () => {
  it('needs the token, refuses a wrong one, and with the right one removes the image and every size', async () => {
    const { storage, service } = setup();
    const { id, delete_token } = await service.upload(await png(), {});
    await storage.put(`big/${id}`, Buffer.from('b'), { contentType: 'image/png' });
    expect(await refusal(service.remove(id, undefined))).toEqual({ error: 'missing token' });
    expect(await refusal(service.remove(id, 'not-the-token'))).toEqual({ error: 'forbidden' });
    expect(await storage.head(`original/${id}`)).not.toBeNull();
    await service.remove(id, delete_token);
    expect(await storage.head(`original/${id}`)).toBeNull();
    expect(await storage.head(`big/${id}`)).toBeNull();
    // The tombstone stays, so a worker still resizing takes its sizes back and the id is not reused.
    expect(await storage.head(`deleted/${id}`)).not.toBeNull();
  });

  it('accepts the same delete again, and answers not found for an image that never existed', async () => {
    const { service } = setup();
    const { id, delete_token } = await service.upload(await png(), {});
    await service.remove(id, delete_token);
    await expect(service.remove(id, delete_token)).resolves.toBeUndefined();
    expect(await refusal(service.remove(id, 'not-the-token'))).toEqual({ error: 'forbidden' });
    expect(await refusal(service.remove('Missing0', 'any'))).toEqual({ error: 'not found' });
  });
});
