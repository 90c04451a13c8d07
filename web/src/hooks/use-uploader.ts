import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import { ApiError, type ImgrApi, LINK_KINDS, type LinkKind, type ServerInfo, type UploadResponse } from '../lib/api.ts';
import { explainError } from '../lib/error-text.ts';
import { percent } from '../lib/format.ts';
import type { Dimensions, SavedUpload } from '../lib/history.ts';
import { createPacedLimiter, SLOW_LINK_BYTES_PER_SECOND } from '../lib/pacing.ts';
import { precheck } from '../lib/precheck.ts';
import { type ItemError, isFinished, newItem, type UploadItem, uploadsReducer } from '../lib/uploads.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, watchVariants } from '../lib/variants.ts';

export interface UploaderOptions {
  api: ImgrApi;
  info: ServerInfo;
  announce: (message: string) => void;
  onUploaded: (entry: SavedUpload) => void;
  /** A link's pixel size became known (a thumbnail loaded, or the picked file was read). */
  onMeasured?: (id: string, kind: LinkKind, size: Dimensions) => void;
  /** Most files sent at the same time on a fast link (3); on a slow one, one at a time (lib/pacing.ts). */
  concurrency?: number;
  /** Per-file rate under which files go one at a time; 0: never (lib/pacing.ts). */
  slowLinkBytesPerSecond?: number;
  backoff?: BackoffOptions;
  /** `expires_in` sent with each upload; unset: the server's default. */
  expiresIn?: string;
}

export interface Uploader {
  items: UploadItem[];
  addFiles: (files: File[]) => void;
  retry: (key: string) => void;
  cancel: (key: string) => void;
  dismiss: (key: string) => void;
  /** Removes every finished item from the list. */
  clearFinished: () => void;
  recheck: (key: string) => void;
  forgetImage: (id: string) => void;
  measured: (key: string, kind: LinkKind, size: Dimensions) => void;
}

/** The pixel size of a picked file, read by the browser without drawing it; null if it cannot read it. */
function measureFile(file: Blob): Promise<Dimensions | null> {
  if (typeof URL.createObjectURL !== 'function') return Promise.resolve(null);
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    const done = (size: Dimensions | null) => {
      URL.revokeObjectURL(url);
      resolve(size);
    };
    image.onload = () => done(image.naturalWidth > 0 ? { width: image.naturalWidth, height: image.naturalHeight } : null);
    image.onerror = () => done(null);
    image.src = url;
  });
}

function toItemError(error: unknown, file: File, info: ServerInfo): ItemError {
  if (error instanceof ApiError) {
    return explainError(error, {
      fileSize: file.size,
      ...(info.maxUploadBytes !== undefined ? { maxUploadBytes: info.maxUploadBytes } : {}),
      online: navigator.onLine,
    });
  }
  return { title: 'Error', message: error instanceof Error ? error.message : String(error) };
}

let nextKey = 0;

