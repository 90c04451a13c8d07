import { ALTERNATE_FORMATS, type AlternateFormat, IMAGE_FORMATS } from '@imgr/core';

/** Types of the sizes in an original's format: a client that names one above WebP/AVIF keeps it. */
const LEGACY_TYPES: readonly string[] = [IMAGE_FORMATS.jpeg, IMAGE_FORMATS.png, IMAGE_FORMATS.gif];

/** Media ranges longer than this are ignored: no real client sends a hundred. */
const MAX_RANGES = 64;

/** `type/subtype` to its quality, for the ranges an Accept header names; the highest q wins for repeats. */
export function parseAccept(header: string | undefined): Map<string, number> {
  const qualities = new Map<string, number>();
  if (!header) return qualities;
  for (const range of header.split(',').slice(0, MAX_RANGES)) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$/.test(type) && type !== '*/*') continue;
    let quality = 1;
    for (const param of params) {
      const match = param.match(/^q\s*=\s*([01](?:\.\d{0,3})?)$/);
      if (match) quality = Math.min(1, Number(match[1]));
    }
    qualities.set(type, Math.max(quality, qualities.get(type) ?? 0));
  }
  return qualities;
}

/**
 * The WebP/AVIF copies to try for a size, best first; empty means the size in the original's format,
 * exactly as the original application served it.
 *
 * Only a type the client names counts: `*\/*` and `image/*` never select a copy, since a wildcard says
 * nothing about which decoders a client has (curl, scripts and old browsers send it). Browsers that
 * decode AVIF and WebP name them (`image/avif,image/webp,*\/*`). A copy with `q=0` is refused; a
 * client that rates a legacy type (JPEG, PNG, GIF) above a copy keeps the legacy one. At equal q,
 * AVIF comes first: on the corpus it is the smaller (docs/benchmarks.md, "Modern formats").
 */
export function acceptedAlternates(header: string | undefined): AlternateFormat[] {
  const qualities = parseAccept(header);
  const legacy = Math.max(0, ...LEGACY_TYPES.map((type) => qualities.get(type) ?? 0));
  const ranked = ALTERNATE_FORMATS.map((format, order) => ({ format, order, quality: qualities.get(IMAGE_FORMATS[format]) ?? 0 }))
    .filter((candidate) => candidate.quality > 0 && candidate.quality >= legacy)
    .sort((a, b) => b.quality - a.quality || a.order - b.order);
  return ranked.map((candidate) => candidate.format);
}

/** Adds `Accept` to the response's Vary, keeping what another hook put there (CORS adds `Origin` for some setups). */
export function varyOnAccept(reply: { getHeader(name: string): unknown; header(name: string, value: string): unknown }): void {
  const current = reply.getHeader('vary');
  const names = typeof current === 'string' && current !== '' ? current.split(',').map((name) => name.trim()) : [];
  if (!names.some((name) => name.toLowerCase() === 'accept')) reply.header('vary', [...names, 'Accept'].join(', '));
}
