import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS } from './decode-budget.js';
import { probeImage } from './image-probe.js';
import { animatedGif, solidImage } from './test-images.js';

const limits = { ...DEFAULT_IMAGE_LIMITS, maxPixels: 1_000_000, maxFrames: 5 };

describe('probeImage', () => {
  it('identifies an image and its dimensions from the header', async () => {
    expect(await probeImage(await solidImage(300, 200, 'png'), limits)).toEqual({
      format: 'png',
      contentType: 'image/png',
      width: 300,
      height: 200,
      frames: 1,
    });
  });

  it('counts the frames and the height of one frame of an animation', async () => {
    expect(await probeImage(await animatedGif(40, 30, 4, 100), limits)).toMatchObject({ format: 'gif', width: 40, height: 30, frames: 4 });
  });

  it('refuses more pixels than the limit', async () => {
    expect(await probeImage(await solidImage(1001, 1000, 'jpeg'), limits)).toEqual({
      problem: 'too-many-pixels',
      width: 1001,
      height: 1000,
    });
  });

  it('refuses more frames than the limit', async () => {
    expect(await probeImage(await animatedGif(10, 10, 6, 50), limits)).toEqual({ problem: 'too-many-frames', frames: 6 });
  });

  it('refuses a non-image and a truncated image', async () => {
    expect(await probeImage(Buffer.from('plain text'), limits)).toEqual({ problem: 'unsupported-type' });
    const jpeg = await solidImage(200, 200, 'jpeg');
    expect(await probeImage(jpeg.subarray(0, 100), limits)).toMatchObject({ problem: 'corrupt-image' });
  });

  it('refuses a header that lies about being a PNG', async () => {
    const fake = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('garbage garbage IEND')]);
    expect(await probeImage(fake, limits)).toMatchObject({ problem: 'corrupt-image' });
  });
});
