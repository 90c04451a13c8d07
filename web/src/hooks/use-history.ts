import { useCallback, useEffect, useState } from 'react';
import { addToHistory, HISTORY_KEY, readHistory, removeFromHistory, type SavedUpload } from '../lib/history.ts';

/** "My uploads": kept in localStorage and shared with the other tabs of this site. */
export function useHistory(storage: Storage) {
  const [entries, setEntries] = useState(() => readHistory(storage));

  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === HISTORY_KEY || event.key === null) setEntries(readHistory(storage));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [storage]);

  const add = useCallback((entry: SavedUpload) => setEntries(addToHistory(storage, entry)), [storage]);
  const remove = useCallback((id: string) => setEntries(removeFromHistory(storage, id)), [storage]);
  return { entries, add, remove };
}
