import { useEffect, useRef, useState } from 'react';
import { LINK_KINDS, type LinkKind, SIZES } from '../lib/api.ts';
import { EMBED_FORMATS, EMBED_LABELS, type Embeddable, embedCode } from '../lib/embed.ts';
import type { Dimensions } from '../lib/history.ts';
import { CopyButton } from './copy-button.tsx';

interface LinkPanelProps {
  /** Unique per image on the page, for element ids. */
  idPrefix: string;
  image: Embeddable;
  /** Called with the pixel size of a size that was not measured yet (only if given: it downloads the sizes). */
  onMeasure?: ((kind: LinkKind, size: Dimensions) => void) | undefined;
}

const formatDimensions = (size: Dimensions | undefined) => (size ? `${size.width}×${size.height}` : '');

/** Loads each size not measured yet, once per image, to learn its pixel size (the browser caches it for the thumbnails). */
function useMeasureSizes(image: Embeddable, onMeasure: LinkPanelProps['onMeasure']) {
  // Read through a ref: the dimensions it brings back, or a new callback, must not start the loads again.
  const latest = useRef({ image, onMeasure });
  latest.current = { image, onMeasure };
  const { links } = image;
  useEffect(() => {
    if (!latest.current.onMeasure) return;
    const loaders: HTMLImageElement[] = [];
    for (const size of SIZES) {
      if (latest.current.image.dimensions?.[size]) continue;
      const loader = new Image();
      loader.onload = () => latest.current.onMeasure?.(size, { width: loader.naturalWidth, height: loader.naturalHeight });
      loader.src = links[size];
      loaders.push(loader);
    }
    return () => {
      for (const loader of loaders) loader.onload = null;
    };
  }, [links]);
}

/**
 * Every link of one image with its pixel size and a copy button, then the codes that embed it in a page, a
 * README or a forum post. URLs wrap rather than being cut, so the five links differ visibly on a phone.
 */
export function LinkPanel({ idPrefix, image, onMeasure }: LinkPanelProps) {
  const [embedOpen, setEmbedOpen] = useState(false);
  useMeasureSizes(image, onMeasure);
  const all = LINK_KINDS.map((kind) => image.links[kind]).join('\n');
  return (
    <div className="links">
      <ul className="link-rows">
        {LINK_KINDS.map((kind) => {
          const kindId = `${idPrefix}-kind-${kind}`;
          return (
            <li key={kind} className="link-row" data-kind={kind}>
              <span id={kindId} className="link-kind">
                {kind} <span className="link-size">{formatDimensions(image.dimensions?.[kind])}</span>
              </span>
              <a className="link-url" href={image.links[kind]} target="_blank" rel="noreferrer" aria-describedby={kindId}>
                {image.links[kind]}
              </a>
              <CopyButton text={image.links[kind]} label={`Copy ${kind} link of ${image.name}`} />
            </li>
          );
        })}
      </ul>
      <CopyButton text={all} label={`Copy all links of ${image.name}`} className="copy-all">
        Copy all links
      </CopyButton>
      <details className="embed" open={embedOpen} onToggle={(event) => setEmbedOpen(event.currentTarget.open)}>
        <summary>Embed codes</summary>
        {embedOpen && (
          <ul className="embed-rows">
            {EMBED_FORMATS.map((format) => {
              const code = embedCode(format, image);
              return (
                <li key={format} className="embed-row" data-format={format}>
                  <span className="link-kind">{EMBED_LABELS[format]}</span>
                  <code className="embed-code">{code}</code>
                  <CopyButton text={code} label={`Copy ${EMBED_LABELS[format]} of ${image.name}`} />
                </li>
              );
            })}
          </ul>
        )}
      </details>
    </div>
  );
}
