import sharp, { type Metadata } from 'sharp';
import { detectFormat, IMAGE_FORMATS, type ImageFormat, looksComplete } from './image-format.js';

export interface ImageLimits {
  /** Pixels of one frame, e.g. 50 000 000 (a 50 MP photo). */
  maxPixels: number;
  /** Animation frames, e.g. 300. */
  maxFrames: number;
}

export interface ProbedImage {
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
  frames: number;
}

export type ProbeFailure =
  | { problem: 'unsupported-type' }
  | { problem: 'corrupt-image'; detail: string }
  | { problem: 'too-many-pixels'; width: number; height: number }
  | { problem: 'too-many-frames'; frames: number };

/**
 * Identifies an upload from its bytes and reads its header (no pixel decode), so limits are
 * enforced before anything is stored or queued.
 */
export async function probeImage(bytes: Buffer, limits: ImageLimits): Promise<ProbedImage | ProbeFailure> {
  const format = detectFormat(bytes);
  if (!format) return { problem: 'unsupported-type' };
  if (!looksComplete(format, bytes)) return { problem: 'corrupt-image', detail: 'the file is truncated' };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { animated: true, limitInputPixels: false }).metadata();
  } catch (error) {
    return { problem: 'corrupt-image', detail: (error as Error).message };
  }
  const width = metadata.width ?? 0;
  const frames = metadata.pages ?? 1;
  // For animations sharp reports the stacked height; one frame is pageHeight tall.
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width <= 0 || height <= 0) return { problem: 'corrupt-image', detail: 'the header has no dimensions' };
  if (width * height > limits.maxPixels) return { problem: 'too-many-pixels', width, height };
  if (frames > limits.maxFrames) return { problem: 'too-many-frames', frames };
  return { format, contentType: IMAGE_FORMATS[format], width, height, frames };
}
