// Fills the report's placeholders from the suites' results files (tests/support/results.mjs):
//   {{suite.figure}}      the figure with its unit, and a superscript pointing at the run that measured it
//   {{suite.figure:raw}}  the bare number
//   {{runs}}              the table of the runs behind every figure the report uses (suite, date, commit, machine)
//   {{table:suite}}       every figure of a suite, for suites whose figure names the report does not fix
//   {{run:suite}}         the date, commit and machine of a suite's run, to show beside its figures
// A placeholder no results file supports is an error: the report never shows a figure typed by hand.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The command that produces each suite's results file, shown in the runs table. */
export const SUITE_COMMANDS = {
  failure: 'bash scripts/test.d/50-failure.sh',
  failover: 'bash scripts/test.d/80-failover-sim.sh',
  bench: 'npm run bench',
  lab: 'bash scripts/test.d/85-lab.sh',
};

/**
 * Results of every suite: the committed snapshot in `snapshotDir`, each file replaced by the one of the
 * same suite in `overrideDir` (a CI run's own results) when there is one.
 */
export function loadResults(snapshotDir, overrideDir) {
  const results = {};
  for (const dir of [snapshotDir, overrideDir]) {
    if (!dir || !existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (typeof parsed.suite !== 'string' || typeof parsed.figures !== 'object') throw new Error(`${join(dir, file)}: not a results file`);
      results[parsed.suite] = { ...parsed, file: join(dir, file) };
    }
  }
  return results;
}

export function formatFigure({ value, unit }) {
  const number = (n) => n.toLocaleString('en-GB', { maximumFractionDigits: 2 });
  if (unit === 'ms' && Math.abs(value) >= 1000) return `${number(Math.round(value / 100) / 10)} s`;
  if (unit === 'count') return number(value);
  if (unit === '%') return `${number(value)} %`;
  return `${number(value)} ${unit}`;
}

const RUNS = '\u0000runs\u0000';
const escapeCell = (text) => String(text).replaceAll('|', '\\|');

/** @returns {{ text: string, errors: string[], warnings: string[], used: Map<string, number> }} */
export function fillFigures(markdown, results) {
  const errors = [];
  const warnings = [];
  /** suite → its number in the runs table, in order of first use */
  const used = new Map();
  const mark = (suite) => {
    if (!used.has(suite)) used.set(suite, used.size + 1);
    return used.get(suite);
  };
  const runsTable = () => {
    const rows = [...used.keys()].map((suite) => {
      const run = results[suite];
      return `| ${used.get(suite)} | ${suite} | \`${SUITE_COMMANDS[suite] ?? suite}\` | ${run.date.slice(0, 16).replace('T', ' ')} UTC | \`${run.commit}\` | ${escapeCell(run.machine)} |`;
    });
    return ['| | suite | command | run | commit | machine |', '|---|---|---|---|---|---|', ...rows].join('\n');
  };
  const suiteTable = (suite) => {
    const run = results[suite];
    if (!run) {
      warnings.push(`{{table:${suite}}}: no results file for suite "${suite}" yet (${SUITE_COMMANDS[suite] ?? 'its suite'} writes it)`);
      return SUITE_COMMANDS[suite]
        ? `*No results yet: \`${SUITE_COMMANDS[suite]}\` writes them.*`
        : `*No results yet from the ${suite} suite.*`;
    }
    const n = mark(suite);
    const rows = Object.entries(run.figures).map(([, figure]) => `| ${escapeCell(figure.what)} | ${formatFigure(figure)}<sup>${n}</sup> |`);
    return ['| measured | value |', '|---|---|', ...rows].join('\n');
  };
  const text = markdown.replace(/\{\{\s*([a-z0-9_:.-]+)\s*\}\}/g, (whole, reference) => {
    if (reference === 'runs') return RUNS;
    if (reference.startsWith('table:')) return suiteTable(reference.slice('table:'.length));
    if (reference.startsWith('run:')) {
      const suite = reference.slice('run:'.length);
      const run = results[suite];
      if (!run) {
        errors.push(`${whole}: no results file for suite "${suite}" (${SUITE_COMMANDS[suite] ?? 'its suite'} writes it)`);
        return `**[missing run of ${suite}]**`;
      }
      return `${suite}<sup>${mark(suite)}</sup>: ${run.date.slice(0, 16).replace('T', ' ')} UTC, commit \`${run.commit}\`, ${run.machine}`;
    }
    const [path, modifier] = reference.split(':');
    const dot = path.indexOf('.');
    const suite = path.slice(0, dot);
    const name = path.slice(dot + 1);
    const figure = dot > 0 ? results[suite]?.figures?.[name] : undefined;
    if (!figure) {
      errors.push(
        results[suite]
          ? `${whole}: ${results[suite].file} has no figure "${name}"`
          : `${whole}: no results file for suite "${suite}" (${SUITE_COMMANDS[suite] ?? 'its suite'} writes it)`,
      );
      return `**[missing ${path}]**`;
    }
    if (modifier === 'raw') return String(figure.value);
    return `${formatFigure(figure)}<sup>${mark(suite)}</sup>`;
  });
  return { text: text.replaceAll(RUNS, runsTable()), errors, warnings, used };
}
