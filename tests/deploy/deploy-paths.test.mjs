// Both deploy paths, run for real against a stand-in Nomad CLI (tests/pipelines/fake-nomad.sh, which logs
// every call): the CI/CD script deploy/scripts/nomad-deploy.sh and the playbook playbooks/deploy.yml with
// its real group_vars, in a copy of the repository whose deploy inputs file is filled in as an operator
// would. Every `nomad job run` they issue is then rendered exactly as submitted: by `nomad job run -output`
// when a Nomad CLI is on PATH (renders offline), otherwise by HashiCorp's HCL parser (@cdktf/hcl2json)
// with Nomad's variable rules applied here (-var-file and -var, strict: an undeclared input is an error, an
// unset one too, validation blocks). The rendered jobs must be free of placeholders and identical on
// both paths.
// IMGR_DEPLOY_SRC: the tree under test (default: this repository), to run the test against another checkout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseHcl } from './hcl.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = resolve(process.env.IMGR_DEPLOY_SRC ?? here);
const TAG = 'abcdef1234567890abcdef1234567890abcdef12';
// What an operator writes into deploy/nomad/deploy.vars.hcl (hosts of a made-up provider).
const FILLED = {
  datacenters: ['prov-eu1'],
  public_url: 'http://127.0.0.1:1',
  image_registry: 'ghcr.io/team42',
  s3_endpoint_url: 'https://rgw.prov-eu1.net:7480',
  s3_bucket_name: 'team42-images',
  aws_region_name: 'eu-1',
  api_count: 2,
  worker_count: 2,
  web_count: 2,
};
// Values no deployment can run with: the example's marker and the hosts earlier job defaults carried.
const PLACEHOLDER = /CHANGE-ME|example\.(org|com)|\.example\b|\.invalid\b|minio\.internal/;

const nomadOnPath = spawnSync('nomad', ['version'], { encoding: 'utf8' });
const realNomad = nomadOnPath.status === 0 && !/fake/.test(nomadOnPath.stdout) ? 'nomad' : undefined;
console.log(
  `# renderer: ${realNomad ? `nomad job run -output (${nomadOnPath.stdout.split('\n')[0]})` : 'hcl2json + variable rules (no nomad on PATH)'}`,
);

const hclValue = (value) => JSON.stringify(value);
const varsFile = (values) =>
  `${Object.entries(values)
    .map(([k, v]) => `${k} = ${hclValue(v)}`)
    .join('\n')}\n`;

/** Arguments of each `nomad job run` in a fake-nomad call log, with the directory they ran in. */
function jobRuns(log, cwd) {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('job run '))
    .map((line) => ({ args: line.split(' ').slice(2), cwd }));
}

// ------------------------------------------------------------------ rendering
const interpolation = /\$\{((?:var|local)\.\w+)\}/g;

function substitute(value, scope) {
  if (typeof value === 'string') {
    const whole = value.match(/^\$\{((?:var|local)\.\w+)\}$/);
    if (whole) return lookup(whole[1], scope);
    return value.replace(interpolation, (_, ref) => String(lookup(ref, scope)));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, scope)]));
  return value;
}
function lookup(ref, scope) {
  const [kind, name] = ref.split('.');
  if (kind === 'var') return scope.vars[name];
  return substitute(scope.locals[name], scope);
}

/** The validation rules this renderer knows; the test below requires every job's rules to be among them. */
const RULES = [
  { re: /^\$\{replace\(var\.(\w+), "CHANGE-ME", ""\) == var\.\1\}$/, ok: (v) => !String(v).includes('CHANGE-ME') },
  {
    re: /^\$\{length\(var\.(\w+)\) > 0 && !contains\(var\.\1, "CHANGE-ME"\)\}$/,
    ok: (v) => v.length > 0 && !v.includes('CHANGE-ME'),
  },
];

