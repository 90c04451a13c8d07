// Runs the built `imgr <role>` (cli/dist/main.js, as the Docker image runs it) as a real process on a
// free port and waits until it is ready: the one launcher of the suites and the bench.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.mjs';

export const repoRoot = join(import.meta.dirname, '../..');

/**
 * @typedef {object} ImgrProcess
 * @property {string} role
 * @property {string} url base URL, e.g. http://127.0.0.1:41234
 * @property {import('node:child_process').ChildProcess} child
 * @property {number | undefined} pid
 * @property {() => string} output what the process wrote (stdout and stderr, interleaved)
 * @property {(signal?: NodeJS.Signals) => Promise<number | null>} stop sends `signal` (SIGTERM), SIGKILL
 *   after `killAfterMs`, and resolves with the exit code
 */

/**
 * @typedef {object} StartOptions
 * @property {string} [root] the checkout whose cli/dist runs (this one by default; the bench measures a snapshot)
 * @property {string[]} [nodeArgs] node flags before the script, e.g. ['--cpu-prof']
 * @property {boolean} [captureStdout] keep stdout in output() (true); the bench drops the request log
 * @property {number} [outputLimit] the last that many characters are kept (all by default)
 * @property {number} [readyTimeoutMs] 30000
 * @property {number} [port] listen on this port instead of a free one (to start a stopped server again where its clients expect it)
 * @property {number} [killAfterMs] SIGKILL that long after stop()'s signal (30000)
 * @property {(line: string, child: import('node:child_process').ChildProcess) => void} [onLine] sees each
 *   line the process writes to stdout from the very first one, before readiness (e.g. to kill it on a log line)
 */

/**
 * `env` is the whole environment of the process besides PATH, HOST and PORT.
 * @param {string} role 'all' | 'api' | 'worker'
 * @param {Record<string, string>} env
 * @param {StartOptions} [options]
 * @returns {Promise<ImgrProcess>}
 */
export async function startImgr(role, env, options = {}) {
  const { root = repoRoot, nodeArgs = [], captureStdout = true, outputLimit = Number.POSITIVE_INFINITY } = options;
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'cli/dist/main.js'), role], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let output = '';
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > outputLimit) output = output.slice(-outputLimit);
  };
  child.stdout?.on('data', keep);
  let partial = '';
  if (options.onLine) {
    const onLine = options.onLine;
    child.stdout?.on('data', (/** @type {Buffer} */ chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line, child);
    });
  }
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  // Ready, not only alive: the process listens before its bucket is prepared.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`imgr ${role} exited with ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`imgr ${role} did not start: ${output}`);
    }
    await sleep(50);
  }
  return {
    role,
    url,
    child,
    pid: child.pid,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
      const [code] = /** @type {[number | null]} */ (await exited);
      clearTimeout(timer);
      return code;
    },
  };
}
