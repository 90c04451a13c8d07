import sharp from 'sharp';

/** The four sizes and their boxes, as the original application defines them. */
export const SIZES = { big: 1024, medium: 512, small: 256, tiny: 128 } as const;
export type SizeName = keyof typeof SIZES;

/** Expected size of a variant: fit inside the box, aspect ratio kept, never enlarged. */
export function fitBox(width: number, height: number, box: number): [number, number] {
  const scale = Math.min(box / width, box / height, 1);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** The four variants of an image once all of them are served, or `undefined` while any is missing. */
export async function variantsReady(base: string, id: string): Promise<Record<SizeName, Buffer> | undefined> {
  const bodies: Partial<Record<SizeName, Buffer>> = {};
  for (const name of Object.keys(SIZES) as SizeName[]) {
    const response = await fetch(`${base}/image/${id}/${name}`);
    if (response.status !== 200) {
      await response.arrayBuffer();
      return undefined;
    }
    bodies[name] = Buffer.from(await response.arrayBuffer());
  }
  return bodies as Record<SizeName, Buffer>;
}

export type Rgba = [number, number, number, number];

/**
 * Decoded pixels as stored, with no rotation and no colour management applied (the numbers in
 * the file), so tests see exactly what a naive viewer would show.
 */
export async function pixels(image: Buffer) {
  const { data, info } = await sharp(image).keepIccProfile().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    /** The pixel at a fraction of the width and height (0..1), as [r, g, b, a]. */
    at(fx: number, fy: number): Rgba {
      const x = Math.min(info.width - 1, Math.floor(fx * info.width));
      const y = Math.min(info.height - 1, Math.floor(fy * info.height));
      const offset = (y * info.width + x) * 4;
      return [data[offset] ?? 0, data[offset + 1] ?? 0, data[offset + 2] ?? 0, data[offset + 3] ?? 0];
    },
  };
}

/** Largest difference of the colour channels of two pixels. */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(...[0, 1, 2].map((i) => Math.abs((a[i] ?? 0) - (b[i] ?? 0))));
}
