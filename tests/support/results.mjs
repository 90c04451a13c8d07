#!/usr/bin/env node
// The figures a suite measured, in one file per suite that the report (docs/report.md, `npm run report`)
// is filled from: { suite, date, commit, machine, figures: { <name>: { value, unit, what } } }.
//
// Where: $IMGR_RESULTS_DIR, else $IMGR_TEST_OUT/results under CI (CI=true: a CI run never dirties the
// checkout, the files go with the test artefacts), else docs/report/results/ (a run on a workstation
// refreshes the committed snapshot, and `git diff` shows which figures moved).
//
// From a suite written in JavaScript: `writeResults('bench', figures)`. From a shell step that printed
// JSON lines with a "scenario" field: `node tests/support/results.mjs <suite> < lines.jsonl`; every
// number of a line becomes the figure `<scenario>_<key>` (dashes as underscores), a number inside an
// object `<scenario>_<key>_<inner key>`, a list of numbers its largest value.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../..');

export function resultsDir() {
  if (process.env.IMGR_RESULTS_DIR) return process.env.IMGR_RESULTS_DIR;
  if (process.env.CI === 'true') return join(process.env.IMGR_TEST_OUT ?? join(repoRoot, 'test-results'), 'results');
  return join(repoRoot, 'docs/report/results');
}

const git = (args) => {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

/**
 * The commit measured; "-dirty" when tracked files had changes, documentation aside (the results
 * themselves and the pages other suites generate change nothing that is measured).
 */
function commit() {
  const sha = git(['rev-parse', '--short=12', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs', ':!*.md']);
  return dirty ? `${sha}-dirty` : sha;
}

export function machine() {
  const gib = Math.round((os.totalmem() / 1024 ** 3) * 10) / 10;
  // The load average says how much else the machine was doing (a shared build machine skews timings).
  const load = os.loadavg()[0].toFixed(1);
  return `${os.type()} ${os.release()} ${os.arch()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${gib} GiB, load ${load} at the end`;
}

/**
 * Writes `<suite>.json`, replacing the previous run's file whole: every figure in it comes from one run.
 * @param {string} suite e.g. "failure"
 * @param {Record<string, { value: number, unit: string, what: string }>} figures
 * @param {{ date?: string, commit?: string, machine?: string }} [run] when the figures were measured earlier than now (a re-read run)
 */
export function writeResults(suite, figures, run = {}) {
  for (const [name, figure] of Object.entries(figures)) {
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`results: figure name "${name}" is not [a-z0-9_]+`);
    if (typeof figure.value !== 'number' || !Number.isFinite(figure.value)) throw new Error(`results: ${suite}.${name} is not a number`);
  }
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const sorted = Object.fromEntries(Object.entries(figures).sort(([a], [b]) => a.localeCompare(b)));
  const results = {
    suite,
    date: run.date ?? new Date().toISOString(),
    commit: run.commit ?? commit(),
    machine: machine(),
    figures: sorted,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`results: ${Object.keys(figures).length} figures of ${suite} in ${file}`);
  return file;
}

const unitOf = (key) => (key.endsWith('_ms') ? 'ms' : key.endsWith('_s') ? 's' : key.endsWith('_mb') ? 'MiB' : 'count');
const nameOf = (...parts) => parts.join('_').replaceAll('-', '_').toLowerCase();
const describe = (scenario, key) => `${scenario}: ${key.replace(/_(ms|s|mb)$/, '').replaceAll('_', ' ')}`;

/** Figures of JSON lines, one line per scenario. */
export function figuresFromLines(lines) {
  const figures = {};
  const add = (name, value, unit, what) => {
    if (typeof value === 'number' && Number.isFinite(value)) figures[name] = { value, unit, what };
  };
  for (const line of lines) {
    const { scenario, ...fields } = line;
    if (typeof scenario !== 'string') continue;
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === 'number') add(nameOf(scenario, key), value, unitOf(key), describe(scenario, key));
      else if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'number'))
        add(nameOf(scenario, key), Math.max(...value), unitOf(key), `${describe(scenario, key)} (largest)`);
      else if (value && typeof value === 'object' && !Array.isArray(value))
        for (const [inner, count] of Object.entries(value))
          add(nameOf(scenario, key, inner.replace(/[^a-zA-Z0-9]+/g, '_')), count, 'count', `${describe(scenario, key)} ${inner}`);
    }
  }
  return figures;
}

if (process.argv[1] === import.meta.filename) {
  const suite = process.argv[2];
  if (!suite || !/^[a-z0-9-]+$/.test(suite)) {
    console.error('usage: node tests/support/results.mjs <suite> < lines.jsonl');
    process.exit(2);
  }
  const lines = readFileSync(0, 'utf8')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line));
  writeResults(suite, figuresFromLines(lines));
}
