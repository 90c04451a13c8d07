#!/usr/bin/env node
// imgr benchmark suite: `npm run bench`. Starts RabbitMQ and Ceph S3 (scripts/services), runs real
// `imgr api` and `imgr worker` processes against them and measures, in rounds:
//   the in-process sharp limit, raw S3 PUT/GET (AWS SDK and imgr's own S3 client, the faster counts), uploads (closed loop), worker
//   throughput (draining a backlog), serving of a variant and of 304s, and pipeline latency at a
//   steady 5 and 10 uploads/s; RSS of every process under load.
// Writes docs/benchmarks.md, docs/benchmarks-latency.svg and bench/results/latest.json
// (and, for a full run, the report's figures: docs/report/results/bench.json, bench/lib/figures.mjs)
// (`node bench/run.mjs --report-only` rewrites the two docs from latest.json).
// Knobs (environment): BENCH_ROUNDS (3), BENCH_SECONDS (8, closed-loop window), BENCH_PIPELINE_SECONDS
// (30), BENCH_POLL_MS (10, shortest poll interval), BENCH_UPLOAD_CONCURRENCY (8), BENCH_GET_CONCURRENCY (16), BENCH_ONLY
// (comma list of phases: sharp,upload,worker,serve,pipeline), BENCH_BACKLOG (600 3 MP images for the
// worker; two thirds of it for 15 MP), BENCH_NO_DOCS=1 (print only), BENCH_SOURCE=worktree (measure
// the working tree's build rather than a build of HEAD, see lib/snapshot.mjs), and
// imgr's own tuning variables (IMGR_WORKER_CONCURRENCY, UV_THREADPOOL_SIZE, ...), passed to imgr.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, DeleteObjectCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { writeResults } from '../tests/support/results.mjs';
import { emptyBucket, removeBucket } from '../tests/support/s3-buckets.mjs';
import { benchFigures, benchRun } from './lib/figures.mjs';
import { app, metricSum, processEnv, repoRoot, startImgr } from './lib/imgr.mjs';
import { agent, closedLoop, multipartFile, send } from './lib/load.mjs';
import { pipelineRun } from './lib/pipeline.mjs';
import { pidsOf, sampleProcesses } from './lib/procfs.mjs';
import { machineInfo, writeReport } from './lib/report.mjs';
import { startGateway } from './lib/rgw.mjs';
import { rawClients, rawGet, rawPut, s3Client } from './lib/s3raw.mjs';
import { buildSnapshot } from './lib/snapshot.mjs';
import { summarize } from './lib/stats.mjs';

const num = (name, fallback) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);
const settings = {
  rounds: num('BENCH_ROUNDS', 3),
  seconds: num('BENCH_SECONDS', 8),
  pipelineSeconds: num('BENCH_PIPELINE_SECONDS', 30),
  pollMs: num('BENCH_POLL_MS', 10),
  uploadConcurrency: num('BENCH_UPLOAD_CONCURRENCY', 8),
  backlog: num('BENCH_BACKLOG', 600),
  getConcurrency: num('BENCH_GET_CONCURRENCY', 16),
  rates: [5, 10],
  only: new Set((process.env.BENCH_ONLY ?? 'sharp,upload,worker,serve,pipeline').split(',')),
};
// BENCH_RGW=shared measures through the shared gateway of scripts/services/ceph-s3.sh instead of a
// gateway of the benchmark's own on the same Ceph cluster (see lib/rgw.mjs).
const ownGateway = process.env.BENCH_RGW !== 'shared';
const s3 = {
  endpoint: process.env.IMGR_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:7480',
  accessKey: process.env.IMGR_TEST_S3_ACCESS_KEY ?? 'test',
  secretKey: process.env.IMGR_TEST_S3_SECRET_KEY ?? 'testsecret',
};
// A vhost of its own keeps the benchmark's tasks apart from tests running on the same broker.
const VHOST = 'imgr-bench';
const amqpUrl = `amqp://guest:guest@127.0.0.1:5672/${VHOST}`;
const bucket = `imgr-bench-${Date.now().toString(36)}`;

const log = (...parts) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const clientRates = (limit) =>
  Object.entries(limit.byClient)
    .map(([name, rate]) => `${name} ${fmt(rate)}/s`)
    .join(', ');

