// What is measured: by default a build of the committed HEAD in a directory of its own, so edits in
// progress in the working tree (shared with other work in progress) neither break nor blur a run.
// BENCH_SOURCE=worktree measures the working tree's own build instead (cli/dist after `tsc -b`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const WORKSPACES = ['core', 'api', 'worker', 'cli'];

export function buildSnapshot(repoRoot, dir = '/tmp/imgr-bench-build') {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const archive = execFileSync('git', ['archive', 'HEAD', ...WORKSPACES, 'tsconfig.json', 'tsconfig.base.json', 'package.json'], {
    cwd: repoRoot,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  // BENCH_PATCH: a patch (git diff format) applied to the snapshot only, to measure a change
  // before it is committed, without touching the shared working tree.
  if (process.env.BENCH_PATCH) execFileSync('patch', ['-p1', '-d', dir, '-i', process.env.BENCH_PATCH], { stdio: 'inherit' });
  // Dependencies are the working tree's installed ones; the workspace packages are the snapshot's.
  mkdirSync(join(dir, 'node_modules/@imgr'), { recursive: true });
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (entry === '@imgr') continue;
    symlinkSync(join(repoRoot, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  for (const pkg of WORKSPACES) symlinkSync(`../../${pkg}`, join(dir, 'node_modules/@imgr', pkg));
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: dir, stdio: 'inherit' });
  mkdirSync(join(dir, 'bench'), { recursive: true });
  copyFileSync(join(repoRoot, 'bench/sharp-limit.mjs'), join(dir, 'bench/sharp-limit.mjs'));
  return { dir, commit: process.env.BENCH_PATCH ? `${commit} + ${process.env.BENCH_PATCH}` : commit };
}
