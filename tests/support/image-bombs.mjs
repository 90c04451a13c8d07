// Images that are small on the wire and huge, or impossible, once decoded: for the hostile-input suite
// (through hostile-files.ts) and the bench's decode-cost measurement (bench/hostile-decode.mjs).
import sharp from 'sharp';

/** @param {number} n */
const le32 = (n) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(n);
  return bytes;
};
/** @param {number} n */
const le24 = (n) => Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255]);
/** @param {number} n */
const le16 = (n) => Buffer.from([n & 255, n >> 8]);
/**
 * @param {string} type
 * @param {Buffer} data
 */
const riffChunk = (type, data) => Buffer.concat([Buffer.from(type, 'latin1'), le32(data.length), data, Buffer.alloc(data.length % 2)]);

/**
 * An animated WebP whose canvas is `side` x `side` while each of its `frames` frames is 1 x 1: 284 bytes for 7000 and 5.
 * @param {number} side
 * @param {number} frames
 * @returns {Promise<Buffer>}
 */
export async function webpCanvasBomb(side, frames) {
  const one = await sharp({ create: { width: 1, height: 1, channels: 4, background: '#f00' } })
    .webp({ lossless: true })
    .toBuffer();
  const at = one.indexOf('VP8L');
  const pixels = one.subarray(at, at + 8 + one.readUInt32LE(at + 4));
  const frame = riffChunk('ANMF', Buffer.concat([le24(0), le24(0), le24(0), le24(0), le24(100), Buffer.from([0]), pixels]));
  const canvas = Buffer.concat([Buffer.from([0x12, 0, 0, 0]), le24(side - 1), le24(side - 1)]);
  const body = Buffer.concat([
    Buffer.from('WEBP'),
    riffChunk('VP8X', canvas),
    riffChunk('ANIM', Buffer.alloc(6)),
    ...Array.from({ length: frames }, () => frame),
  ]);
  return Buffer.concat([Buffer.from('RIFF'), le32(body.length), body]);
}

/**
 * A GIF whose first frame fills a `side` x `side` screen, then `frames - 1` frames of 1 x 1: ~40 KB for 7000 and 300.
 * @param {number} side
 * @param {number} frames
 * @returns {Promise<Buffer>}
 */
export async function gifScreenBomb(side, frames) {
  const first = await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } })
    .gif({ colours: 2, effort: 1 })
    .toBuffer();
  const frame = Buffer.concat([
    Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0, 0x2c]),
    le16(0),
    le16(0),
    le16(1),
    le16(1),
    Buffer.from([0, 2, 2, 0x44, 0x01, 0]),
  ]);
  return Buffer.concat([first.subarray(0, -1), ...Array.from({ length: frames - 1 }, () => frame), Buffer.from([0x3b])]);
}

/**
 * A PNG with a valid header and IEND whose compressed pixel data is overwritten with junk.
 * @returns {Promise<Buffer>}
 */
export async function undecodablePng() {
  const image = Buffer.from(
    await sharp({ create: { width: 256, height: 256, channels: 3, background: '#0f0' } })
      .png()
      .toBuffer(),
  );
  const idat = image.indexOf('IDAT');
  image.fill(0x55, idat + 4, idat + 40);
  return image;
}
