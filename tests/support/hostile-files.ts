import { once } from 'node:events';
import { crc32, createDeflate, deflateSync } from 'node:zlib';
import sharp from 'sharp';

// Files built to hurt an image service: headers that lie about their size, bombs, truncations,
// other formats dressed up as images. Each is small on the wire.

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

function png(width: number, height: number, colourType: number, idat: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colourType;
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A 68-byte PNG whose header claims `width` x `height` RGB pixels. */
export function pngClaiming(width: number, height: number): Buffer {
  return png(width, height, 2, deflateSync(Buffer.alloc(16)));
}

/** A real, complete grey PNG of zeros: tiny compressed, `width * height` bytes once decoded. */
export async function decompressionBombPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => parts.push(chunk));
  const row = Buffer.alloc(width + 1); // filter byte + one byte per pixel
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  return png(width, height, 0, Buffer.concat(parts));
}

const small = (format: 'jpeg' | 'gif' | 'webp' | 'png') =>
  sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .toFormat(format)
    .toBuffer();

/** A small JPEG whose frame header (SOF0) claims `width` x `height`. */
export async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await small('jpeg'));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof < 0) throw new Error('no SOF0 marker');
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

/** A small GIF whose screen and first frame both claim `width` x `height`. */
export async function gifClaiming(width: number, height: number): Promise<Buffer> {
  const gif = Buffer.from(await small('gif'));
  gif.writeUInt16LE(width, 6);
  gif.writeUInt16LE(height, 8);
  const flags = gif[10] ?? 0;
  let offset = 13 + (flags & 0x80 ? 3 * (2 << (flags & 7)) : 0);
  // Skip extension blocks (0x21 label, then sub-blocks up to a zero length) to the image descriptor.
  while (gif[offset] === 0x21) {
    offset += 2;
    while ((gif[offset] ?? 0) !== 0) offset += (gif[offset] ?? 0) + 1;
    offset++;
  }
  if (gif[offset] !== 0x2c) throw new Error('no image descriptor');
  gif.writeUInt16LE(width, offset + 5);
  gif.writeUInt16LE(height, offset + 7);
  return gif;
}

/** A small lossy WebP whose VP8 frame header claims `width` x `height` (14 bits each, at most 16383). */
export async function webpClaiming(width: number, height: number): Promise<Buffer> {
  const webp = Buffer.from(await small('webp'));
  const chunk = webp.indexOf('VP8 ');
  if (chunk < 0) throw new Error('no VP8 chunk');
  // Chunk header (8) + frame tag (3) + start code (3), then width and height.
  webp.writeUInt16LE(width, chunk + 14);
  webp.writeUInt16LE(height, chunk + 16);
  return webp;
}

/** An animated GIF or WebP of `frames` tiny frames. */
export async function manyFrames(frames: number, format: 'gif' | 'webp'): Promise<Buffer> {
  const side = 4;
  const strip = Buffer.alloc(side * side * 3 * frames);
  for (let i = 0; i < strip.length; i++) strip[i] = (i * 37) & 0xff;
  const pipeline = sharp(strip, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } });
  return format === 'gif' ? pipeline.gif().toBuffer() : pipeline.webp({ lossless: true }).toBuffer();
}

/** The first `fraction` of `bytes`. */
export function truncated(bytes: Buffer, fraction = 0.5): Buffer {
  return bytes.subarray(0, Math.floor(bytes.length * fraction));
}

export const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>\n',
);
export const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n');
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);
export const SHELL_SCRIPT = Buffer.from('#!/bin/sh\nrm -rf --no-preserve-root /\n');

/** "GIF89a" magic followed by JavaScript: a GIF/JS polyglot that is no decodable GIF. */
export const GIF_JS_POLYGLOT = Buffer.from('GIF89a/*\x00\x00\x00\x00*/=1;alert(document.domain);//;');

/** A real JPEG with an HTML page appended after its end-of-image marker: decodes as a JPEG, reads as HTML too. */
export async function jpegHtmlPolyglot(): Promise<Buffer> {
  return Buffer.concat([await small('jpeg'), Buffer.from('<html><script>alert(document.domain)</script></html>')]);
}

/** PDF header first, then a whole JPEG: a PDF/JPEG polyglot that starts as a PDF. */
export async function pdfThenJpeg(): Promise<Buffer> {
  return Buffer.concat([PDF, await small('jpeg')]);
}

export const smallJpeg = () => small('jpeg');
export const smallPng = () => small('png');

export { gifScreenBomb, undecodablePng, webpCanvasBomb } from './image-bombs.mjs';
