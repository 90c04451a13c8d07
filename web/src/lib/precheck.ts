import type { ServerInfo } from './api.ts';
import { formatBytes } from './format.ts';

/** Extensions of images a browser may hand over without a MIME type. */
const IMAGE_EXTENSIONS = /\.(jpe?g|jfif|png|gif|webp|avif|bmp|tiff?|heic|heif|svg)$/i;

/** What the page knows of a file before sending it. */
export interface FileFacts {
  name: string;
  type: string;
  size: number;
}

const HEIC = { type: /^image\/hei[cf](-sequence)?$/, name: /\.hei[cf]$/i };
const SVG = { type: /^image\/svg\+xml$/, name: /\.svg$/i };

/** The two kinds people try most that this server does not take, in words rather than MIME types. */
function knownRefusal(file: FileFacts, type: string, info: ServerInfo): string | null {
  const accepted = (t: string) => info.acceptedTypes?.includes(t) ?? false;
  if ((HEIC.type.test(type) || HEIC.name.test(file.name)) && !accepted('image/heic') && !accepted('image/heif')) {
    return "HEIC photos (the iPhone's own format) are not accepted. Share it as JPEG: on the iPhone, Settings › Camera › Formats › Most Compatible.";
  }
  if ((SVG.type.test(type) || SVG.name.test(file.name)) && !accepted('image/svg+xml')) {
    return 'SVG drawings are not accepted, only pictures made of pixels (JPEG, PNG, GIF, WebP, AVIF).';
  }
  return null;
}

/**
 * Why a file is refused without uploading it, or null to send it. Only obvious cases: the server decides
 * the rest (it alone can tell a corrupt image).
 */
export function precheck(file: FileFacts, info: ServerInfo): string | null {
  if (file.size === 0) return 'The file is empty.';
  if (info.maxUploadBytes !== undefined && file.size > info.maxUploadBytes) {
    return `This file is ${formatBytes(file.size)}; this server takes images up to ${formatBytes(info.maxUploadBytes)}.`;
  }
  const type = file.type.toLowerCase();
  const known = knownRefusal(file, type, info);
  if (known) return known;
  if (type === '') {
    return IMAGE_EXTENSIONS.test(file.name) ? null : 'This file does not look like an image.';
  }
  if (!type.startsWith('image/')) return `This is not an image (${type}).`;
  if (info.acceptedTypes && !info.acceptedTypes.includes(type)) {
    const names = info.acceptedTypes.map((t) => t.replace(/^image\//, '').toUpperCase());
    return `This server does not accept ${type.replace(/^image\//, '').toUpperCase()} images, only ${names.join(', ')}.`;
  }
  return null;
}

/** The `accept` attribute of the file picker. */
export function acceptAttribute(info: ServerInfo): string {
  return info.acceptedTypes?.join(',') ?? 'image/*';
}
