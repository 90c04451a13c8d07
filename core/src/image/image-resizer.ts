import sharp, { type ResizeOptions, type Sharp } from 'sharp';
import type { VariantName } from '../variants.js';
import { decodeOptions, HEADER_ONLY, type ImageLimits, restrictLoaders } from './decode-budget.js';
import { IMAGE_FORMATS, type ImageFormat } from './image-format.js';
import { type AlternateFormat, alternatesFor, encodeAlternates, type RenderedAlternate } from './modern-formats.js';

export interface VariantSpec {
  name: VariantName;
  box: number;
}

export interface RenderedVariant extends VariantSpec {
  body: Buffer;
  contentType: string;
  width: number;
  height: number;
  /** WebP/AVIF copies of this size, when asked for and smaller (modern-formats.ts). */
  alternates: RenderedAlternate[];
}

export interface RenderOptions {
  /** WebP/AVIF copies of still images to encode from the same decode (none by default). */
  alternates?: readonly AlternateFormat[];
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
  restrictLoaders();
}

const fitInside = (box: number): ResizeOptions => ({ width: box, height: box, fit: 'inside', withoutEnlargement: true });

/** Size of an image of `width` x `height` shrunk to fit in `box`, never enlarged, rounded as a whole. */
function fitDimensions(width: number, height: number, box: number): { width: number; height: number } {
  const scale = Math.min(box / width, box / height, 1);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Frame timing kept from the original animation. */
interface Animation {
  loop: number | undefined;
  delay: number[] | undefined;
}

/** Same format out as in: the Content-Type of a variant is the original's. */
function encode(pipeline: Sharp, format: ImageFormat, animation?: Animation): Sharp {
  const timing = animation
    ? { ...(animation.loop !== undefined && { loop: animation.loop }), ...(animation.delay && { delay: animation.delay }) }
    : {};
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 82 });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'gif':
      return pipeline.gif(timing);
    case 'webp':
      return pipeline.webp({ quality: 80, ...timing });
    case 'avif':
      return pipeline.avif({ quality: 55, effort: 2 });
  }
}

/** A render that passed its time limit: the image will never render in time, whatever the retries. */
export class RenderTimeoutError extends Error {
  override readonly name = 'RenderTimeoutError';
}

const timedOut = (error: unknown): boolean => error instanceof Error && /^timeout: \d+% complete/.test(error.message);

/**
 * Renders every wanted size from one decode: the original is decoded once (its pixel count bounded
 * by the budget, its time by the limit), shrunk on load to the largest box, turned upright (EXIF
 * orientation) and into sRGB, and each variant is scaled from those pixels. Output carries no
 * metadata (no GPS or camera data leaks into variants). Animations keep every frame and their
 * timing: their frames are decoded once too, and every size is scaled from that one strip.
 */
export async function renderVariants(
  input: Buffer,
  format: ImageFormat,
  wanted: readonly VariantSpec[],
  limits: ImageLimits,
  options: RenderOptions = {},
): Promise<RenderedVariant[]> {
  if (wanted.length === 0) return [];
  try {
    return await render(input, format, wanted, limits, options);
  } catch (error) {
    if (timedOut(error)) throw new RenderTimeoutError(`render passed its ${limits.renderTimeoutSeconds} s limit`, { cause: error });
    throw error;
  }
}

async function render(
  input: Buffer,
  format: ImageFormat,
  wanted: readonly VariantSpec[],
  limits: ImageLimits,
  options: RenderOptions,
): Promise<RenderedVariant[]> {
  const sorted = [...wanted].sort((a, b) => b.box - a.box);
  const largest = sorted[0] as VariantSpec;
  const header = await sharp(input, HEADER_ONLY).metadata();
  const frames = header.pages ?? 1;
  const animated = frames > 1 && (format === 'gif' || format === 'webp');
  const timeout = { seconds: limits.renderTimeoutSeconds };

  const decoded = await (animated
    ? sharp(input, decodeOptions(limits, true)).resize(fitInside(largest.box))
    : sharp(input, decodeOptions(limits, false)).rotate().resize(fitInside(largest.box))
  )
    .toColourspace('srgb')
    .timeout(timeout)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = decoded.info;
  const raw = animated ? { width, height, channels, pageHeight: height / frames } : { width, height, channels };
  // Target sizes come from the original's upright dimensions, so rounding in the shared decode
  // never shifts a smaller size by a pixel.
  const quarterTurn = !animated && (header.orientation ?? 1) >= 5;
  const frameHeight = animated ? (header.pageHeight ?? height) : header.height;
  const uprightWidth = (quarterTurn ? frameHeight : header.width) ?? raw.width;
  const uprightHeight = (quarterTurn ? header.width : frameHeight) ?? raw.height;
  const animation = animated ? { loop: header.loop, delay: header.delay } : undefined;
  const alternateFormats = alternatesFor(format, animated).filter((alternate) => options.alternates?.includes(alternate));
  return Promise.all(
    sorted.map(async (spec) => {
      const target = fitDimensions(uprightWidth, uprightHeight, spec.box);
      const scaled = animated
        ? await scaleStrip(decoded.data, raw, target, frames, timeout)
        : alternateFormats.length > 0
          ? await scaledOnce(decoded.data, raw, target, timeout)
          : sharp(decoded.data, { raw }).resize({ ...target, fit: 'fill' });
      const { data, info } = await encode(scaled.clone(), format, animation).timeout(timeout).toBuffer({ resolveWithObject: true });
      const alternates = await encodeAlternates(scaled, alternateFormats, data.length, timeout);
      return {
        ...spec,
        body: data,
        contentType: IMAGE_FORMATS[format],
        width: info.width,
        height: info.pageHeight ?? info.height,
        alternates,
      };
    }),
  );
}

/** The size's pixels, scaled once: the encoders of its format and of its copies all start from them. */
async function scaledOnce(
  data: Buffer,
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  target: { width: number; height: number },
  timeout: { seconds: number },
): Promise<Sharp> {
  const pixels = await sharp(data, { raw })
    .resize({ ...target, fit: 'fill' })
    .timeout(timeout)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(pixels.data, { raw: { width: pixels.info.width, height: pixels.info.height, channels: pixels.info.channels } });
}

/** Scales the decoded strip of frames as one image, then hands it on as `frames` pages of the target size. */
async function scaleStrip(
  data: Buffer,
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  target: { width: number; height: number },
  frames: number,
  timeout: { seconds: number },
): Promise<Sharp> {
  const strip = await sharp(data, { raw })
    .resize({ width: target.width, height: target.height * frames, fit: 'fill' })
    .timeout(timeout)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(strip.data, {
    raw: { width: strip.info.width, height: strip.info.height, channels: strip.info.channels, pageHeight: target.height },
  });
}
