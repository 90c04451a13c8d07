// compose has no scheduler: this loop is the sweep service's stand-in for the Nomad periodic job
// (deploy/nomad/sweep.nomad.hcl). It runs the command given after it (`imgr sweep`) as a process of its
// own, waits for it to end, sleeps IMGR_SWEEP_PERIOD_S (deploy/runtime/sweep.env) and starts again. One
// run at a time, as prohibit_overlap does; each run is bounded by its own IMGR_SWEEP_TIMEOUT_S, and a
// failed run is logged and followed by the next period, as on Nomad. SIGTERM stops the run in progress
// (the sweep stops between two objects) and then the loop.
//   node sweep-loop.mjs <command> [args...]
// Runs with the node of the imgr image, which has no shell; plain JavaScript, no dependencies.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

const log = (level, msg, fields = {}) =>
  console.log(JSON.stringify({ level, time: new Date().toISOString(), component: 'sweep-loop', msg, ...fields }));

const periodS = Number(process.env.IMGR_SWEEP_PERIOD_S);
const [command, ...args] = process.argv.slice(2);
if (!Number.isInteger(periodS) || periodS < 1 || !command) {
  console.error('usage: IMGR_SWEEP_PERIOD_S=<seconds, >= 1> node sweep-loop.mjs <command> [args...]');
  process.exit(2);
}

const stopped = new AbortController();
let child;
const stop = (signal) => {
  if (stopped.signal.aborted) return;
  log('info', 'stopping', { signal });
  stopped.abort();
  child?.kill('SIGTERM');
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

log('info', 'sweeping periodically', { periodS });
while (!stopped.signal.aborted) {
  child = spawn(command, args, { stdio: 'inherit' });
  const [code, signal] = await once(child, 'exit');
  child = undefined;
  if (code !== 0 && !stopped.signal.aborted) log('warn', 'sweep run failed; the next period runs anyway', { code, signal });
  await sleep(periodS * 1000, undefined, { signal: stopped.signal }).catch(() => undefined);
}
