// keepalived's chk_ingress script, rendered from the role's template, against stand-ins for the
// local HAProxy monitor URI and the local Consul agent: it must fail when the ingress is down or
// when Nomad has deregistered it (ingress being stopped), and must not depend on Consul being up.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function stub() {
  const state = { status: 200 };
  const server = http.createServer((req, res) => {
    state.lastUrl = req.url;
    res.writeHead(state.status);
    res.end();
  });
  return { server, state };
}

describe('chk_ingress.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgr-chk-'));
  const haproxy = stub();
  const consul = stub();
  let consulPort;

  before(async () => {
    for (const s of [haproxy, consul]) await new Promise((r) => s.server.listen(0, '127.0.0.1', r));
    consulPort = consul.server.address().port;
    const vars = {
      render_out_dir: dir,
      keepalived_script_dir: dir,
      keepalived_unicast_src_ip: '172.16.1.11',
      keepalived_unicast_peers: ['172.16.1.12'],
      keepalived_floating_ip: '172.16.3.10/16',
      keepalived_chk_url: `http://127.0.0.1:${haproxy.server.address().port}/ingress/health`,
      keepalived_chk_consul_url: `http://127.0.0.1:${consulPort}`,
    };
    const r = spawnSync(
      'ansible-playbook',
      ['-i', 'vm1,', '-c', 'local', join(root, 'tests/deploy/render-configs.yml'), '-e', JSON.stringify(vars)],
      {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'default' },
      },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  after(() => {
    haproxy.server.close();
    consul.server.close();
  });

  // Asynchronously: the stubs answer from this process while the script runs.
  const run = () => new Promise((resolve) => execFile(join(dir, 'chk_ingress.sh'), (err) => resolve(err ? err.code : 0)));

  it('passes while HAProxy answers and the service is registered', async () => {
    haproxy.state.status = 200;
    consul.state.status = 200;
    assert.equal(await run(), 0);
    assert.equal(consul.state.lastUrl, '/v1/agent/health/service/name/imgr-ingress');
  });

  it('fails when the HAProxy monitor URI fails', async () => {
    haproxy.state.status = 503;
    assert.notEqual(await run(), 0);
    haproxy.state.status = 200;
  });

  it('fails when Nomad has deregistered the ingress (shutdown_delay)', async () => {
    consul.state.status = 404;
    assert.notEqual(await run(), 0);
  });

  it('passes when the service is registered but critical, or the agent is down', async () => {
    consul.state.status = 503;
    assert.equal(await run(), 0);
    consul.server.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await run(), 0);
  });
});
