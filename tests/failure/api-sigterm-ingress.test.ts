// Scenario 4: two APIs behind the project's ingress (the HAProxy config of deploy/nomad/ingress.nomad.hcl,
// rendered with static servers by deploy/ingress/render-static.mjs); one gets SIGTERM under load. Its
// readiness turns red at once and it keeps serving for IMGR_SHUTDOWN_DELAY_MS, long enough for HAProxy's
// health check to take it out of the pool; then it drains and exits 0. Clients see no failed request.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, repoRoot, waitFor } from '../support/services.js';
import {
  bucketFor,
  byStatus,
  closedLoop,
  download,
  maxLatency,
  now,
  processes,
  purgeQueues,
  removeBucket,
  report,
  reportIfBroken,
  sleep,
  upload,
} from './harness.js';

/**
 * HAProxy checks /health/ready every 1 s and removes a server after 2 failures (`inter 1s fall 2`):
 * at most ~2 s plus one check's latency after readiness turns red. 4 s leaves a margin on a busy machine.
 */
const SHUTDOWN_DELAY_MS = 4_000;
const CLIENTS = 4;
const TERM_AT_MS = 3_000;
/** Load goes on this long after the terminated API has exited. */
const AFTER_EXIT_MS = 3_000;
const bucket = bucketFor('ingress');
const procs = processes();
let haproxy: ChildProcess | undefined;

afterAll(async () => {
  if (haproxy && haproxy.exitCode === null) {
    haproxy.kill('SIGTERM');
    await once(haproxy, 'exit');
  }
  await procs.stopAll();
  await removeBucket(bucket);
});

/** The production ingress config with its public binds moved to loopback test ports. */
function ingressConfig(apis: string[], front: number, monitor: number): string {
  const rendered = execFileSync(process.execPath, [join(repoRoot, 'deploy/ingress/render-static.mjs'), '--api', apis.join(',')], {
    encoding: 'utf8',
  });
  const binds: [RegExp, string][] = [
    [/^(\s*)bind :8080$/m, `$1bind 127.0.0.1:${front}`],
    [/^\s*bind :8081\n/m, ''],
    [/^(\s*)bind :8404$/m, `$1bind 127.0.0.1:${monitor}`],
  ];
  let config = rendered;
  for (const [pattern, replacement] of binds) {
    if (!pattern.test(config)) throw new Error(`ingress config: ${pattern} not found; the test must follow the new binds`);
    config = config.replace(pattern, replacement);
  }
  return config;
}

/** Each API server's state in HAProxy's stats (UP, DOWN, MAINT...), by server name. */
async function serverStates(monitor: number): Promise<Record<string, string>> {
  const csv = await (await fetch(`http://127.0.0.1:${monitor}/stats;csv`)).text();
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const columns = (header ?? '').split(',');
  const [px, sv, st] = ['pxname', 'svname', 'status'].map((name) => columns.indexOf(name));
  const states: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[px as number] === 'api' && !['FRONTEND', 'BACKEND'].includes(cells[sv as number] ?? '')) {
      states[cells[sv as number] as string] = (cells[st as number] ?? '').split(' ')[0] as string;
    }
  }
  return states;
}

it('SIGTERM to one of two APIs behind the ingress fails no request, and it exits 0', async () => {
  reportIfBroken('api-sigterm-ingress');
  await purgeQueues();
  const env = { IMGR_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS), IMGR_SHUTDOWN_TIMEOUT_MS: '20000' };
  const [leaving, staying] = await Promise.all([procs.start('api', bucket, env), procs.start('api', bucket, env)]);
  if (!leaving || !staying) throw new Error('APIs did not start');
  const apis = [leaving, staying].map((api) => new URL(api.url).host);
  const [front, monitor] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'imgr-ingress-'));
  writeFileSync(join(dir, 'haproxy.cfg'), ingressConfig(apis, front, monitor));
  execFileSync('haproxy', ['-c', '-q', '-f', join(dir, 'haproxy.cfg')]);
  let haproxyLog = '';
  haproxy = spawn('haproxy', ['-W', '-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (chunk: Buffer) => {
    haproxyLog += chunk.toString();
  });
  haproxy.stderr?.on('data', (chunk: Buffer) => {
    haproxyLog += chunk.toString();
  });
  const [leavingName] = Object.keys(await waitFor(() => serverStates(monitor), 10_000)).filter((name) =>
    name.endsWith(`-${apis[0]?.split(':')[1]}`),
  );
  await waitFor(async () => Object.values(await serverStates(monitor)).every((state) => state === 'UP') || undefined, 15_000, 100);
  const ingress = `http://127.0.0.1:${front}`;

  const seeded = (await Promise.all([0, 1, 2].map((i) => upload(ingress, i, 30_000)))).flatMap((o) => (o.id ? [o.id] : []));
  expect(seeded).toHaveLength(3);

  // HAProxy's view of the leaving server, polled while the load runs.
  let markedDown: number | undefined;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const state = await serverStates(monitor).catch(() => ({}) as Record<string, string>);
      if (markedDown === undefined && leavingName && state[leavingName] && state[leavingName] !== 'UP') markedDown = now();
      await sleep(50);
    }
  })();

  let exited: number | undefined;
  const origin = now();
  const load = closedLoop(
    CLIENTS,
    () => exited !== undefined && now() - exited > AFTER_EXIT_MS,
    (i) => (i % 3 === 0 ? upload(ingress, i, 30_000) : download(`${ingress}/image/${seeded[i % seeded.length]}`, 30_000)),
  );
  await sleep(TERM_AT_MS);
  const term = now();
  const exit = once(leaving.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  leaving.child.kill('SIGTERM');
  const [code, signal] = await Promise.race([exit, sleep(40_000).then(() => [null, null] as const)]);
  exited = now();
  const outcomes = await load;
  polling = false;
  await poller;

  const failed = outcomes.filter((o) => o.status !== 200 && o.status !== 201);
  const afterTerm = outcomes.filter((o) => o.start >= term);
  const figures = {
    requests: outcomes.length,
    statuses: byStatus(outcomes),
    failed: failed.length,
    failures: failed.slice(0, 5).map((o) => `${o.kind} ${o.status} ${o.error ?? ''}`),
    requests_after_sigterm: afterTerm.length,
    exit_code: code,
    exit_signal: signal,
    shutdown_delay_ms: SHUTDOWN_DELAY_MS,
    marked_down_after_sigterm_ms: markedDown === undefined ? null : Math.round(markedDown - term),
    exit_after_sigterm_ms: Math.round(exited - term),
    max_latency_ms: maxLatency(outcomes),
    load_s: Math.round(now() - origin) / 1000,
  };
  const pass = failed.length === 0 && code === 0 && markedDown !== undefined && markedDown - term < SHUTDOWN_DELAY_MS;
  report('api-sigterm-ingress', figures, pass);
  const logs = `${procs.logs()}\n--- haproxy\n${haproxyLog.slice(-4000)}`;
  expect(figures, logs).toMatchObject({ failed: 0, exit_code: 0 });
  expect(figures.marked_down_after_sigterm_ms, 'HAProxy did not take the API out before it closed').toBeLessThan(SHUTDOWN_DELAY_MS);
  expect(figures.requests_after_sigterm).toBeGreaterThan(0);
});
