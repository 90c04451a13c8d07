// The per-role runtime settings (deploy/runtime/<role>.env) are the same wherever imgr runs: the Nomad
// job sets exactly those values, compose.yaml reads the files (its resolved config is checked by
// tests/docker/compose-check.mjs), and the bench starts its processes with them and with the image's
// own environment (deploy/docker/imgr.Dockerfile).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { blocks, one, parseHcl } from './hcl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROLES = ['api', 'worker'];
const settingsOf = (role) => parseEnv(readFileSync(join(root, `deploy/runtime/${role}.env`), 'utf8'));
/** Names that are runtime tuning, wherever they are set: they belong in deploy/runtime/<role>.env. */
const TUNING =
  /^(NODE_OPTIONS|UV_THREADPOOL_SIZE|MALLOC_ARENA_MAX|IMGR_WORKER_(CONCURRENCY|PREFETCH)|IMGR_SHUTDOWN_TIMEOUT_MS|IMGR_SHARP_\w+|IMGR_MAX_CONCURRENT_UPLOADS)$/;

const job = one((await parseHcl(join(root, 'deploy/nomad/imgr.nomad.hcl'))).job, 'imgr');
const nomadEnv = (role) => {
  const group = one(job.group, role);
  const [task] = Object.values(group.task).map(([body]) => body);
  return Object.assign({}, ...blocks(task, 'env'));
};

// The bench passes some variables through from its caller: none of them may colour this check.
for (const name of Object.keys(process.env)) if (TUNING.test(name) || name.startsWith('IMGR_')) delete process.env[name];
const bench = await import('../../bench/lib/imgr.mjs');

/** ENV of the Dockerfile's final stage, as name -> value. */
function dockerfileEnv() {
  const text = readFileSync(join(root, 'deploy/docker/imgr.Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));
  const env = {};
  for (const line of finalStage.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[name] = value;
  }
  return env;
}

describe('per-role runtime settings', () => {
  for (const role of ROLES) {
    it(`${role}: the Nomad job sets every value of deploy/runtime/${role}.env and no other tuning`, () => {
      const settings = settingsOf(role);
      assert.ok(Object.keys(settings).length > 0, `deploy/runtime/${role}.env is empty`);
      const env = nomadEnv(role);
      for (const [name, value] of Object.entries(settings)) assert.equal(env[name], value, `${role}: Nomad ${name}`);
      for (const name of Object.keys(env).filter((n) => TUNING.test(n))) {
        assert.ok(name in settings, `${role}: Nomad sets ${name}, which deploy/runtime/${role}.env does not hold`);
      }
    });

    it(`${role}: the bench starts its process with deploy/runtime/${role}.env`, () => {
      const env = bench.processEnv(role);
      for (const [name, value] of Object.entries(settingsOf(role))) assert.equal(env[name], value, `${role}: bench ${name}`);
    });
  }

  it("the bench's image environment is the Dockerfile's", () => {
    const image = dockerfileEnv();
    for (const [name, value] of Object.entries(bench.IMAGE_ENV).filter(([n]) => !n.startsWith('IMGR_RATE_LIMIT_'))) {
      assert.equal(image[name], value, `Dockerfile ENV ${name}`);
    }
  });
});
