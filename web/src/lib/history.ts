import { LINK_KINDS, type LinkKind } from './api.ts';

/** One upload made from this browser, as kept in localStorage. */
export interface SavedUpload {
  id: string;
  name: string;
  /** ISO time of the upload. */
  uploadedAt: string;
  /** Absolute links, so the list still works if /config.json changes later. */
  links: Record<LinkKind, string>;
  /** Absent on the original API, which cannot delete. */
  deleteToken?: string;
}

export const HISTORY_KEY = 'imgr.uploads.v1';
/** Oldest entries are forgotten past this many, keeping localStorage small. */
export const HISTORY_LIMIT = 200;

function isSavedUpload(value: unknown): value is SavedUpload {
  if (!value || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  const links = entry.links as Record<string, unknown> | undefined;
  return (
    typeof entry.id === 'string' &&
    typeof entry.name === 'string' &&
    typeof entry.uploadedAt === 'string' &&
    (entry.deleteToken === undefined || typeof entry.deleteToken === 'string') &&
    !!links &&
    typeof links === 'object' &&
    LINK_KINDS.every((kind) => typeof links[kind] === 'string')
  );
}

/** Newest first; entries that do not parse (another version, hand edits) are skipped. */
export function readHistory(storage: Storage): SavedUpload[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isSavedUpload) : [];
  } catch {
    return [];
  }
}

function write(storage: Storage, entries: SavedUpload[]): SavedUpload[] {
  const kept = entries.slice(0, HISTORY_LIMIT);
  try {
    storage.setItem(HISTORY_KEY, JSON.stringify(kept));
  } catch {
    // Private mode or a full quota: the list then lives as long as the page.
  }
  return kept;
}

export function addToHistory(storage: Storage, entry: SavedUpload): SavedUpload[] {
  return write(storage, [entry, ...readHistory(storage).filter((e) => e.id !== entry.id)]);
}

export function removeFromHistory(storage: Storage, id: string): SavedUpload[] {
  return write(
    storage,
    readHistory(storage).filter((e) => e.id !== id),
  );
}
