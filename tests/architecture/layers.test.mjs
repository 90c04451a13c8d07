// The layers of docs/architecture.md, checked on every import of the workspaces' sources (tests
// included): core knows no other workspace, api and worker know only core and never each other, cli
// (the composition root) may use all three, and the web page takes nothing from the server but the
// API's contract types (`import type`) and the import-free core modules it shares (SHARED_WITH_WEB). No relative import leaves its workspace's src/.
//   node --test tests/architecture/layers.test.mjs      (scripts/test.d/10-lint-build.sh runs it)
// IMGR_LAYERS_ROOT: the checkout to check (default: this one).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(process.env.IMGR_LAYERS_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));

/** Which workspaces each workspace may import; `types` ones only with `import type`/`export type`. */
const ALLOWED = {
  core: { values: [], types: [] },
  api: { values: ['core'], types: [] },
  worker: { values: ['core'], types: [] },
  cli: { values: ['core', 'api', 'worker'], types: [] },
  web: { values: [], types: ['api'] },
};

/**
 * Core modules free of imports that the page runs as they are (its build bundles them): one list of
 * sizes and one limiter for server and page. core/src/web-shared.test.ts keeps them import-free.
 */
const SHARED_WITH_WEB = new Set(['core/src/variants.ts', 'core/src/limiter.ts']);

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Every import/export-from/dynamic import of a file: { specifier, typeOnly, line }. */
function importsOf(text) {
  const found = [];
  const statement =
    /^\s*(import|export)\s+(type\s+)?[^'"]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gms;
  for (const match of text.matchAll(statement)) {
    const specifier = match[3] ?? match[4] ?? match[5];
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ specifier, typeOnly: Boolean(match[2]), line });
  }
  return found;
}

/** The workspace a specifier points into, or undefined for an outside package. */
function target(specifier, file) {
  const named = specifier.match(/^@imgr\/([a-z]+)/);
  if (named) return { workspace: named[1] };
  if (!specifier.startsWith('.')) return undefined;
  const path = relative(root, resolve(dirname(file), specifier));
  const [workspace, folder] = path.split(sep);
  return { workspace, outsideSrc: folder !== 'src' };
}

function violations() {
  const problems = [];
  for (const [workspace, allowed] of Object.entries(ALLOWED)) {
    for (const file of sources(join(root, workspace, 'src'))) {
      for (const { specifier, typeOnly, line } of importsOf(readFileSync(file, 'utf8'))) {
        const to = target(specifier, file);
        if (!to) continue;
        const where = `${relative(root, file)}:${line} imports '${specifier}'`;
        if (to.workspace === workspace) {
          if (to.outsideSrc) problems.push(`${where}: outside ${workspace}/src`);
          continue;
        }
        if (workspace === 'web' && SHARED_WITH_WEB.has(relative(root, resolve(dirname(file), specifier)))) continue;
        if (!(to.workspace in ALLOWED) || to.outsideSrc === true) {
          problems.push(`${where}: outside the workspaces' sources`);
        } else if (!allowed.values.includes(to.workspace) && !(typeOnly && allowed.types.includes(to.workspace))) {
          const may = [...allowed.values, ...allowed.types.map((t) => `${t} (types only)`)].join(', ') || 'no other workspace';
          problems.push(`${where}: ${workspace} may import ${may}`);
        }
      }
    }
  }
  return problems;
}

describe('layers', () => {
  it('reads the kinds of import it checks', () => {
    const found = importsOf(
      "import { a } from '@imgr/core';\nimport type { B } from '@imgr/api';\nexport { c } from './c.js';\nimport 'side-effect';\nconst d = await import('../d.js');\nimport {\n  e,\n} from '@imgr/worker';\n",
    );
    assert.deepEqual(
      found.map(({ specifier, typeOnly }) => [specifier, typeOnly]),
      [
        ['@imgr/core', false],
        ['@imgr/api', true],
        ['./c.js', false],
        ['side-effect', false],
        ['../d.js', false],
        ['@imgr/worker', false],
      ],
    );
  });

  it('every workspace imports only what its layer allows', () => {
    const problems = violations();
    assert.deepEqual(problems, [], `\n  ${problems.join('\n  ')}`);
  });
});
