import { useCallback, useEffect, useRef, useState } from 'react';
import type { LinkKind } from '../lib/api.ts';
import {
  type Dimensions,
  HISTORY_KEY,
  importHistory,
  mergeEntries,
  readHistory,
  type SavedUpload,
  withDimensions,
  writeHistory,
} from '../lib/history.ts';

/**
 * "My uploads": kept in localStorage and shared with the other tabs of this site. When the browser refuses to
 * store more, the list lives on in the page and `unsaved` says so, so the user can export it before leaving.
 */
export function useHistory(storage: Storage) {
  const [entries, setEntries] = useState(() => readHistory(storage));
  const [unsaved, setUnsaved] = useState(false);
  const latest = useRef(entries);
  latest.current = entries;

  const commit = useCallback(
    (next: SavedUpload[]) => {
      const written = writeHistory(storage, next);
      latest.current = written.entries;
      setEntries(written.entries);
      setUnsaved(!written.saved);
      return written;
    },
    [storage],
  );

  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== HISTORY_KEY && event.key !== null) return;
      // Another tab wrote the list: take its version, keeping what only this page holds if it could not save.
      setEntries((mine) => (unsaved ? mergeEntries(readHistory(storage), mine) : readHistory(storage)));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [storage, unsaved]);

  // Each change starts from storage, so an entry another tab added meanwhile is not overwritten.
  const current = useCallback(() => mergeEntries(readHistory(storage), latest.current), [storage]);

  const add = useCallback((entry: SavedUpload) => commit(mergeEntries(current(), [entry])), [commit, current]);
  const remove = useCallback(
    (id: string) => {
      const rest = current().filter((e) => e.id !== id);
      commit(rest);
    },
    [commit, current],
  );
  const setDimensions = useCallback(
    (id: string, kind: LinkKind, size: Dimensions) => {
      const before = current();
      const after = withDimensions(before, id, kind, size);
      if (after.some((e, i) => e !== before[i])) commit(after);
    },
    [commit, current],
  );
  const importFile = useCallback(
    (text: string) => {
      const result = importHistory(current(), text);
      const written = commit(result.entries);
      return { ...result, saved: written.saved };
    },
    [commit, current],
  );
  return { entries, unsaved, add, remove, setDimensions, importFile };
}
