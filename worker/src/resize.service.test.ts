import {
  createLogger,
  createMetrics,
  DEFAULT_IMAGE_LIMITS,
  DependencyError,
  PermanentJobError,
  type ReceivedJob,
  VARIANT_NAMES,
} from '@imgr/core';
import { createMemoryStorage } from '@imgr/core/adapters';
import { animatedGif, solidImage } from '@imgr/core/test-images';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createResizeService } from './resize.service.js';

const job = (imageId: string, box: number): ReceivedJob => ({
  imageId,
  box,
  origin: 'external',
  taskId: 't',
  redelivered: false,
  lostDeliveries: 0,
  context: {},
});

function setup() {
  const storage = createMemoryStorage();
  const metrics = createMetrics('worker');
  const service = createResizeService({
    storage,
    logger: createLogger('silent'),
    metrics,
    concurrency: 2,
    maxAttempts: 3,
    limits: DEFAULT_IMAGE_LIMITS,
    maxLostDeliveries: 3,
  });
  return { storage, metrics, service };
}

describe('resize service', () => {
  it('renders all four sizes on the first task and acknowledges the others without work', async () => {
    const { storage, service } = setup();
    await storage.put('original/AbCd1234', await solidImage(2000, 1000, 'jpeg'), { contentType: 'image/jpeg' });
    let puts = 0;
    const put = storage.put.bind(storage);
    storage.put = async (...args) => {
      puts++;
      return put(...args);
    };
    await service.handle(job('AbCd1234', 1024));
    expect(puts).toBe(12); // four sizes, each with its WebP and AVIF copy
    await Promise.all([512, 256, 128].map((box) => service.handle(job('AbCd1234', box))));
    expect(puts).toBe(12); // four sizes, each with its WebP and AVIF copy
    const sizes = await Promise.all(
      VARIANT_NAMES.map(async (name) => {
        const stored = await storage.readBuffer(`${name}/AbCd1234`);
        const meta = await sharp(stored?.body).metadata();
        return [name, stored?.info.contentType, meta.width, meta.height];
      }),
    );
    expect(sizes).toEqual([
      ['big', 'image/jpeg', 1024, 512],
      ['medium', 'image/jpeg', 512, 256],
      ['small', 'image/jpeg', 256, 128],
      ['tiny', 'image/jpeg', 128, 64],
    ]);
  });

  it('shares one render between tasks of the same image that arrive together', async () => {
    const { storage, service } = setup();
    await storage.put('original/AbCd1234', await animatedGif(300, 200, 3, 100), { contentType: 'image/gif' });
    let reads = 0;
    const readBuffer = storage.readBuffer.bind(storage);
    storage.readBuffer = async (key) => {
      reads++;
      return readBuffer(key);
    };
    await Promise.all([1024, 512, 256, 128].map((box) => service.handle(job('AbCd1234', box))));
    expect(reads).toBe(1);
    const tiny = await storage.readBuffer('tiny/AbCd1234');
    expect((await sharp(tiny?.body, { animated: true }).metadata()).pages).toBe(3);
  });

  it('publishes no size of an image deleted while it rendered (its tombstone is there before the writes)', async () => {
    const { storage, service } = setup();
    await storage.put('original/AbCd1234', await solidImage(600, 400, 'png'), { contentType: 'image/png' });
    const readBuffer = storage.readBuffer.bind(storage);
    storage.readBuffer = async (key) => {
      const original = await readBuffer(key);
      // The DELETE lands once the worker holds the original's bytes.
      await storage.put('deleted/AbCd1234', Buffer.from('{}'), { contentType: 'application/json' });
      await storage.delete('original/AbCd1234');
      return original;
    };
    await service.handle(job('AbCd1234', 1024));
    for (const name of VARIANT_NAMES) expect(await storage.head(`${name}/AbCd1234`), name).toBeNull();
  });

  it('takes back the sizes it wrote when the tombstone appears during the writes', async () => {
    const { storage, service } = setup();
    await storage.put('original/AbCd1234', await solidImage(600, 400, 'png'), { contentType: 'image/png' });
    const put = storage.put.bind(storage);
    storage.put = async (key, body, options) => {
      await put(key, body, options);
      // The DELETE's own removals ran before this write; its tombstone is already there.
      if (key.startsWith('big/')) await put('deleted/AbCd1234', Buffer.from('{}'), { contentType: 'application/json' });
    };
    await service.handle(job('AbCd1234', 1024));
    for (const name of VARIANT_NAMES) expect(await storage.head(`${name}/AbCd1234`), name).toBeNull();
  });

  it('times the render once per image, not once per task', async () => {
    const { storage, service, metrics } = setup();
    await storage.put('original/AbCd1234', await solidImage(600, 400, 'png'), { contentType: 'image/png' });
    await Promise.all([1024, 512, 256, 128].map((box) => service.handle(job('AbCd1234', box))));
    await service.handle(job('AbCd1234', 128)); // a duplicate: nothing rendered, nothing timed
    const renders = await metrics.registry.getSingleMetricAsString('imgr_resize_duration_seconds');
    expect(renders).toMatch(/imgr_resize_duration_seconds_count\{[^}]*result="ok"[^}]*\} 1$/m);
    const tasks = await metrics.registry.getSingleMetricAsString('imgr_tasks_total');
    expect(tasks).toMatch(/imgr_tasks_total\{[^}]*result="ok"[^}]*\} 5$/m);
  });

  it('fails permanently for an unknown size, a missing original and a corrupt image, recording the failure', async () => {
    const { storage, service, metrics } = setup();
    await expect(service.handle(job('AbCd1234', 300))).rejects.toMatchObject({ reason: 'unknown-size' });
    await expect(service.handle(job('AbCd1234', 512))).rejects.toMatchObject({ reason: 'missing-original' });
    const jpeg = await solidImage(400, 400, 'jpeg');
    await storage.put('original/Corrupt1', Buffer.concat([jpeg.subarray(0, 300), Buffer.alloc(500)]), { contentType: 'image/jpeg' });
    const error = await service.handle(job('Corrupt1', 512)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect((error as PermanentJobError).reason).toBe('corrupt-image');
    const record = JSON.parse((await storage.readBuffer('failed/Corrupt1'))?.body.toString() ?? '{}');
    expect(record).toMatchObject({ reason: 'corrupt-image' });
    expect(await metrics.registry.getSingleMetricAsString('imgr_dead_letters_total')).toContain('reason="corrupt-image"');
  });

  it('dead-letters a task lost with its worker too many times, without reading the image', async () => {
    const { storage, service, metrics } = setup();
    await storage.put('original/Poison01', await solidImage(400, 400, 'png'), { contentType: 'image/png' });
    await service.handle({ ...job('Poison01', 512), redelivered: true, lostDeliveries: 2 });
    expect(await storage.head('medium/Poison01')).not.toBeNull();
    await storage.delete('medium/Poison01');
    const readBuffer = storage.readBuffer.bind(storage);
    const reads: string[] = [];
    storage.readBuffer = async (key) => {
      reads.push(key);
      return readBuffer(key);
    };
    await expect(service.handle({ ...job('Poison01', 512), redelivered: true, lostDeliveries: 3 })).rejects.toMatchObject({
      name: 'PermanentJobError',
      reason: 'delivery-limit',
    });
    expect(reads).toEqual([]);
    expect(await storage.head('medium/Poison01')).toBeNull();
    const record = JSON.parse((await readBuffer('failed/Poison01'))?.body.toString() ?? '{}');
    expect(record).toMatchObject({ reason: 'delivery-limit', message: 'The image stopped the worker every time it was resized.' });
    expect(await metrics.registry.getSingleMetricAsString('imgr_dead_letters_total')).toMatch(/reason="delivery-limit"[^}]*\} 1$/m);
  });

  it('retries a storage failure and succeeds when storage comes back', async () => {
    const { storage, service, metrics } = setup();
    await storage.put('original/AbCd1234', await solidImage(500, 500, 'png'), { contentType: 'image/png' });
    let failures = 2;
    const head = storage.head.bind(storage);
    storage.head = async (key) => {
      if (failures-- > 0) throw new DependencyError('storage', 'connection reset', true);
      return head(key);
    };
    await service.handle(job('AbCd1234', 128));
    expect(await storage.head('tiny/AbCd1234')).not.toBeNull();
    expect(await metrics.registry.getSingleMetricAsString('imgr_task_retries_total')).toMatch(/imgr_task_retries_total\{[^}]*\} 1$/m);
  });

  it('gives a persistent storage failure back to the queue (not a permanent failure)', async () => {
    const { storage, service } = setup();
    storage.head = async () => {
      throw new DependencyError('storage', 'down', true);
    };
    const error = await service.handle(job('AbCd1234', 128)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).not.toBeInstanceOf(PermanentJobError);
  });
});

