// Runs the production ingress config (deploy/nomad/ingress.nomad.hcl rendered with static servers
// by deploy/ingress/render-static.mjs) in a real HAProxy on loopback and checks the routing rule,
// the health checks and a hitless reload. Needs `haproxy` on PATH.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractTemplate, parseServers, render } from '../../deploy/ingress/render-static.mjs';
import { freePort } from '../support/ports.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A backend answering "<name> <method> <url>"; /health/ready and /config.json answer `ready`. */
function backend(name) {
  const state = { ready: true, requests: 0 };
  const server = http.createServer((req, res) => {
    const isCheck = req.url === '/health/ready' || req.url === '/config.json';
    if (!isCheck) state.requests++;
    const status = isCheck && !state.ready ? 503 : 200;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`${name} ${req.method} ${req.url}`);
    });
  });
  return { server, state };
}

function request(port, path, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ingress HAProxy config', () => {
  const work = mkdtempSync(join(tmpdir(), 'imgr-ingress-'));
  const cfg = join(work, 'haproxy.cfg');
  const backends = { api1: backend('api1'), api2: backend('api2'), web: backend('web') };
  const ports = {};
  let haproxy;
  let log = '';

  before(async () => {
    for (const [name, b] of Object.entries(backends)) {
      ports[name] = await freePort();
      b.server.listen(ports[name], '127.0.0.1');
    }
    ports.front = await freePort();
    ports.floating = await freePort();
    ports.monitor = await freePort();
    ports.exporter = await freePort();
    const template = extractTemplate(readFileSync(join(root, 'deploy/nomad/ingress.nomad.hcl'), 'utf8'));
    let text = render(template, {
      'imgr-api': parseServers(`127.0.0.1:${ports.api1},127.0.0.1:${ports.api2}`, 'api'),
      'imgr-web': parseServers(`127.0.0.1:${ports.web}`, 'web'),
    });
    // Same config, listening on free loopback ports instead of the hosts' 8080/8081/8404.
    for (const [from, to] of [
      ['8080', ports.front],
      ['8081', ports.floating],
      ['8404', ports.monitor],
      ['8405', ports.exporter],
    ]) {
      assert.match(text, new RegExp(`^\\s*bind :${from}$`, 'm'), `binds :${from}`);
      text = text.replace(new RegExp(`^(\\s*)bind :${from}$`, 'm'), `$1bind 127.0.0.1:${to}`);
    }
    writeFileSync(cfg, text);
    const check = spawnSync('haproxy', ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
    assert.equal(check.status, 0, `haproxy -c: ${check.stderr}`);
    haproxy = spawn('haproxy', ['-W', '-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout.on('data', (d) => (log += d));
    haproxy.stderr.on('data', (d) => (log += d));
    for (let i = 0; i < 100; i++) {
      const ok = await request(ports.monitor, '/ingress/health').then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    await sleep(1500); // first health checks (rise 2 is not needed at start: servers begin up)
  });

  after(async () => {
    haproxy?.kill('SIGTERM');
    for (const b of Object.values(backends)) b.server.close();
  });

  const cases = [
    ['GET', '/', { accept: 'text/html,application/xhtml+xml;q=0.9' }, 'web'],
    ['GET', '/', { accept: 'application/json' }, 'api'],
    ['GET', '/', {}, 'api'],
    ['GET', '/', { accept: '*/*' }, 'api'],
    ['HEAD', '/', { accept: 'application/json' }, 'api'],
    ['POST', '/', { accept: 'application/json' }, 'web'],
    ['POST', '/image', {}, 'api'],
    ['GET', '/image/AbCd1234', { accept: 'text/html' }, 'api'],
    ['GET', '/image/AbCd1234/small', {}, 'api'],
    ['DELETE', '/image/AbCd1234', {}, 'api'],
    ['GET', '/images', {}, 'web'],
    ['GET', '/health', {}, 'api'],
    ['GET', '/health/ready', {}, 'api'],
    ['GET', '/config.json', {}, 'web'],
    ['GET', '/assets/index-abc.js', {}, 'web'],
    ['GET', '/some/page', { accept: 'text/html' }, 'web'],
  ];
  for (const [method, path, headers, expected] of cases) {
    it(`${method} ${path} ${headers.accept ? `(Accept: ${headers.accept}) ` : ''}goes to ${expected}`, async () => {
      for (const port of [ports.front, ports.floating]) {
        const res = await request(port, path, { method, headers });
        assert.equal(res.status, 200);
        if (method !== 'HEAD') assert.match(res.body, expected === 'api' ? /^api[12] / : /^web /);
      }
    });
  }

  it('does not expose /metrics', async () => {
    for (const path of ['/metrics', '/metrics/x']) {
      const before = backends.api1.state.requests + backends.api2.state.requests + backends.web.state.requests;
      const res = await request(ports.front, path);
      assert.equal(res.status, 404);
      assert.equal(backends.api1.state.requests + backends.api2.state.requests + backends.web.state.requests, before);
    }
  });

  it("serves HAProxy's own metrics on the exporter port, per backend server", async () => {
    const res = await request(ports.exporter, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.body, /^haproxy_server_status\{proxy="api",server="[^"]+",state="UP"\} 1$/m);
    assert.match(res.body, /^haproxy_frontend_http_requests_total\{proxy="public"\} \d+$/m);
    assert.equal((await request(ports.exporter, '/other')).status, 404);
  });

  it('answers the monitor URI on the monitor port only', async () => {
    assert.equal((await request(ports.monitor, '/ingress/health')).status, 200);
    assert.equal((await request(ports.monitor, '/anything')).status, 403);
  });

  it('takes an API instance out when its readiness fails, and back when it recovers', async () => {
    backends.api2.state.ready = false;
    await sleep(3000); // fall 2 at inter 1s
    for (let i = 0; i < 10; i++) assert.match((await request(ports.front, '/health')).body, /^api1 /);
    backends.api2.state.ready = true;
    await sleep(3000);
    const seen = new Set();
    for (let i = 0; i < 10; i++) seen.add((await request(ports.front, '/health')).body.split(' ')[0]);
    assert.deepEqual([...seen].sort(), ['api1', 'api2']);
  });

  it('reloads (SIGUSR2) without failing a request', async () => {
    let ok = 0;
    let failed = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await request(ports.front, '/health').then(
          (r) => (r.status === 200 ? ok++ : failed++),
          () => failed++,
        );
      }
    })();
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      haproxy.kill('SIGUSR2');
      await sleep(700);
    }
    stop = true;
    await loop;
    assert.ok(ok > 50, `requests during reloads: ${ok}`);
    assert.equal(failed, 0, `failed requests across 3 reloads (${ok} ok)\n${log.slice(-2000)}`);
  });
});
