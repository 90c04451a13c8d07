#!/usr/bin/env node
// `npm run report`: docs/report.md → var/report/report.{md,html,pdf}.
//   1. fills the figures from the suites' results (scripts/report/figures.mjs): the committed snapshot
//      docs/report/results/, each suite replaced by $IMGR_RESULTS_DIR/<suite>.json when there is one;
//   2. renders the Graphviz diagrams docs/report/diagrams/*.dot to SVG (`dot`, Debian's graphviz);
//   3. Markdown to HTML (marked), then Chromium's print-to-PDF (playwright-core, Debian's chromium).
// Fails, after writing what it could, when a placeholder has no figure behind it or a path or command
// the report names does not exist (scripts/report/check-references.mjs). `--check` only checks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { checkReferences } from './check-references.mjs';
import { fillFigures, loadResults } from './figures.mjs';

const repoRoot = join(import.meta.dirname, '../..');
const source = join(repoRoot, 'docs/report.md');
const diagramsDir = join(repoRoot, 'docs/report/diagrams');
const outDir = process.env.IMGR_REPORT_OUT ?? join(repoRoot, 'var/report');
const checkOnly = process.argv.includes('--check');

const markdown = readFileSync(source, 'utf8');
const results = loadResults(join(repoRoot, 'docs/report/results'), process.env.IMGR_RESULTS_DIR);
// The build's own date and commit on the title page; the figures carry their runs' own.
const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
const stamped = markdown.replaceAll('{{date}}', new Date().toISOString().slice(0, 10)).replaceAll('{{commit}}', commit);
const filled = fillFigures(stamped, results);
const problems = [...filled.errors, ...checkReferences(markdown, repoRoot)];
for (const warning of filled.warnings) console.error(`report: warning: ${warning}`);

/** A missing tool named with the Debian package that has it (scripts/test.d/90-report.sh installs them). */
function need(path, pkg) {
  if (existsSync(path)) return;
  console.error(`report: ${path} is missing: apt-get install ${pkg}, or run bash scripts/test.d/90-report.sh, which installs it`);
  process.exit(2);
}

if (!checkOnly) {
  need('/usr/bin/dot', 'graphviz');
  need(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', 'chromium');
  mkdirSync(join(outDir, 'diagrams'), { recursive: true });
  for (const file of readdirSync(diagramsDir).filter((name) => name.endsWith('.dot'))) {
    const svg = execFileSync('dot', ['-Tsvg', join(diagramsDir, file)], { encoding: 'utf8' });
    writeFileSync(join(outDir, 'diagrams', file.replace(/\.dot$/, '.svg')), svg);
  }
  // A diagram is referenced by its source (report/diagrams/x.dot), shown as its rendering.
  const text = filled.text.replace(/\]\(report\/diagrams\/([\w-]+)\.dot\)/g, '](diagrams/$1.svg)');
  writeFileSync(join(outDir, 'report.md'), text);
  // Headings get ids (the report links to its sections); <!-- page --> starts a new page when printed.
  const slug = (heading) =>
    heading
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s-]/gu, '')
      .trim()
      .replace(/\s+/g, '-');
  marked.use({
    renderer: {
      heading({ tokens, depth, text: raw }) {
        return `<h${depth} id="${slug(raw)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  const body = await marked.parse(text.replaceAll('<!-- page -->', '<div class="page-break"></div>\n'), { gfm: true });
  const css = readFileSync(join(import.meta.dirname, 'report.css'), 'utf8');
  const title = markdown.match(/^# (.+)$/m)?.[1] ?? 'Report';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>${css}</style></head><body>${body}</body></html>`;
  writeFileSync(join(outDir, 'report.html'), html);

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // As root in a container: no sandbox; no GPU and no background traffic on a headless build machine.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${join(outDir, 'report.html')}`, { waitUntil: 'load' });
    await page.pdf({
      path: join(outDir, 'report.pdf'),
      format: 'A4',
      printBackground: true,
      margin: { top: '18mm', bottom: '18mm', left: '17mm', right: '17mm' },
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8px;width:100%;text-align:center;color:#666"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
    });
  } finally {
    await browser.close();
  }
  console.error(`report: ${join(outDir, 'report.pdf')}`);
}

if (problems.length) {
  console.error(`report: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.error(`report: every figure has a result behind it (${filled.used.size} suite(s)); every path and command exists`);
