// Pipeline latency: uploads at a steady rate, each followed until all four variants answer 200.
import { setTimeout as sleep } from 'node:timers/promises';
import { openLoop, send } from './load.mjs';

const SIZES = ['big', 'medium', 'small', 'tiny'];

/**
 * One upload followed to completion. Polling is cheap on purpose: while nothing is ready it sends
 * one HEAD of the `big` variant at a time (the worker writes the four sizes together, after
 * all four are rendered); once that answers 200 it GETs all four, and repeats for any that do not.
 * The figure is the time the last 200 arrived (an upper bound); the lower bound is the time the
 * last unsuccessful poll was sent, so the poll granularity is known for every sample.
 */
async function followUpload(base, httpAgent, upload, scheduledAt, pollMs, timeoutMs) {
  const posted = await send(httpAgent, {
    method: 'POST',
    url: `${base}/image`,
    headers: upload.headers,
    body: upload.body,
    keepBody: true,
  });
  const uploadedAt = performance.now();
  if (posted.status !== 201) return { ok: false, reason: `upload ${posted.status}`, uploadMs: uploadedAt - scheduledAt };
  const { id } = JSON.parse(posted.body.toString('utf8'));
  let lastMissSentAt = uploadedAt;
  let polls = 0;
  let waiting = ['big'];
  let everyChecked = false;
  for (;;) {
    if (performance.now() - scheduledAt > timeoutMs) return { ok: false, reason: 'timeout', id, uploadMs: uploadedAt - scheduledAt };
    // Poll every `pollMs`, or every 5 % of the time elapsed when that is longer: the granularity
    // stays small relative to the figure, and a slow system is not buried under polls.
    await sleep(Math.max(pollMs, (performance.now() - scheduledAt) * 0.05));
    const sentAt = performance.now();
    if (!everyChecked) {
      polls++;
      const head = await send(httpAgent, { method: 'HEAD', url: `${base}/image/${id}/big` });
      if (head.status !== 200) {
        lastMissSentAt = sentAt;
        continue;
      }
      everyChecked = true;
      waiting = SIZES;
    }
    polls += waiting.length;
    const answers = await Promise.all(waiting.map((size) => send(httpAgent, { url: `${base}/image/${id}/${size}` })));
    const missing = waiting.filter((_, i) => answers[i].status !== 200);
    if (missing.length === 0) {
      const doneAt = performance.now();
      return {
        ok: true,
        id,
        uploadMs: uploadedAt - scheduledAt,
        ms: doneAt - scheduledAt,
        lowerMs: lastMissSentAt - scheduledAt,
        polls,
      };
    }
    lastMissSentAt = sentAt;
    waiting = missing;
  }
}

export async function pipelineRun({ base, httpAgent, upload, ratePerSec, durationMs, pollMs, timeoutMs = 30_000 }) {
  const run = await openLoop({
    ratePerSec,
    durationMs,
    task: (scheduledAt) => followUpload(base, httpAgent, upload, scheduledAt, pollMs, timeoutMs),
  });
  const done = run.results.filter((r) => r.ok);
  const failed = run.results.filter((r) => !r.ok);
  return {
    ratePerSec,
    count: run.count,
    ready: done.length,
    failed: failed.length,
    failures: [...new Set(failed.map((f) => f.reason))],
    maxLagMs: run.maxLagMs,
    latencies: done.map((r) => r.ms),
    lowerBounds: done.map((r) => r.lowerMs),
    uploadLatencies: run.results.map((r) => r.uploadMs),
    polls: done.reduce((sum, r) => sum + r.polls, 0) / Math.max(1, done.length),
  };
}