function sh(cmd, args, options = {}) {
  return execFileSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

function setUp() {
  log('services: RabbitMQ and Ceph S3');
  sh('bash', ['scripts/services/rabbitmq.sh', 'up'], { stdio: 'inherit' });
  sh('bash', ['scripts/services/ceph-s3.sh', 'up'], { stdio: 'inherit' });
  if (sh('rabbitmqctl', ['-q', 'list_vhosts']).split('\n').includes(VHOST)) sh('rabbitmqctl', ['-q', 'delete_vhost', VHOST]);
  sh('rabbitmqctl', ['-q', 'add_vhost', VHOST]);
  sh('rabbitmqctl', ['-q', 'set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*']);
  log('fixtures and build');
  const fixtures = sh('node', ['tests/fixtures/make-fixtures.mjs']).trim().split('\n').pop();
  if (process.env.BENCH_SOURCE === 'worktree') {
    try {
      sh('npx', ['tsc', '-b'], { stdio: 'inherit' });
    } catch {
      log('warning: tsc -b failed; measuring the last built cli/dist');
    }
    app.commit = `working tree on ${sh('git', ['rev-parse', '--short', 'HEAD']).trim()}`;
  } else {
    const snapshot = buildSnapshot(repoRoot);
    app.root = snapshot.dir;
    app.commit = snapshot.commit;
    log(`measuring commit ${snapshot.commit}, built in ${snapshot.dir}`);
  }
  return fixtures;
}

/**
 * Buckets of runs that were interrupted (their names carry their start time) are emptied and removed:
 * the memory-backed test cluster is shared and small.
 */
async function removeStaleBuckets(client) {
  const { Buckets = [] } = await client.send(new ListBucketsCommand({}));
  for (const { Name } of Buckets) {
    const started = Name?.startsWith('imgr-bench-') ? Number.parseInt(Name.slice('imgr-bench-'.length), 36) : Number.NaN;
    if (!(Date.now() - started > 30 * 60_000)) continue;
    log(`removing ${Name}, left by an interrupted run`);
    await removeBucket(Name, client).catch((error) => log(`cleanup: ${error.message}`));
  }
}

let gateway;

/** Pids of the services, for RSS and CPU accounting. */
function servicePids() {
  const named = {};
  const rgw = gateway?.pid ?? pidsOf('client.rgw.a')[0];
  const osd = pidsOf('ceph-osd')[0];
  const mon = pidsOf('ceph-mon')[0];
  const beam = pidsOf('beam.smp').find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('rabbit'));
  if (rgw) named.radosgw = rgw;
  if (osd) named['ceph-osd'] = osd;
  if (mon) named['ceph-mon'] = mon;
  if (beam) named.rabbitmq = beam;
  return named;
}

function imgrEnv() {
  return {
    CELERY_BROKER_URL: amqpUrl,
    S3_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
    S3_BUCKET_NAME: bucket,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
}

/** Runs a phase while sampling RSS and CPU of the named processes. */
async function observed(named, body) {
  const sampler = sampleProcesses({ ...named, ...servicePids() });
  const result = await body();
  return { result, proc: sampler.stop() };
}

function sharpLimit(file) {
  const out = sh(process.execPath, [join(app.root, 'bench/sharp-limit.mjs'), file, String(settings.seconds)], {
    // The worker's environment: the limit is what the worker's renders could reach.
    env: { ...process.env, ...processEnv('worker') },
  });
  return JSON.parse(out.trim().split('\n').pop());
}

async function uploadLoop(base, httpAgent, upload, ids) {
  return closedLoop({
    concurrency: settings.uploadConcurrency,
    durationMs: settings.seconds * 1000,
    task: async () => {
      const answer = await send(httpAgent, {
        method: 'POST',
        url: `${base}/image`,
        headers: upload.headers,
        body: upload.body,
        keepBody: true,
      });
      if (answer.status === 201) ids.push(JSON.parse(answer.body.toString('utf8')).id);
      return { ok: answer.status === 201, status: answer.status };
    },
  });
}

/** Uploads `count` copies as fast as the upload limit allows; returns their ids. */
async function uploadMany(base, httpAgent, upload, count) {
  const ids = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: settings.uploadConcurrency }, async () => {
      while (started < count) {
        started++;
        const answer = await send(httpAgent, {
          method: 'POST',
          url: `${base}/image`,
          headers: upload.headers,
          body: upload.body,
          keepBody: true,
        });
        if (answer.status === 201) ids.push(JSON.parse(answer.body.toString('utf8')).id);
      }
    }),
  );
  return ids;
}

/**
 * Worker throughput: a fresh worker drains the backlog the upload phase left in the queue. The
 * rate is taken between 10% and 90% of the backlog (from the worker's own task counter), so start-up
 * and the tail do not count.
 */
