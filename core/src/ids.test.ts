import { describe, expect, it } from 'vitest';
import { isImageId, newImageId } from './ids.js';

describe('image ids', () => {
  it('are 8 characters of the original alphabet and differ between calls', () => {
    const ids = new Set(Array.from({ length: 1000 }, newImageId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9]{8}$/);
  });

  it.each(['AbCd1234', '00000000'])('accepts %s', (id) => expect(isImageId(id)).toBe(true));
  it.each(['AbCd123', 'AbCd12345', '../x/abc', 'AbCd-234', '', 42, null])('rejects %j', (id) => expect(isImageId(id)).toBe(false));
});
