// Static checks of the Nomad jobs in deploy/nomad: they parse, and every group carries the
// resilience settings the deployment relies on (see the comments in the job files for the reasons).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { block, blocks, durationMs, one, parseHcl } from './hcl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nomadDir = join(root, 'deploy', 'nomad');

const app = await parseHcl(join(nomadDir, 'imgr.nomad.hcl'));
const ingress = await parseHcl(join(nomadDir, 'ingress.nomad.hcl'));
const sweep = await parseHcl(join(nomadDir, 'sweep.nomad.hcl'));

/** An HCL interpolation as hcl2json renders it: ref('var.x') is the text ${var.x}. */
const ref = (expr) => `\${${expr}}`;

const appJob = one(app.job, 'imgr');
const locals = Object.assign({}, ...blocks(app, 'locals'));
const resolve = (value) => {
  const m = typeof value === 'string' && value.match(/^\$\{local\.(\w+)\}$/);
  return m ? locals[m[1]] : value;
};
const groups = Object.fromEntries(Object.entries(appJob.group).map(([name, [body]]) => [name, body]));
// A group's block is merged over the job's (Nomad fills the fields a group leaves unset from the job's).
const groupOrJob = (group, name) => {
  const merged = { ...block(appJob, name), ...block(group, name) };
  return Object.keys(merged).length ? merged : undefined;
};
const task = (group) => {
  const tasks = Object.values(group.task);
  assert.equal(tasks.length, 1, 'one task per group');
  return tasks[0][0];
};
const envOf = (t) => Object.assign({}, ...blocks(t, 'env'));

