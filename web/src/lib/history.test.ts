import { describe, expect, it } from 'vitest';
import {
  EXPORT_FORMAT,
  exportHistory,
  HISTORY_KEY,
  importHistory,
  mergeEntries,
  readHistory,
  type SavedUpload,
  withDimensions,
  writeHistory,
} from './history.ts';

const entry = (id: string, extra: Partial<SavedUpload> = {}): SavedUpload => ({
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
  ...extra,
});

/** A Storage that refuses writes past `capacity` characters, as a browser with a full quota does. */
function smallStorage(capacity: number): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => data.delete(key),
    setItem: (key, value) => {
      if (value.length > capacity) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      data.set(key, value);
    },
  };
}

describe('history', () => {
  it('keeps newest drop first, each drop in pick order, whatever order the uploads finished in', () => {
    const first = { pickedAt: '2026-01-01T10:00:00.000Z' };
    const second = { pickedAt: '2026-01-01T11:00:00.000Z' };
    let list = writeHistory(localStorage, [entry('a2', { ...first, pickIndex: 2 })]).entries;
    list = writeHistory(localStorage, mergeEntries(list, [entry('a0', { ...first, pickIndex: 0 })])).entries;
    list = writeHistory(localStorage, mergeEntries(list, [entry('b1', { ...second, pickIndex: 1 })])).entries;
    list = writeHistory(localStorage, mergeEntries(list, [entry('a1', { ...first, pickIndex: 1 })])).entries;
    list = writeHistory(localStorage, mergeEntries(list, [entry('b0', { ...second, pickIndex: 0 })])).entries;
    expect(readHistory(localStorage).map((e) => e.id)).toEqual(['b0', 'b1', 'a0', 'a1', 'a2']);
  });

  it('replaces an entry with the same id', () => {
    const list = mergeEntries([entry('a'), entry('b')], [{ ...entry('a'), name: 'again.jpg' }]);
    expect(
      writeHistory(localStorage, list)
        .entries.map((e) => e.name)
        .sort(),
    ).toEqual(['again.jpg', 'b.jpg']);
  });

  it('survives junk in storage, and refuses links that are not http(s)', () => {
    localStorage.setItem(HISTORY_KEY, '{not json');
    expect(readHistory(localStorage)).toEqual([]);
    const script = entry('js');
    script.links.original = 'javascript:alert(1)';
    localStorage.setItem(HISTORY_KEY, JSON.stringify([{ id: 1 }, script, entry('ok')]));
    expect(readHistory(localStorage).map((e) => e.id)).toEqual(['ok']);
  });

  it('keeps every entry, hundreds of them, without dropping the oldest', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      entry(`id${i}`, { pickedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }),
    );
    const written = writeHistory(localStorage, many);
    expect(written.saved).toBe(true);
    expect(readHistory(localStorage)).toHaveLength(1000);
  });

  it('says when the browser refuses to store the list, and keeps it in hand', () => {
    const storage = smallStorage(700);
    expect(writeHistory(storage, [entry('a')]).saved).toBe(true);
    const written = writeHistory(storage, [entry('a'), entry('b'), entry('c'), entry('d')]);
    expect(written.saved).toBe(false);
    expect(written.entries).toHaveLength(4);
    // What the browser had stays as it was rather than being cut.
    expect(readHistory(storage).map((e) => e.id)).toEqual(['a']);
  });

  it('remembers the measured pixel size of each link', () => {
    const list = withDimensions([entry('a'), entry('b')], 'a', 'big', { width: 1024, height: 683 });
    expect(list[0]?.dimensions).toEqual({ big: { width: 1024, height: 683 } });
    writeHistory(localStorage, list);
    expect(readHistory(localStorage)[0]?.dimensions?.big).toEqual({ width: 1024, height: 683 });
  });
});

describe('export and import', () => {
  it('round-trips every entry with its delete token', () => {
    const file = exportHistory([entry('a'), entry('b')], new Date('2026-02-03T04:05:06Z'));
    const parsed = JSON.parse(file) as { format: string; exportedAt: string; uploads: SavedUpload[] };
    expect(parsed.format).toBe(EXPORT_FORMAT);
    expect(parsed.exportedAt).toBe('2026-02-03T04:05:06.000Z');
    const imported = importHistory([entry('b', { name: 'kept.jpg' })], file);
    expect(imported.added).toBe(1);
    expect(imported.invalid).toBe(0);
    expect(imported.entries.map((e) => [e.id, e.name, e.deleteToken]).sort()).toEqual([
      ['a', 'a.jpg', 't-a'],
      ['b', 'kept.jpg', 't-b'],
    ]);
  });

  it('counts entries it cannot read and refuses files that are not an export', () => {
    const file = JSON.stringify({ format: EXPORT_FORMAT, version: 1, uploads: [entry('a'), { id: 'x' }, 'junk'] });
    expect(importHistory([], file)).toMatchObject({ added: 1, invalid: 2 });
    expect(() => importHistory([], 'not json')).toThrow('This file is not JSON.');
    expect(() => importHistory([], '{"uploads": []}')).toThrow('This file is not an export of imgr uploads.');
  });
});
