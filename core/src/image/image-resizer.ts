import sharp, { type ResizeOptions, type Sharp } from 'sharp';
import type { VariantName } from '../sizes.js';
import { IMAGE_FORMATS, type ImageFormat } from './image-format.js';

export interface VariantSpec {
  name: VariantName;
  box: number;
}

export interface RenderedVariant extends VariantSpec {
  body: Buffer;
  contentType: string;
  width: number;
  height: number;
}

export interface ResizerTuning {
  /** libvips worker threads per image; 0 lets libvips pick (one per core). */
  concurrency: number;
  /** libvips operation cache, in MB. */
  cacheMb: number;
}

/** Process-wide libvips settings, applied once at start from the configuration. */
export function tuneResizer(tuning: ResizerTuning): void {
  if (tuning.concurrency > 0) sharp.concurrency(tuning.concurrency);
  sharp.cache({ memory: tuning.cacheMb, files: 0, items: 100 });
}

const fitInside = (box: number): ResizeOptions => ({ width: box, height: box, fit: 'inside', withoutEnlargement: true });

/** Size of an image of `width` x `height` shrunk to fit in `box`, never enlarged, rounded as a whole. */
export function fitDimensions(width: number, height: number, box: number): { width: number; height: number } {
  const scale = Math.min(box / width, box / height, 1);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Same format out as in: the Content-Type of a variant is the original's. */
function encode(pipeline: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 82 });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'gif':
      return pipeline.gif();
    case 'webp':
      return pipeline.webp({ quality: 80 });
    case 'avif':
      return pipeline.avif({ quality: 55, effort: 2 });
  }
}

/**
 * Renders every wanted size from one decode: the original is decoded once, shrunk on load to the
 * largest box, turned upright (EXIF orientation) and into sRGB, and each variant is scaled from
 * those pixels. Output carries no metadata (no GPS or camera data leaks into variants).
 * Animations keep every frame and their timing; each size is scaled from the original frames.
 */
export async function renderVariants(input: Buffer, format: ImageFormat, wanted: readonly VariantSpec[]): Promise<RenderedVariant[]> {
  if (wanted.length === 0) return [];
  const sorted = [...wanted].sort((a, b) => b.box - a.box);
  const largest = sorted[0] as VariantSpec;
  const header = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
  const animated = (header.pages ?? 1) > 1 && (format === 'gif' || format === 'webp');

  if (animated) {
    return Promise.all(
      sorted.map(async (spec) => {
        const { data, info } = await encode(
          sharp(input, { animated: true, limitInputPixels: false }).resize(fitInside(spec.box)),
          format,
        ).toBuffer({
          resolveWithObject: true,
        });
        return { ...spec, body: data, contentType: IMAGE_FORMATS[format], width: info.width, height: info.pageHeight ?? info.height };
      }),
    );
  }

  const decoded = await sharp(input, { limitInputPixels: false, failOn: 'error' })
    .rotate()
    .resize(fitInside(largest.box))
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels };
  // Target sizes come from the original's upright dimensions, so rounding in the shared decode
  // never shifts a smaller size by a pixel.
  const quarterTurn = (header.orientation ?? 1) >= 5;
  const uprightWidth = (quarterTurn ? header.height : header.width) ?? raw.width;
  const uprightHeight = (quarterTurn ? header.width : header.height) ?? raw.height;
  return Promise.all(
    sorted.map(async (spec) => {
      const target = fitDimensions(uprightWidth, uprightHeight, spec.box);
      const { data, info } = await encode(sharp(decoded.data, { raw }).resize({ ...target, fit: 'fill' }), format).toBuffer({
        resolveWithObject: true,
      });
      return { ...spec, body: data, contentType: IMAGE_FORMATS[format], width: info.width, height: info.height };
    }),
  );
}
