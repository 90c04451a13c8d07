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

/**
 * Why a file is refused without uploading it, or null to send it. Only obvious cases: the server decides
 * the rest (it alone can tell a corrupt image).
 */
export function precheck(file: FileFacts, info: ServerInfo): string | null {
  if (file.size === 0) return 'The file is empty.';
  if (info.maxUploadBytes !== undefined && file.size > info.maxUploadBytes) {
    return `${formatBytes(file.size)} is over the ${formatBytes(info.maxUploadBytes)} limit of this server.`;
  }
  const type = file.type.toLowerCase();
  if (type === '') {
    return IMAGE_EXTENSIONS.test(file.name) ? null : 'This file does not look like an image.';
  }
  if (!type.startsWith('image/')) return `This is not an image (${type}).`;
  if (info.acceptedTypes && !info.acceptedTypes.includes(type)) {
    return `This server does not accept ${type} images (it takes ${info.acceptedTypes.join(', ')}).`;
  }
  return null;
}

/** The `accept` attribute of the file picker. */
export function acceptAttribute(info: ServerInfo): string {
  return info.acceptedTypes?.join(',') ?? 'image/*';
}
