import type { LinkKind, UploadResponse } from './api.ts';
import type { Dimensions } from './history.ts';
import { allPending, type Variants } from './variants.ts';

export type Phase = 'rejected' | 'queued' | 'uploading' | 'uploaded' | 'failed';
export type WatchState = 'idle' | 'watching' | 'complete' | 'timeout';

export interface ItemError {
  title: string;
  message: string;
  /** False for refusals that sending the same file again cannot change (too large, not an image, damaged). */
  retryable?: boolean;
}

/** One file of this visit, from the moment it is dropped until it is dismissed. */
export interface UploadItem {
  key: string;
  file: File;
  name: string;
  size: number;
  phase: Phase;
  /** Bytes of the request body sent and its total (the file plus the multipart envelope). */
  sent: number;
  total: number;
  error?: ItemError;
  upload?: UploadResponse;
  links?: Record<LinkKind, string>;
  variants: Variants;
  watch: WatchState;
  /** Pixel size of each link, as the page measured it. */
  dimensions: Partial<Record<LinkKind, Dimensions>>;
  /** When its drop happened (ISO) and its place in it, kept in My uploads so the list follows pick order. */
  pickedAt: string;
  pickIndex: number;
}

export type UploadAction =
  | { type: 'add'; items: UploadItem[] }
  | { type: 'start'; key: string }
  | { type: 'progress'; key: string; sent: number; total: number }
  | { type: 'uploaded'; key: string; upload: UploadResponse; links: Record<LinkKind, string> }
  | { type: 'failed'; key: string; error: ItemError }
  | { type: 'variants'; key: string; variants: Variants }
  | { type: 'watch'; key: string; watch: WatchState }
  | { type: 'measured'; key: string; kind: LinkKind; size: Dimensions }
  | { type: 'retry'; key: string }
  | { type: 'dismiss'; key: string }
  | { type: 'clear-finished' }
  | { type: 'forget-image'; id: string };

export function newItem(
  key: string,
  file: File,
  name: string,
  rejection: string | null,
  pick: { pickedAt: string; pickIndex: number } = { pickedAt: new Date().toISOString(), pickIndex: 0 },
): UploadItem {
  const item: UploadItem = {
    key,
    file,
    name,
    size: file.size,
    phase: rejection ? 'rejected' : 'queued',
    sent: 0,
    total: file.size,
    variants: allPending(),
    watch: 'idle',
    dimensions: {},
    ...pick,
  };
  if (rejection) item.error = { title: 'Not uploaded', message: rejection };
  return item;
}

/** Nothing more will happen to it: refused, failed, or uploaded with every size settled. */
export function isFinished(item: UploadItem): boolean {
  return item.phase === 'rejected' || item.phase === 'failed' || (item.phase === 'uploaded' && item.watch !== 'watching');
}

function update(items: UploadItem[], key: string, change: (item: UploadItem) => UploadItem): UploadItem[] {
  return items.map((item) => (item.key === key ? change(item) : item));
}

/** Newest drops first, each drop in its own order. */
export function uploadsReducer(items: UploadItem[], action: UploadAction): UploadItem[] {
  switch (action.type) {
    case 'add':
      return [...action.items, ...items];
    case 'start':
      return update(items, action.key, (item) => ({ ...item, phase: 'uploading', sent: 0 }));
    case 'progress':
      return update(items, action.key, (item) => ({ ...item, sent: action.sent, total: action.total }));
    case 'uploaded':
      return update(items, action.key, (item) => ({
        ...item,
        phase: 'uploaded',
        sent: Math.max(item.total, item.sent),
        total: Math.max(item.total, item.sent),
        upload: action.upload,
        links: action.links,
        watch: 'watching',
      }));
    case 'failed':
      return update(items, action.key, (item) => ({ ...item, phase: 'failed', error: action.error }));
    case 'variants':
      return update(items, action.key, (item) => ({ ...item, variants: action.variants }));
    case 'watch':
      return update(items, action.key, (item) => ({ ...item, watch: action.watch }));
    case 'measured':
      return update(items, action.key, (item) => ({ ...item, dimensions: { ...item.dimensions, [action.kind]: action.size } }));
    case 'retry':
      return update(items, action.key, (item) => {
        const { error: _dropped, ...rest } = item;
        return { ...rest, phase: 'queued', sent: 0, total: item.size };
      });
    case 'dismiss':
      return items.filter((item) => item.key !== action.key);
    case 'clear-finished':
      return items.filter((item) => !isFinished(item));
    case 'forget-image':
      return items.filter((item) => item.upload?.id !== action.id);
  }
}
