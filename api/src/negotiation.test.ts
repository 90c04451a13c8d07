import { describe, expect, it } from 'vitest';
import { acceptedAlternates, parseAccept } from './negotiation.js';

describe('acceptedAlternates', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['*/*', []],
    ['image/*', []],
    ['image/webp', ['webp']],
    ['image/avif', ['avif']],
    ['image/avif,image/webp', ['avif', 'webp']],
    ['image/webp,image/avif', ['avif', 'webp']],
    // What Chrome and Firefox send for <img>.
    ['image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', ['avif', 'webp']],
    ['image/avif,image/webp,*/*', ['avif', 'webp']],
    // Safari 14, which decodes WebP but not AVIF.
    ['image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5', ['webp']],
    ['image/avif;q=0.5,image/webp', ['webp', 'avif']],
    ['image/avif;q=0,image/webp', ['webp']],
    ['image/jpeg,image/webp;q=0.5', []],
    ['image/jpeg;q=0.5,image/webp', ['webp']],
    ['IMAGE/WEBP', ['webp']],
    ['image/webp;q=2', ['webp']],
    ['image/webp;q=nonsense', ['webp']],
    ['garbage, ;;;, /', []],
  ])('Accept %j → %j', (header, expected) => {
    expect(acceptedAlternates(header)).toEqual(expected);
  });

  it('reads only the first 64 ranges of an oversized header', () => {
    const header = `${Array(64).fill('text/plain').join(',')},image/webp`;
    expect(acceptedAlternates(header)).toEqual([]);
  });
});

describe('parseAccept', () => {
  it('keeps the highest q of a repeated type', () => {
    expect(parseAccept('image/webp;q=0.2, image/webp;q=0.9').get('image/webp')).toBe(0.9);
  });
});