/** Renders one `nomad job run` invocation without Nomad: throws with Nomad-like messages on bad inputs. */
async function renderWithParser({ args, cwd }) {
  const path = (p) => (isAbsolute(p) ? p : join(cwd, p));
  const jobFile = path(args.at(-1));
  const spec = await parseHcl(jobFile);
  const declared = Object.fromEntries(Object.entries(spec.variable ?? {}).map(([k, [v]]) => [k, v]));
  const given = {};
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i];
    const file = a.startsWith('-var-file=') ? a.slice(10) : a === '-var-file' ? args[++i] : undefined;
    if (file !== undefined) {
      for (const [k, v] of Object.entries(await parseHcl(path(file)))) {
        if (!declared[k]) throw new Error(`Undefined variable: "${k}" set in ${file} is not declared by ${jobFile}`);
        given[k] = v;
      }
      continue;
    }
    const assignment = a.startsWith('-var=') ? a.slice(5) : a === '-var' ? args[++i] : undefined;
    if (assignment !== undefined) {
      const [k, ...rest] = assignment.split('=');
      if (!declared[k]) throw new Error(`Undefined -var variable "${k}" for ${jobFile}`);
      // hcl2json writes a type constraint as an interpolation: "${number}".
      given[k] = declared[k].type === `\${number}` ? Number(rest.join('=')) : rest.join('=');
    }
  }
  const vars = {};
  const problems = [];
  for (const [name, decl] of Object.entries(declared)) {
    if (name in given) vars[name] = given[name];
    else if ('default' in decl) vars[name] = decl.default;
    else {
      problems.push(`Unset variable "${name}"`);
      continue;
    }
    for (const validation of decl.validation ?? []) {
      const rule = RULES.find((r) => r.re.test(validation.condition));
      if (!rule) throw new Error(`${name}: validation this renderer cannot evaluate: ${validation.condition}`);
      if (!rule.ok(vars[name])) problems.push(`Invalid value for variable: ${validation.error_message}`);
    }
  }
  if (problems.length) throw new Error(`Error parsing job file ${jobFile}:\n${problems.join('\n')}`);
  const locals = Object.assign({}, ...(spec.locals ?? []));
  return substitute(spec.job, { vars, locals });
}

function renderWithNomad({ args, cwd }) {
  const kept = args.filter((a) => a !== '-detach' && a !== '-no-color');
  const run = spawnSync(realNomad, ['job', 'run', '-output', ...kept], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr || run.stdout);
  const job = JSON.parse(run.stdout).Job;
  // Differences of the submission itself, not of the job: where the files were.
  delete job.SourcePath;
  return job;
}

const render = (run) => (realNomad ? renderWithNomad(run) : renderWithParser(run));
const jobName = (run) => run.args.at(-1).split('/').at(-1);

// ------------------------------------------------------------------ the two paths
let work;
const paths = {};

function copyTree(name, inputs) {
  const root = join(work, name);
  for (const dir of ['deploy', 'scripts']) cpSync(join(src, dir), join(root, dir), { recursive: true });
  rmSync(join(root, 'deploy/nomad/deploy.vars.hcl'), { force: true });
  if (inputs) writeFileSync(join(root, 'deploy/nomad/deploy.vars.hcl'), inputs);
  return root;
}

function fakeEnv(state) {
  const bin = join(work, 'bin');
  if (!existsSync(bin)) {
    spawnSync('mkdir', ['-p', bin]);
    symlinkSync(join(here, 'tests/pipelines/fake-nomad.sh'), join(bin, 'nomad'));
  }
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    FAKE_NOMAD_STATE: state,
    NOMAD_ADDR: 'http://127.0.0.1:1',
    DEPLOY_TIMEOUT: '10',
    SMOKE_TIMEOUT: '1',
    // No registry here (tests/pipelines/registry-access.sh tests the anonymous-pull check).
    IMGR_REGISTRY_LOGIN_ON_NODES: '1',
  };
}

function runCi(root) {
  const state = join(work, `state-ci-${root.split('/').at(-1)}`);
  const out = spawnSync('bash', ['deploy/scripts/nomad-deploy.sh', TAG, FILLED.public_url], {
    cwd: root,
    env: fakeEnv(state),
    encoding: 'utf8',
  });
  return { runs: existsSync(join(state, 'calls.log')) ? jobRuns(join(state, 'calls.log'), root) : [], out };
}

function runAnsible(root) {
  const state = join(work, `state-ansible-${root.split('/').at(-1)}`);
  const ansible = join(root, 'deploy/ansible');
  const out = spawnSync(
    'ansible-playbook',
    [
      '-i',
      'inventory.example.yml',
      'playbooks/deploy.yml',
      '-e',
      `imgr_image_tag=${TAG}`,
      '-e',
      `imgr_jobs_dir=${join(work, `jobs-${root.split('/').at(-1)}`)}`,
      // Run here instead of over SSH through the bastion; nothing else changes.
      '-e',
      'ansible_connection=local',
      '-e',
      'ansible_become=false',
      '-e',
      `ansible_python_interpreter=${spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim()}`,
    ],
    { cwd: ansible, env: { ...fakeEnv(state), ANSIBLE_STDOUT_CALLBACK: 'default', ANSIBLE_NOCOLOR: '1' }, encoding: 'utf8' },
  );
  return { runs: existsSync(join(state, 'calls.log')) ? jobRuns(join(state, 'calls.log'), ansible) : [], out };
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'imgr-deploy-paths-'));
  const filled = copyTree('filled', varsFile(FILLED));
  paths.ci = runCi(filled);
  paths.ansible = runAnsible(filled);
});
after(() => rmSync(work, { recursive: true, force: true }));

