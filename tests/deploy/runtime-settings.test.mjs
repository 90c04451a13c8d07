// The per-role runtime settings (deploy/runtime/<role>.env) are the same wherever imgr runs: the Nomad
// jobs set exactly those values, compose.yaml reads the files (its resolved config is checked by
// tests/docker/compose-check.mjs), and the bench starts its processes with them and with the image's
// own environment (deploy/docker/imgr.Dockerfile). The memory limits and kill timeouts of
// deploy/runtime/limits.env, which neither HCL nor compose can read into a resource, are held here to
// the Nomad jobs and by compose-check.mjs to compose.yaml.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { block, blocks, durationMs, one, parseHcl } from './hcl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROLES = ['api', 'worker'];
const settingsOf = (role) => parseEnv(readFileSync(join(root, `deploy/runtime/${role}.env`), 'utf8'));
/** Names that are runtime tuning, wherever they are set: they belong in deploy/runtime/<role>.env. */
const TUNING =
  /^(NODE_OPTIONS|UV_THREADPOOL_SIZE|MALLOC_ARENA_MAX|IMGR_WORKER_(CONCURRENCY|PREFETCH)|IMGR_SHUTDOWN_TIMEOUT_MS|IMGR_SHARP_\w+|IMGR_MAX_CONCURRENT_UPLOADS)$/;

const job = one((await parseHcl(join(root, 'deploy/nomad/imgr.nomad.hcl'))).job, 'imgr');
const sweepJob = one((await parseHcl(join(root, 'deploy/nomad/sweep.nomad.hcl'))).job, 'imgr-sweep');
const nomadTask = (role) => {
  const group = role === 'sweep' ? one(sweepJob.group, 'sweep') : one(job.group, role);
  const [task] = Object.values(group.task).map(([body]) => body);
  return task;
};
const nomadEnv = (role) => Object.assign({}, ...blocks(nomadTask(role), 'env'));
const limits = parseEnv(readFileSync(join(root, 'deploy/runtime/limits.env'), 'utf8'));

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

  for (const role of [...ROLES, 'sweep']) {
    it(`${role}: the Nomad job's memory and kill timeout are those of deploy/runtime/limits.env`, () => {
      const task = nomadTask(role);
      const memoryMib = Number(limits[`${role.toUpperCase()}_MEMORY_MIB`]);
      const killS = Number(limits[`${role.toUpperCase()}_KILL_TIMEOUT_S`]);
      assert.ok(memoryMib > 0 && killS > 0, `deploy/runtime/limits.env lacks ${role.toUpperCase()}_MEMORY_MIB or _KILL_TIMEOUT_S`);
      assert.equal(block(task, 'resources')?.memory, memoryMib, `${role}: Nomad resources.memory`);
      assert.equal(durationMs(task.kill_timeout), killS * 1000, `${role}: Nomad kill_timeout`);
      const deadlineMs = Number(nomadEnv(role).IMGR_SHUTDOWN_TIMEOUT_MS ?? 0);
      assert.ok(deadlineMs < killS * 1000, `${role}: kill timeout ${killS} s leaves no margin over IMGR_SHUTDOWN_TIMEOUT_MS`);
    });
  }

  it('sweep: the Nomad job runs every IMGR_SWEEP_PERIOD_S, one at a time, with the settings of deploy/runtime/sweep.env', () => {
    const { IMGR_SWEEP_PERIOD_S, ...settings } = settingsOf('sweep');
    const env = nomadEnv('sweep');
    for (const [name, value] of Object.entries(settings)) assert.equal(env[name], value, `sweep: Nomad ${name}`);
    const periodic = block(sweepJob, 'periodic');
    assert.equal(periodic?.prohibit_overlap, true, 'sweep: Nomad runs may overlap');
    const minutes = /^\*\/(\d+) \* \* \* \*$/.exec(periodic?.crons?.[0] ?? '')?.[1];
    assert.equal(Number(minutes) * 60, Number(IMGR_SWEEP_PERIOD_S), `sweep: cron ${periodic?.crons} is not every IMGR_SWEEP_PERIOD_S`);
  });

  it("the bench's image environment is the Dockerfile's", () => {
    const image = dockerfileEnv();
    for (const [name, value] of Object.entries(bench.IMAGE_ENV).filter(([n]) => !n.startsWith('IMGR_RATE_LIMIT_'))) {
      assert.equal(image[name], value, `Dockerfile ENV ${name}`);
    }
  });
});
