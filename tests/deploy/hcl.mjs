// Parses the Nomad job files with HashiCorp's own HCL parser (compiled to WebAssembly in the npm
// package @cdktf/hcl2json, installed outside the repo by scripts/test.d/60-deploy-static.sh and
// found through IMGR_HCL2JSON_DIR), and gives helpers to walk the result.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.IMGR_HCL2JSON_DIR;
if (!dir) throw new Error('IMGR_HCL2JSON_DIR is not set (run through scripts/test.d/60-deploy-static.sh)');
const require = createRequire(join(dir, 'package.json'));
const { parse } = require('@cdktf/hcl2json');

/** Parses an HCL file into hcl2json's JSON shape: blocks become { label: [body] } maps. */
export async function parseHcl(path) {
  return parse(path, readFileSync(path, 'utf8'));
}

/** The single body of a labelled block: one(job.job, "imgr"). */
export function one(blocks, label) {
  const list = blocks?.[label];
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`expected one block "${label}"`);
  return list[0];
}

/** The single body of an unlabelled block (update, restart...), or undefined. */
export function block(body, name) {
  const list = body?.[name];
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`expected at most one "${name}" block`);
  return list[0];
}

/** Every body of a repeatable unlabelled block (check, template, mount...). */
export function blocks(body, name) {
  return body?.[name] ?? [];
}

/** "90s", "2m", "1h30m" -> milliseconds. */
export function durationMs(text) {
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== String(text)) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}
