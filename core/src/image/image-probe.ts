import sharp, { type Metadata } from 'sharp';
import { decodeOptions, HEADER_ONLY, type ImageLimits } from './decode-budget.js';
import { detectFormat, IMAGE_FORMATS, type ImageFormat, looksComplete } from './image-format.js';

export interface ProbedImage {
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
  frames: number;
}

export type ProbeFailure =
  | { problem: 'unsupported-type' }
  /** `detail` is the decoder's own text: for logs, never for clients. */
  | { problem: 'corrupt-image'; detail: string }
  | { problem: 'too-many-pixels'; width: number; height: number }
  | { problem: 'too-many-frames'; frames: number }
  | { problem: 'animation-too-large'; width: number; height: number }
  | { problem: 'too-many-decoded-pixels'; width: number; height: number; frames: number };

/** Box of the door's trial decode: JPEG and WebP shrink on load to it, so the trial costs a fraction of a render. */
const TRIAL_BOX = 32;

/**
 * Identifies an upload from its bytes and reads its header, so the decode budget is enforced
 * before anything is stored or queued; then decodes it once at the smallest scale, bounded by the
 * budget and the time limit, so nothing that cannot be decoded is ever stored.
 */
export async function probeImage(bytes: Buffer, limits: ImageLimits): Promise<ProbedImage | ProbeFailure> {
  const format = detectFormat(bytes);
  if (!format) return { problem: 'unsupported-type' };
  if (!looksComplete(format, bytes)) return { problem: 'corrupt-image', detail: 'the file is truncated' };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, HEADER_ONLY).metadata();
  } catch (error) {
    return { problem: 'corrupt-image', detail: (error as Error).message };
  }
  const width = metadata.width ?? 0;
  const frames = metadata.pages ?? 1;
  // For animations sharp reports the stacked height; one frame is pageHeight tall.
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width <= 0 || height <= 0) return { problem: 'corrupt-image', detail: 'the header has no dimensions' };
  if (frames > limits.maxFrames) return { problem: 'too-many-frames', frames };
  // An animation's canvas first: its own, smaller cap is the one that tells the sender what to fix.
  if (frames > 1 && width * height > limits.maxAnimationPixels) return { problem: 'animation-too-large', width, height };
  if (width * height > limits.maxPixels) return { problem: 'too-many-pixels', width, height };
  if (width * height * frames > limits.maxDecodePixels) return { problem: 'too-many-decoded-pixels', width, height, frames };
  try {
    await sharp(bytes, decodeOptions(limits, frames > 1))
      .resize({ width: TRIAL_BOX, height: TRIAL_BOX, fit: 'inside' })
      .timeout({ seconds: limits.renderTimeoutSeconds })
      .raw()
      .toBuffer();
  } catch (error) {
    return { problem: 'corrupt-image', detail: (error as Error).message };
  }
  return { format, contentType: IMAGE_FORMATS[format], width, height, frames };
}
