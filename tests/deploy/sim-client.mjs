// Client of the failover simulation, run in its own network namespace against the floating IP.
//   node sim-client.mjs load BASE_URL DURATION_MS OUT.jsonl
//       uploads (POST /image) and fetches (GET /image/<id> of an accepted upload) in two loops, each
//       request on a fresh TCP connection; one JSON line per request: t0, t1, kind, status|err, id.
//   node sim-client.mjs analyze LOG.jsonl KILL_TS_MS
//       figures of one scenario (see analyze()).
//   node sim-client.mjs verify BASE_URL DEADLINE_MS LOG.jsonl...
//       waits until every accepted upload (201) has its original and four variants; prints the
//       uploads still incomplete at the deadline as lost.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import sharp from 'sharp';
import { fileUpload } from '../support/multipart.mjs';

const SIZES = ['big', 'medium', 'small', 'tiny'];
const REQUEST_TIMEOUT_MS = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One request on a fresh connection; resolves { status, body } or { err }. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (result) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => finish({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', (e) => finish({ err: e.code || e.message }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ err: 'TIMEOUT' });
    }, REQUEST_TIMEOUT_MS);
    req.on('error', (e) => finish({ err: e.code || e.message }));
    req.end(body);
  });
}

async function testImage() {
  const { data, info } = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#336699' } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // A little noise so the PNG is not trivially small (~10 KB).
  const noise = randomBytes(data.length / 64);
  for (let i = 0; i < noise.length; i++) data[i * 64] = noise[i];
  return sharp(data, { raw: info }).png().toBuffer();
}

async function load(base, durationMs, out) {
  const image = await testImage();
  const records = [];
  const accepted = [];
  const end = Date.now() + durationMs;
  const uploads = (async () => {
    while (Date.now() < end) {
      const t0 = Date.now();
      const { body, headers } = fileUpload(image, 'sim.png', 'image/png');
      const r = await request(new URL('/image', base), { method: 'POST', headers, body });
      let id;
      if (r.status === 201) {
        id = JSON.parse(r.body.toString()).id;
        accepted.push(id);
      }
      records.push({ t0, t1: Date.now(), kind: 'upload', status: r.status, err: r.err, id });
      await sleep(Math.max(0, 40 - (Date.now() - t0)));
    }
  })();
  const fetches = (async () => {
    while (Date.now() < end) {
      const t0 = Date.now();
      if (accepted.length === 0) {
        await sleep(20);
        continue;
      }
      const id = accepted[Math.floor(Math.random() * accepted.length)];
      const r = await request(new URL(`/image/${id}`, base));
      records.push({ t0, t1: Date.now(), kind: 'fetch', status: r.status, err: r.err, id });
      await sleep(Math.max(0, 20 - (Date.now() - t0)));
    }
  })();
  await Promise.all([uploads, fetches]);
  writeFileSync(out, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

const readLog = (file) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const succeeded = (r) => (r.kind === 'upload' ? r.status === 201 : r.status === 200);

/**
 * failover_ms: from the kill to the end of the first successful request that started after the
 * last failed one among those started after the kill (0 failures after the kill: the first success).
 * failed_requests: every failed request that overlaps the kill or starts after it (timeouts of
 * requests in flight at the kill included).
 */
function analyze(file, killTs) {
  const rows = readLog(file).sort((a, b) => a.t0 - b.t0);
  const after = rows.filter((r) => r.t0 >= killTs);
  const affected = rows.filter((r) => r.t1 >= killTs);
  const failedAfter = after.filter((r) => !succeeded(r));
  const lastFailStart = failedAfter.length ? failedAfter[failedAfter.length - 1].t0 : -1;
  const recovered = after.find((r) => r.t0 > lastFailStart && succeeded(r));
  const failed = affected.filter((r) => !succeeded(r));
  const kinds = {};
  for (const r of failed) {
    const k = `${r.kind}:${r.err ?? r.status}`;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  const latencies = after.filter(succeeded).map((r) => r.t1 - r.t0);
  return {
    requests: rows.length,
    uploads_accepted: rows.filter((r) => r.kind === 'upload' && r.status === 201).length,
    failover_ms: recovered ? recovered.t1 - killTs : null,
    failed_requests: failed.length,
    failed_uploads: failed.filter((r) => r.kind === 'upload').length,
    failed_fetches: failed.filter((r) => r.kind === 'fetch').length,
    error_kinds: kinds,
    max_latency_after_kill_ms: latencies.length ? Math.max(...latencies) : null,
  };
}

async function verify(base, deadlineMs, files) {
  const ids = [
    ...new Set(
      files
        .flatMap(readLog)
        .filter((r) => r.kind === 'upload' && r.status === 201)
        .map((r) => r.id),
    ),
  ];
  const missing = new Map(ids.map((id) => [id, ['', ...SIZES.map((s) => `/${s}`)]]));
  const start = Date.now();
  while (missing.size && Date.now() - start < deadlineMs) {
    for (const [id, paths] of missing) {
      const left = [];
      for (const p of paths) {
        const r = await request(new URL(`/image/${id}${p}`, base), { method: 'HEAD' });
        if (r.status !== 200) left.push(p);
      }
      if (left.length) missing.set(id, left);
      else missing.delete(id);
    }
    if (missing.size) await sleep(1000);
  }
  return {
    accepted_uploads: ids.length,
    complete: ids.length - missing.size,
    lost_uploads: missing.size,
    lost: Object.fromEntries([...missing].slice(0, 10)),
    waited_ms: Date.now() - start,
  };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'load') await load(args[0], Number(args[1]), args[2]);
else if (mode === 'analyze') console.log(JSON.stringify(analyze(args[0], Number(args[1]))));
else if (mode === 'verify') console.log(JSON.stringify(await verify(args[0], Number(args[1]), args.slice(2))));
else {
  console.error('usage: sim-client.mjs load|analyze|verify ...');
  process.exit(2);
}