describe('imgr.nomad.hcl', () => {
  it('has the three groups, counts and image tag as variables', () => {
    assert.deepEqual(Object.keys(groups).sort(), ['api', 'web', 'worker']);
    for (const name of ['image_tag', 'datacenters', 'api_count', 'worker_count', 'web_count']) {
      assert.ok(app.variable[name], `variable ${name}`);
    }
    assert.equal(appJob.datacenters, ref('var.datacenters'));
    assert.equal(groups.api.count, ref('var.api_count'));
    assert.equal(groups.worker.count, ref('var.worker_count'));
    assert.equal(groups.web.count, ref('var.web_count'));
    assert.equal(app.variable.image_tag[0].default, undefined, 'no default tag: a deploy names its version');
  });

  for (const [name, group] of Object.entries(groups)) {
    describe(`group ${name}`, () => {
      it("turns the image's Docker HEALTHCHECK off (a second Node.js process inside the memory limit)", () => {
        assert.equal(block(block(task(group), 'config'), 'healthchecks')?.disable, true);
      });

      it('rolls out with a canary, auto-promotion and auto-revert on health checks', () => {
        const u = groupOrJob(group, 'update');
        assert.ok(u, 'update block');
        // As many canaries as instances: at promotion Nomad stops every old instance at once, so fewer
        // canaries would leave the promoted ones serving alone.
        assert.equal(u.canary, group.count, 'canary = the group count');
        assert.equal(u.auto_promote, true);
        assert.equal(u.auto_revert, true);
        assert.equal(u.health_check, 'checks');
        assert.equal(u.max_parallel, 1);
        assert.ok(durationMs(u.min_healthy_time) >= 10_000, 'min_healthy_time >= 10s');
        assert.ok(durationMs(u.healthy_deadline) < durationMs(u.progress_deadline), 'healthy_deadline < progress_deadline');
      });

      it('migrates on drains like an update', () => {
        const m = groupOrJob(group, 'migrate');
        assert.ok(m, 'migrate block');
        assert.equal(m.max_parallel, 1);
        assert.equal(m.health_check, 'checks');
      });

      it('fails to the scheduler after a few restarts and is rescheduled without limit', () => {
        const r = block(group, 'restart');
        assert.equal(r?.mode, 'fail');
        assert.ok(r.attempts >= 1);
        const s = block(group, 'reschedule');
        assert.equal(s?.unlimited, true);
        assert.equal(s.delay_function, 'exponential');
      });

      it('spreads over nodes softly (no distinct_hosts)', () => {
        assert.equal(block(group, 'spread')?.attribute, ref('node.unique.id'));
        const constraints = blocks(group, 'constraint').map((c) => c.operator);
        assert.ok(!constraints.includes('distinct_hosts'), 'distinct_hosts blocks canaries on two nodes');
      });

      it('registers in Consul with canary tags, a readiness check and check_restart', () => {
        const service = block(group, 'service');
        assert.deepEqual(service.tags, ['live']);
        assert.deepEqual(service.canary_tags, ['canary']);
        const checks = blocks(service, 'check');
        const ready = checks.find((c) => c.name === 'ready');
        assert.equal(ready?.type, 'http');
        assert.equal(ready.path, name === 'web' ? '/config.json' : '/health/ready');
        assert.ok(
          checks.some((c) => block(c, 'check_restart')),
          'a check with check_restart',
        );
      });

      it('has a shutdown delay, a kill timeout and resources', () => {
        const t = task(group);
        assert.ok(durationMs(t.shutdown_delay) >= 2000, 'shutdown_delay');
        assert.ok(durationMs(t.kill_timeout) > 0, 'kill_timeout');
        const res = block(t, 'resources');
        assert.ok(res.cpu > 0 && res.memory > 0, 'resources');
      });
    });
  }

  it("kill timeouts leave room for the app's own shutdown deadline", () => {
    for (const name of ['api', 'worker']) {
      const t = task(groups[name]);
      const deadline = Number(envOf(t).IMGR_SHUTDOWN_TIMEOUT_MS);
      assert.ok(deadline > 0, `${name} sets IMGR_SHUTDOWN_TIMEOUT_MS`);
      assert.ok(durationMs(t.kill_timeout) >= deadline + 5000, `${name} kill_timeout > deadline + 5s`);
    }
    assert.ok(durationMs(task(groups.api).kill_timeout) >= 25_000, 'API drains 20 s');
    assert.ok(durationMs(task(groups.worker).kill_timeout) >= 60_000, 'worker finishes an image');
  });

  it("the Nomad client's max_kill_timeout allows the longest kill_timeout", async () => {
    const defaults = readFileSync(join(root, 'deploy/ansible/roles/nomad_client/defaults/main.yml'), 'utf8');
    const cap = defaults.match(/^nomad_client_max_kill_timeout:\s*(\S+)/m)?.[1];
    assert.ok(cap, 'nomad_client_max_kill_timeout in the role defaults');
    const longest = Math.max(...Object.values(groups).map((g) => durationMs(task(g).kill_timeout)));
    assert.ok(durationMs(cap) >= longest, `max_kill_timeout ${cap} >= ${longest} ms`);
  });

  it('takes secrets only from Nomad Variables, through an env template', () => {
    for (const [name, group] of Object.entries(groups)) {
      const t = task(group);
      const env = envOf(t);
      for (const key of Object.keys(env)) {
        assert.ok(!/SECRET|PASSWORD|BROKER_URL|ACCESS_KEY/.test(key), `${name}: ${key} must not be in the job file`);
      }
      if (name === 'web') continue;
      const image = block(t, 'config').image;
      assert.match(resolve(image), /^\$\{var\.image_registry\}\/imgr:\$\{var\.image_tag\}$/);
      const secrets = blocks(t, 'template').find((tpl) => tpl.env === true);
      assert.ok(secrets, `${name}: template with env = true`);
      const data = resolve(secrets.data);
      assert.match(data, /nomadVar "nomad\/jobs\/imgr"/);
      for (const key of ['CELERY_BROKER_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
        assert.match(data, new RegExp(`^${key}=`, 'm'));
      assert.match(secrets.destination, /^secrets\//);
    }
  });

  it('runs api and worker commands of the app image, and the web image with its runtime config', () => {
    assert.deepEqual(block(task(groups.api), 'config').args, ['api']);
    assert.deepEqual(block(task(groups.worker), 'config').args, ['worker']);
    const web = task(groups.web);
    assert.match(resolve(block(web, 'config').image), /^\$\{var\.image_registry\}\/imgr-web:\$\{var\.image_tag\}$/);
    assert.ok(blocks(block(web, 'config'), 'mount').some((m) => m.target === '/srv/www/config.json'));
    assert.deepEqual(JSON.parse(blocks(web, 'template')[0].data), { endpoint: '/' });
  });
});

describe('ingress.nomad.hcl', () => {
  const job = one(ingress.job, 'imgr-ingress');
  const group = one(job.group, 'haproxy');
  const t = one(group.task, 'haproxy');

  it('is a system job on the host network with the tunnel ports', () => {
    assert.equal(job.type, 'system');
    const net = block(group, 'network');
    assert.equal(net.mode, 'host');
    const statics = Object.values(net.port)
      .map(([p]) => p.static)
      .sort();
    assert.deepEqual(statics, [8080, 8081, 8404]);
    assert.equal(block(t, 'config').network_mode, 'host');
  });

  it('renders backends from Consul, skipping canaries, and reloads by a script whose failure does not kill the task', () => {
    const tpl = blocks(t, 'template')[0];
    assert.equal(tpl.change_mode, 'script');
    const script = block(tpl, 'change_script');
    assert.deepEqual([script.command, ...script.args], ['/bin/sh', '-c', 'kill -USR2 1']);
    assert.equal(script.fail_on_error, false);
    assert.deepEqual(block(t, 'config').args.slice(0, 1), ['-W'], 'HAProxy runs master-worker as PID 1');
    assert.match(tpl.data, /range service "live\.imgr-api"/);
    assert.match(tpl.data, /range service "live\.imgr-web"/);
    assert.ok(!/canary/.test(tpl.data.replace(/#.*$/gm, '')), 'no canary instance is rendered');
    assert.match(tpl.data, /option httpchk/);
  });

  it('leaves time for keepalived to move the floating IP, then stops softly', () => {
    assert.ok(durationMs(t.shutdown_delay) >= 3000);
    assert.equal(t.kill_signal, 'SIGUSR1');
  });
});

describe('sweep.nomad.hcl', () => {
  const job = one(sweep.job, 'imgr-sweep');
  it('is a periodic batch job running `imgr sweep` without overlap', () => {
    assert.equal(job.type, 'batch');
    const periodic = block(job, 'periodic');
    assert.equal(periodic.prohibit_overlap, true);
    assert.ok(periodic.crons?.length || periodic.cron);
    const t = one(one(job.group, 'sweep').task, 'sweep');
    assert.deepEqual(block(t, 'config').args, ['sweep']);
    assert.equal(block(block(t, 'config'), 'healthchecks')?.disable, true, "the image's HEALTHCHECK is off");
    const secrets = blocks(t, 'template').find((tpl) => tpl.env === true);
    assert.match(secrets.data, /nomadVar "nomad\/jobs\/imgr-sweep"/);
  });

  it('bounds each run below the period, so prohibit_overlap cannot let a hung run silence the next ones', () => {
    const t = one(one(job.group, 'sweep').task, 'sweep');
    const bound = Number(envOf(t).IMGR_SWEEP_TIMEOUT_S);
    assert.ok(bound > 0 && bound < 600, `IMGR_SWEEP_TIMEOUT_S ${bound} s within the 10 min period`);
    assert.deepEqual(block(job, 'periodic').crons, ['*/10 * * * *']);
  });
});
