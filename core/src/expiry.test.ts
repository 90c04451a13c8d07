import { describe, expect, it } from 'vitest';
import { expiryMarkerKey, isExpired, parseExpiresIn, parseExpiryMarker } from './expiry.js';

describe('parseExpiresIn', () => {
  const max = 180 * 86_400;
  it.each([
    ['300', 300],
    ['3600', 3600],
    ['5m', 300],
    ['90m', 5400],
    ['12h', 43_200],
    ['7d', 604_800],
    ['180d', max],
    [' 1h ', 3600],
  ])('%j is %d seconds', (value, seconds) => {
    expect(parseExpiresIn(value, max)).toEqual({ seconds });
  });

  it.each(['', 'soon', '-300', '1.5h', '1w', '10 m', '0x100', '1e4', '9999999999'])('%j is malformed', (value) => {
    expect(parseExpiresIn(value, max)).toEqual({ problem: 'malformed' });
  });

  it.each([
    ['299', 299],
    ['4m', 240],
    ['181d', 181 * 86_400],
  ])('%j is out of range', (value, seconds) => {
    expect(parseExpiresIn(value, max)).toEqual({ problem: 'out-of-range', seconds });
  });

  it("honours the operator's lower maximum", () => {
    expect(parseExpiresIn('8d', 7 * 86_400)).toEqual({ problem: 'out-of-range', seconds: 8 * 86_400 });
  });
});

describe('expiry markers', () => {
  it('name the moment in sortable form and read back', () => {
    const at = new Date('2026-12-02T10:00:00Z');
    const key = expiryMarkerKey(at, 'AbCd1234');
    expect(key).toBe(`expiring/0${at.getTime() / 1000}-AbCd1234`);
    expect(parseExpiryMarker(key)).toEqual({ expiresAt: at, id: 'AbCd1234' });
    expect(expiryMarkerKey(new Date('2026-01-01T00:00:00Z'), 'x') < key).toBe(true);
    expect(parseExpiryMarker('expiring/../../etc')).toBeUndefined();
  });
});

describe('isExpired', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  it('is true from the stored moment on, false before and without one', () => {
    expect(isExpired({ 'expires-at': '2026-06-01T00:00:00.000Z' }, now)).toBe(true);
    expect(isExpired({ 'expires-at': '2026-06-01T00:00:01.000Z' }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
    expect(isExpired({ 'expires-at': 'garbage' }, now)).toBe(false);
  });
});
