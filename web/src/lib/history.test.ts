import { describe, expect, it } from 'vitest';
import { addToHistory, HISTORY_KEY, HISTORY_LIMIT, readHistory, removeFromHistory, type SavedUpload } from './history.ts';

const entry = (id: string): SavedUpload => ({
  id,
  name: `${id}.jpg`,
  uploadedAt: '2026-01-01T00:00:00.000Z',
  links: {
    original: `http://h/image/${id}`,
    big: `http://h/image/${id}/big`,
    medium: `http://h/image/${id}/medium`,
    small: `http://h/image/${id}/small`,
    tiny: `http://h/image/${id}/tiny`,
  },
  deleteToken: `t-${id}`,
});

describe('history', () => {
  it('keeps the newest first and replaces an entry with the same id', () => {
    addToHistory(localStorage, entry('a'));
    addToHistory(localStorage, entry('b'));
    addToHistory(localStorage, { ...entry('a'), name: 'again.jpg' });
    expect(readHistory(localStorage).map((e) => e.name)).toEqual(['again.jpg', 'b.jpg']);
  });

  it('removes by id', () => {
    addToHistory(localStorage, entry('a'));
    addToHistory(localStorage, entry('b'));
    expect(removeFromHistory(localStorage, 'a').map((e) => e.id)).toEqual(['b']);
    expect(readHistory(localStorage).map((e) => e.id)).toEqual(['b']);
  });

  it('survives junk in storage', () => {
    localStorage.setItem(HISTORY_KEY, '{not json');
    expect(readHistory(localStorage)).toEqual([]);
    localStorage.setItem(HISTORY_KEY, JSON.stringify([{ id: 1 }, entry('ok')]));
    expect(readHistory(localStorage).map((e) => e.id)).toEqual(['ok']);
  });

  it(`forgets the oldest past ${HISTORY_LIMIT} entries`, () => {
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) addToHistory(localStorage, entry(`id${i}`));
    const kept = readHistory(localStorage);
    expect(kept).toHaveLength(HISTORY_LIMIT);
    expect(kept[0]?.id).toBe(`id${HISTORY_LIMIT + 4}`);
  });
});
