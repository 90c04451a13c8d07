// Turns the measured rounds into docs/benchmarks.md and docs/benchmarks-latency.svg.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './imgr.mjs';
import { percentile, spread, summarize } from './stats.mjs';

function quiet(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo() {
  const cpu = os.cpus();
  const sharpVersions = JSON.parse(
    quiet(process.execPath, ['--input-type=module', '-e', "import s from 'sharp'; console.log(JSON.stringify(s.versions))"]) || '{}',
  );
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    os: existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : os.type(),
    node: process.version,
    sharp: sharpVersions.sharp ?? 'unknown',
    libvips: sharpVersions.vips ?? 'unknown',
    rabbitmq: quiet('rabbitmqctl', ['version']),
    ceph: quiet('ceph', ['--version']).replace(/ \(.*$/, ''),
    // The OSD's object store as the cluster was configured (scripts/services/ceph-s3.sh).
    objectStore: quiet('grep', ['-Po', '(?<=^osd objectstore = ).*', '/tmp/imgr-ceph/ceph.conf']).trim() || 'unknown store',
  };
}

const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
/** "median (min–max)" of one figure over the rounds. */
const sp = (values, d = 1) => {
  const s = spread(values);
  if (!Number.isFinite(s.median)) return 'n/a';
  return values.length > 1 ? `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})` : f(s.median, d);
};
const pct = (values) =>
  sp(
    values.map((v) => v * 100),
    0,
  );

/** Cumulative distribution of the pipeline latency, one line per rate, with the two targets. */
function latencySvg(series, title) {
  const width = 760;
  const height = 420;
  const m = { left: 64, right: 24, top: 44, bottom: 56 };
  const all = series.flatMap((s) => s.values);
  const xMax = Math.max(600, Math.ceil(Math.max(...all, 0) / 50) * 50);
  const x = (ms) => m.left + (ms / xMax) * (width - m.left - m.right);
  const y = (p) => height - m.bottom - p * (height - m.top - m.bottom);
  const colors = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>`,
  ];
  const step = xMax <= 600 ? 50 : xMax <= 1500 ? 100 : 250;
  for (let ms = 0; ms <= xMax; ms += step) {
    parts.push(`<line x1="${x(ms)}" y1="${y(0)}" x2="${x(ms)}" y2="${y(1)}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${x(ms)}" y="${y(0) + 16}" text-anchor="middle">${ms}</text>`);
  }
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(0)}" y1="${y(p)}" x2="${x(xMax)}" y2="${y(p)}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${x(0) - 6}" y="${y(p) + 4}" text-anchor="end">${Math.round(p * 100)}%</text>`);
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0.99)}" x2="${x(xMax)}" y2="${y(0.99)}" stroke="#8c959f" stroke-dasharray="2 3"/>`);
  parts.push(`<text x="${x(xMax) - 4}" y="${y(0.99) + 14}" text-anchor="end" fill="#57606a">99 %</text>`);
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(xMax)}" y2="${y(0)}" stroke="#57606a"/>`);
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(1)}" stroke="#57606a"/>`);
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 14}" text-anchor="middle">time from upload request to all four variants answering 200 (ms)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">share of uploads ready</text>`,
  );
  series.forEach((s, i) => {
    const color = colors[i % colors.length];
    if (s.target !== undefined) {
      parts.push(`<line x1="${x(s.target)}" y1="${y(0)}" x2="${x(s.target)}" y2="${y(1)}" stroke="${color}" stroke-dasharray="5 4"/>`);
      parts.push(
        `<text x="${x(s.target) - 4}" y="${y(0.06)}" text-anchor="end" fill="${color}">${s.label}: p99 target ${s.target} ms</text>`,
      );
    }
    const sorted = [...s.values].sort((a, b) => a - b);
    if (sorted.length === 0) return;
    let d = `M${x(sorted[0]).toFixed(1)},${y(0).toFixed(1)}`;
    sorted.forEach((v, k) => {
      d += ` L${x(v).toFixed(1)},${y(k / sorted.length).toFixed(1)} L${x(v).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const p99 = percentile(sorted, 99);
    parts.push(`<circle cx="${x(p99)}" cy="${y(0.99)}" r="4" fill="${color}"/>`);
    parts.push(
      `<text x="${width - m.right - 8}" y="${y(0.5) + i * 18}" text-anchor="end" fill="${color}">${s.label}: p50 ${f(percentile(sorted, 50), 0)} ms, p99 ${f(p99, 0)} ms (n=${sorted.length})</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The variables one role sets beyond those common to both (NODE_OPTIONS), as the Nomad job sets them. */
function roleEnvText(results) {
  if (!results.roleEnv) return '';
  const parts = Object.entries(results.roleEnv).map(([role, env]) => {
    const own = Object.entries(env).filter(([k, v]) => results.imgrEnv[k] !== v);
    return own.length ? `${role}: ${own.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
  });
  return parts.some(Boolean) ? `; per role, as in the Nomad job: ${parts.filter(Boolean).join('; ')}` : '';
}

