#!/usr/bin/env node
// WebP and AVIF copies of the sizes: bytes served per format for the four sizes of the corpus, the
// SSIM of each against the pixels it was encoded from (beside the JPEG's), the encoder settings
// tried, and the render cost with and without the copies, all measured in this one run with the
// worker's own code (renderVariants of @imgr/core; storage and queue excluded, they are the same
// with or without copies apart from the two extra PUTs per size).
//
//   npm run build && node bench/formats.mjs [--rounds 12] [--no-write]
//
// Writes docs/report/results/formats.json and the "Modern formats" section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALTERNATE_ENCODERS, DEFAULT_IMAGE_LIMITS, fitDimensions, renderVariants, tuneResizer, VARIANTS } from '@imgr/core';
import sharp from 'sharp';
import { repoRoot } from './lib/imgr.mjs';
import { ssim } from './lib/ssim.mjs';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '12' }, 'no-write': { type: 'boolean', default: false } },
});
const rounds = Number(args.rounds);
const fixtures = process.env.IMGR_FIXTURES ?? join(repoRoot, 'tests/fixtures/.cache');
if (!existsSync(join(fixtures, 'photo-3mp.jpg')))
  execFileSync(process.execPath, [join(repoRoot, 'tests/fixtures/make-fixtures.mjs')], { stdio: 'inherit' });
// The worker's settings: two renders at once, libvips threads as in production.
tuneResizer({ concurrency: 0, cacheMb: 50 });
const CORPUS = ['photo-3mp.jpg', 'photo-4mp.jpg', 'photo.png'];
const BENCH_IMAGE = 'photo-3mp.jpg';
const read = (file) => readFileSync(join(fixtures, file));
const formatOf = (file) => (file.endsWith('.png') ? 'png' : 'jpeg');

