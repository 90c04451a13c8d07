import { LINK_KINDS, type LinkKind } from './api.ts';

export interface Dimensions {
  width: number;
  height: number;
}

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
  /** Pixel size of each link, as measured when the page showed it. */
  dimensions?: Partial<Record<LinkKind, Dimensions>>;
  /** ISO time the file was picked (one time for a whole drop) and its place in that drop: the list keeps pick order. */
  pickedAt?: string;
  pickIndex?: number;
}

export const HISTORY_KEY = 'imgr.uploads.v1';
/** Name of the exported file's format, so an import can tell it from any other JSON. */
export const EXPORT_FORMAT = 'imgr-uploads';

function isDimensions(value: unknown): value is Dimensions {
  if (!value || typeof value !== 'object') return false;
  const { width, height } = value as Record<string, unknown>;
  return Number.isInteger(width) && Number.isInteger(height) && (width as number) > 0 && (height as number) > 0;
}

function isSavedUpload(value: unknown): value is SavedUpload {
  if (!value || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  const links = entry.links as Record<string, unknown> | undefined;
  const dimensions = entry.dimensions as Record<string, unknown> | undefined;
  return (
    typeof entry.id === 'string' &&
    typeof entry.name === 'string' &&
    typeof entry.uploadedAt === 'string' &&
    (entry.deleteToken === undefined || typeof entry.deleteToken === 'string') &&
    (entry.pickedAt === undefined || typeof entry.pickedAt === 'string') &&
    (entry.pickIndex === undefined || Number.isInteger(entry.pickIndex)) &&
    (dimensions === undefined ||
      (typeof dimensions === 'object' && dimensions !== null && Object.values(dimensions).every(isDimensions))) &&
    !!links &&
    typeof links === 'object' &&
    LINK_KINDS.every((kind) => typeof links[kind] === 'string' && /^https?:\/\//.test(links[kind]))
  );
}

/** Newest drop first, each drop in the order its files were picked (not the order they finished). */
function byPickOrder(a: SavedUpload, b: SavedUpload): number {
  const aTime = a.pickedAt ?? a.uploadedAt;
  const bTime = b.pickedAt ?? b.uploadedAt;
  if (aTime !== bTime) return aTime < bTime ? 1 : -1;
  return (a.pickIndex ?? 0) - (b.pickIndex ?? 0);
}

/** Entries that do not parse (another version, hand edits) are skipped. */
export function readHistory(storage: Storage): SavedUpload[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isSavedUpload) : [];
  } catch {
    return [];
  }
}

/** The list as it now is, and whether the browser kept it (false: full quota or private mode). */
export interface Written {
  entries: SavedUpload[];
  saved: boolean;
}

/** Nothing is ever dropped to make room: when the quota is full the caller must tell the user. */
export function writeHistory(storage: Storage, entries: SavedUpload[]): Written {
  const sorted = [...entries].sort(byPickOrder);
  try {
    storage.setItem(HISTORY_KEY, JSON.stringify(sorted));
    return { entries: sorted, saved: true };
  } catch {
    return { entries: sorted, saved: false };
  }
}

/** Adds or replaces (same id) entries in `current`. */
export function mergeEntries(current: SavedUpload[], added: SavedUpload[]): SavedUpload[] {
  const ids = new Set(added.map((e) => e.id));
  return [...added, ...current.filter((e) => !ids.has(e.id))];
}

export function withDimensions(entries: SavedUpload[], id: string, kind: LinkKind, size: Dimensions): SavedUpload[] {
  return entries.map((e) => {
    if (e.id !== id) return e;
    const known = e.dimensions?.[kind];
    if (known && known.width === size.width && known.height === size.height) return e;
    return { ...e, dimensions: { ...e.dimensions, [kind]: size } };
  });
}

/** The file "Export" downloads: every entry with its delete token. */
export function exportHistory(entries: SavedUpload[], now = new Date()): string {
  return `${JSON.stringify({ format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), uploads: entries }, null, 2)}\n`;
}

export interface Imported {
  entries: SavedUpload[];
  /** Entries that were not in the list yet. */
  added: number;
  /** Entries of the file that do not parse. */
  invalid: number;
}

/** Reads an exported file (or a bare array of entries) into `current`; entries already known are kept as they are. */
export function importHistory(current: SavedUpload[], text: string): Imported {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('This file is not JSON.');
  }
  const list = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object' && (parsed as { format?: unknown }).format === EXPORT_FORMAT
      ? (parsed as { uploads?: unknown }).uploads
      : undefined;
  if (!Array.isArray(list)) throw new Error('This file is not an export of imgr uploads.');
  const known = new Set(current.map((e) => e.id));
  const valid = list.filter(isSavedUpload);
  const fresh = valid.filter((e) => !known.has(e.id) && known.add(e.id));
  return { entries: [...current, ...fresh].sort(byPickOrder), added: fresh.length, invalid: list.length - valid.length };
}
