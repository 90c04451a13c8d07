/** Formats imgr accepts, detected from the bytes alone: never from a filename or a client's header. */
export const IMAGE_FORMATS = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
} as const;

export type ImageFormat = keyof typeof IMAGE_FORMATS;
export const ACCEPTED_TYPES: readonly string[] = Object.values(IMAGE_FORMATS);

const startsWith = (bytes: Buffer, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((value, i) => bytes[offset + i] === value);

const ascii = (bytes: Buffer, start: number, end: number): string => bytes.subarray(start, end).toString('latin1');

/** Magic numbers of each accepted format; `undefined` for anything else. */
export function detectFormat(bytes: Buffer): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  // ISO-BMFF: a leading `ftyp` box whose major or compatible brands name AVIF.
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length, 256);
    for (let offset = 8; offset + 4 <= boxSize; offset += 4) {
      const brand = ascii(bytes, offset, offset + 4);
      if (brand === 'avif' || brand === 'avis') return 'avif';
    }
  }
  return undefined;
}

/**
 * Cheap structural check that the file ends where its format says it ends, so a truncated upload
 * is refused at the door instead of failing later in the worker.
 */
export function looksComplete(format: ImageFormat, bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 1024));
  switch (format) {
    case 'jpeg':
      // End-of-image marker; some cameras append padding after it, hence the search in the tail.
      return tail.includes(Buffer.from([0xff, 0xd9]));
    case 'png':
      return tail.includes(Buffer.from('IEND', 'latin1'));
    case 'gif':
      // Trailer byte 0x3B, possibly followed by a little padding.
      return tail.subarray(-16).includes(0x3b);
    case 'webp':
      return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
    case 'avif':
      return boxesFillFile(bytes);
  }
}

/** ISO-BMFF (AVIF): the top-level boxes must follow one another to exactly the end of the file. */
function boxesFillFile(bytes: Buffer): boolean {
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) return false;
    let size = bytes.readUInt32BE(offset);
    if (size === 0) return true; // "extends to the end of the file"
    if (size === 1) {
      if (offset + 16 > bytes.length) return false;
      size = Number(bytes.readBigUInt64BE(offset + 8));
    }
    if (size < 8) return false;
    offset += size;
  }
  return offset === bytes.length;
}
