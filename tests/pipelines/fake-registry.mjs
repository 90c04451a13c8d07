// A stand-in container registry for tests/pipelines/registry-access.sh: the token protocol of ghcr.io and
// GitLab's registry. Repository "team/public" hands anonymous pull tokens out; "team/private" refuses them.
// Prints its port, serves until killed.
import { createServer } from 'node:http';

const TOKEN = 'anonymous-pull-token';
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://registry');
  if (url.pathname === '/token') {
    const scope = url.searchParams.get('scope') ?? '';
    if (scope === 'repository:team/public:pull') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
    } else res.writeHead(401).end();
    return;
  }
  const m = url.pathname.match(/^\/v2\/(.+)\/manifests\/([^/]+)$/);
  if (!m) return res.writeHead(404).end();
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    const realm = `http://127.0.0.1:${server.address().port}/token`;
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake-registry",scope="repository:${m[1]}:pull"` });
    return res.end();
  }
  if (m[1] !== 'team/public' || m[2] !== 'abc123') return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end('{"schemaVersion":2,"manifests":[]}');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