/** The pixels a size is encoded from, as the worker makes them (shrunk, upright, sRGB). */
async function scaledPixels(bytes, box) {
  const meta = await sharp(bytes).metadata();
  const target = fitDimensions(meta.width, meta.height, box);
  return sharp(bytes)
    .rotate()
    .resize({ ...target, fit: 'fill' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
}
const pipelineOf = (pixels) => sharp(pixels.data, { raw: pixels.info });

// 1. Bytes and SSIM of the four sizes, per format, with the settings imgr uses.
const sizes = [];
for (const file of CORPUS) {
  const bytes = read(file);
  const rendered = await renderVariants(bytes, formatOf(file), VARIANTS, DEFAULT_IMAGE_LIMITS, { alternates: ['avif', 'webp'] });
  for (const variant of rendered) {
    const pixels = await scaledPixels(bytes, variant.box);
    const jpeg = await pipelineOf(pixels).jpeg({ quality: 82 }).toBuffer();
    const row = {
      file,
      size: variant.name,
      stored: variant.body.length,
      storedType: variant.contentType,
      jpeg: jpeg.length,
      ssimJpeg: await ssim(pixels, jpeg),
    };
    for (const alternate of variant.alternates) {
      row[alternate.format] = alternate.body.length;
      row[`ssim_${alternate.format}`] = await ssim(pixels, alternate.body);
    }
    sizes.push(row);
  }
}
const total = (rows, key) => rows.reduce((sum, row) => sum + (row[key] ?? row.stored), 0);
const jpegRows = sizes.filter((row) => row.file === BENCH_IMAGE);

// 2. Settings tried, on the big size of each corpus image: bytes and SSIM against the JPEG at 82.
const CANDIDATES = {
  'webp q75 effort 2': (p) => p.webp({ quality: 75, effort: 2 }),
  'webp q80 effort 2': (p) => p.webp({ quality: 80, effort: 2 }),
  'webp q80 effort 4': (p) => p.webp({ quality: 80, effort: 4 }),
  'webp q85 effort 2': (p) => p.webp({ quality: 85, effort: 2 }),
  'avif q50 effort 0 4:2:0': (p) => p.avif({ quality: 50, effort: 0, chromaSubsampling: '4:2:0' }),
  'avif q60 effort 0 4:2:0': (p) => p.avif({ quality: 60, effort: 0, chromaSubsampling: '4:2:0' }),
  'avif q60 effort 0 4:4:4': (p) => p.avif({ quality: 60, effort: 0 }),
  'avif q65 effort 0 4:2:0': (p) => p.avif({ quality: 65, effort: 0, chromaSubsampling: '4:2:0' }),
  'avif q60 effort 2 4:2:0': (p) => p.avif({ quality: 60, effort: 2, chromaSubsampling: '4:2:0' }),
};
const candidates = [];
for (const file of CORPUS) {
  const pixels = await scaledPixels(read(file), 1024);
  const jpeg = await pipelineOf(pixels).jpeg({ quality: 82 }).toBuffer();
  const jpegSsim = await ssim(pixels, jpeg);
  for (const [name, encode] of Object.entries(CANDIDATES)) {
    const cpu = process.cpuUsage();
    const body = await encode(pipelineOf(pixels)).toBuffer();
    const used = process.cpuUsage(cpu);
    candidates.push({
      file,
      name,
      bytesVsJpeg: body.length / jpeg.length,
      ssimMinusJpeg: (await ssim(pixels, body)) - jpegSsim,
      cpuMs: (used.user + used.system) / 1000,
    });
  }
}

// 3. Render cost: the worker's renderVariants on the 3 MP JPEG, two at a time, with and without
// copies, alternating the two modes round by round so a neighbour's load falls on both alike.
async function renderRound(alternates, images) {
  const bytes = read(BENCH_IMAGE);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next++ < images) await renderVariants(bytes, 'jpeg', VARIANTS, DEFAULT_IMAGE_LIMITS, { alternates });
  };
  await Promise.all([lane(), lane()]);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { imagesPerS: images / seconds, cpuMsPerImage: (used.user + used.system) / 1000 / images };
}
const without = [];
const withCopies = [];
const webpOnly = [];
await renderRound(['avif', 'webp'], 2); // warm-up: libvips loads its encoders on first use
for (let round = 0; round < rounds; round++) {
  without.push(await renderRound([], 4));
  withCopies.push(await renderRound(['avif', 'webp'], 4));
  webpOnly.push(await renderRound(['webp'], 4));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const m = (list, key) => median(list.map((entry) => entry[key]));
// Per format alone, on the four sizes' pixels (no decode): what each copy adds.
const perFormatCpu = {};
const bytes3mp = read(BENCH_IMAGE);
const pixelsPerSize = await Promise.all(VARIANTS.map((variant) => scaledPixels(bytes3mp, variant.box)));
for (const [format, encode] of Object.entries(ALTERNATE_ENCODERS)) {
  const samples = [];
  for (let round = 0; round < Math.max(3, Math.floor(rounds / 2)); round++) {
    const cpu = process.cpuUsage();
    for (const pixels of pixelsPerSize) await encode(pipelineOf(pixels)).toBuffer();
    const used = process.cpuUsage(cpu);
    samples.push((used.user + used.system) / 1000);
  }
  perFormatCpu[format] = median(samples);
}

// Report.
const pct = (ratio) => `${((ratio - 1) * 100).toFixed(0)} %`;
const jpegBytes = total(jpegRows, 'stored');
const figures = {
  bytes_jpeg_four_sizes: { value: jpegBytes, unit: 'bytes', what: `the four sizes of ${BENCH_IMAGE} as JPEG (today's bytes)` },
  bytes_webp_four_sizes: { value: total(jpegRows, 'webp'), unit: 'bytes', what: `the four sizes of ${BENCH_IMAGE} as WebP` },
  bytes_avif_four_sizes: { value: total(jpegRows, 'avif'), unit: 'bytes', what: `the four sizes of ${BENCH_IMAGE} as AVIF` },
  webp_vs_jpeg_bytes: {
    value: total(jpegRows, 'webp') / jpegBytes,
    unit: 'ratio',
    what: 'WebP bytes / JPEG bytes, four sizes of the corpus JPEG',
  },
  avif_vs_jpeg_bytes: {
    value: total(jpegRows, 'avif') / jpegBytes,
    unit: 'ratio',
    what: 'AVIF bytes / JPEG bytes, four sizes of the corpus JPEG',
  },
  corpus_webp_vs_stored_bytes: {
    value: total(sizes, 'webp') / total(sizes, 'stored'),
    unit: 'ratio',
    what: `WebP / original-format bytes, four sizes of ${CORPUS.join(', ')}`,
  },
  corpus_avif_vs_stored_bytes: {
    value: total(sizes, 'avif') / total(sizes, 'stored'),
    unit: 'ratio',
    what: `AVIF / original-format bytes, four sizes of ${CORPUS.join(', ')}`,
  },
  min_ssim_webp_minus_jpeg: {
    value: Math.min(...sizes.map((row) => (row.ssim_webp ?? 1) - row.ssimJpeg)),
    unit: 'SSIM',
    what: 'worst WebP SSIM minus JPEG q82 SSIM over every size of the corpus',
  },
  min_ssim_avif_minus_jpeg: {
    value: Math.min(...sizes.map((row) => (row.ssim_avif ?? 1) - row.ssimJpeg)),
    unit: 'SSIM',
    what: 'worst AVIF SSIM minus JPEG q82 SSIM over every size of the corpus',
  },
  worker_images_per_s_today: {
    value: m(without, 'imagesPerS'),
    unit: 'images/s',
    what: `renders of ${BENCH_IMAGE} (four sizes, original format only), 2 at a time, median of ${rounds} rounds`,
  },
  worker_images_per_s_with_copies: { value: m(withCopies, 'imagesPerS'), unit: 'images/s', what: 'the same with the WebP and AVIF copies' },
  worker_throughput_ratio: {
    value: m(withCopies, 'imagesPerS') / m(without, 'imagesPerS'),
    unit: 'ratio',
    what: 'images/s with copies / images/s today, same run',
  },
  worker_images_per_s_webp_only: {
    value: m(webpOnly, 'imagesPerS'),
    unit: 'images/s',
    what: 'the same with the WebP copies only (IMGR_MODERN_FORMATS=webp)',
  },
  worker_cpu_ms_per_image_webp_only: {
    value: m(webpOnly, 'cpuMsPerImage'),
    unit: 'CPU ms',
    what: 'CPU time per image with the WebP copies only',
  },
  worker_cpu_ms_per_image_today: {
    value: m(without, 'cpuMsPerImage'),
    unit: 'CPU ms',
    what: 'CPU time (user + system, all threads) per image, today',
  },
  worker_cpu_ms_per_image_with_copies: {
    value: m(withCopies, 'cpuMsPerImage'),
    unit: 'CPU ms',
    what: 'CPU time per image with the copies',
  },
  worker_extra_ms_per_image: {
    value: 1000 / m(withCopies, 'imagesPerS') - 1000 / m(without, 'imagesPerS'),
    unit: 'ms',
    what: 'extra wall time per image at 2 renders at once',
  },
  webp_cpu_ms_four_sizes: {
    value: perFormatCpu.webp,
    unit: 'CPU ms',
    what: 'encoding the four WebP sizes of one image (pixels already scaled)',
  },
  avif_cpu_ms_four_sizes: {
    value: perFormatCpu.avif,
    unit: 'CPU ms',
    what: 'encoding the four AVIF sizes of one image (pixels already scaled)',
  },
};

const cpus = os.cpus();
const machine = `${cpus[0]?.model ?? 'cpu'} x${cpus.length}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`;
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
} catch {}
const result = { suite: 'formats', date: new Date().toISOString(), commit, machine, figures };