describe('resize service while draining', () => {
  it('finishes the render in progress and hands back the jobs not started', async () => {
    const storage = createMemoryStorage();
    const service = createResizeService({
      storage,
      logger: createLogger('silent'),
      metrics: createMetrics('worker'),
      concurrency: 1,
      maxAttempts: 1,
      limits: DEFAULT_IMAGE_LIMITS,
      maxLostDeliveries: 3,
    });
    await storage.put('original/First001', await solidImage(3000, 2000, 'png'), { contentType: 'image/png' });
    await storage.put('original/Second01', await solidImage(3000, 2000, 'png'), { contentType: 'image/png' });
    const first = service.handle(job('First001', 1024));
    const second = service.handle(job('Second01', 1024));
    await new Promise((resolve) => setTimeout(resolve, 5));
    service.drain();
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toMatchObject({ name: 'DependencyError', retryable: true });
    await expect(service.handle(job('Second01', 512))).rejects.toThrow(/shutting down/);
    expect(await storage.head('big/First001')).not.toBeNull();
    expect(await storage.head('big/Second01')).toBeNull();
  });
});

describe('resize service across workers', () => {
  const uploadJob = (imageId: string, box: number): ReceivedJob => ({ ...job(imageId, box), origin: 'upload' });

  it("acknowledges without work a fresh upload's task whose sizes another worker already made", async () => {
    const storage = createMemoryStorage();
    const make = () =>
      createResizeService({
        storage,
        logger: createLogger('silent'),
        metrics: createMetrics('worker'),
        concurrency: 1,
        maxAttempts: 1,
        limits: DEFAULT_IMAGE_LIMITS,
        maxLostDeliveries: 3,
      });
    const [first, second] = [make(), make()];
    await storage.put('original/AbCd1234', await solidImage(1200, 800, 'jpeg'), { contentType: 'image/jpeg' });
    let puts = 0;
    const put = storage.put.bind(storage);
    storage.put = async (...args) => {
      puts++;
      return put(...args);
    };
    await first.handle(uploadJob('AbCd1234', 1024));
    await second.handle(uploadJob('AbCd1234', 512));
    expect(puts).toBe(12); // four sizes, each with its WebP and AVIF copy
  });

  it('lets a sweep task restore a size even when this worker made the image before', async () => {
    const { storage, service } = setup();
    await storage.put('original/AbCd1234', await solidImage(1200, 800, 'jpeg'), { contentType: 'image/jpeg' });
    await service.handle(uploadJob('AbCd1234', 1024));
    await storage.delete('small/AbCd1234');
    await service.handle(uploadJob('AbCd1234', 256));
    expect(await storage.head('small/AbCd1234')).toBeNull(); // the upload's own late task trusts the memory
    await service.handle({ ...job('AbCd1234', 256), origin: 'sweep' }); // the sweep's task checks storage
    expect(await storage.head('small/AbCd1234')).not.toBeNull();
  });
});

