// Structural similarity of two images of the same size, on luma, in 8x8 windows every 4 pixels
// (Wang et al. 2004, constants K1 = 0.01, K2 = 0.03). sharp has no SSIM operation; this is the
// plain definition, enough to compare encoders on the same pixels.
import sharp from 'sharp';

async function luma(input, width, height, raw) {
  const pipeline = raw ? sharp(input, { raw }) : sharp(input);
  return pipeline.resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer();
}

/** `reference` is raw pixels ({ data, info } from sharp); `encoded` a compressed image of the same size. */
export async function ssim(reference, encoded) {
  const { width, height, channels } = reference.info;
  const a = await luma(reference.data, width, height, { width, height, channels });
  const b = await luma(encoded, width, height);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let windows = 0;
  for (let y = 0; y + 8 <= height; y += 4) {
    for (let x = 0; x + 8 <= width; x += 4) {
      let meanA = 0;
      let meanB = 0;
      for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) meanA += a[(y + j) * width + x + i];
      for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) meanB += b[(y + j) * width + x + i];
      meanA /= 64;
      meanB /= 64;
      let varA = 0;
      let varB = 0;
      let cov = 0;
      for (let j = 0; j < 8; j++) {
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * width + x + i;
          varA += (a[k] - meanA) ** 2;
          varB += (b[k] - meanB) ** 2;
          cov += (a[k] - meanA) * (b[k] - meanB);
        }
      }
      varA /= 63;
      varB /= 63;
      cov /= 63;
      sum += ((2 * meanA * meanB + c1) * (2 * cov + c2)) / ((meanA ** 2 + meanB ** 2 + c1) * (varA + varB + c2));
      windows++;
    }
  }
  // An image smaller than one window (tiny sizes are at least 128 px on the long side) counts as identical.
  return windows ? sum / windows : 1;
}
