import { ApiError, type ImgrApi, type ProbeResult, type ServerInfo, SIZES, type SizeStatuses, type UploadResponse } from '../lib/api.ts';
import { apiUrl } from '../lib/endpoint.ts';

/** An upload the test finishes by hand: report progress, then succeed or fail. */
export interface PendingUpload {
  file: Blob;
  name: string;
  signal: AbortSignal | undefined;
  expiresIn: string | undefined;
  progress(sent: number, total: number): void;
  /** Tells the page that an interrupted upload goes on from `offset` (what a resumable upload reports). */
  resume(offset: number, total: number): void;
  succeed(response?: Partial<UploadResponse>): UploadResponse;
  fail(error: ApiError): void;
}

const BASE = 'http://api.test/';

/**
 * The in-memory API the component tests drive: uploads wait for the test, the status route answers
 * from `statuses` (or is absent, like on the original API), deletes check the token.
 */
export class FakeApi implements ImgrApi {
  info_: ServerInfo = {};
  uploads: PendingUpload[] = [];
  /** Status per image id; `undefined` for an id means the route answers 404 like the original API. */
  statuses = new Map<string, SizeStatuses>();
  hasStatusRoute = true;
  /** Variant URLs that answer HEAD with 200. */
  readyUrls = new Set<string>();
  tokens = new Map<string, string>();
  removed: string[] = [];
  statusCalls = 0;
  probeCalls = 0;
  private counter = 0;

  url(path: string): string {
    return apiUrl(BASE, path);
  }

  async info(): Promise<ServerInfo> {
    return this.info_;
  }

  upload(
    file: Blob,
    name: string,
    onProgress: (sent: number, total: number) => void,
    signal?: AbortSignal,
    expiresIn?: string,
    onResume?: (offset: number, total: number) => void,
  ) {
    return new Promise<UploadResponse>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new ApiError('aborted', 'Cancelled.')));
      this.uploads.push({
        file,
        name,
        signal,
        expiresIn,
        progress: onProgress,
        resume: (offset, total) => {
          onResume?.(offset, total);
          onProgress(offset, total);
        },
        succeed: (overrides = {}) => {
          const id = overrides.id ?? `img${String(++this.counter).padStart(5, '0')}`;
          const response: UploadResponse = {
            id,
            original: `/image/${id}`,
            big: `/image/${id}/big`,
            medium: `/image/${id}/medium`,
            small: `/image/${id}/small`,
            tiny: `/image/${id}/tiny`,
            delete_token: `token-${id}`,
            expires_at: null,
            ...overrides,
          };
          if (response.delete_token) this.tokens.set(id, response.delete_token);
          this.statuses.set(id, pendingStatus());
          resolve(response);
          return response;
        },
        fail: reject,
      });
    });
  }

  async status(id: string): Promise<SizeStatuses | null> {
    this.statusCalls++;
    if (!this.hasStatusRoute) return null;
    const status = this.statuses.get(id);
    return status ? structuredClone(status) : null;
  }

  async probe(url: string): Promise<ProbeResult> {
    this.probeCalls++;
    return { ready: this.readyUrls.has(url) };
  }

  async remove(id: string, deleteToken: string): Promise<void> {
    const expected = this.tokens.get(id);
    if (expected === undefined) throw new ApiError('not-found', 'not found', 404);
    if (expected !== deleteToken) throw new ApiError('forbidden', 'wrong delete token', 403);
    this.tokens.delete(id);
    this.removed.push(id);
  }

  /** Marks sizes of an image ready (or failed) as the worker would. */
  setSizes(id: string, sizes: Partial<SizeStatuses>) {
    const status = this.statuses.get(id) ?? pendingStatus();
    this.statuses.set(id, { ...status, ...sizes });
  }
}

export function pendingStatus(): SizeStatuses {
  return Object.fromEntries(SIZES.map((size) => [size, { state: 'pending' }])) as SizeStatuses;
}

export function readyStatus(): SizeStatuses {
  return Object.fromEntries(SIZES.map((size) => [size, { state: 'ready' }])) as SizeStatuses;
}

/** A small file of the given type. */
export function fakeFile(name: string, type: string, size = 2048): File {
  return new File([new Uint8Array(size)], name, { type });
}