async function drain(expected, named) {
  const worker = await startImgr('worker', imgrEnv());
  const points = [];
  const { proc } = await observed({ ...named, worker: worker.pid }, async () => {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const tasks = await metricSum(worker.url, 'imgr_tasks_total', 'result="ok"');
      points.push({ t: performance.now(), images: tasks / 4 });
      if (tasks / 4 >= expected || Date.now() > deadline) break;
      await sleep(100);
    }
  });
  const dead = await metricSum(worker.url, 'imgr_dead_letters_total');
  const lo = points.find((p) => p.images >= expected * 0.1);
  const hi = points.find((p) => p.images >= expected * 0.9);
  const rate = lo && hi && hi.t > lo.t ? (hi.images - lo.images) / ((hi.t - lo.t) / 1000) : Number.NaN;
  const images = points.at(-1)?.images ?? 0;
  // CPU per image over the whole drain (start-up included), for a figure that contention hardly moves.
  const c = proc.cpuSeconds;
  const cpuMsPerImage = images ? (1000 * c.worker) / images : Number.NaN;
  const serviceCpuMsPerImage = images ? (1000 * ((c.radosgw ?? 0) + (c['ceph-osd'] ?? 0) + (c.rabbitmq ?? 0))) / images : Number.NaN;
  return { worker, rate, images, expected, deadLetters: dead, cpuMsPerImage, serviceCpuMsPerImage, proc };
}

/**
 * Runs a raw S3 measurement with each raw client; the fastest is the storage limit. Returns its
 * figures plus every client's rate, so the page can show both.
 */
async function rawLimit(raw, measure) {
  const byClient = {};
  let best;
  for (const [name, client] of Object.entries(raw)) {
    const run = await observed({}, () => measure(client));
    const figures = {
      client: name,
      rate: run.result.rate,
      latency: summarize(run.result.latencies),
      errors: run.result.errors,
      proc: run.proc,
    };
    byClient[name] = run.result.rate;
    if (!best || figures.rate > best.rate) best = figures;
  }
  return { ...best, byClient };
}

