import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { ImageFormat } from './image-format.js';

/*
 * Removes personal metadata (Exif with GPS, serials and maker notes; XMP; IPTC; comments; text chunks) from an
 * original without re-encoding it: only whole metadata segments/chunks are dropped, the compressed pixel data
 * is copied byte for byte. What display needs stays: the ICC profile, and the orientation, written back as a
 * one-tag Exif block. No maintained JavaScript library does this selective, lossless removal (exiftool does,
 * but needs Perl, which the server image does not carry), hence these container walkers.
 * A file the walker does not understand is returned unchanged only when it has nothing to walk (AVIF); a
 * malformed container throws, and the probe has already refused truly broken files before this runs.
 */

/** Formats whose metadata containers are walked here; AVIF (ISOBMFF items) is stored as uploaded. */
const METADATA_STRIPPED_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif'];

class MetadataStripError extends Error {}

const fail = (message: string): never => {
  throw new MetadataStripError(message);
};

/** A TIFF structure holding only the Orientation tag (0x0112, SHORT), big-endian. */
function orientationTiff(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // first IFD right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18); // value, left-justified in the 4-byte field
  tiff.writeUInt32BE(0, 22); // no next IFD
  return tiff;
}

const hasOrientation = (orientation: number | undefined): orientation is number =>
  orientation !== undefined && orientation >= 2 && orientation <= 8;

// --- JPEG: marker segments before and between scans; everything after the first image's EOI is dropped too,
// since phones append preview and depth images there, each with its own Exif.
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;

function keepJpegSegment(marker: number, payload: Buffer): boolean {
  if (marker === 0xe0) return payload.subarray(0, 5).toString('latin1') === 'JFIF\0'; // JFIF, not JFXX thumbnails
  if (marker === 0xe2) return payload.subarray(0, 12).toString('latin1') === 'ICC_PROFILE\0';
  if (marker === 0xee) return true; // Adobe: colour transform needed to decode
  if (marker >= 0xe1 && marker <= 0xef) return false; // Exif, XMP, MPF, IPTC, vendor blocks
  return marker !== 0xfe; // COM
}

function stripJpeg(bytes: Buffer, orientation: number | undefined): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 2)];
  let exifInserted = !hasOrientation(orientation);
  const insertExif = () => {
    if (exifInserted) return;
    const tiff = orientationTiff(orientation as number);
    const header = Buffer.alloc(4);
    header.writeUInt16BE(0xffe1, 0);
    header.writeUInt16BE(2 + 6 + tiff.length, 2);
    parts.push(header, Buffer.from('Exif\0\0', 'latin1'), tiff);
    exifInserted = true;
  };
  let offset = 2;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) fail('JPEG marker expected');
    const marker = bytes[offset + 1] ?? fail('JPEG ends inside a marker');
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === JPEG_EOI) {
      parts.push(bytes.subarray(offset, offset + 2));
      return Buffer.concat(parts);
    }
    if (offset + 4 > bytes.length) fail('JPEG ends inside a segment header');
    const length = bytes.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > bytes.length) fail('JPEG segment runs past the end');
    // The orientation block goes after JFIF (which must come first) and before anything else.
    if (marker !== 0xe0) insertExif();
    if (keepJpegSegment(marker, bytes.subarray(offset + 4, end))) parts.push(bytes.subarray(offset, end));
    offset = end;
    if (marker === JPEG_SOS) {
      // Entropy-coded data: copied as is up to the next real marker (0xFF00 is a stuffed byte, RSTn in-scan).
      let scan = offset;
      while (scan + 1 < bytes.length) {
        const next = bytes[scan + 1] as number;
        if (bytes[scan] === 0xff && next !== 0 && (next < 0xd0 || next > 0xd7)) break;
        scan += 1;
      }
      if (scan + 1 >= bytes.length) fail('JPEG scan has no end');
      parts.push(bytes.subarray(offset, scan));
      offset = scan;
    }
  }
  return fail('JPEG has no end of image');
}

// --- PNG: text chunks, eXIf and tIME go; a one-tag eXIf goes back before the first IDAT.
const PNG_SIGNATURE_LENGTH = 8;
const PNG_DROPPED_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

function stripPng(bytes: Buffer, orientation: number | undefined): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, PNG_SIGNATURE_LENGTH)];
  let exifInserted = !hasOrientation(orientation);
  let offset = PNG_SIGNATURE_LENGTH;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1');
    const end = offset + 12 + length;
    if (end > bytes.length) fail(`PNG chunk ${type} runs past the end`);
    if ((type === 'IDAT' || type === 'fdAT' || type === 'acTL') && !exifInserted) {
      parts.push(pngChunk('eXIf', orientationTiff(orientation as number)));
      exifInserted = true;
    }
    if (!PNG_DROPPED_CHUNKS.has(type)) parts.push(bytes.subarray(offset, end));
    offset = end;
    if (type === 'IEND') return Buffer.concat(parts);
  }
  return fail('PNG has no IEND chunk');
}

