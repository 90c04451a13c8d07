import { describe, expect, it } from 'vitest';
import { acceptAttribute, precheck } from './precheck.ts';

const photo = { name: 'cat.jpg', type: 'image/jpeg', size: 500_000 };

describe('precheck', () => {
  it('lets an image through when the server tells nothing', () => {
    expect(precheck(photo, {})).toBeNull();
  });

  it("refuses a file over the server's limit, naming both sizes", () => {
    expect(precheck(photo, { maxUploadBytes: 400_000 })).toBe('500 KB is over the 400 KB limit of this server.');
  });

  it('refuses what is plainly not an image', () => {
    expect(precheck({ name: 'notes.pdf', type: 'application/pdf', size: 10 }, {})).toMatch(/not an image/);
    expect(precheck({ name: 'notes', type: '', size: 10 }, {})).toMatch(/does not look like an image/);
    expect(precheck({ name: 'empty.png', type: 'image/png', size: 0 }, {})).toMatch(/empty/);
  });

  it('trusts the extension when the browser gives no type', () => {
    expect(precheck({ name: 'IMG_0001.HEIC', type: '', size: 10 }, {})).toBeNull();
  });

  it("follows the server's accepted types", () => {
    const info = { acceptedTypes: ['image/jpeg', 'image/png'] };
    expect(precheck(photo, info)).toBeNull();
    expect(precheck({ name: 'a.tiff', type: 'image/tiff', size: 10 }, info)).toMatch(/does not accept image\/tiff/);
    expect(acceptAttribute(info)).toBe('image/jpeg,image/png');
    expect(acceptAttribute({})).toBe('image/*');
  });
});
