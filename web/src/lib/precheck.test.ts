import { describe, expect, it } from 'vitest';
import { acceptAttribute, precheck } from './precheck.ts';

const photo = { name: 'cat.jpg', type: 'image/jpeg', size: 500_000 };

describe('precheck', () => {
  it('lets an image through when the server tells nothing', () => {
    expect(precheck(photo, {})).toBeNull();
  });

  it("refuses a file over the server's limit, naming both sizes", () => {
    expect(precheck(photo, { maxUploadBytes: 25 * 1024 * 1024 })).toBeNull();
    expect(precheck({ ...photo, size: 30 * 1024 * 1024 }, { maxUploadBytes: 25 * 1024 * 1024 })).toBe(
      'This file is 30 MB; this server takes images up to 25 MB.',
    );
  });

  it('refuses what is plainly not an image', () => {
    expect(precheck({ name: 'notes.pdf', type: 'application/pdf', size: 10 }, {})).toMatch(/not an image/);
    expect(precheck({ name: 'notes', type: '', size: 10 }, {})).toMatch(/does not look like an image/);
    expect(precheck({ name: 'empty.png', type: 'image/png', size: 0 }, {})).toMatch(/empty/);
  });

  it('trusts the extension when the browser gives no type', () => {
    expect(precheck({ name: 'IMG_0001.JPG', type: '', size: 10 }, {})).toBeNull();
  });

  it('says in plain words why HEIC photos and SVG drawings are refused', () => {
    expect(precheck({ name: 'IMG_0001.HEIC', type: '', size: 10 }, {})).toMatch(
      /^HEIC photos \(the iPhone's own format\) are not accepted\. Share it as JPEG/,
    );
    expect(precheck({ name: 'x.jpg', type: 'image/heif', size: 10 }, {})).toMatch(/^HEIC photos/);
    expect(precheck({ name: 'logo.svg', type: 'image/svg+xml', size: 10 }, {})).toBe(
      'SVG drawings are not accepted, only pictures made of pixels (JPEG, PNG, GIF, WebP, AVIF).',
    );
    // A server that says it takes them is believed.
    expect(precheck({ name: 'logo.svg', type: 'image/svg+xml', size: 10 }, { acceptedTypes: ['image/svg+xml'] })).toBeNull();
  });

  it("follows the server's accepted types", () => {
    const info = { acceptedTypes: ['image/jpeg', 'image/png'] };
    expect(precheck(photo, info)).toBeNull();
    expect(precheck({ name: 'a.tiff', type: 'image/tiff', size: 10 }, info)).toBe(
      'This server does not accept TIFF images, only JPEG, PNG.',
    );
    expect(acceptAttribute(info)).toBe('image/jpeg,image/png');
    expect(acceptAttribute({})).toBe('image/*');
  });
});
