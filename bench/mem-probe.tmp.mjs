import { existsSync as existsSync0 } from 'node:fs';
// Peak RSS of one render of a given input, in a fresh process: node mem-probe.mjs <kind> <side> <frames>
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
const core = await import('/work/wt-int/core/dist/index.js');
const [kind, side, frames] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
let input;
const cached = `/tmp/probe-${kind}-${side}-${frames}`;
if (existsSync0(cached)) input = Buffer.alloc(0);
else if (kind === 'gif') {
  const one = await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } }).gif({ colours: 2, effort: 1 }).toBuffer();
  const u16 = (n) => Buffer.from([n & 255, n >> 8]);
  const frame = Buffer.concat([Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0, 0x2c]), u16(0), u16(0), u16(1), u16(1), Buffer.from([0, 2, 2, 0x44, 0x01, 0])]);
  input = Buffer.concat([one.subarray(0, -1), ...Array(frames - 1).fill(frame), Buffer.from([0x3b])]);
} else if (kind === 'png') {
  input = await sharp({ create: { width: side, height: frames, channels: 4, noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).png({ compressionLevel: 1 }).toBuffer();
} else {
  input = await sharp({ create: { width: side, height: frames, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg().toBuffer();
}
import { writeFileSync, existsSync } from 'node:fs';
const file = `/tmp/probe-${kind}-${side}-${frames}`;
if (!existsSync(file)) { writeFileSync(file, input); console.log('written'); process.exit(0); }
input = readFileSync(file);
sharp.cache(false);
const before = hwm();
const fmt = kind === 'gif' ? 'gif' : kind;
const t = process.cpuUsage();
const out = await core.renderVariants(input, fmt, core.VARIANTS.map((v) => ({ name: v.name, box: v.box })), core.DEFAULT_IMAGE_LIMITS);
const cpu = process.cpuUsage(t);
console.log(JSON.stringify({ kind, side, frames, inputBytes: input.length, hwmBeforeMb: Math.round(before), hwmAfterMb: Math.round(hwm()), cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2), outputs: out.length }));