/** The uploads of this visit: queueing, sending with progress, then following the resizing. */
export function useUploader({
  api,
  info,
  announce,
  onUploaded,
  onMeasured,
  concurrency = 3,
  slowLinkBytesPerSecond = SLOW_LINK_BYTES_PER_SECOND,
  backoff = DEFAULT_BACKOFF,
  expiresIn,
}: UploaderOptions): Uploader {
  const [items, dispatch] = useReducer(uploadsReducer, []);
  const limiter = useMemo(() => createPacedLimiter(concurrency, slowLinkBytesPerSecond), [concurrency, slowLinkBytesPerSecond]);
  const controllers = useRef(new Map<string, AbortController>());
  // Callbacks read the latest values through refs, so the functions handed to children stay stable.
  const latest = useRef({ items, info, announce, onUploaded, onMeasured, expiresIn });
  latest.current = { items, info, announce, onUploaded, onMeasured, expiresIn };

  useEffect(() => {
    const running = controllers.current;
    return () => {
      for (const controller of running.values()) controller.abort();
      running.clear();
    };
  }, []);

  const watch = useCallback(
    (key: string, name: string, upload: UploadResponse, signal: AbortSignal) => {
      dispatch({ type: 'watch', key, watch: 'watching' });
      void watchVariants(api, upload, (variants) => dispatch({ type: 'variants', key, variants }), signal, backoff).then((outcome) => {
        if (outcome === 'aborted') return;
        dispatch({ type: 'watch', key, watch: outcome });
        latest.current.announce(
          outcome === 'complete' ? `All sizes of ${name} are done.` : `${name} is still being resized; check again later.`,
        );
      });
    },
    [api, backoff],
  );

  const send = useCallback(
    (key: string, file: File, name: string, pick: { pickedAt: string; pickIndex: number }) => {
      controllers.current.get(key)?.abort();
      const controller = new AbortController();
      controllers.current.set(key, controller);
      const { signal } = controller;
      // After Retry or Dismiss a newer attempt, or nobody, owns the item: this one must keep quiet.
      const current = () => controllers.current.get(key) === controller;
      let started = false;
      const fail = (error: unknown) => {
        if (!current()) return;
        const itemError = toItemError(error, file, latest.current.info);
        dispatch({ type: 'failed', key, error: itemError });
        latest.current.announce(`${name} failed: ${itemError.message}`);
      };
      // A file still waiting for its turn is cancelled at once, not when its turn comes.
      signal.addEventListener('abort', () => started || fail(new ApiError('aborted', 'Cancelled.')), { once: true });

      limiter
        .run(async () => {
          if (signal.aborted) throw new ApiError('aborted', 'Cancelled.');
          started = true;
          dispatch({ type: 'start', key });
          let shown = -1;
          const startedAt = Date.now();
          // Bytes already on the server when an interrupted upload goes on do not count for the link's speed.
          let resumedFrom = 0;
          return api.upload(
            file,
            name,
            (sent, total) => {
              limiter.measure(sent - resumedFrom, startedAt, Date.now());
              // One render per percent, not per progress event.
              const now = percent(sent, total);
              if (now === shown) return;
              shown = now;
              dispatch({ type: 'progress', key, sent, total });
            },
            signal,
            latest.current.expiresIn,
            (offset, total) => {
              resumedFrom = offset;
              latest.current.announce(`Resuming ${name} from ${percent(offset, total)} %.`);
            },
          );
        })
        .then(
          (upload) => {
            const links = Object.fromEntries(LINK_KINDS.map((kind) => [kind, api.url(upload[kind])])) as Record<LinkKind, string>;
            const entry: SavedUpload = { id: upload.id, name, uploadedAt: new Date().toISOString(), links, ...pick };
            if (upload.delete_token) entry.deleteToken = upload.delete_token;
            // Stored even if dismissed meanwhile: the image exists on the server and only this entry can delete it.
            latest.current.onUploaded(entry);
            if (!current()) return;
            dispatch({ type: 'uploaded', key, upload, links });
            latest.current.announce(`${name} uploaded; resizing.`);
            watch(key, name, upload, signal);
            void measureFile(file).then((size) => {
              if (!size) return;
              latest.current.onMeasured?.(upload.id, 'original', size);
              if (current()) dispatch({ type: 'measured', key, kind: 'original', size });
            });
          },
          (error: unknown) => {
            if (started) fail(error);
          },
        );
    },
    [api, limiter, watch],
  );

  const addFiles = useCallback(
    (files: File[]) => {
      if (files.length === 0) return;
      const pickedAt = new Date().toISOString();
      const added = files.map((file, pickIndex) => {
        const name = file.name || 'image';
        return newItem(`u${++nextKey}`, file, name, precheck(file, latest.current.info), { pickedAt, pickIndex });
      });
      dispatch({ type: 'add', items: added });
      const rejected = added.filter((item) => item.phase === 'rejected').length;
      const queued = added.length - rejected;
      latest.current.announce(
        [queued && `${queued} ${queued === 1 ? 'file' : 'files'} queued.`, rejected && `${rejected} not uploaded.`]
          .filter(Boolean)
          .join(' '),
      );
      for (const item of added)
        if (item.phase === 'queued') send(item.key, item.file, item.name, { pickedAt: item.pickedAt, pickIndex: item.pickIndex });
    },
    [send],
  );

  const retry = useCallback(
    (key: string) => {
      const item = latest.current.items.find((i) => i.key === key);
      if (item?.phase !== 'failed') return;
      dispatch({ type: 'retry', key });
      send(key, item.file, item.name, { pickedAt: item.pickedAt, pickIndex: item.pickIndex });
    },
    [send],
  );

  const cancel = useCallback((key: string) => controllers.current.get(key)?.abort(), []);

  const dismiss = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    controllers.current.delete(key);
    dispatch({ type: 'dismiss', key });
  }, []);

  const clearFinished = useCallback(() => {
    for (const item of latest.current.items) {
      if (!isFinished(item)) continue;
      controllers.current.get(item.key)?.abort();
      controllers.current.delete(item.key);
    }
    dispatch({ type: 'clear-finished' });
  }, []);

  const recheck = useCallback(
    (key: string) => {
      const item = latest.current.items.find((i) => i.key === key);
      const signal = controllers.current.get(key)?.signal;
      if (item?.upload && signal && !signal.aborted) watch(key, item.name, item.upload, signal);
    },
    [watch],
  );

  const forgetImage = useCallback((id: string) => {
    for (const item of latest.current.items) {
      if (item.upload?.id === id) {
        controllers.current.get(item.key)?.abort();
        controllers.current.delete(item.key);
      }
    }
    dispatch({ type: 'forget-image', id });
  }, []);

  const measured = useCallback((key: string, kind: LinkKind, size: Dimensions) => {
    const item = latest.current.items.find((i) => i.key === key);
    const known = item?.dimensions[kind];
    if (!item?.upload || (known && known.width === size.width && known.height === size.height)) return;
    dispatch({ type: 'measured', key, kind, size });
    latest.current.onMeasured?.(item.upload.id, kind, size);
  }, []);

  return { items, addFiles, retry, cancel, dismiss, clearFinished, recheck, forgetImage, measured };
}