async function round(index, client, raw, photos) {
  log(`round ${index + 1}/${settings.rounds}`);
  const result = { round: index + 1, sharp: {}, rawPut: {}, upload: {}, worker: {}, proc: {} };
  const httpAgent = agent(64);

  const api = await startImgr('api', imgrEnv());
  let worker;
  try {
    for (const [label, photo] of Object.entries(photos)) {
      // The 3 MP backlog also provides the image the serving phase reads.
      if (label !== '3mp' && !settings.only.has('upload') && !settings.only.has('worker')) continue;
      // Raw S3 PUT of the same bytes, then uploads through imgr with no worker running (the queue
      // keeps the tasks): both are "put this photo into the bucket" at the same concurrency.
      const put = await rawLimit(raw, (client) =>
        rawPut(client, photo.bytes, { concurrency: settings.uploadConcurrency, durationMs: settings.seconds * 1000 }),
      );
      result.rawPut[label] = put;
      log(`raw S3 PUT ${label}: ${fmt(put.rate)}/s (${put.client}), p50 ${fmt(put.latency.p50)} ms; ${clientRates(put)}`);
      const ids = [];
      const up = await observed({ api: api.pid }, () =>
        uploadLoop(api.url, httpAgent, multipartFile(photo.bytes, `photo-${label}.jpg`), ids),
      );
      const lat = summarize(up.result.latencies);
      result.upload[label] = {
        rate: up.result.rate,
        latency: lat,
        errors: up.result.errors,
        statuses: up.result.statuses,
        mbPerSec: (up.result.rate * photo.bytes.length) / 1e6,
        ratioToRawPut: up.result.rate / put.rate,
        proc: up.proc,
      };
      result.proc[`upload-${label}`] = up.proc;
      log(
        `upload ${label}: ${fmt(up.result.rate)}/s (${fmt(up.result.rate / put.rate, 2)} of raw PUT), p50 ${fmt(lat.p50)} p99 ${fmt(lat.p99)} ms, errors ${up.result.errors}, API RSS peak ${fmt(up.proc.rss.api.peak, 0)} MiB, foreign CPU ${fmt(up.proc.foreignCpuPct, 0)}%`,
      );
      // The worker gets a backlog of a fixed size: the upload window's images go (the test cluster
      // keeps every byte in memory), then a fresh backlog is uploaded with no worker running.
      sh('rabbitmqctl', ['-q', 'purge_queue', '-p', VHOST, 'celery']);
      await deleteImages(client, ids);
      const backlogIds = await uploadMany(
        api.url,
        httpAgent,
        multipartFile(photo.bytes, `photo-${label}.jpg`),
        label === '3mp' ? settings.backlog : Math.round((settings.backlog * 2) / 3),
      );
      const backlog = backlogIds.length;
      // The sharp limit right before the worker drains, so both see about the same machine load.
      if (settings.only.has('sharp') || settings.only.has('worker')) {
        result.sharp[label] = sharpLimit(photo.file);
        log(
          `sharp limit ${label}: ${fmt(result.sharp[label].rate)} images/s (${fmt(result.sharp[label].msPerImage, 0)} ms each, ${fmt(result.sharp[label].cpuMsPerImage, 0)} ms CPU)`,
        );
      }
      const drained = await drain(backlog, { api: api.pid });
      worker = drained.worker;
      result.worker[label] = {
        rate: drained.rate,
        backlog,
        deadLetters: drained.deadLetters,
        cpuMsPerImage: drained.cpuMsPerImage,
        serviceCpuMsPerImage: drained.serviceCpuMsPerImage,
        ratioToSharp: drained.rate / (result.sharp[label]?.rate ?? Number.NaN),
        proc: drained.proc,
      };
      result.proc[`worker-${label}`] = drained.proc;
      photo.sampleId = backlogIds[0];
      await deleteImages(client, backlogIds.slice(1));
      log(
        `worker ${label}: ${fmt(drained.rate)} images/s over a backlog of ${backlog} (${fmt(result.worker[label].ratioToSharp, 2)} of the sharp limit), CPU ${fmt(drained.cpuMsPerImage, 0)} ms/image in the worker (sharp alone ${fmt(result.sharp[label]?.cpuMsPerImage, 0)}) + ${fmt(drained.serviceCpuMsPerImage, 0)} in S3/broker, worker RSS peak ${fmt(drained.proc.rss.worker.peak, 0)} MiB, foreign CPU ${fmt(drained.proc.foreignCpuPct, 0)}%`,
      );
      // The next photo's uploads are measured without a worker competing for the CPU.
      await worker.stop();
      worker = undefined;
    }

    worker = await startImgr('worker', imgrEnv());
    const named = { api: api.pid, worker: worker.pid };
    if (settings.only.has('serve')) {
      const id = photos['3mp'].sampleId;
      const variantUrl = `${api.url}/image/${id}/big`;
      const first = await send(httpAgent, { url: variantUrl });
      const etag = first.headers.etag;
      const get = await rawLimit(raw, (client) =>
        rawGet(client, `big/${id}`, { concurrency: settings.getConcurrency, durationMs: settings.seconds * 1000 }),
      );
      const serve = await observed(named, () =>
        closedLoop({
          concurrency: settings.getConcurrency,
          durationMs: settings.seconds * 1000,
          task: async () => {
            const answer = await send(httpAgent, { url: variantUrl });
            return { ok: answer.status === 200 && answer.bytes === first.bytes, status: answer.status };
          },
        }),
      );
      const revalidate = await observed(named, () =>
        closedLoop({
          concurrency: settings.getConcurrency,
          durationMs: settings.seconds * 1000,
          task: async () => {
            const answer = await send(httpAgent, { url: variantUrl, headers: { 'if-none-match': etag } });
            return { ok: answer.status === 304, status: answer.status };
          },
        }),
      );
      result.serve = {
        variantBytes: first.bytes,
        rawGet: { client: get.client, rate: get.rate, latency: get.latency, errors: get.errors, byClient: get.byClient },
        variant: { rate: serve.result.rate, latency: summarize(serve.result.latencies), errors: serve.result.errors },
        notModified: { rate: revalidate.result.rate, latency: summarize(revalidate.result.latencies), errors: revalidate.result.errors },
        ratioToRawGet: serve.result.rate / get.rate,
      };
      result.proc.serve = serve.proc;
      result.proc['serve-304'] = revalidate.proc;
      log(
        `serve big (${first.bytes} B): ${fmt(serve.result.rate)}/s vs raw S3 GET ${fmt(get.rate)}/s (${fmt(result.serve.ratioToRawGet, 2)}; ${clientRates(get)}), 304: ${fmt(revalidate.result.rate)}/s, API RSS peak ${fmt(serve.proc.rss.api.peak, 0)} MiB`,
      );
    }

    if (settings.only.has('pipeline')) {
      result.pipeline = {};
      const upload = multipartFile(photos['3mp'].bytes, 'photo-3mp.jpg');
      const pipeAgent = agent(256);
      for (const rate of settings.rates) {
        const run = await observed(named, () =>
          pipelineRun({
            base: api.url,
            httpAgent: pipeAgent,
            upload,
            ratePerSec: rate,
            durationMs: settings.pipelineSeconds * 1000,
            pollMs: settings.pollMs,
          }),
        );
        const lat = summarize(run.result.latencies);
        const gaps = run.result.latencies.map((ms, i) => ms - run.result.lowerBounds[i]);
        result.pipeline[rate] = {
          ...run.result,
          latency: lat,
          lowerBound: summarize(run.result.lowerBounds),
          granularity: summarize(gaps),
          upload: summarize(run.result.uploadLatencies.filter(Number.isFinite)),
          proc: run.proc,
        };
        result.proc[`pipeline-${rate}`] = run.proc;
        log(
          `pipeline ${rate}/s: ${run.result.ready}/${run.result.count} ready${run.result.failed ? ` (${run.result.failures.join(', ')})` : ''}, p50 ${fmt(lat.p50)} p95 ${fmt(lat.p95)} p99 ${fmt(lat.p99)} max ${fmt(lat.max)} ms (lower bound p99 ${fmt(result.pipeline[rate].lowerBound.p99)}), RSS api ${fmt(run.proc.rss.api.peak, 0)} worker ${fmt(run.proc.rss.worker.peak, 0)} MiB, foreign CPU ${fmt(run.proc.foreignCpuPct, 0)}%`,
        );
      }
      pipeAgent.destroy();
    }
  } finally {
    await worker?.stop();
    await api.stop();
    httpAgent.destroy();
    await emptyBucket(client, bucket);
  }
  return result;
}

