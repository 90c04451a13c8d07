import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../variants.js';
import { DEFAULT_IMAGE_LIMITS } from './decode-budget.js';
import { renderVariants } from './image-resizer.js';
import { allAlternateKeys, alternatesFor } from './modern-formats.js';

const photoLike = () =>
  sharp({ create: { width: 1600, height: 1000, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 120, sigma: 25 } } })
    .jpeg({ quality: 90 })
    .toBuffer();

describe('alternatesFor', () => {
  it('gives still images the copies they are not already in, and animations none', () => {
    expect(alternatesFor('jpeg', false)).toEqual(['avif', 'webp']);
    expect(alternatesFor('png', false)).toEqual(['avif', 'webp']);
    expect(alternatesFor('webp', false)).toEqual(['avif']);
    expect(alternatesFor('avif', false)).toEqual(['webp']);
    expect(alternatesFor('gif', true)).toEqual([]);
    expect(alternatesFor('webp', true)).toEqual([]);
  });
});

describe('renderVariants with copies', () => {
  it("leaves the sizes in the original's format byte for byte as they are without copies", async () => {
    const input = await photoLike();
    const plain = await renderVariants(input, 'jpeg', VARIANTS, DEFAULT_IMAGE_LIMITS);
    const withCopies = await renderVariants(input, 'jpeg', VARIANTS, DEFAULT_IMAGE_LIMITS, { alternates: ['avif', 'webp'] });
    for (const [index, variant] of plain.entries()) {
      expect(withCopies[index]?.body.equals(variant.body)).toBe(true);
      expect(variant.alternates).toEqual([]);
    }
  });

  it('makes copies of the same dimensions, each smaller than the size it copies', async () => {
    const rendered = await renderVariants(await photoLike(), 'jpeg', VARIANTS, DEFAULT_IMAGE_LIMITS, { alternates: ['avif', 'webp'] });
    for (const variant of rendered) {
      // Noise is hard on WebP: a copy that is not smaller than the JPEG is dropped, AVIF stays.
      expect(variant.alternates.map((copy) => copy.contentType)).toContain('image/avif');
      for (const copy of variant.alternates) {
        const meta = await sharp(copy.body).metadata();
        expect([meta.width, meta.height]).toEqual([variant.width, variant.height]);
        expect(copy.body.length).toBeLessThan(variant.body.length);
      }
    }
  });
});

it('names every copy key of an image', () => {
  expect(allAlternateKeys('AbCd1234')).toHaveLength(8);
  expect(allAlternateKeys('AbCd1234')).toContain('avif/tiny/AbCd1234');
});
