import { type LinkKind, SIZES, type Size } from './api.ts';
import type { Dimensions } from './history.ts';

export const EMBED_FORMATS = ['url', 'markdown', 'html', 'bbcode'] as const;
export type EmbedFormat = (typeof EMBED_FORMATS)[number];

export const EMBED_LABELS: Record<EmbedFormat, string> = {
  url: 'Direct link',
  markdown: 'Markdown',
  html: 'HTML',
  bbcode: 'BBCode',
};

/** The bounding box of each size (the worker's contract): the width to assume before the image was measured. */
export const SIZE_BOXES: Record<Size, number> = { big: 1024, medium: 512, small: 256, tiny: 128 };

export interface Embeddable {
  name: string;
  links: Record<LinkKind, string>;
  dimensions?: Partial<Record<LinkKind, Dimensions>> | undefined;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The file name without its extension, as alt text: better than nothing, and the user can edit it. */
function altText(name: string): string {
  return name.replace(/\.[a-z0-9]{2,5}$/i, '') || 'image';
}

/**
 * `srcset` candidates from smallest to largest. A size smaller than its box has the original's width, so
 * several sizes can share a width: only the smallest of them is kept (two candidates with one width are invalid).
 */
function srcset(image: Embeddable): string {
  const seen = new Set<number>();
  const candidates: string[] = [];
  for (const size of [...SIZES].reverse()) {
    const width = image.dimensions?.[size]?.width ?? SIZE_BOXES[size];
    if (seen.has(width)) continue;
    seen.add(width);
    candidates.push(`${image.links[size]} ${width}w`);
  }
  return candidates.join(', ');
}

function htmlImg(image: Embeddable): string {
  const big = image.dimensions?.big;
  const width = big?.width ?? SIZE_BOXES.big;
  const attributes = [
    `src="${escapeHtml(image.links.big)}"`,
    `srcset="${escapeHtml(srcset(image))}"`,
    // Full width of the column up to the big size's own width.
    `sizes="(max-width: ${width}px) 100vw, ${width}px"`,
    // Known width and height let the browser keep the space before the image arrives.
    ...(big ? [`width="${big.width}"`, `height="${big.height}"`] : []),
    `alt="${escapeHtml(altText(image.name))}"`,
  ];
  return `<img ${attributes.join(' ')}>`;
}

/** The text to paste where the image should appear; the server negotiates WebP or AVIF at the same URLs. */
export function embedCode(format: EmbedFormat, image: Embeddable): string {
  switch (format) {
    case 'url':
      return image.links.original;
    case 'markdown':
      // The big size shown, linked to the original.
      return `[![${altText(image.name).replace(/[[\]\\]/g, '\\$&')}](${image.links.big})](${image.links.original})`;
    case 'html':
      return htmlImg(image);
    case 'bbcode':
      return `[url=${image.links.original}][img]${image.links.big}[/img][/url]`;
  }
}
