// Stand-in for the web image in the failover simulation: serves the runtime config and a page,
// like the static server of ghcr.io/imgr/imgr-web.   node sim-web.mjs NAME PORT
import http from 'node:http';

const [name, port] = [process.argv[2], Number(process.argv[3])];
http
  .createServer((req, res) => {
    if (req.url === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"endpoint": "/"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>imgr</title><p>web ${name}</p>`);
  })
  .listen(port, '0.0.0.0');
