// The Consul and Nomad agent configurations rendered from the roles (tests/deploy/render-configs.yml):
// with the TLS variables set they carry the tls blocks (CA, own certificate, hostname verification,
// HTTPS with the address binding kept), and without them none at all, so a cluster whose servers
// offer no TLS keeps working unchanged. Parsed with HashiCorp's HCL parser (hcl.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { block, parseHcl } from './hcl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Renders the templates with these extra vars; returns the parsed consul.hcl and nomad.hcl. */
async function render(extra) {
  const dir = mkdtempSync(join(tmpdir(), 'imgr-tls-'));
  const vars = {
    render_out_dir: dir,
    keepalived_script_dir: dir,
    keepalived_unicast_src_ip: '172.16.1.11',
    keepalived_unicast_peers: ['172.16.1.12'],
    keepalived_floating_ip: '172.16.3.10/16',
    ...extra,
  };
  const r = spawnSync(
    'ansible-playbook',
    ['-i', 'vm1,', '-c', 'local', join(root, 'tests/deploy/render-configs.yml'), '-e', JSON.stringify(vars)],
    { encoding: 'utf8', env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'default' } },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return { consul: await parseHcl(join(dir, 'consul.hcl')), nomad: await parseHcl(join(dir, 'nomad.hcl')) };
}

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----';

describe('agent configurations without TLS variables', () => {
  it('have no tls, auto_encrypt or HTTPS settings', async () => {
    const { consul, nomad } = await render({});
    for (const name of ['tls', 'auto_encrypt', 'ports']) assert.equal(consul[name], undefined, `consul.hcl has ${name}`);
    assert.equal(nomad.tls, undefined);
    const c = block(nomad, 'consul');
    assert.equal(c.address, '127.0.0.1:8500');
    assert.equal(c.ssl, undefined);
    // The HTTP API binding (loopback and vxlan100) is the same with or without TLS.
    assert.match(block(nomad, 'addresses').http, /^127\.0\.0\.1 \{\{ GetInterfaceIP "vxlan100" \}\}$/);
    assert.equal(consul.client_addr, '127.0.0.1');
  });
});

describe('agent configurations with the TLS variables set (PEM texts from the vault)', () => {
  const tls = {
    consul_agent_tls_ca_pem: PEM,
    consul_agent_tls_cert_pem: PEM,
    consul_agent_tls_key_pem: KEY,
    nomad_client_tls_ca_pem: PEM,
    nomad_client_tls_cert_pem: PEM,
    nomad_client_tls_key_pem: KEY,
  };
  let rendered;
  before(async () => {
    rendered = await render(tls);
  });

  it('Consul: RPC verified against the CA, the agent certificate, HTTPS on loopback', async () => {
    const { consul } = rendered;
    const t = block(consul, 'tls');
    const d = block(t, 'defaults');
    assert.equal(d.ca_file, '/etc/consul.d/tls/ca.pem');
    assert.equal(d.cert_file, '/etc/consul.d/tls/agent.pem');
    assert.equal(d.key_file, '/etc/consul.d/tls/agent-key.pem');
    assert.equal(d.verify_outgoing, true);
    assert.equal(block(t, 'internal_rpc').verify_server_hostname, true);
    const ports = block(consul, 'ports');
    assert.equal(ports.https, 8501);
    assert.equal(ports.http, 8500);
    assert.equal(consul.client_addr, '127.0.0.1');
    assert.equal(consul.auto_encrypt, undefined);
  });

  it('Nomad: mutual TLS for RPC, HTTPS on the same addresses, server hostname verified', async () => {
    const { nomad } = rendered;
    const t = block(nomad, 'tls');
    assert.equal(t.http, true);
    assert.equal(t.rpc, true);
    assert.equal(t.ca_file, '/etc/nomad.d/tls/ca.pem');
    assert.equal(t.cert_file, '/etc/nomad.d/tls/client.pem');
    assert.equal(t.key_file, '/etc/nomad.d/tls/client-key.pem');
    assert.equal(t.verify_server_hostname, true);
    assert.equal(t.verify_https_client, false);
    assert.match(block(nomad, 'addresses').http, /^127\.0\.0\.1 \{\{ GetInterfaceIP "vxlan100" \}\}$/);
  });

  it('files already on the VM (paths), Consul auto_encrypt, Nomad to Consul over HTTPS', async () => {
    const { consul, nomad } = await render({
      consul_agent_tls_ca_file: '/usr/local/share/ca/consul.pem',
      consul_agent_tls_auto_encrypt: true,
      nomad_client_tls_ca_file: '/srv/tls/nomad-ca.pem',
      nomad_client_tls_cert_file: '/srv/tls/client.pem',
      nomad_client_tls_key_file: '/srv/tls/client-key.pem',
      nomad_client_consul_ssl: true,
      nomad_client_consul_address: '127.0.0.1:8501',
      nomad_client_consul_ca_file: '/usr/local/share/ca/consul.pem',
    });
    const d = block(block(consul, 'tls'), 'defaults');
    assert.equal(d.ca_file, '/usr/local/share/ca/consul.pem');
    assert.equal(d.cert_file, undefined);
    assert.equal(block(consul, 'auto_encrypt').tls, true);
    assert.equal(block(consul, 'ports').https, 8501);
    const t = block(nomad, 'tls');
    assert.equal(t.ca_file, '/srv/tls/nomad-ca.pem');
    assert.equal(t.cert_file, '/srv/tls/client.pem');
    const c = block(nomad, 'consul');
    assert.equal(c.ssl, true);
    assert.equal(c.verify_ssl, true);
    assert.equal(c.ca_file, '/usr/local/share/ca/consul.pem');
  });

  it('Consul with only a CA: RPC verified, no certificate, no HTTPS port', async () => {
    const { consul } = await render({ consul_agent_tls_ca_pem: PEM });
    const d = block(block(consul, 'tls'), 'defaults');
    assert.equal(d.ca_file, '/etc/consul.d/tls/ca.pem');
    assert.equal(d.cert_file, undefined);
    assert.equal(consul.ports, undefined);
  });
});
