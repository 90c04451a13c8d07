import { describe, expect, it } from 'vitest';
import { detectFormat, looksComplete } from './image-format.js';
import { solidImage } from './test-images.js';

describe('detectFormat', () => {
  it.each(['jpeg', 'png', 'webp', 'gif', 'avif'] as const)('recognises %s from its bytes', async (format) => {
    expect(detectFormat(await solidImage(16, 16, format))).toBe(format);
  });

  it.each([
    ['text', Buffer.from('hello world, not an image')],
    ['empty', Buffer.alloc(0)],
    ['a PDF', Buffer.from('%PDF-1.7\n')],
    ['an HEIC-branded ftyp', Buffer.from('000000186674797068656963000000006d696631', 'hex')],
  ])('refuses %s', (_label, bytes) => {
    expect(detectFormat(bytes)).toBeUndefined();
  });
});

describe('looksComplete', () => {
  it.each(['jpeg', 'png', 'webp', 'gif', 'avif'] as const)('accepts a whole %s and refuses its first half', async (format) => {
    const whole = await solidImage(64, 64, format);
    expect(looksComplete(format, whole)).toBe(true);
    expect(looksComplete(format, whole.subarray(0, Math.floor(whole.length / 2)))).toBe(false);
  });
});