const show = (p) => `${p.out.stdout}\n${p.out.stderr}`.slice(-3000);

describe('deploy inputs', () => {
  it('the example file sets every input the jobs require, with CHANGE-ME where only the operator knows', async () => {
    const example = await parseHcl(join(src, 'deploy/nomad/deploy.vars.example.hcl'));
    assert.deepEqual(Object.keys(example).sort(), Object.keys(FILLED).sort());
    for (const name of ['datacenters', 'public_url', 'image_registry', 's3_endpoint_url', 's3_bucket_name'])
      assert.match(JSON.stringify(example[name]), /CHANGE-ME/, `${name} is a placeholder in the example`);
  });

  it('every job declares the same deploy inputs, the required ones without a default', async () => {
    for (const file of ['imgr.nomad.hcl', 'sweep.nomad.hcl', 'ingress.nomad.hcl']) {
      const spec = await parseHcl(join(src, 'deploy/nomad', file));
      for (const name of Object.keys(FILLED)) assert.ok(spec.variable?.[name], `${file} declares ${name}`);
      for (const name of ['datacenters', 'public_url', 'image_registry', 's3_endpoint_url', 's3_bucket_name'])
        assert.equal(spec.variable[name][0].default, undefined, `${file}: ${name} has no default`);
      for (const [name, [decl]] of Object.entries(spec.variable))
        for (const v of decl.validation ?? [])
          assert.ok(
            RULES.some((r) => r.re.test(v.condition)),
            `${file}: ${name}'s validation is one the fallback renderer evaluates`,
          );
    }
  });

  it('the example, deployed unchanged, fails the render naming each missing input', async () => {
    const example = readFileSync(join(src, 'deploy/nomad/deploy.vars.example.hcl'), 'utf8');
    const root = copyTree('example', example);
    for (const file of ['imgr.nomad.hcl', 'sweep.nomad.hcl', 'ingress.nomad.hcl']) {
      const args = ['-var-file=deploy/nomad/deploy.vars.hcl', `-var=image_tag=${TAG}`, `deploy/nomad/${file}`];
      const usable = file === 'ingress.nomad.hcl' ? args.filter((a) => !a.includes('image_tag')) : args;
      await assert.rejects(
        async () => render({ args: usable, cwd: root }),
        (error) => {
          for (const name of ['datacenters', 'public_url', 'image_registry', 's3_endpoint_url', 's3_bucket_name'])
            assert.match(error.message, new RegExp(`Deploy input ${name} is not set`), `${file}: names ${name}`);
          return true;
        },
      );
    }
  });
});

describe('the CI/CD deploy and the Ansible deploy', () => {
  it('both submit the ingress, application and sweep jobs', () => {
    for (const [name, p] of Object.entries(paths)) {
      const jobs = p.runs.map(jobName);
      for (const file of ['ingress.nomad.hcl', 'imgr.nomad.hcl', 'sweep.nomad.hcl'])
        assert.ok(jobs.includes(file), `${name} submits ${file}; submitted ${jobs.join(', ')}\n${show(p)}`);
      assert.ok(jobs.indexOf('sweep.nomad.hcl') > jobs.indexOf('imgr.nomad.hcl'), `${name}: sweep after imgr`);
    }
  });

  for (const file of ['ingress.nomad.hcl', 'imgr.nomad.hcl', 'sweep.nomad.hcl']) {
    it(`render ${file} free of placeholders and identical on both paths`, async () => {
      const rendered = {};
      for (const [name, p] of Object.entries(paths)) {
        const run = p.runs.find((r) => jobName(r) === file);
        assert.ok(run, `${name} submitted ${file}\n${show(p)}`);
        rendered[name] = await render(run);
        const text = JSON.stringify(rendered[name]);
        assert.doesNotMatch(text, PLACEHOLDER, `${name}: a placeholder survives in ${file}`);
        assert.doesNotMatch(text, /\$\{var\./, `${name}: an unset variable in ${file}`);
        if (file !== 'ingress.nomad.hcl') assert.match(text, new RegExp(`${FILLED.image_registry}/imgr[^"]*:${TAG}`));
        assert.match(text, /prov-eu1/, `${name}: the datacenter from the deploy inputs`);
      }
      assert.deepEqual(rendered.ansible, rendered.ci, `${file}: the two paths submit different jobs`);
    });
  }
});
