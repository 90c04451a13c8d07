// Static server of the imgr-web image: the Vite build in WEB_ROOT with the very response headers the API sends
// when it serves the page itself (page-headers.ts is api/src/page-headers.ts, copied next to this file).
// sirv serves the files (from a listing made at start: nothing outside WEB_ROOT is reachable, and files added
// later are not served); the headers are set here before sirv answers, so 200, 206 and 304 all carry them.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';
import { HASHED_ASSET_CACHE_CONTROL, INDEX_VARY, pageHeaders, REVALIDATE_CACHE_CONTROL } from './page-headers.ts';

const root = process.env.WEB_ROOT ?? '/srv/www';
const port = Number(process.env.PORT ?? 8080);

/**
 * config.json may point the page at an API on another origin ({"endpoint": "https://api.example/"}): the page
 * must then be allowed to call it and show its images, so that origin joins connect-src and img-src. Read once
 * at start: a changed config.json takes a restart.
 */
function apiOrigins() {
  const text = readFileSync(join(root, 'config.json'), 'utf8');
  const endpoint = JSON.parse(text).endpoint;
  if (typeof endpoint !== 'string' || endpoint.trim() === '') throw new Error(`${root}/config.json: no "endpoint" string`);
  const here = 'http://page.invalid';
  const { origin } = new URL(endpoint.trim(), `${here}/`);
  return origin === here ? [] : [origin];
}

const origins = apiOrigins();
const securityHeaders = Object.entries(pageHeaders(origins));
const notFoundPage = readFileSync(join(root, 'index.html'));

function setHeaders(response, pathname) {
  // The page's security headers go on every response (harmless on assets, and nosniff matters there most).
  for (const [name, value] of securityHeaders) response.setHeader(name, value);
  const hashed = pathname.startsWith('/assets/');
  response.setHeader('cache-control', hashed ? HASHED_ASSET_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL);
  // Accept-Encoding: sirv picks the .br/.gz copies by it. `/` also varies by Accept (page or the API's JSON
  // index at the ingress). Set here too, not only by sirv, so that 304 answers carry it.
  response.setHeader('vary', pathname === '/' ? `${INDEX_VARY}, Accept-Encoding` : 'Accept-Encoding');
}

const serveFile = sirv(root, {
  etag: true,
  brotli: true,
  gzip: true,
  dotfiles: false,
  setHeaders: (response, pathname) => setHeaders(response, pathname),
  // An unknown path gets the page itself with status 404: browsers show the app, which says "not found";
  // crawlers and checks see the 404. Revalidated like the page, never cached as an immutable asset.
  onNoMatch: (request, response) => {
    setHeaders(response, '/');
    response.writeHead(404, { 'content-type': 'text/html;charset=utf-8', 'content-length': notFoundPage.length });
    response.end(request.method === 'HEAD' ? undefined : notFoundPage);
  },
});

const server = createServer((request, response) => {
  response.on('finish', () => console.log(`${request.method} ${request.url} ${response.statusCode}`));
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `method ${request.method} not allowed: this server only serves files` }));
    return;
  }
  setHeaders(response, new URL(request.url ?? '/', 'http://page.invalid').pathname);
  serveFile(request, response);
});

// SIGTERM (docker stop, via tini): stop accepting, let open requests finish, exit 0.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

server.listen(port, () => {
  const api = origins.length > 0 ? `API at ${origins.join(', ')}` : 'API on the same origin';
  console.log(`imgr-web: serving ${root} on port ${port}, ${api}`);
});
