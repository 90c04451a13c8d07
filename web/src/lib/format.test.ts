import { describe, expect, it } from 'vitest';
import { formatBytes, percent } from './format.ts';

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_400_000)).toBe('2.4 MB');
    expect(formatBytes(26_214_400)).toBe('26.2 MB');
    expect(formatBytes(150_000)).toBe('150 KB');
  });
});

describe('percent', () => {
  it('shows 100 only when everything is sent', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(250, 1000)).toBe(25);
  });
});