const lines = [
  '<!-- formats:begin (written by bench/formats.mjs) -->',
  '## Modern formats (WebP and AVIF copies of the sizes)',
  '',
  `\`node bench/formats.mjs\`, ${result.date.slice(0, 10)}, commit ${commit.slice(0, 12)}, ${machine}. Ratios are against today's bytes and today's renders measured in the same run.`,
  '',
  `Bytes served for the four sizes of ${BENCH_IMAGE}: JPEG ${jpegBytes} B, WebP ${figures.bytes_webp_four_sizes.value} B (${pct(figures.webp_vs_jpeg_bytes.value)}), AVIF ${figures.bytes_avif_four_sizes.value} B (${pct(figures.avif_vs_jpeg_bytes.value)}). Whole corpus (${CORPUS.join(', ')}): WebP ${pct(figures.corpus_webp_vs_stored_bytes.value)}, AVIF ${pct(figures.corpus_avif_vs_stored_bytes.value)} against the sizes in their original format (the PNG's are lossless PNG).`,
  '',
  '| image | size | stored (type) | WebP | AVIF | SSIM JPEG q82 | SSIM WebP | SSIM AVIF |',
  '|---|---|---|---|---|---|---|---|',
  ...sizes.map(
    (row) =>
      `| ${row.file} | ${row.size} | ${row.stored} (${row.storedType.slice(6)}) | ${row.webp ?? '–'} | ${row.avif ?? '–'} | ${row.ssimJpeg.toFixed(4)} | ${row.ssim_webp?.toFixed(4) ?? '–'} | ${row.ssim_avif?.toFixed(4) ?? '–'} |`,
  ),
  '',
  'Settings tried, big size (1024 px) of each corpus image, against the JPEG at quality 82 the sizes have always used:',
  '',
  "| setting | image | bytes vs JPEG | SSIM − JPEG's | CPU ms |",
  '|---|---|---|---|---|',
  ...candidates.map(
    (c) =>
      `| ${c.name} | ${c.file} | ${c.bytesVsJpeg.toFixed(2)} | ${c.ssimMinusJpeg >= 0 ? '+' : ''}${c.ssimMinusJpeg.toFixed(4)} | ${c.cpuMs.toFixed(0)} |`,
  ),
  '',
  `Worker cost, renders of ${BENCH_IMAGE} two at a time (median of ${rounds} alternating rounds): ${figures.worker_images_per_s_today.value.toFixed(2)} images/s today, ${figures.worker_images_per_s_with_copies.value.toFixed(2)} with the copies (× ${figures.worker_throughput_ratio.value.toFixed(2)}); CPU per image ${figures.worker_cpu_ms_per_image_today.value.toFixed(0)} ms → ${figures.worker_cpu_ms_per_image_with_copies.value.toFixed(0)} ms; +${figures.worker_extra_ms_per_image.value.toFixed(0)} ms of wall time per image. WebP copies only (\`IMGR_MODERN_FORMATS=webp\`): ${figures.worker_images_per_s_webp_only.value.toFixed(2)} images/s, ${figures.worker_cpu_ms_per_image_webp_only.value.toFixed(0)} CPU ms per image. Of that, the four WebP sizes take ${perFormatCpu.webp.toFixed(0)} CPU ms and the four AVIF sizes ${perFormatCpu.avif.toFixed(0)} CPU ms.`,
  '<!-- formats:end -->',
];
console.log(lines.join('\n'));
console.log(JSON.stringify(result, null, 2));
if (!args['no-write']) {
  mkdirSync(join(repoRoot, 'docs/report/results'), { recursive: true });
  writeFileSync(join(repoRoot, 'docs/report/results/formats.json'), `${JSON.stringify(result, null, 2)}\n`);
  const page = join(repoRoot, 'docs/benchmarks.md');
  const current = readFileSync(page, 'utf8');
  const block = lines.join('\n');
  const marked = /<!-- formats:begin[\s\S]*?<!-- formats:end -->/;
  writeFileSync(page, marked.test(current) ? current.replace(marked, block) : `${current.trimEnd()}\n\n${block}\n`);
}
