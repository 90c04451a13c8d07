import type { IndexBody, UploadResult, VariantState } from '@imgr/api/contract';
import { isSupported as isResumableSupported } from 'tus-js-client';
// The variants module has no imports of its own, so the page takes the server's list from its source.
import { VARIANT_NAMES, type VariantName } from '../../../core/src/variants.ts';
import { apiUrl } from './endpoint.ts';
import { ResumableUnavailable, resumableUpload } from './resumable-upload.ts';

export const SIZES = VARIANT_NAMES;
export type Size = VariantName;
export const LINK_KINDS = ['original', ...SIZES] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** Body of `201 POST /image`; the original API sends neither `delete_token` nor `expires_at`. */
export type UploadResponse = Omit<UploadResult, 'delete_token' | 'expires_at'> & Partial<Pick<UploadResult, 'delete_token' | 'expires_at'>>;

/** What `GET <endpoint>` tells about uploads; both fields are absent on the original API. */
export interface ServerInfo {
  maxUploadBytes?: number;
  acceptedTypes?: string[];
  /** Creation URL of resumable (tus) uploads, relative to the API root; absent on the original API. */
  resumableUploadUrl?: string;
}

/** One size in the page's view of `GET /image/<id>/status`: its state, and why when it failed. */
export type SizeStatus = { state: VariantState['state']; reason?: string };
/** Every size's status; `null` from `status()` when the server has none (the original API). */
export type SizeStatuses = Record<Size, SizeStatus>;

/** Whether a variant URL answers yet; `retryAfterSeconds` from the server's Retry-After header. */
export interface ProbeResult {
  ready: boolean;
  retryAfterSeconds?: number;
}

export type ApiErrorKind =
  | 'too-large'
  | 'unsupported-type'
  | 'corrupt'
  | 'busy'
  | 'offline'
  | 'forbidden'
  | 'not-found'
  | 'not-supported'
  | 'aborted'
  | 'server';

const TITLES: Record<ApiErrorKind, string> = {
  'too-large': 'Too large',
  'unsupported-type': 'Unsupported type',
  corrupt: 'Unreadable image',
  busy: 'Server busy',
  offline: 'Server unreachable',
  forbidden: 'Refused',
  'not-found': 'Not found',
  'not-supported': 'Not supported by this server',
  aborted: 'Cancelled',
  server: 'Server error',
};

/** A failed API call: `kind` decides the wording and whether retrying can help. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status = 0,
    readonly retryAfterSeconds?: number,
    /** The stable code of imgr's error catalogue (`{"error": "too-large"}`); the original API's strings too. */
    readonly code?: string,
  ) {
    super(message);
  }

  get title(): string {
    return TITLES[this.kind];
  }

  /** Client faults (a too large or broken file) fail the same way again; the rest may pass later. */
  get retryable(): boolean {
    return this.kind === 'busy' || this.kind === 'offline' || this.kind === 'server' || this.kind === 'aborted';
  }
}

/** The port the page talks to; `createHttpApi` is the real one, tests pass an in-memory one. */
export interface ImgrApi {
  /** Absolute URL of a path or of a URL the server returned. */
  url(path: string): string;
  info(): Promise<ServerInfo>;
  /**
   * `expiresIn`: the API's `expires_in` (`1h`, `7d`); absent, the server's default. Resumable (tus)
   * when `info()` found the server's tus endpoint, `POST /image` otherwise; `onResume` tells that an
   * earlier, interrupted upload of the same file goes on from `offset`.
   */
  upload(
    file: Blob,
    name: string,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
    expiresIn?: string,
    onResume?: (offset: number, total: number) => void,
  ): Promise<UploadResponse>;
  /** `null` when the server has no status route (the original API); throws ApiError on transient failures. */
  status(id: string): Promise<SizeStatuses | null>;
  probe(url: string): Promise<ProbeResult>;
  remove(id: string, deleteToken: string): Promise<void>;
}

function kindForStatus(status: number): ApiErrorKind {
  if (status === 413) return 'too-large';
  if (status === 415) return 'unsupported-type';
  if (status === 422) return 'corrupt';
  if (status === 503 || status === 429) return 'busy';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 405 || status === 501) return 'not-supported';
  return 'server';
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** The server's own words: imgr sends `{error, message}`, the original `{error}`, proxies plain text or HTML. */
function serverMessage(body: string, status: number, statusText: string): { message: string; code?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const { message, error } = parsed as { message?: unknown; error?: unknown };
      const code = typeof error === 'string' && error ? error : undefined;
      if (typeof message === 'string' && message) return code ? { message, code } : { message };
      if (code) return { message: code, code };
    }
  } catch {
    // Not JSON: fall through to the raw text when it is short and not a page.
  }
  const text = body.trim();
  if (text && text.length <= 200 && !text.startsWith('<')) return { message: text };
  return { message: `HTTP ${status}${statusText ? ` ${statusText}` : ''}` };
}

export function errorFromResponse(status: number, statusText: string, body: string, retryAfterHeader: string | null): ApiError {
  const { message, code } = serverMessage(body, status, statusText);
  return new ApiError(kindForStatus(status), message, status, retryAfter(retryAfterHeader), code);
}

export function isUploadResponse(value: unknown): value is UploadResponse {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return typeof record.id === 'string' && LINK_KINDS.every((kind) => typeof record[kind] === 'string');
}

