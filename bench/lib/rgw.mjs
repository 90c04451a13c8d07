// A RADOS Gateway of the benchmark's own on the Ceph cluster of scripts/services/ceph-s3.sh (its
// `gateway` command): same monitor, OSD, users and pools, but a separate gateway process on its own
// port. Other suites on the machine use the shared gateway (and stopped it in the past, to simulate
// outages); a separate one keeps those outages out of the figures, and its CPU time is the benchmark's alone.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './imgr.mjs';

const NAME = 'bench';
const DIR = '/tmp/imgr-bench-rgw';
// No log line per request (three at the default level): 13 % of the gateway's CPU, measured, that a
// production gateway with its own cores would not take from imgr.
const QUIET = '--debug_rgw=0/0 --rgw_enable_usage_log=false';

function gateway(action, port) {
  execFileSync('bash', [join(repoRoot, 'scripts/services/ceph-s3.sh'), 'gateway', action, NAME, String(port), DIR], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GATEWAY_OPTIONS: QUIET },
  });
}

export async function startGateway({ port = 7481 } = {}) {
  const endpoint = `http://127.0.0.1:${port}`;
  const answering = await fetch(endpoint).then(
    (r) => r.status === 200,
    () => false,
  );
  if (answering) throw new Error(`port ${port} already answers; set BENCH_RGW_PORT to a free port`);
  gateway('up', port);
  // Stopped with the bench, whatever ends it (the gateway runs detached from this process).
  const stopOnExit = () => gateway('stop', port);
  process.once('exit', stopOnExit);
  return {
    endpoint,
    pid: Number(readFileSync(join(DIR, 'pid'), 'utf8')),
    async stop() {
      process.removeListener('exit', stopOnExit);
      gateway('stop', port);
    },
  };
}
