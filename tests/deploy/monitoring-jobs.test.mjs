// The monitoring jobs parse, read files that exist, keep Prometheus' and Grafana's own {{ }} away from
// Nomad's template engine, and look for the Consul services the other jobs really register.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blocks, one, parseHcl } from './hcl.mjs';

/** An HCL interpolation as hcl2json renders it: ref('NOMAD_ADDR_http') is the text ${NOMAD_ADDR_http}. */
const ref = (expr) => `\${${expr}}`;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nomadDir = join(root, 'deploy', 'nomad');
const monitoring = one((await parseHcl(join(nomadDir, 'monitoring.nomad.hcl'))).job, 'monitoring');
const nodeExporter = one((await parseHcl(join(nomadDir, 'node-exporter.nomad.hcl'))).job, 'node-exporter');

const tasksOf = (job) => Object.values(job.group).flatMap(([group]) => Object.values(group.task).map(([task]) => task));
const servicesOf = (job) => Object.values(job.group).flatMap(([group]) => blocks(group, 'service').map((service) => service.name));

/** Service names registered by the jobs under deploy/nomad, read from their `service { name = ... }`. */
function registeredServices() {
  const names = new Set(['nomad-client']); // Nomad's own agent registration
  for (const file of ['imgr.nomad.hcl', 'ingress.nomad.hcl', 'monitoring.nomad.hcl', 'node-exporter.nomad.hcl']) {
    for (const match of readFileSync(join(nomadDir, file), 'utf8').matchAll(/service \{\s*name\s*=\s*"([^"]+)"/g)) names.add(match[1]);
  }
  return names;
}

describe('monitoring.nomad.hcl', () => {
  const templates = tasksOf(monitoring).flatMap((task) => blocks(task, 'template'));

  it('renders files that exist, with delimiters their own braces cannot trip', () => {
    const fromFiles = templates.filter((template) => typeof template.data === 'string' && template.data.startsWith('${file('));
    assert.ok(fromFiles.length >= 5, 'prometheus config, rules, grafana provisioning and dashboard');
    for (const template of fromFiles) {
      const path = template.data.match(/^\$\{file\("([^"]+)"\)\}$/)?.[1];
      assert.ok(path && existsSync(join(root, path)), `${path} exists (paths are relative to the repository root)`);
      const text = readFileSync(join(root, path), 'utf8');
      assert.ok(template.left_delimiter, `${path}: custom delimiters`);
      // Whatever Nomad would read as a template action must be meant for it.
      for (const action of text.split(template.left_delimiter).slice(1)) {
        assert.match(
          action,
          /^(-? if)? env "NOMAD_META_\w+" |^- end /,
          `${path}: only NOMAD_META lookups (and conditions on them) use ${template.left_delimiter}`,
        );
      }
    }
  });

  it('scrapes the Consul services the jobs register', () => {
    const config = readFileSync(join(root, 'deploy/monitoring/prometheus/prometheus.nomad.yml'), 'utf8');
    const wanted = [...config.matchAll(/services: \[([\w-]+)\]/g)].map((match) => match[1]);
    assert.deepEqual(
      wanted.sort(),
      ['imgr-api', 'imgr-ingress', 'imgr-pushgateway', 'imgr-worker', 'node-exporter', 'nomad-client'].sort(),
    );
    const registered = registeredServices();
    for (const name of wanted) assert.ok(registered.has(name), `service ${name} is registered by some job`);
  });

  it('keeps every UI on the private network and health-checks every group', () => {
    for (const task of tasksOf(monitoring)) {
      const args = (task.config?.[0]?.args ?? []).join(' ');
      const env = Object.assign({}, ...blocks(task, 'env'));
      assert.ok(
        args.includes(ref('NOMAD_ADDR_http')) || env.GF_SERVER_HTTP_ADDR === ref('NOMAD_IP_http'),
        'bound to the allocated address',
      );
    }
    assert.deepEqual(servicesOf(monitoring).sort(), ['imgr-grafana', 'imgr-prometheus', 'imgr-pushgateway']);
    for (const [group] of Object.values(monitoring.group)) {
      for (const service of blocks(group, 'service')) assert.ok(blocks(service, 'check').length > 0, `${service.name} has a check`);
    }
  });
});

describe('node-exporter.nomad.hcl', () => {
  it('runs on every node and reads the textfile directory keepalived writes', () => {
    assert.equal(nodeExporter.type, 'system');
    const [task] = tasksOf(nodeExporter);
    assert.ok(task.config[0].args.some((arg) => arg.startsWith('--collector.textfile.directory=')));
  });
});

const backup = one((await parseHcl(join(nomadDir, 'backup.nomad.hcl'))).job, 'imgr-backup');
describe('backup.nomad.hcl', () => {
  it('runs the backup script hourly, never two at once, with the keys from the Nomad Variable', () => {
    assert.equal(backup.type, 'batch');
    const [periodic] = blocks(backup, 'periodic');
    assert.equal(periodic.prohibit_overlap, true);
    const [task] = tasksOf(backup);
    const [script, keys] = blocks(task, 'template');
    assert.equal(script.data, ref('file("deploy/backup/imgr-backup.sh")'));
    assert.ok(existsSync(join(root, 'deploy/backup/imgr-backup.sh')));
    assert.match(keys.data, /nomadVar "nomad\/jobs\/imgr-backup"/);
    assert.deepEqual(task.config[0].args, ['backup']);
  });
});
