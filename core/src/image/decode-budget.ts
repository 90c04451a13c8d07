import sharp, { type SharpOptions } from 'sharp';
import type { Config } from '../config.js';

/** How much decoding one image may cost; checked from the header at the door and enforced by libvips. */
export interface ImageLimits {
  /** Pixels of one frame, e.g. 50 000 000 (a 50 MP photo). */
  maxPixels: number;
  /** Animation frames, e.g. 300. */
  maxFrames: number;
  /** Pixels decoded for the whole image, width x height x frames, e.g. 100 000 000. */
  maxDecodePixels: number;
  /** Canvas of an animation (width x height), e.g. 16 777 216 (4096 x 4096): every frame is composed on it. */
  maxAnimationPixels: number;
  /** Wall-clock seconds one libvips pipeline may run, e.g. 20; beyond, the image fails for good. */
  renderTimeoutSeconds: number;
}

/** The budget as configured (IMGR_MAX_PIXELS, IMGR_MAX_FRAMES, ...): the API, the worker and the bench read it here. */
export function imageLimitsOf(env: Config['env']): ImageLimits {
  return {
    maxPixels: env.IMGR_MAX_PIXELS,
    maxFrames: env.IMGR_MAX_FRAMES,
    maxDecodePixels: env.IMGR_MAX_DECODE_PIXELS,
    maxAnimationPixels: env.IMGR_MAX_ANIMATION_PIXELS,
    renderTimeoutSeconds: env.IMGR_RENDER_TIMEOUT_S,
  };
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxPixels: 50_000_000,
  maxFrames: 300,
  maxDecodePixels: 100_000_000,
  maxAnimationPixels: 16_777_216,
  renderTimeoutSeconds: 20,
});

/**
 * Input options of every decoding pipeline: libvips itself refuses more than the budget (for an
 * animation sharp counts the stacked frames, so this is width x height x frames), and a damaged
 * image fails instead of decoding to garbage.
 */
export function decodeOptions(limits: ImageLimits, animated: boolean): SharpOptions {
  return { animated, limitInputPixels: limits.maxDecodePixels, failOn: 'error' };
}

/**
 * Header reads decode no pixel; their numbers are what the budget is checked against, so the
 * header of a bomb must be readable. A finite bound all the same: no pipeline here is unlimited.
 */
export const HEADER_ONLY: SharpOptions = { animated: true, limitInputPixels: Number.MAX_SAFE_INTEGER };

/** Pixels in human units for error messages: `245 megapixels`, `0.5 megapixels`. */
export function megapixels(pixels: number): string {
  const value = pixels / 1_000_000;
  return `${value >= 10 ? Math.round(value) : Number(value.toFixed(1))} megapixels`;
}

/** The libvips loaders of the formats imgr accepts (from a buffer: imgr never opens files through libvips). */
const NEEDED_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadNsgifBuffer',
  'VipsForeignLoadWebpBuffer',
  'VipsForeignLoadHeifBuffer', // AVIF; libheif also reads HEIC, which the magic-byte check already refuses
];

/**
 * Blocks every other libvips loader (SVG, TIFF, PDF, matrix, vips, FITS, ...), so a file that gets
 * past the magic-byte check still cannot reach their parsers. Process-wide, once at start.
 */
export function restrictLoaders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: NEEDED_LOADERS });
}
