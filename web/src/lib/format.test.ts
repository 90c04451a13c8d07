import { describe, expect, it } from 'vitest';
import { formatBytes, percent } from './format.ts';

describe('formatBytes', () => {
  it('uses units of 1024, so a 25 MiB limit reads 25 MB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(2_400_000)).toBe('2.3 MB');
    expect(formatBytes(26_214_400)).toBe('25 MB');
    expect(formatBytes(150_000)).toBe('146 KB');
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
