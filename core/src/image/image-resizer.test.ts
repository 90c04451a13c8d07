import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../variants.js';
import { DEFAULT_IMAGE_LIMITS } from './decode-budget.js';
import { renderVariants } from './image-resizer.js';
import { animatedGif, solidImage } from './test-images.js';

const all = VARIANTS.map((variant) => ({ name: variant.name, box: variant.box }));

describe('renderVariants', () => {
  it('fits each size inside its box, keeping the aspect ratio and the format', async () => {
    const rendered = await renderVariants(await solidImage(3000, 2000, 'jpeg'), 'jpeg', all, DEFAULT_IMAGE_LIMITS);
    const sizes = Object.fromEntries(rendered.map((variant) => [variant.name, [variant.width, variant.height]]));
    expect(sizes).toEqual({ big: [1024, 683], medium: [512, 341], small: [256, 171], tiny: [128, 85] });
    for (const variant of rendered) {
      expect(variant.contentType).toBe('image/jpeg');
      const meta = await sharp(variant.body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', variant.width, variant.height]);
    }
  });

  it('never enlarges a small image', async () => {
    const rendered = await renderVariants(await solidImage(300, 100, 'png'), 'png', all, DEFAULT_IMAGE_LIMITS);
    expect(rendered.map((variant) => [variant.name, variant.width, variant.height])).toEqual([
      ['big', 300, 100],
      ['medium', 300, 100],
      ['small', 256, 85],
      ['tiny', 128, 43],
    ]);
  });

  it('applies EXIF orientation and strips metadata', async () => {
    const sideways = await sharp({ create: { width: 400, height: 200, channels: 3, background: 'red' } })
      .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'camera owner' } } })
      .jpeg()
      .toBuffer();
    const [big] = await renderVariants(sideways, 'jpeg', [{ name: 'big', box: 1024 }], DEFAULT_IMAGE_LIMITS);
    const meta = await sharp(big?.body).metadata();
    expect([meta.width, meta.height]).toEqual([200, 400]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
  });

  it('keeps every frame and the timing of an animated GIF', async () => {
    const rendered = await renderVariants(
      await animatedGif(600, 300, 3, 120),
      'gif',
      [
        { name: 'medium', box: 512 },
        { name: 'tiny', box: 128 },
      ],
      DEFAULT_IMAGE_LIMITS,
    );
    for (const variant of rendered) {
      const meta = await sharp(variant.body, { animated: true }).metadata();
      expect(meta.pages).toBe(3);
      expect(meta.delay).toEqual([120, 120, 120]);
      expect(meta.width).toBe(variant.box);
      expect(meta.pageHeight).toBe(variant.box / 2);
    }
  });

  it.each(['webp', 'avif', 'gif'] as const)('keeps the %s format', async (format) => {
    const [tiny] = await renderVariants(await solidImage(500, 500, format), format, [{ name: 'tiny', box: 128 }], DEFAULT_IMAGE_LIMITS);
    expect((await sharp(tiny?.body).metadata()).format).toBe(format === 'avif' ? 'heif' : format);
    expect(tiny?.contentType).toBe(`image/${format}`);
  });

  it('rejects bytes that do not decode', async () => {
    const jpeg = await solidImage(500, 500, 'jpeg');
    await expect(renderVariants(jpeg.subarray(0, 400), 'jpeg', all, DEFAULT_IMAGE_LIMITS)).rejects.toThrow();
  });
});
