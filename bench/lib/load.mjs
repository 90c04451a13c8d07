// The load generator: plain node:http with keep-alive connections (no dependency, little CPU per
// request, which matters when the generator shares two cores with everything it measures).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export function agent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
}

/**
 * One HTTP request; resolves with status, headers, the body (when `keepBody`) and its byte count.
 * Network errors resolve as status 0 so a load run counts them instead of stopping.
 */
export function send(httpAgent, { method = 'GET', url, headers = {}, body, keepBody = false }) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: httpAgent, headers }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (keepBody) chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, body: keepBody ? Buffer.concat(chunks) : undefined }),
      );
      res.on('error', (error) => resolve({ status: 0, error, bytes }));
    });
    req.on('error', (error) => resolve({ status: 0, error, bytes: 0 }));
    // A server that never answers must not stall the run: count it as an error after 30 s.
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.end(body);
  });
}

/** A multipart/form-data body with one `file` field, built once and sent many times. */
export { fileUpload as multipartFile } from '../../tests/support/multipart.mjs';

/**
 * Closed loop: `concurrency` clients each send their next request as soon as the previous one is
 * answered, for `durationMs` after `warmupMs` of unrecorded traffic. `task()` resolves with
 * `{ ok: boolean, status }`. Every answer that arrives inside the window counts (the rate is
 * answers in the window per second, so a request hanging past the window lowers it); latencies
 * (ms) are kept for the ok ones.
 */
export async function closedLoop({ concurrency, durationMs, warmupMs = 1000, task }) {
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const latencies = [];
  let errors = 0;
  const statuses = {};
  async function client() {
    while (performance.now() < end) {
      const t0 = performance.now();
      const result = await task();
      const t1 = performance.now();
      if (t1 < measureFrom || t1 > end) continue;
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.ok) latencies.push(t1 - t0);
      else errors++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  return {
    concurrency,
    seconds: durationMs / 1000,
    ok: latencies.length,
    errors,
    statuses,
    rate: latencies.length / (durationMs / 1000),
    latencies,
  };
}

/**
 * Open loop: starts `task(scheduledAt)` at a steady `ratePerSec` for `durationMs`, whatever the
 * answers do (no coordinated omission: a slow system does not slow the arrivals down). Latency
 * is measured by the task from its scheduled time. Resolves when every task has finished.
 */
export async function openLoop({ ratePerSec, durationMs, task }) {
  const count = Math.round((ratePerSec * durationMs) / 1000);
  const interval = 1000 / ratePerSec;
  const start = performance.now() + 20;
  const running = [];
  let maxLag = 0;
  for (let i = 0; i < count; i++) {
    const at = start + i * interval;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    maxLag = Math.max(maxLag, performance.now() - at);
    running.push(task(at));
  }
  const results = await Promise.all(running);
  return { ratePerSec, count, maxLagMs: maxLag, results };
}
