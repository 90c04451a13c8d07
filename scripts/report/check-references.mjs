// Checks that every path and command the report names exists in the repository, so that the document
// handed in cannot drift from the code: paths in code spans, code blocks and relative links (from the
// repository root, docs/, deploy/ or deploy/ansible/ for the runbooks), `npm run <script>` against
// package.json, `ansible-playbook <file>` against deploy/ansible/. Absolute paths (/etc/..., on the
// VMs) and URLs are not checked. Files the operator creates from an example are declared in the report
// with <!-- operator-files: a b c -->.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BASES = ['', 'docs', 'deploy', 'deploy/ansible'];
const PATH_LIKE = /^\.{0,2}\/?[\w.@-]+(\/[\w.@*-]+)+\/?$/;
// Slash-separated names that are not files: media types, Nomad Variable paths, image names.
const NOT_PATHS = /^(text|image|application|multipart|nomad\/jobs|[\w-]+\.(io|com|org|net))\//;
const FILE_LIKE = /^[\w.-]+\.(sh|mjs|js|ts|yml|yaml|hcl|md|json|cfg|j2|dot|conf|py|Dockerfile)$/;

function codeSnippets(markdown) {
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  const withoutBlocks = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  const spans = [...withoutBlocks.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  const links = [...withoutBlocks.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|#|mailto:)/.test(href));
  return { snippets: [...blocks, ...spans], links };
}

export function checkReferences(markdown, repoRoot) {
  const errors = [];
  const tracked = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
  const basenames = new Set(tracked.map((file) => file.split('/').pop()));
  const operatorFiles = new Set(
    [...markdown.matchAll(/<!--\s*operator-files:([^>]*)-->/g)].flatMap((m) => m[1].trim().split(/\s+/)).filter(Boolean),
  );
  const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts ?? {};
  const exists = (path) => {
    const clean = path.replace(/[#:].*$/, '').replace(/\/$/, '');
    if (operatorFiles.has(clean)) return true;
    if (clean.includes('*')) {
      const pattern = new RegExp(`(^|/)${clean.replaceAll('.', '\\.').replaceAll('*', '[^/]*')}(/|$)`);
      return tracked.some((file) => pattern.test(file));
    }
    return BASES.some((base) => existsSync(join(repoRoot, base, clean)));
  };
  const { snippets, links } = codeSnippets(markdown);
  // A playbook is checked once, against deploy/ansible/, not again as a path.
  const playbooks = new Set();
  for (const snippet of snippets) {
    for (const [, script] of snippet.matchAll(/npm run ([\w:-]+)/g))
      if (!scripts[script]) errors.push(`"npm run ${script}": no such script in package.json`);
    for (const [, playbook] of snippet.matchAll(/ansible-playbook\s+(?:-\S+\s+)*([\w./-]+\.yml)/g)) {
      playbooks.add(playbook);
      if (!existsSync(join(repoRoot, 'deploy/ansible', playbook)))
        errors.push(`"ansible-playbook ${playbook}": no deploy/ansible/${playbook}`);
    }
    for (const token of snippet.split(/[\s'"`(),;=<>|]+/)) {
      if (!token || playbooks.has(token) || token.startsWith('/') || token.includes('://') || token.includes('<') || token.includes('{'))
        continue;
      if (/^[\d.X]+\/\d+$/.test(token) || /^\d+(\.\d+)*$/.test(token) || NOT_PATHS.test(token)) continue; // a network, a version
      if (PATH_LIKE.test(token) && /[a-z]/i.test(token)) {
        if (!exists(token)) errors.push(`path "${token}" does not exist in the repository`);
      } else if (FILE_LIKE.test(token) && !basenames.has(token) && !operatorFiles.has(token)) {
        errors.push(`file "${token}" is no file of the repository`);
      }
    }
  }
  for (const href of links) {
    const target = href.replace(/#.*$/, '');
    if (target && !exists(target) && !existsSync(join(repoRoot, 'docs', target))) errors.push(`link "${href}" points to nothing`);
  }
  return errors;
}
