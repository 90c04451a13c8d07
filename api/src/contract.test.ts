import { VARIANTS, type VariantName } from '@imgr/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ImageUrls, IndexBody, SizeName } from './contract.js';
import { imageUrls, indexBody } from './image-urls.js';

describe('contract', () => {
  it("names exactly core's variants as sizes (checked by the compiler)", () => {
    expectTypeOf<SizeName>().toEqualTypeOf<VariantName>();
    expect(VARIANTS.map((variant) => variant.name).sort()).toEqual(['big', 'medium', 'small', 'tiny']);
  });

  it('builds the URLs and the index with every key its type names, and no other', () => {
    const urls: ImageUrls = imageUrls('AbCd1234');
    expect(urls).toEqual({
      original: '/image/AbCd1234',
      big: '/image/AbCd1234/big',
      medium: '/image/AbCd1234/medium',
      small: '/image/AbCd1234/small',
      tiny: '/image/AbCd1234/tiny',
    });
    const index: IndexBody = indexBody({ maxUploadBytes: 10, acceptedTypes: ['image/png'] });
    expect(Object.keys(index).sort()).toEqual(
      [
        'upload_url',
        'original_image_url',
        'big_image_url',
        'medium_image_url',
        'small_image_url',
        'tiny_image_url',
        'max_upload_bytes',
        'accepted_types',
      ].sort(),
    );
  });
});
