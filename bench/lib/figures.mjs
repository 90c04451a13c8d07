// The benchmark's headline figures for the report (docs/report/results/bench.json through
// tests/support/results.mjs): the median over the rounds of what docs/benchmarks.md lists against its targets.
import { spread } from './stats.mjs';

/** @returns {Record<string, { value: number, unit: string, what: string }>} */
export function benchFigures(results) {
  const r = results.rounds;
  const figures = {};
  const median = (name, unit, what, pick, scale = 1, digits = 1) => {
    const values = r.map((x) => {
      try {
        return pick(x);
      } catch {
        return undefined;
      }
    });
    const m = spread(values.filter((v) => typeof v === 'number')).median;
    if (Number.isFinite(m)) figures[name] = { value: Number((m * scale).toFixed(digits)), unit, what };
  };
  for (const label of ['3mp', '15mp']) {
    median(`worker_${label}_images_per_s`, 'images/s', `worker throughput, ${label.toUpperCase()} JPEG`, (x) => x.worker[label].rate);
    median(
      `worker_${label}_share_of_sharp_pct`,
      '%',
      `worker throughput as a share of in-process sharp, ${label.toUpperCase()}`,
      (x) => x.worker[label].ratioToSharp,
      100,
      0,
    );
    median(`upload_${label}_per_s`, 'uploads/s', `uploads accepted per second, ${label.toUpperCase()} JPEG`, (x) => x.upload[label].rate);
    median(
      `upload_${label}_share_of_raw_put_pct`,
      '%',
      `uploads as a share of raw S3 PUT, ${label.toUpperCase()}`,
      (x) => x.upload[label].ratioToRawPut,
      100,
      0,
    );
  }
  median('serve_variant_per_s', 'requests/s', 'variant GETs served per second', (x) => x.serve.variant.rate, 1, 0);
  median('serve_share_of_raw_get_pct', '%', 'variant GETs as a share of raw S3 GET', (x) => x.serve.ratioToRawGet, 100, 0);
  median('serve_304_per_s', 'requests/s', 'revalidations (304) per second', (x) => x.serve.notModified.rate, 1, 0);
  for (const rate of [5, 10]) {
    median(
      `pipeline_${rate}_per_s_p50_ms`,
      'ms',
      `upload to four sizes ready, median, at ${rate} uploads/s`,
      (x) => x.pipeline[rate].latency.p50,
      1,
      0,
    );
    median(
      `pipeline_${rate}_per_s_p99_ms`,
      'ms',
      `upload to four sizes ready, p99, at ${rate} uploads/s`,
      (x) => x.pipeline[rate].latency.p99,
      1,
      0,
    );
  }
  for (const role of ['api', 'worker']) {
    const peaks = r.flatMap((x) => Object.values(x.proc ?? {}).map((p) => p.rss?.[role]?.peak)).filter(Number.isFinite);
    if (peaks.length)
      figures[`${role}_peak_rss_mib`] = {
        value: Math.round(Math.max(...peaks)),
        unit: 'MiB',
        what: `${role} resident memory under load, peak`,
      };
  }
  return figures;
}

/** When, what and where the run measured, for writeResults. */
export function benchRun(results) {
  const m = results.machine;
  return {
    date: results.started,
    commit: results.commit,
    machine: `${m.os}, Linux ${m.kernel}, ${m.cores} CPUs (${m.cpuModel}), ${m.ramGiB} GiB`,
  };
}