describe('resize service, WebP and AVIF copies', () => {
  it('writes a WebP and an AVIF copy of each size of a still image, carrying the expiry', async () => {
    const { storage, service } = setup();
    const metadata = { 'expires-at': '2030-01-01T00:00:00.000Z' };
    await storage.put('original/AbCd1234', await solidImage(2000, 1000, 'jpeg'), { contentType: 'image/jpeg', metadata });
    await service.handle(job('AbCd1234', 1024));
    for (const size of ['big', 'medium', 'small', 'tiny']) {
      for (const [key, type, format] of [
        [`${size}/AbCd1234`, 'image/jpeg', 'jpeg'],
        [`webp/${size}/AbCd1234`, 'image/webp', 'webp'],
        [`avif/${size}/AbCd1234`, 'image/avif', 'heif'],
      ] as const) {
        const stored = await storage.readBuffer(key);
        expect(stored?.info.contentType, key).toBe(type);
        expect(stored?.info.metadata['expires-at'], key).toBe(metadata['expires-at']);
        expect((await sharp(stored?.body).metadata()).format, key).toBe(format);
      }
    }
  });

  it('makes no copy of an animation, nor of the format the original already has', async () => {
    const { storage, service } = setup();
    await storage.put('original/Anim1234', await animatedGif(64, 64, 3, 100), { contentType: 'image/gif' });
    // Noise, so that AVIF beats the WebP original (a flat WebP is smaller than any AVIF's container).
    const noise = await sharp({
      create: { width: 300, height: 200, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .webp({ quality: 95 })
      .toBuffer();
    await storage.put('original/Webp1234', noise, { contentType: 'image/webp' });
    await service.handle(job('Anim1234', 1024));
    await service.handle(job('Webp1234', 1024));
    const keys: string[] = [];
    for await (const object of storage.list('')) keys.push(object.key);
    expect(keys.filter((key) => key.includes('Anim1234')).sort()).toEqual([
      'big/Anim1234',
      'medium/Anim1234',
      'original/Anim1234',
      'small/Anim1234',
      'tiny/Anim1234',
    ]);
    expect(keys.filter((key) => key.startsWith('webp/') && key.endsWith('Webp1234'))).toEqual([]);
    expect(keys.filter((key) => key.startsWith('avif/') && key.endsWith('Webp1234'))).toHaveLength(4);
  });

  it('writes no copy when IMGR_MODERN_FORMATS is none', async () => {
    const storage = createMemoryStorage();
    const service = createResizeService({
      storage,
      logger: createLogger('silent'),
      metrics: createMetrics('worker'),
      concurrency: 1,
      maxAttempts: 1,
      maxLostDeliveries: 5,
      limits: DEFAULT_IMAGE_LIMITS,
      modernFormats: [],
    });
    await storage.put('original/AbCd1234', await solidImage(400, 300, 'png'), { contentType: 'image/png' });
    await service.handle(job('AbCd1234', 1024));
    const keys: string[] = [];
    for await (const object of storage.list('')) keys.push(object.key);
    expect(keys.sort()).toEqual(['big/AbCd1234', 'medium/AbCd1234', 'original/AbCd1234', 'small/AbCd1234', 'tiny/AbCd1234']);
  });
});
