import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourDistance, fitBox, pixels, SIZES, type SizeName, variantsReady } from '../support/images.js';
import { removeBucket } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, startImgr, uploadFile, waitFor } from '../support/services.js';

// The corpus of tests/fixtures/make-fixtures.mjs, uploaded to a real `imgr api` and resized by a
// real `imgr worker` through RabbitMQ and Ceph S3. Every size of every file is checked for its
// dimensions, its orientation (by pixels), its colours, its frames and its lack of metadata.

const bucket = `imgr-corpus-${Date.now().toString(36)}`;
const VARIANT_NAMES = Object.keys(SIZES) as SizeName[];
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

/** "P3" in UTF-16, as the description of a Display P3 ICC profile spells it. */
const P3_NAME = Buffer.from([0x00, 0x50, 0x00, 0x33]);

const read = (file: string) => readFileSync(join(fixtures, file));

describe('image corpus: real photographs through api → RabbitMQ → worker → S3', () => {
  let api: ImgrProcess;
  let worker: ImgrProcess;
  const broker = isolatedBroker('corpus');

  beforeAll(async () => {
    api = await startImgr('api', imgrEnv(bucket, { CELERY_BROKER_URL: broker.url }));
    worker = await startImgr('worker', imgrEnv(bucket, { CELERY_BROKER_URL: broker.url }));
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    broker.dispose();
    await removeBucket(bucket);
  });

  /** Uploads a fixture, checks the original keeps its pixels, orientation and ICC profile but none of the camera's
   * metadata (stripped at upload without re-encoding), and waits for the four sizes. */
  async function uploadAndWait(file: string) {
    const bytes = read(file);
    const response = await uploadFile(api.url, bytes, file, 'application/octet-stream');
    expect(response.status, await response.clone().text()).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const original = await fetch(`${api.url}/image/${id}`);
    const stored = Buffer.from(await original.arrayBuffer());
    if (file.endsWith('.avif')) expect(stored.equals(bytes), 'AVIF stored as uploaded').toBe(true);
    const [sourceMeta, storedMeta] = await Promise.all([sharp(bytes).metadata(), sharp(stored).metadata()]);
    const pixels = (image: Buffer) => sharp(image, { animated: true }).raw().toBuffer();
    expect((await pixels(stored)).equals(await pixels(bytes)), 'original keeps its exact pixels').toBe(true);
    expect(storedMeta.orientation ?? 1).toBe(sourceMeta.orientation ?? 1);
    expect(storedMeta.icc?.length).toBe(sourceMeta.icc?.length);
    if (!file.endsWith('.avif')) expect(stored.includes('imgr-test-camera'), 'no camera metadata in the original').toBe(false);
    expect(storedMeta.xmp).toBeUndefined();
    const variants = await waitFor(() => variantsReady(api.url, id), 90_000, 100);
    const meta = Object.fromEntries(
      await Promise.all(VARIANT_NAMES.map(async (name) => [name, await sharp(variants[name], { animated: true }).metadata()] as const)),
    ) as Record<SizeName, Metadata>;
    return { id, bytes, contentType: original.headers.get('content-type'), variants, meta };
  }

  /** No EXIF (so no GPS), no XMP, no IPTC, and not a trace of the camera's strings in the bytes. */
  function expectNoMetadata(variant: Buffer, meta: Metadata) {
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expect(meta.orientation === undefined || meta.orientation === 1).toBe(true);
    expect(variant.includes('imgr-test-camera')).toBe(false);
    expect(variant.includes('Exif\0\0')).toBe(false);
  }

  /** The source really carries a GPS position: the EXIF holds the GPS IFD pointer (tag 0x8825). */
  async function expectGpsInSource(bytes: Buffer) {
    const exif = (await sharp(bytes).metadata()).exif;
    expect(exif?.includes('imgr-test-camera')).toBe(true);
    const littleEndian = exif?.includes('II*\0');
    expect(exif?.includes(Buffer.from(littleEndian ? [0x25, 0x88] : [0x88, 0x25]))).toBe(true);
  }

  /** Every tag exiftool reads from the bytes, by group and name (e.g. "GPS:GPSLatitude"). */
  function exiftoolTags(bytes: Buffer): Record<string, unknown> {
    const folder = mkdtempSync(join(tmpdir(), 'imgr-exif-'));
    try {
      const file = join(folder, 'image');
      writeFileSync(file, bytes);
      const [tags] = JSON.parse(execFileSync('exiftool', ['-json', '-groupNames1', '-n', file], { encoding: 'utf8' }));
      return tags;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  it('the served original of a phone photo has no GPS position, camera or copyright (exiftool), keeps its orientation and decodes to the same pixels', async () => {
    const source = read('orientation-6-gps.jpg');
    const before = exiftoolTags(source);
    expect(before['GPS:GPSLatitude']).toBeDefined();
    expect(before['IFD0:Make']).toBe('imgr-test-camera');

    const { id } = await uploadAndWait('orientation-6-gps.jpg');
    const served = Buffer.from(await (await fetch(`${api.url}/image/${id}`)).arrayBuffer());
    const after = exiftoolTags(served);
    // The ICC profile's own header (device model of the profile) is colour data, kept on purpose.
    const personal = Object.keys(after).filter(
      (tag) => !tag.startsWith('ICC') && /^(GPS|XMP|IPTC|MakerNotes)|Make$|Model$|Copyright|Serial|Artist/.test(tag),
    );
    expect(personal).toEqual([]);
    expect(after['IFD0:Orientation']).toBe(6);
    const raw = (image: Buffer) => sharp(image).raw().toBuffer();
    expect((await raw(served)).equals(await raw(source))).toBe(true);
  });

  it.each([
    ['orientation-6-gps.jpg', 6],
    ['orientation-8-gps.jpg', 8],
  ])('%s: every size is upright by its pixels (red marker top-left, blue top-right) with no EXIF or GPS', async (file, orientation) => {
    const source = read(file);
    const header = await sharp(source).metadata();
    expect([header.orientation, header.width, header.height]).toEqual([orientation, 1200, 800]);
    await expectGpsInSource(source);
    // As stored (ignoring the tag) the markers are elsewhere: the check below cannot pass by accident.
    const stored = await pixels(source);
    expect(colourDistance(stored.at(0.06, 0.04), RED)).toBeGreaterThan(100);

    const { contentType, variants, meta } = await uploadAndWait(file);
    expect(contentType).toBe('image/jpeg');
    for (const name of VARIANT_NAMES) {
      expect(meta[name].format).toBe('jpeg');
      // Upright it is 800x1200, a portrait.
      expect([meta[name].width, meta[name].height], name).toEqual(fitBox(800, 1200, SIZES[name]));
      const image = await pixels(variants[name]);
      expect(colourDistance(image.at(0.06, 0.04), RED), `${name} top-left is red`).toBeLessThan(60);
      expect(colourDistance(image.at(0.94, 0.04), BLUE), `${name} top-right is blue`).toBeLessThan(60);
      expect(colourDistance(image.at(0.06, 0.96), RED), `${name} bottom-left is the photo`).toBeGreaterThan(100);
      expectNoMetadata(variants[name], meta[name]);
    }
  });

  it('cmyk.jpg: every size is a 3-channel sRGB JPEG with the photo’s colours and no EXIF or GPS', async () => {
    const source = read('cmyk.jpg');
    const header = await sharp(source).metadata();
    expect([header.space, header.channels]).toEqual(['cmyk', 4]);
    await expectGpsInSource(source);
    const { variants, meta } = await uploadAndWait('cmyk.jpg');
    // The same photo converted to sRGB on its own, as the reference for the colours (stats() reads
    // its input as is, hence the encoded sRGB copy).
    const reference = await sharp(await sharp(source).resize({ width: 256 }).toColourspace('srgb').png().toBuffer()).stats();
    expect(reference.channels).toHaveLength(3);
    for (const name of VARIANT_NAMES) {
      expect([meta[name].format, meta[name].space, meta[name].channels], name).toEqual(['jpeg', 'srgb', 3]);
      expect([meta[name].width, meta[name].height]).toEqual(fitBox(1500, 937, SIZES[name]));
      const stats = await sharp(variants[name]).stats();
      for (const channel of [0, 1, 2]) {
        expect(
          Math.abs((stats.channels[channel]?.mean ?? 0) - (reference.channels[channel]?.mean ?? 0)),
          `${name} channel ${channel}`,
        ).toBeLessThan(8);
      }
      expectNoMetadata(variants[name], meta[name]);
    }
  });

  it('display-p3.jpg: every size is converted to sRGB (a P3 patch lands on its sRGB colour) and embeds no wide-gamut profile', async () => {
    const source = read('display-p3.jpg');
    const header = await sharp(source).metadata();
    expect(header.icc?.includes(P3_NAME)).toBe(true);
    // In the file the patch's numbers are P3 ones, far from its sRGB colour (40, 180, 60).
    const expected = [40, 180, 60];
    expect(colourDistance((await pixels(source)).at(0.02, 0.03), expected)).toBeGreaterThan(30);
    await expectGpsInSource(source);

    const { variants, meta } = await uploadAndWait('display-p3.jpg');
    for (const name of VARIANT_NAMES) {
      expect(meta[name].space).toBe('srgb');
      // No profile at all (sRGB by definition), or an sRGB one: never the P3 profile with P3 numbers.
      expect(meta[name].icc?.includes(P3_NAME) ?? false, `${name} has no P3 profile`).toBe(false);
      expect([meta[name].width, meta[name].height]).toEqual(fitBox(1600, 1000, SIZES[name]));
      const patch = (await pixels(variants[name])).at(0.02, 0.03);
      expect(colourDistance(patch, expected), `${name} patch ${patch} ≈ ${expected}`).toBeLessThan(10);
      expectNoMetadata(variants[name], meta[name]);
    }
  });

  it('alpha.png: every size keeps its alpha channel (transparent, half-transparent and opaque areas)', async () => {
    const { contentType, variants, meta } = await uploadAndWait('alpha.png');
    expect(contentType).toBe('image/png');
    for (const name of VARIANT_NAMES) {
      expect([meta[name].format, meta[name].hasAlpha, meta[name].channels], name).toEqual(['png', true, 4]);
      expect([meta[name].width, meta[name].height]).toEqual(fitBox(1200, 800, SIZES[name]));
      const image = await pixels(variants[name]);
      expect(image.at(0.05, 0.05)[3], `${name} transparent corner`).toBe(0);
      expect(Math.abs((image.at(0.95, 0.05)[3] ?? 0) - 128), `${name} half-transparent corner`).toBeLessThanOrEqual(3);
      expect(image.at(0.5, 0.6)[3], `${name} opaque middle`).toBe(255);
    }
  });

  it.each([
    ['animated-delays.gif', 'gif', 'image/gif'],
    ['animated.webp', 'webp', 'image/webp'],
  ])('%s: every size keeps all 3 frames, their delays (100, 200, 300 ms) and the loop', async (file, format, type) => {
    const { contentType, variants, meta } = await uploadAndWait(file);
    expect(contentType).toBe(type);
    for (const name of VARIANT_NAMES) {
      expect(meta[name].format, name).toBe(format);
      expect(meta[name].pages, `${name} frames`).toBe(3);
      expect(meta[name].delay, `${name} delays`).toEqual([100, 200, 300]);
      expect(meta[name].loop, `${name} loop`).toBe(0);
      expect([meta[name].width, meta[name].pageHeight]).toEqual(fitBox(600, 400, SIZES[name]));
      // The frames are the three different photos, not one frame repeated.
      const frames = await Promise.all(
        [0, 1, 2].map(async (page) => (await sharp(variants[name], { page }).stats()).channels.map((c) => Math.round(c.mean))),
      );
      expect(new Set(frames.map(String)).size, `${name} distinct frames`).toBe(3);
      expectNoMetadata(variants[name], meta[name]);
    }
  });

  it('photo.avif: every size is an AVIF of the right dimensions', async () => {
    const { id, contentType, meta, variants } = await uploadAndWait('photo.avif');
    expect(contentType).toBe('image/avif');
    for (const name of VARIANT_NAMES) {
      expect([meta[name].format, meta[name].compression], name).toEqual(['heif', 'av1']);
      expect([meta[name].width, meta[name].height]).toEqual(fitBox(900, 563, SIZES[name]));
      expectNoMetadata(variants[name], meta[name]);
    }
    const served = await fetch(`${api.url}/image/${id}/small`);
    expect(served.headers.get('content-type')).toBe('image/avif');
  });
});
