// A RADOS Gateway of the benchmark's own on the Ceph cluster of scripts/services/ceph-s3.sh: same
// monitor, OSD, users and pools, but a separate gateway process on its own port. Other test suites
// use (and sometimes stop, to simulate outages) the shared gateway; a separate one keeps
// those outages out of the figures, and its CPU time is the benchmark's alone.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { children } from './imgr.mjs';

const DIR = '/tmp/imgr-bench-rgw';

async function answering(endpoint) {
  return fetch(endpoint).then(
    (r) => r.status === 200,
    () => false,
  );
}

export async function startGateway({ cephConf = '/tmp/imgr-ceph/ceph.conf', port = 7481 } = {}) {
  const endpoint = `http://127.0.0.1:${port}`;
  if (await answering(endpoint)) throw new Error(`port ${port} already answers; set BENCH_RGW_PORT to a free port`);
  mkdirSync(DIR, { recursive: true });
  const child = spawn(
    'radosgw',
    [
      '-f',
      '-c',
      cephConf,
      '-n',
      'client.rgw.bench',
      // tcp_nodelay as the shared gateway (scripts/services/ceph-s3.sh), where the reason is given
      `--rgw_frontends=beast endpoint=127.0.0.1:${port} tcp_nodelay=1`,
      '--rgw_thread_pool_size=64',
      // No log line per request (three at the default level): 13 % of the gateway's CPU, measured,
      // that a production gateway with its own cores would not take from imgr.
      '--debug_rgw=0/0',
      '--rgw_enable_usage_log=false',
      '--rgw_dns_name=localhost',
      `--rgw_data=${DIR}`,
      `--pid_file=${DIR}/rgw.pid`,
      `--admin_socket=${DIR}/rgw.asok`,
      `--log_file=${DIR}/rgw.log`,
    ],
    { stdio: 'ignore' },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`radosgw exited with ${child.exitCode}; see ${DIR}/rgw.log`);
    if (await answering(endpoint)) break;
    await sleep(250);
  }
  if (!(await answering(endpoint))) {
    child.kill('SIGKILL');
    throw new Error(`radosgw not answering on ${endpoint}; see ${DIR}/rgw.log`);
  }
  return {
    endpoint,
    pid: child.pid,
    alive: () => child.exitCode === null,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
    },
  };
}
