#!/usr/bin/env node
// The in-process sharp limit: the worker's own render (decode once, four encodes) on a buffer in
// memory, no storage, no queue, no HTTP, with the worker's concurrency and libvips settings.
// Run as a child process with the worker's environment. Usage: sharp-limit.mjs <file> <seconds>
// Prints one JSON line: { images, seconds, rate, msPerImage (median wall time), cpuMsPerImage }.
import { readFileSync } from 'node:fs';
import { detectFormat, imageLimitsOf, loadConfig, renderVariants, tuneResizer, VARIANTS } from '@imgr/core';

const [file, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 8);
const env = loadConfig({ ...process.env, CELERY_BROKER_URL: undefined }, 'all').env;
tuneResizer({ concurrency: env.IMGR_SHARP_CONCURRENCY, cacheMb: env.IMGR_SHARP_CACHE_MB });
const input = readFileSync(file);
const format = detectFormat(input);
if (!format) throw new Error(`${file}: not an image`);
// The worker's decode budget and its extra formats, read as the worker reads them.
const limits = imageLimitsOf(env);
const render = () => renderVariants(input, format, VARIANTS, limits, { alternates: env.IMGR_MODERN_FORMATS });

// Warm up (first calls load codecs and fill caches).
for (let i = 0; i < 3; i++) await render();

const concurrency = env.IMGR_WORKER_CONCURRENCY;
const cpuStart = process.cpuUsage();
const start = performance.now();
const end = start + seconds * 1000;
let images = 0;
const perImage = [];
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await render();
      perImage.push(performance.now() - t0);
      images++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
perImage.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    concurrency,
    images,
    seconds: elapsed,
    rate: images / elapsed,
    msPerImage: perImage[Math.floor(perImage.length / 2)],
    cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images,
  }),
);