/** Deletes the objects of the given images (the test cluster keeps every byte in memory). */
async function deleteImages(client, ids) {
  const keys = ids.flatMap((id) => ['original', 'big', 'medium', 'small', 'tiny'].map((kind) => `${kind}/${id}`));
  for (let i = 0; i < keys.length; i += 32) {
    await Promise.all(
      keys.slice(i, i + 32).map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch(() => undefined)),
    );
  }
}

async function main() {
  if (process.argv.includes('--report-only')) {
    // Rewrites docs/ from the last run's figures (e.g. after editing bench/notes.md).
    const results = JSON.parse(readFileSync(join(repoRoot, 'bench/results/latest.json'), 'utf8'));
    console.log(writeReport(results, { write: true }));
    writeResults('bench', benchFigures(results), benchRun(results));
    return;
  }
  const fixtures = setUp();
  const photos = {
    '3mp': { file: join(fixtures, 'photo-3mp.jpg') },
    '15mp': { file: join(fixtures, 'photo-15mp.jpg') },
  };
  for (const photo of Object.values(photos)) photo.bytes = readFileSync(photo.file);
  if (ownGateway) {
    gateway = await startGateway({ port: num('BENCH_RGW_PORT', 7481) });
    s3.endpoint = gateway.endpoint;
    log(`S3: a gateway of the benchmark's own on the Ceph cluster, ${gateway.endpoint}`);
  }
  const client = s3Client(s3);
  await removeStaleBuckets(client);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const started = new Date();
  const rounds = [];
  try {
    const raw = await rawClients(s3, bucket);
    for (let i = 0; i < settings.rounds; i++) rounds.push(await round(i, client, raw, photos));
    for (const rawClient of Object.values(raw)) await rawClient.dispose();
  } finally {
    log('cleaning up the benchmark bucket and vhost');
    await removeBucket(bucket, client).catch((error) => log(`cleanup: ${error.message}`));
    try {
      sh('rabbitmqctl', ['-q', 'delete_vhost', VHOST]);
    } catch {
      // left for the next run, which deletes it first
    }
    client.destroy();
    await gateway?.stop();
  }
  const results = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: machineInfo(),
    settings: { ...settings, only: [...settings.only] },
    imgrEnv: processEnv(),
    roleEnv: { api: processEnv('api'), worker: processEnv('worker') },
    photos: Object.fromEntries(
      Object.entries(photos).map(([k, p]) => [k, { file: p.file.slice(repoRoot.length + 1), bytes: p.bytes.length }]),
    ),
    s3: ownGateway ? 'own-gateway' : 'shared-gateway',
    commit: app.commit,
    rounds,
  };
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  // A print-only run (BENCH_NO_DOCS=1) keeps latest.json, the figures behind the docs, as it is.
  const write = process.env.BENCH_NO_DOCS !== '1';
  writeFileSync(join(repoRoot, `bench/results/${write ? 'latest' : 'print-only'}.json`), `${JSON.stringify(results, null, 1)}\n`);
  const summary = writeReport(results, { write });
  console.log(`\n${summary}`);
  // The report's figures, from a full run only (a print-only or one-phase run measures a part).
  if (write && settings.only.size === 5) writeResults('bench', benchFigures(results), benchRun(results));
}

await main();