function parseStatus(value: unknown): SizeStatuses | null {
  if (!value || typeof value !== 'object') return null;
  const sizes = (value as { sizes?: unknown }).sizes;
  if (!sizes || typeof sizes !== 'object') return null;
  const result: Partial<SizeStatuses> = {};
  for (const size of SIZES) {
    const entry = (sizes as Record<string, unknown>)[size] as { state?: unknown; reason?: unknown } | undefined;
    const state = entry?.state;
    if (state !== 'pending' && state !== 'ready' && state !== 'failed') return null;
    result[size] = typeof entry?.reason === 'string' ? { state, reason: entry.reason } : { state };
  }
  return result as SizeStatuses;
}

function parseInfo(value: unknown): ServerInfo {
  if (!value || typeof value !== 'object') return {};
  const {
    max_upload_bytes: max,
    accepted_types: types,
    resumable_upload_url: resumable,
  } = value as Partial<Record<keyof IndexBody, unknown>>;
  const info: ServerInfo = {};
  if (typeof resumable === 'string' && resumable.startsWith('/')) info.resumableUploadUrl = resumable;
  if (typeof max === 'number' && max > 0) info.maxUploadBytes = max;
  const list = typeof types === 'string' ? types.split(',') : types;
  if (Array.isArray(list)) {
    const clean = list.filter((t): t is string => typeof t === 'string').map((t) => t.trim().toLowerCase());
    if (clean.length > 0) info.acceptedTypes = clean.filter(Boolean);
  }
  return info;
}

export const offlineError = () => new ApiError('offline', navigator.onLine === false ? 'You are offline.' : 'Could not reach the server.');

async function request(input: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(input, { cache: 'no-store', ...init });
  } catch {
    if (init.signal?.aborted) throw new ApiError('aborted', 'Cancelled.');
    throw offlineError();
  }
}

/** The real API over HTTP; `base` is the absolute API root from `apiBase`. */
export function createHttpApi(base: string): ImgrApi {
  const url = (path: string) => apiUrl(base, path);
  // Learnt from `GET /`: the page uses tus only where the server says it has it.
  let resumableEndpoint: string | undefined;

  function postUpload(
    file: Blob,
    name: string,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
    expiresIn?: string,
  ) {
    // XMLHttpRequest because fetch reports no upload progress.
    return new Promise<UploadResponse>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const form = new FormData();
      if (expiresIn) form.append('expires_in', expiresIn);
      form.append('file', file, name);
      xhr.open('POST', url('image'));
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          let body: unknown;
          try {
            body = JSON.parse(xhr.responseText);
          } catch {
            body = undefined;
          }
          if (isUploadResponse(body)) resolve(body);
          else reject(new ApiError('server', 'The server answered with something that is not an upload result.', xhr.status));
          return;
        }
        reject(errorFromResponse(xhr.status, xhr.statusText, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      };
      xhr.onerror = () => reject(offlineError());
      xhr.ontimeout = () => reject(offlineError());
      xhr.onabort = () => reject(new ApiError('aborted', 'Cancelled.'));
      if (signal) {
        if (signal.aborted) {
          reject(new ApiError('aborted', 'Cancelled.'));
          return;
        }
        signal.addEventListener('abort', () => xhr.abort(), { once: true });
      }
      xhr.send(form);
    });
  }

  return {
    url,

    async info() {
      try {
        // Asking for JSON matters in single-machine mode, where a browser asking for HTML gets this page.
        const response = await request(base, { headers: { Accept: 'application/json' } });
        if (!response.ok) return {};
        const info = parseInfo(await response.json());
        resumableEndpoint = info.resumableUploadUrl && url(info.resumableUploadUrl.slice(1));
        return info;
      } catch {
        return {};
      }
    },

    async upload(file, name, onProgress, signal, expiresIn, onResume) {
      if (resumableEndpoint && isResumableSupported) {
        try {
          return await resumableUpload({ endpoint: resumableEndpoint, file, name, onProgress, onResume, signal, expiresIn });
        } catch (error) {
          if (!(error instanceof ResumableUnavailable)) throw error;
          resumableEndpoint = undefined;
        }
      }
      return postUpload(file, name, onProgress, signal, expiresIn);
    },

    async status(id) {
      const response = await request(url(`image/${encodeURIComponent(id)}/status`), {
        headers: { Accept: 'application/json' },
      });
      if (response.status >= 500 || response.status === 429) {
        throw errorFromResponse(response.status, response.statusText, await response.text(), response.headers.get('Retry-After'));
      }
      if (!response.ok) return null;
      try {
        return parseStatus(await response.json());
      } catch {
        return null;
      }
    },

    async probe(variantUrl) {
      const response = await request(variantUrl, { method: 'HEAD' });
      if (response.ok) return { ready: true };
      const hint = retryAfter(response.headers.get('Retry-After'));
      if (response.status === 404) return hint === undefined ? { ready: false } : { ready: false, retryAfterSeconds: hint };
      throw new ApiError(kindForStatus(response.status), `HTTP ${response.status}`, response.status, hint);
    },

    async remove(id, deleteToken) {
      const response = await request(url(`image/${encodeURIComponent(id)}`), {
        method: 'DELETE',
        headers: { 'X-Delete-Token': deleteToken, Accept: 'application/json' },
      });
      if (response.ok) return;
      throw errorFromResponse(response.status, response.statusText, await response.text(), response.headers.get('Retry-After'));
    },
  };
}