const mark = (ok) => (ok ? 'met' : '**missed**');

export function writeReport(results, { write }) {
  const r = results.rounds;
  const m = results.machine;
  const vals = (pick) => r.map(pick).filter((v) => v !== undefined && Number.isFinite(v));
  const has = (pick) => vals(pick).length > 0;
  /** One row per raw client, for the raw limit's `byClient` rates. */
  const clientLines = (pick) =>
    Object.keys(r.map(pick).find(Boolean) ?? {}).map((name) => `| … with ${name}, /s | ${sp(vals((x) => pick(x)?.[name]))} |`);
  const lines = [];
  const rows = [];
  const target = (name, measured, goal, ok) => rows.push(`| ${name} | ${measured} | ${goal} | ${ok === undefined ? 'n/a' : mark(ok)} |`);

  for (const label of ['3mp', '15mp']) {
    if (!has((x) => x.worker[label]?.ratioToSharp)) continue;
    const ratios = vals((x) => x.worker[label]?.ratioToSharp);
    target(
      `worker throughput, ${label.toUpperCase()} JPEG (share of the in-process sharp limit)`,
      `${pct(ratios)} % (${sp(vals((x) => x.worker[label]?.rate))} vs ${sp(vals((x) => x.sharp[label]?.rate))} images/s)`,
      '≥ 80 %',
      spread(ratios).median >= 0.8,
    );
  }
  const pipe = (rate) => r.map((x) => x.pipeline?.[rate]).filter(Boolean);
  if (pipe(5).length) {
    const p99 = pipe(5).map((p) => p.latency.p99);
    const failed = pipe(5).reduce((s, p) => s + p.failed, 0);
    target(
      'pipeline p99 at a steady 5 uploads/s (3 MP)',
      `${sp(p99, 0)} ms${failed ? `, ${failed} not ready` : ''}`,
      '≤ 250 ms',
      spread(p99).median <= 250 && failed === 0,
    );
  }
  if (pipe(10).length) {
    const p99 = pipe(10).map((p) => p.latency.p99);
    const failed = pipe(10).reduce((s, p) => s + p.failed, 0);
    const total = pipe(10).reduce((s, p) => s + p.count, 0);
    target(
      'pipeline at 10 uploads/s: all ready, p99',
      `${total - failed}/${total} ready, p99 ${sp(p99, 0)} ms`,
      'all ready, ≤ 500 ms',
      failed === 0 && spread(p99).median <= 500,
    );
  }
  for (const label of ['3mp', '15mp']) {
    if (!has((x) => x.upload[label]?.ratioToRawPut)) continue;
    const ratios = vals((x) => x.upload[label]?.ratioToRawPut);
    target(
      `uploads, ${label.toUpperCase()} JPEG (share of raw S3 PUT)`,
      `${pct(ratios)} % (${sp(vals((x) => x.upload[label]?.rate))} vs ${sp(vals((x) => x.rawPut[label]?.rate))} /s)`,
      '≥ 60 %',
      spread(ratios).median >= 0.6,
    );
  }
  if (has((x) => x.serve?.ratioToRawGet)) {
    const ratios = vals((x) => x.serve?.ratioToRawGet);
    target(
      'variant GETs (share of raw S3 GET)',
      `${pct(ratios)} % (${sp(
        vals((x) => x.serve?.variant.rate),
        0,
      )} vs ${sp(
        vals((x) => x.serve?.rawGet.rate),
        0,
      )} /s)`,
      '≥ 60 %',
      spread(ratios).median >= 0.6,
    );
  }
  const peak = (name) =>
    Math.max(...r.flatMap((x) => Object.values(x.proc).map((p) => p.rss[name]?.peak ?? Number.NaN)).filter(Number.isFinite));
  if (Number.isFinite(peak('api')))
    target('API resident memory under load (peak)', `${f(peak('api'), 0)} MiB`, '≤ 150 MB', peak('api') * 1.048576 <= 150);
  if (Number.isFinite(peak('worker')))
    target('worker resident memory under load (peak)', `${f(peak('worker'), 0)} MiB`, '≤ 300 MB', peak('worker') * 1.048576 <= 300);

  const s = results.settings;
  lines.push('# Benchmarks');
  lines.push('');
  lines.push(
    `Generated by \`npm run bench\` (bench/run.mjs) on ${results.started.slice(0, 16).replace('T', ' ')} UTC, measuring ${/^[0-9a-f]+$/.test(results.commit) ? `commit ${results.commit}` : results.commit}; ${r.length} round(s). Every figure is the median over the rounds with the lowest and highest round in brackets. Re-run the suite to regenerate this page and the chart; the raw figures of the last run are in \`bench/results/latest.json\` (not committed).`,
  );
  lines.push('');
  lines.push('## Machine');
  lines.push('');
  lines.push('| | |');
  lines.push('|---|---|');
  lines.push(`| CPU | ${m.cpuModel}, ${m.cores} cores (virtual machine) |`);
  lines.push(`| RAM | ${m.ramGiB} GiB |`);
  lines.push(`| OS | ${m.os}, Linux ${m.kernel} |`);
  lines.push(`| Node.js | ${m.node} |`);
  lines.push(`| sharp / libvips | ${m.sharp} / ${m.libvips} |`);
  lines.push(`| RabbitMQ | ${m.rabbitmq} |`);
  lines.push(
    `| S3 | Ceph RADOS Gateway ${m.ceph.replace('ceph version ', '')}: one mon, one OSD on ${m.objectStore ?? 'memstore'} (scripts/services/ceph-s3.sh)${results.s3 === 'own-gateway' ? '; the benchmark talks to a gateway process of its own on that cluster (scripts/services/ceph-s3.sh gateway), so other tests using or stopping the shared gateway do not disturb it' : ''} |`,
  );
  lines.push(
    `| imgr processes | one \`imgr api\`, one \`imgr worker\`; ${Object.entries(results.imgrEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}${roleEnvText(results)}; everything else at its default |`,
  );
  lines.push('');
  lines.push(
    'Everything runs on this one machine: imgr, RabbitMQ, Ceph (mon, OSD, gateway) and the load generator share the two cores, as on the machine the suites run on. The numbers are therefore a floor for a deployment where S3 and the broker have machines of their own.',
  );
  lines.push('');
  lines.push('## Results against the targets');
  lines.push('');
  lines.push('| measure | measured | target | |');
  lines.push('|---|---|---|---|');
  lines.push(...rows);
  lines.push('');
  if (pipe(5).length || pipe(10).length) {
    lines.push('![Pipeline latency distribution](benchmarks-latency.svg)');
    lines.push('');
  }

  lines.push('## Details');
  lines.push('');
  lines.push(
    `Closed-loop windows last ${s.seconds} s after 1 s of unrecorded warm-up; uploads run with ${s.uploadConcurrency} clients (imgr's default \`IMGR_MAX_CONCURRENT_UPLOADS\`), GETs with ${s.getConcurrency}. Photos: ${Object.entries(
      results.photos,
    )
      .map(([k, p]) => `${k.toUpperCase()} = \`${p.file}\` (${f(p.bytes / 1e6, 2)} MB)`)
      .join(', ')}.`,
  );
  lines.push('');
  lines.push('| figure | median (min–max) over rounds |');
  lines.push('|---|---|');
  for (const label of ['3mp', '15mp']) {
    if (has((x) => x.sharp[label]?.rate)) {
      lines.push(
        `| in-process sharp limit, ${label.toUpperCase()}: images/s (decode once, four encodes, worker concurrency) | ${sp(vals((x) => x.sharp[label]?.rate))} |`,
      );
      lines.push(
        `| … one image's render, ms | ${sp(
          vals((x) => x.sharp[label]?.msPerImage),
          0,
        )} |`,
      );
    }
    if (has((x) => x.worker[label]?.rate)) {
      lines.push(
        `| worker, ${label.toUpperCase()}: images with four sizes/s (draining a backlog from RabbitMQ and S3) | ${sp(vals((x) => x.worker[label]?.rate))} |`,
      );
      lines.push(
        `| … CPU per image: worker process / sharp alone / S3 gateway, OSD and broker, ms | ${sp(
          vals((x) => x.worker[label]?.cpuMsPerImage),
          0,
        )} / ${sp(
          vals((x) => x.sharp[label]?.cpuMsPerImage),
          0,
        )} / ${sp(
          vals((x) => x.worker[label]?.serviceCpuMsPerImage),
          0,
        )} |`,
      );
    }
    if (has((x) => x.rawPut[label]?.rate)) {
      lines.push(`| raw S3 PUT of the ${label.toUpperCase()} photo (the faster client), /s | ${sp(vals((x) => x.rawPut[label]?.rate))} |`);
      lines.push(...clientLines((x) => x.rawPut[label]?.byClient));
      lines.push(
        `| … latency p50 / p99, ms | ${sp(vals((x) => x.rawPut[label]?.latency.p50))} / ${sp(vals((x) => x.rawPut[label]?.latency.p99))} |`,
      );
    }
    if (has((x) => x.upload[label]?.rate)) {
      lines.push(`| uploads of the ${label.toUpperCase()} photo (POST /image → 201), /s | ${sp(vals((x) => x.upload[label]?.rate))} |`);
      lines.push(`| … MB/s | ${sp(vals((x) => x.upload[label]?.mbPerSec))} |`);
      lines.push(
        `| … latency p50 / p95 / p99, ms | ${sp(vals((x) => x.upload[label]?.latency.p50))} / ${sp(vals((x) => x.upload[label]?.latency.p95))} / ${sp(vals((x) => x.upload[label]?.latency.p99))} |`,
      );
      const errors = r.reduce((sum, x) => sum + (x.upload[label]?.errors ?? 0), 0);
      lines.push(`| … failed uploads, all rounds | ${errors} |`);
    }
  }
  if (has((x) => x.serve?.rawGet.rate)) {
    lines.push(
      `| raw S3 GET of the \`big\` variant (${r[0].serve.variantBytes} B), /s | ${sp(
        vals((x) => x.serve?.rawGet.rate),
        0,
      )} |`,
    );
    lines.push(...clientLines((x) => x.serve?.rawGet.byClient));
    lines.push(
      `| GET /image/<id>/big → 200, /s | ${sp(
        vals((x) => x.serve?.variant.rate),
        0,
      )} |`,
    );
    lines.push(
      `| … latency p50 / p99, ms | ${sp(vals((x) => x.serve?.variant.latency.p50))} / ${sp(vals((x) => x.serve?.variant.latency.p99))} |`,
    );
    lines.push(
      `| GET /image/<id>/big with If-None-Match → 304, /s | ${sp(
        vals((x) => x.serve?.notModified.rate),
        0,
      )} |`,
    );
    lines.push(
      `| … latency p50 / p99, ms | ${sp(vals((x) => x.serve?.notModified.latency.p50))} / ${sp(vals((x) => x.serve?.notModified.latency.p99))} |`,
    );
  }
  for (const rate of s.rates) {
    const runs = pipe(rate);
    if (!runs.length) continue;
    const total = runs.reduce((sum, p) => sum + p.count, 0);
    const ready = runs.reduce((sum, p) => sum + p.ready, 0);
    lines.push(`| pipeline at ${rate}/s: uploads ready / sent, all rounds | ${ready} / ${total} |`);
    lines.push(
      `| … p50 / p95 / p99 / max, ms | ${sp(
        runs.map((p) => p.latency.p50),
        0,
      )} / ${sp(
        runs.map((p) => p.latency.p95),
        0,
      )} / ${sp(
        runs.map((p) => p.latency.p99),
        0,
      )} / ${sp(
        runs.map((p) => p.latency.max),
        0,
      )} |`,
    );
    lines.push(
      `| … of which the upload (201), p50 / p99, ms | ${sp(
        runs.map((p) => p.upload.p50),
        0,
      )} / ${sp(
        runs.map((p) => p.upload.p99),
        0,
      )} |`,
    );
    lines.push(
      `| … lower bound p99 (last unsuccessful poll sent), ms | ${sp(
        runs.map((p) => p.lowerBound.p99),
        0,
      )} |`,
    );
  }
  lines.push('');
  lines.push(
    `Pipeline latency is measured from the scheduled start of each upload (arrivals are open-loop: a slow answer does not delay the next upload) to the arrival of the last of the four variants' 200 answers. While nothing is ready the suite sends one \`HEAD /image/<id>/big\` every ${s.pollMs} ms, or every 5 % of the time elapsed when that is longer (the worker stores the four sizes together, once all are rendered), then GETs all four. The reported figure is therefore an upper bound; the lower bound, the time the last unsuccessful poll was sent, is listed too. They differ by the poll interval plus the round trips of the last unsuccessful poll (a 404 for a size still being made costs the API three S3 requests), of the successful one and of the four GETs (p99 ${sp(vals((x) => x.pipeline?.[5]?.latency?.p99))} against ${sp(vals((x) => x.pipeline?.[5]?.lowerBound?.p99))} ms at 5/s here). The true time lies between the two.`,
  );
  lines.push('');
  lines.push(
    `Worker throughput is measured by uploading a backlog (${s.backlog} 3 MP images, ${Math.round((s.backlog * 2) / 3)} 15 MP images) with no worker running, then starting one worker and timing it from 10 % to 90 % of the backlog on its own task counter (\`imgr_tasks_total\`), so start-up and the tail do not count. The sharp limit runs the worker's own \`renderVariants\` on the photo in memory, with the same concurrency, libvips settings and environment, in a process of its own, right before the worker drains, so both see about the same machine. Uploads are measured with no worker running, as the raw S3 PUTs they are compared with.`,
  );
  lines.push('');
  lines.push('### Resident memory (VmRSS, MiB, peak of 10 samples/s) and CPU contention per phase');
  lines.push('');
  const phases = [...new Set(r.flatMap((x) => Object.keys(x.proc)))];
  const names = ['api', 'worker', 'radosgw', 'ceph-osd', 'rabbitmq'];
  lines.push(`| phase | ${names.join(' | ')} | CPU used by other processes |`);
  lines.push(`|---|${names.map(() => '---|').join('')}---|`);
  for (const phase of phases) {
    const procs = r.map((x) => x.proc[phase]).filter(Boolean);
    const cells = names.map((n) => {
      const peaks = procs.map((p) => p.rss[n]?.peak).filter((v) => Number.isFinite(v));
      return peaks.length ? f(Math.max(...peaks), 0) : '–';
    });
    lines.push(
      `| ${phase} | ${cells.join(' | ')} | ${sp(
        procs.map((p) => p.foreignCpuPct),
        0,
      )} % |`,
    );
  }
  lines.push('');
  lines.push(
    'The last column is the share of both cores used by processes outside the benchmark during the phase (machine busy time from /proc/stat minus the CPU time of imgr, Ceph, RabbitMQ and the load generator). Other test suites ran on this machine at the same time; phases with a high figure there ran slower than an idle machine would, which is why every figure is given with its spread over rounds. Load on the shared Ceph gateway and broker caused by those tests counts as ours and cannot be separated.',
  );
  lines.push('');
  const notes = join(repoRoot, 'bench/notes.md');
  if (existsSync(notes)) {
    lines.push(readFileSync(notes, 'utf8').trim());
    lines.push('');
  }
  const markdown = `${lines.join('\n')}\n`;
  if (write) {
    writeFileSync(join(repoRoot, 'docs/benchmarks.md'), markdown);
    const series = s.rates
      .map((rate, i) => ({
        label: `${rate} uploads/s`,
        values: pipe(rate).flatMap((p) => p.latencies),
        target: [250, 500][i],
      }))
      .filter((x) => x.values.length);
    if (series.length)
      writeFileSync(
        join(repoRoot, 'docs/benchmarks-latency.svg'),
        latencySvg(series, `imgr pipeline latency, 3 MP JPEG, all rounds (${m.cores} cores, everything on one machine)`),
      );
  }
  return ['Results against the targets:', ...rows].join('\n');
}

export { summarize };
