// The report's machinery (scripts/test.d/90-report.sh): results written by the suites, figures filled from
// them, and the checks that fail on a figure no result supports or a path that does not exist.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkReferences } from '../../scripts/report/check-references.mjs';
import { fillFigures, formatFigure, loadResults } from '../../scripts/report/figures.mjs';
import { figuresFromLines, writeResults } from '../support/results.mjs';

const repoRoot = join(import.meta.dirname, '../..');
const run = { date: '2026-12-01T10:00:00.000Z', commit: 'abc123', machine: 'Linux, 2 CPUs' };
const results = {
  failure: {
    suite: 'failure',
    ...run,
    file: 'failure.json',
    figures: { broker_restart_status_500: { value: 0, unit: 'count', what: 'x' } },
  },
  failover: { suite: 'failover', ...run, file: 'failover.json', figures: { vm_crash_failover_ms: { value: 1460, unit: 'ms', what: 'y' } } },
};

test('a placeholder becomes the figure with its unit and the number of its run', () => {
  const { text, errors } = fillFigures('back in {{failover.vm_crash_failover_ms}}, {{failure.broker_restart_status_500}} errors', results);
  assert.deepEqual(errors, []);
  assert.equal(text, 'back in 1.5 s<sup>1</sup>, 0<sup>2</sup> errors');
});

test('the runs table lists each run behind a figure, with its date, commit and machine', () => {
  const { text } = fillFigures('{{runs}}\n{{failure.broker_restart_status_500}}', results);
  assert.match(text, /\| 1 \| failure \| `bash scripts\/test.d\/50-failure.sh` \| 2026-12-01 10:00 UTC \| `abc123` \| Linux, 2 CPUs \|/);
  assert.doesNotMatch(text, /failover/);
});

test('a run shown beside its figures: date, commit, machine, with the same number as its figures', () => {
  const { text, errors } = fillFigures('{{failover.vm_crash_failover_ms}} ({{run:failover}}) {{run:lab}}', results);
  assert.equal(text.split(' **')[0], '1.5 s<sup>1</sup> (failover<sup>1</sup>: 2026-12-01 10:00 UTC, commit `abc123`, Linux, 2 CPUs)');
  assert.deepEqual(errors, ['{{run:lab}}: no results file for suite "lab" (bash scripts/test.d/85-lab.sh writes it)']);
});

test('a figure no results file supports is an error naming it', () => {
  const { errors, text } = fillFigures('{{failure.no_such_figure}} and {{lab.canary_failed}}', results);
  assert.equal(errors.length, 2);
  assert.match(errors[0], /failure\.json has no figure "no_such_figure"/);
  assert.match(errors[1], /no results file for suite "lab"/);
  assert.match(text, /\[missing failure\.no_such_figure\]/);
});

test('units: milliseconds above a second shown in seconds, counts bare', () => {
  assert.equal(formatFigure({ value: 340, unit: 'ms' }), '340 ms');
  assert.equal(formatFigure({ value: 12_345, unit: 'ms' }), '12.3 s');
  assert.equal(formatFigure({ value: 7, unit: 'count' }), '7');
  assert.equal(formatFigure({ value: 85, unit: '%' }), '85 %');
});

test('the suites write results files the report reads, one file per suite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgr-results-'));
  const lines = [
    { scenario: 'vm-crash', from: 'vm1', vip_moved_ms: 310, error_kinds: { 'fetch:ECONNRESET': 2 } },
    { scenario: 'broker-restart', pass: true, worker_ready_after_broker_up_ms: [120, 480] },
  ];
  const stdin = lines.map((line) => JSON.stringify(line)).join('\n');
  execFileSync(process.execPath, [join(repoRoot, 'tests/support/results.mjs'), 'demo'], {
    input: stdin,
    env: { ...process.env, IMGR_RESULTS_DIR: dir },
  });
  const written = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
  assert.equal(written.suite, 'demo');
  assert.match(written.commit, /^[0-9a-f]{12}(-dirty)?$/);
  assert.deepEqual(written.figures.vm_crash_vip_moved_ms, { value: 310, unit: 'ms', what: 'vm-crash: vip moved' });
  assert.equal(written.figures.vm_crash_error_kinds_fetch_econnreset.value, 2);
  assert.equal(written.figures.broker_restart_worker_ready_after_broker_up_ms.value, 480);
  assert.equal(written.figures.vm_crash_from, undefined, 'a string is no figure');
  assert.deepEqual(Object.keys(loadResults(dir)), ['demo']);
});

