/**
 * The response headers of the web page, in one place for both servers of it: the API's web route
 * (single-machine mode) and the web image's static server (deploy/docker/web-server/server.mjs).
 * Import-free and with erasable type annotations only (no enum, namespace...): the web image runs this very
 * file with Node's type stripping, no build step, so the two cannot drift apart.
 */

/** Files under assets/ carry a content hash in their name: a new build gets new names, so they never go stale. */
export const HASHED_ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html and config.json: revalidated on every load, so a new build or config is picked up at once. */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';
/** `/` answers the page or the API's JSON index by Accept (API and ingress): caches must keep them apart. */
export const INDEX_VARY = 'Accept';

/**
 * The page runs only its own scripts and styles, talks only to its own origin (single-machine mode and the
 * ingress serve the API there) plus `apiOrigins`, shows images from those, blobs (previews of picked files)
 * and data: URLs, and cannot be framed. `apiOrigins`: the API's origin when config.json points the page at
 * another one ("http://api.example:8080").
 */
export function pageCsp(apiOrigins: readonly string[] = []): string {
  const api = apiOrigins.map((origin) => ` ${origin}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self'${api} blob: data:`,
    `connect-src 'self'${api}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of the HTML page itself (index.html, also as `/` and as the not-found page). */
export function pageHeaders(apiOrigins: readonly string[] = []): Record<string, string> {
  return {
    'content-security-policy': pageCsp(apiOrigins),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': REVALIDATE_CACHE_CONTROL,
  };
}