// --- WebP: EXIF and XMP chunks of the extended format go, and their flags in VP8X; simple WebP has none.
const VP8X_FLAG_EXIF = 0x08;
const VP8X_FLAG_XMP = 0x04;

function riffChunk(fourcc: string, data: Buffer): Buffer {
  const padded = data.length + (data.length % 2);
  const chunk = Buffer.alloc(8 + padded);
  chunk.write(fourcc, 0, 'latin1');
  chunk.writeUInt32LE(data.length, 4);
  data.copy(chunk, 8);
  return chunk;
}

function stripWebp(bytes: Buffer, orientation: number | undefined): Buffer {
  const chunks: Buffer[] = [];
  let vp8x: Buffer | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const fourcc = bytes.subarray(offset, offset + 4).toString('latin1');
    const size = bytes.readUInt32LE(offset + 4);
    const end = offset + 8 + size + (size % 2);
    if (offset + 8 + size > bytes.length) fail(`WebP chunk ${fourcc} runs past the end`);
    const chunk = Buffer.from(bytes.subarray(offset, Math.min(end, bytes.length)));
    if (fourcc === 'VP8X') vp8x = chunk;
    if (fourcc !== 'EXIF' && fourcc !== 'XMP ') chunks.push(chunk);
    offset = end;
  }
  if (!vp8x) return bytes; // simple (lossy or lossless) WebP: a single image chunk, no room for metadata
  let flags = (vp8x[8] as number) & ~(VP8X_FLAG_EXIF | VP8X_FLAG_XMP);
  if (hasOrientation(orientation)) {
    // EXIF belongs after the image data; a TIFF without the "Exif\0\0" prefix, as libwebp writes it.
    chunks.push(riffChunk('EXIF', orientationTiff(orientation)));
    flags |= VP8X_FLAG_EXIF;
  }
  vp8x[8] = flags;
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + body.length, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

// --- GIF: comment extensions and application extensions other than the loop count (NETSCAPE2.0 / ANIMEXTS1.0)
// go; XMP travels in an application extension. GIF has no orientation.
function skipSubBlocks(bytes: Buffer, offset: number): number {
  let at = offset;
  while (at < bytes.length) {
    const size = bytes[at] as number;
    at += 1 + size;
    if (size === 0) return at;
  }
  return fail('GIF data blocks run past the end');
}

function stripGif(bytes: Buffer): Buffer {
  const packed = bytes[10] ?? fail('GIF header is cut');
  let offset = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);
  const parts: Buffer[] = [bytes.subarray(0, offset)];
  while (offset < bytes.length) {
    const introducer = bytes[offset];
    if (introducer === 0x3b) {
      parts.push(bytes.subarray(offset, offset + 1));
      return Buffer.concat(parts);
    }
    const start = offset;
    if (introducer === 0x21) {
      const label = bytes[offset + 1];
      const blocksEnd = skipSubBlocks(bytes, offset + 2);
      const application = bytes.subarray(offset + 3, offset + 14).toString('latin1');
      const keep = label !== 0xfe && (label !== 0xff || application === 'NETSCAPE2.0' || application === 'ANIMEXTS1.0');
      if (keep) parts.push(bytes.subarray(start, blocksEnd));
      offset = blocksEnd;
    } else if (introducer === 0x2c) {
      const imagePacked = bytes[offset + 9] ?? fail('GIF image descriptor is cut');
      offset += 10 + (imagePacked & 0x80 ? 3 * 2 ** ((imagePacked & 0x07) + 1) : 0);
      offset = skipSubBlocks(bytes, offset + 1); // after the LZW minimum code size
      parts.push(bytes.subarray(start, offset));
    } else {
      fail('GIF block expected');
    }
  }
  return fail('GIF has no trailer');
}

/** The original without personal metadata; pixels, ICC profile and orientation unchanged. */
export async function stripPersonalMetadata(bytes: Buffer, format: ImageFormat): Promise<Buffer> {
  if (!METADATA_STRIPPED_FORMATS.includes(format)) return bytes;
  // Header only: the orientation to write back (absent for GIF).
  const { orientation } = await sharp(bytes).metadata();
  switch (format) {
    case 'jpeg':
      return stripJpeg(bytes, orientation);
    case 'png':
      return stripPng(bytes, orientation);
    case 'webp':
      return stripWebp(bytes, orientation);
    case 'gif':
      return stripGif(bytes);
    default:
      return bytes;
  }
}
