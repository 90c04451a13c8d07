import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ImageFormat } from './image-format.js';
import { stripPersonalMetadata } from './metadata-strip.js';

// Strings that must not survive: each sits in a different metadata container.
const SECRETS = {
  make: 'SecretCamMaker',
  serial: 'SN-4242-SECRET',
  artist: 'Jane Secret Author',
  gps: 'GPSSecretArea',
  xmp: 'XmpSecretCreator',
};

const xmpPacket = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>${SECRETS.xmp}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

/** A small photo-like image carrying Exif (camera, serial, author, GPS area), XMP, an ICC profile and an orientation. */
async function photoWithMetadata(format: 'jpeg' | 'png' | 'webp', orientation: number): Promise<Buffer> {
  const pixels = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = (i * 37) % 251;
  return sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } })
    .withExif({
      IFD0: { Make: SECRETS.make, Model: 'X1', Artist: SECRETS.artist },
      IFD2: { BodySerialNumber: SECRETS.serial },
      IFD3: { GPSAreaInformation: SECRETS.gps, GPSLatitudeRef: 'N' },
    })
    .withMetadata({ orientation })
    .withXmp(xmpPacket)
    .withIccProfile('p3')
    .toFormat(format, format === 'webp' ? { lossless: true } : {})
    .toBuffer();
}

async function rawPixels(bytes: Buffer): Promise<Buffer> {
  return sharp(bytes, { animated: true }).raw().toBuffer();
}

function expectNoSecrets(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

describe('stripPersonalMetadata', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`removes Exif, GPS and XMP from ${format}, keeps ICC, orientation and the exact pixels`, async () => {
      const original = await photoWithMetadata(format, 6);
      expect(original.toString('latin1')).toContain(SECRETS.serial); // the fixture does carry the secrets

      const stripped = await stripPersonalMetadata(original, format);

      expectNoSecrets(stripped);
      const before = await sharp(original).metadata();
      expect(before.orientation).toBe(6);
      expect(before.xmp).toBeDefined();
      const after = await sharp(stripped).metadata();
      expect(after.orientation).toBe(6);
      expect(after.icc?.equals(before.icc as Buffer)).toBe(true);
      expect(after.xmp).toBeUndefined();
      expect((await rawPixels(stripped)).equals(await rawPixels(original))).toBe(true);
      expect(stripped.length).toBeLessThan(original.length);
    });
  }

  it('writes no Exif at all when the orientation is the default', async () => {
    const stripped = await stripPersonalMetadata(await photoWithMetadata('jpeg', 1), 'jpeg');
    expect((await sharp(stripped).metadata()).exif).toBeUndefined();
  });

  it('drops the images phones append after the main JPEG (each with its own Exif)', async () => {
    const main = await photoWithMetadata('jpeg', 1);
    const appended = Buffer.concat([main, await photoWithMetadata('jpeg', 1)]);
    const stripped = await stripPersonalMetadata(appended, 'jpeg');
    expectNoSecrets(stripped);
    expect((await rawPixels(stripped)).equals(await rawPixels(main))).toBe(true);
  });

  it('drops PNG text chunks', async () => {
    const png = await photoWithMetadata('png', 1);
    // A tEXt chunk "Author\0<secret>" inserted before IEND.
    const data = Buffer.from(`Author\0${SECRETS.artist}`, 'latin1');
    const chunk = Buffer.alloc(12 + data.length);
    chunk.writeUInt32BE(data.length, 0);
    chunk.write('tEXt', 4, 'latin1');
    data.copy(chunk, 8);
    const withText = Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
    expectNoSecrets(await stripPersonalMetadata(withText, 'png'));
  });

  it('drops GIF comments and XMP application blocks, keeps the loop block and every frame', async () => {
    const frames = Buffer.alloc(8 * 8 * 4 * 3);
    for (let i = 0; i < frames.length; i += 1) frames[i] = i % 4 === 3 ? 255 : (i * 13) % 256;
    const gif = await sharp(frames, { raw: { width: 8, height: 24, channels: 4 } })
      .gif({ loop: 0 })
      .toBuffer({ resolveWithObject: false });
    const animated = await sharp(gif).toBuffer();
    const comment = Buffer.concat([Buffer.from([0x21, 0xfe, SECRETS.artist.length]), Buffer.from(SECRETS.artist), Buffer.from([0])]);
    const xmp = Buffer.concat([
      Buffer.from([0x21, 0xff, 11]),
      Buffer.from('XMP DataXMP'),
      Buffer.from([SECRETS.xmp.length]),
      Buffer.from(SECRETS.xmp),
      Buffer.from([0]),
    ]);
    const trailer = animated.length - 1;
    const withMetadata = Buffer.concat([animated.subarray(0, trailer), comment, xmp, animated.subarray(trailer)]);
    const stripped = await stripPersonalMetadata(withMetadata, 'gif');
    expectNoSecrets(stripped);
    expect((await rawPixels(stripped)).equals(await rawPixels(animated))).toBe(true);
  });

  it('refuses a JPEG whose segments run past the end instead of storing half of it', async () => {
    const jpeg = await photoWithMetadata('jpeg', 1);
    const broken = Buffer.concat([jpeg.subarray(0, 4), Buffer.from([0xff, 0xff]), jpeg.subarray(6, 40)]);
    await expect(stripPersonalMetadata(broken, 'jpeg' as ImageFormat)).rejects.toThrow();
  });
});
