import sharp from 'sharp';

/** Small generated images for unit tests (integration tests use real photographs). */
export function solidImage(width: number, height: number, format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'): Promise<Buffer> {
  const pipeline = sharp({ create: { width, height, channels: 3, background: { r: 30, g: 120, b: 200 } } });
  return pipeline.toFormat(format).toBuffer();
}

export async function animatedGif(width: number, height: number, frames: number, delayMs: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: { r: (i * 80) % 255, g: 40, b: 90 } } })
        .raw()
        .toBuffer(),
    ),
  );
  return sharp(Buffer.concat(pages), { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
    .gif({ delay: Array(frames).fill(delayMs), loop: 0 })
    .toBuffer();
}
