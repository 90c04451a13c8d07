import type { Sharp } from 'sharp';
import { VARIANTS, type VariantName } from '../variants.js';
import { IMAGE_FORMATS, type ImageFormat } from './image-format.js';

/**
 * WebP and AVIF copies of each size, served to clients whose Accept names them. The size in the
 * original's format stays at `<size>/<id>`, as the original application laid it out; the copies sit
 * under their own prefix, `<format>/<size>/<id>`, so nothing that lists `big/` or `original/` sees them.
 */
export const ALTERNATE_FORMATS = ['avif', 'webp'] as const;

export type AlternateFormat = (typeof ALTERNATE_FORMATS)[number];

export function alternateKey(format: AlternateFormat, size: VariantName, id: string): string {
  return `${format}/${size}/${id}`;
}

/** Every copy an image may have, for deletes and expiry. */
export function allAlternateKeys(id: string): string[] {
  return VARIANTS.flatMap((variant) => ALTERNATE_FORMATS.map((format) => alternateKey(format, variant.name, id)));
}

export function isAlternateFormat(value: string): value is AlternateFormat {
  return (ALTERNATE_FORMATS as readonly string[]).includes(value);
}

/**
 * Encoder settings, chosen on the test corpus by bench/formats.mjs (docs/benchmarks.md, "Modern
 * formats"): the lowest quality whose SSIM stays within 0.011 of the JPEG at quality 82 that the
 * sizes have always used, on every size of every corpus image. Efforts are the cheap end: WebP
 * effort 2 costs half the CPU of the default 4 for 2-3 % more bytes, AVIF effort 0 a sixth of
 * effort 2 for 0-20 % more; AVIF in 4:2:0, as JPEG is, is smaller and cheaper than 4:4:4.
 */
export const ALTERNATE_ENCODERS: Record<AlternateFormat, (pipeline: Sharp) => Sharp> = {
  webp: (pipeline) => pipeline.webp({ quality: 80, effort: 2 }),
  avif: (pipeline) => pipeline.avif({ quality: 60, effort: 0, chromaSubsampling: '4:2:0' }),
};

/**
 * Copies worth making for an original: none for animations (an animated AVIF is poorly supported and
 * the animated WebP path would double the costliest renders), none of the original's own format.
 */
export function alternatesFor(format: ImageFormat, animated: boolean): AlternateFormat[] {
  if (animated) return [];
  return ALTERNATE_FORMATS.filter((alternate) => alternate !== format);
}

export interface RenderedAlternate {
  format: AlternateFormat;
  body: Buffer;
  contentType: string;
}

/**
 * Encodes the scaled pixels into each alternate format, keeping only the ones smaller than the size
 * in the original's format (a flat PNG graphic can be smaller than its lossy WebP: serving the
 * copy would cost bytes). A copy that fails or passes the time limit is dropped, never the size:
 * copies are an optimisation, the original's format is the contract.
 */
export async function encodeAlternates(
  scaled: Sharp,
  formats: readonly AlternateFormat[],
  mainBytes: number,
  timeout: { seconds: number },
): Promise<RenderedAlternate[]> {
  const encoded = await Promise.all(
    formats.map(async (format) => {
      try {
        const body = await ALTERNATE_ENCODERS[format](scaled.clone()).timeout(timeout).toBuffer();
        return body.length < mainBytes ? { format, body, contentType: IMAGE_FORMATS[format] } : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return encoded.filter((alternate) => alternate !== undefined);
}
