// Starts real `imgr api` / `imgr worker` processes (tests/support/imgr-process.mjs, the suites' launcher)
// with the environment the deployments give them, and reads their Prometheus metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { repoRoot, startImgr as startImgrProcess } from '../../tests/support/imgr-process.mjs';

export { repoRoot };

/** Where the measured build lives: the repository itself or a snapshot of HEAD (lib/snapshot.mjs). */
export const app = { root: repoRoot, commit: 'working tree' };

/**
 * The runtime environment baked into deploy/docker/imgr.Dockerfile, so the benchmark measures what
 * the image runs; each may be overridden from the environment of `npm run bench`.
 */
export const IMAGE_ENV = {
  NODE_ENV: 'production',
  MALLOC_ARENA_MAX: '2',
  UV_THREADPOOL_SIZE: '16',
  // The load generator is one client on 127.0.0.1: per-client limits would measure the limiter.
  IMGR_RATE_LIMIT_UPLOADS: '0',
  IMGR_RATE_LIMIT_DELETES: '0',
  IMGR_RATE_LIMIT_LOOKUPS: '0',
};

/** What every deployment adds per role: deploy/runtime/<role>.env, as compose.yaml and the Nomad job. */
export const ROLE_ENV = {
  api: parseEnv(readFileSync(join(repoRoot, 'deploy/runtime/api.env'), 'utf8')),
  worker: parseEnv(readFileSync(join(repoRoot, 'deploy/runtime/worker.env'), 'utf8')),
};

/** Tuning knobs passed through from the caller's environment when set. */
export const KNOBS = [
  'IMGR_RATE_LIMIT_UPLOADS',
  'IMGR_RATE_LIMIT_DELETES',
  'IMGR_RATE_LIMIT_LOOKUPS',
  'IMGR_WORKER_CONCURRENCY',
  'IMGR_WORKER_PREFETCH',
  'IMGR_SHARP_CONCURRENCY',
  'IMGR_SHARP_CACHE_MB',
  'IMGR_MAX_CONCURRENT_UPLOADS',
  'UV_THREADPOOL_SIZE',
  'MALLOC_ARENA_MAX',
  'NODE_OPTIONS',
];

export function processEnv(role) {
  const env = { ...IMAGE_ENV, ...ROLE_ENV[role] };
  for (const knob of KNOBS) if (process.env[knob] !== undefined) env[knob] = process.env[knob];
  return env;
}

/** Children still running, killed if the suite itself dies (Ctrl-C, an exception). */
export const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** `nodeArgs`: extra node flags, e.g. `--cpu-prof` (BENCH_NODE_ARGS) to profile imgr under load. */
export async function startImgr(role, env, nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)) {
  // The request log is not kept (CPU the measured processes would pay for); the end of stderr is, for errors.
  const imgr = await startImgrProcess(
    role,
    { ...processEnv(role), ...env },
    { root: app.root, nodeArgs, captureStdout: false, outputLimit: 4000 },
  );
  children.add(imgr.child);
  imgr.child.once('exit', () => children.delete(imgr.child));
  return imgr;
}

/** Sum of a Prometheus counter or histogram `_count`, over the series whose labels contain `labelFilter`. */
export async function metricSum(url, name, labelFilter = '') {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