test('a results file refuses a figure that is not a number', () => {
  process.env.IMGR_RESULTS_DIR = mkdtempSync(join(tmpdir(), 'imgr-results-'));
  assert.throws(() => writeResults('demo', { x: { value: Number.NaN, unit: 'ms', what: 'x' } }), /demo\.x is not a number/);
  assert.deepEqual(Object.keys(figuresFromLines([{ scenario: 's', value: null }])), []);
});

test('a path, a script or a playbook the report names must exist', () => {
  const markdown = [
    '<!-- operator-files: deploy/nomad/deploy.vars.hcl -->',
    'Run `npm run report` and `bash scripts/test.d/90-report.sh`, edit `deploy/nomad/deploy.vars.hcl`.',
    '```sh\nansible-playbook playbooks/deploy.yml -e x=1\nnpm run no-such-script\nansible-playbook playbooks/no-such.yml\n```',
    'See `deploy/nomad/no-such.nomad.hcl`, `imgr.Dockerfile`, `nothing-here.sh`, [the handbook](operations.md), [gone](gone.md).',
    'Not paths: `text/html`, `172.16.0.0/16`, `ghcr.io/imgr/imgr`, `/etc/consul.d/consul.hcl`.',
  ].join('\n');
  assert.deepEqual(checkReferences(markdown, repoRoot).sort(), [
    '"ansible-playbook playbooks/no-such.yml": no deploy/ansible/playbooks/no-such.yml',
    '"npm run no-such-script": no such script in package.json',
    'file "nothing-here.sh" is no file of the repository',
    'link "gone.md" points to nothing',
    'path "deploy/nomad/no-such.nomad.hcl" does not exist in the repository',
  ]);
});

test('the report itself names only paths and commands that exist', () => {
  assert.deepEqual(checkReferences(readFileSync(join(repoRoot, 'docs/report.md'), 'utf8'), repoRoot), []);
});

test('every results file committed has the shape the report reads', () => {
  const dir = join(repoRoot, 'docs/report/results');
  for (const [suite, result] of Object.entries(loadResults(dir))) {
    assert.equal(typeof result.date, 'string', suite);
    assert.equal(typeof result.commit, 'string', suite);
    assert.equal(typeof result.machine, 'string', suite);
    for (const [name, figure] of Object.entries(result.figures)) assert.ok(Number.isFinite(figure.value), `${suite}.${name}`);
  }
});

test('the benchmark reports the median over its rounds of the figures its page lists', async () => {
  const { benchFigures } = await import('../../bench/lib/figures.mjs');
  const round = (rate, p99, rss) => ({
    worker: { '3mp': { rate, ratioToSharp: 0.9 } },
    upload: {},
    pipeline: { 5: { latency: { p50: 100, p99 } } },
    proc: { pipeline: { rss: { api: { peak: rss }, worker: { peak: 2 * rss } } } },
  });
  const figures = benchFigures({ rounds: [round(10, 300, 90), round(12, 200, 110), round(11, 250, 100)] });
  assert.deepEqual(figures.worker_3mp_images_per_s, { value: 11, unit: 'images/s', what: 'worker throughput, 3MP JPEG' });
  assert.equal(figures.worker_3mp_share_of_sharp_pct.value, 90);
  assert.equal(figures.pipeline_5_per_s_p99_ms.value, 250);
  assert.equal(figures.api_peak_rss_mib.value, 110, 'memory: the peak of all rounds');
  assert.equal(figures.worker_peak_rss_mib.value, 220);
  assert.equal(figures.upload_3mp_per_s, undefined, 'a phase that did not run gives no figure');
});
