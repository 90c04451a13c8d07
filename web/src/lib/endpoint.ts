/**
 * The API root as an absolute URL ending in "/", so paths can be appended with `new URL(path, base)`.
 * `endpoint` comes from /config.json: "http://api-host:8080/", "http://api-host:8080", "/" or "/api/".
 */
export function apiBase(endpoint: string, pageUrl: string): string {
  const base = new URL(endpoint.trim() || '/', pageUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  base.hash = '';
  return base.href;
}

/**
 * An absolute URL for an API path ("image", "image/abc/status") or for a URL the server returned.
 * The server returns root-relative paths ("/image/abc/big") that are relative to the API root, not to the
 * page, so the leading slash is dropped before joining; absolute URLs are kept as they are.
 */
export function apiUrl(base: string, path: string): string {
  if (/^[a-z][a-z\d+.-]*:/i.test(path)) return path;
  return new URL(path.replace(/^\/+/, ''), base).href;
}
