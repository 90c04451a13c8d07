import { useState } from 'react';
import { LINK_KINDS, SIZES, type Size } from '../lib/api.ts';
import { formatBytes, percent } from '../lib/format.ts';
import type { UploadItem } from '../lib/uploads.ts';
import { CopyButton } from './copy-button.tsx';
import { RetryingImage } from './retrying-image.tsx';

export interface UploadCardActions {
  onRetry: (key: string) => void;
  onCancel: (key: string) => void;
  onDismiss: (key: string) => void;
  onRecheck: (key: string) => void;
}

function progressText(item: UploadItem): string {
  const share = percent(item.sent, item.total);
  // The request carries the file plus a small multipart envelope; show bytes of the file itself.
  const fileBytes = item.total > 0 ? Math.min(item.size, Math.round((item.sent / item.total) * item.size)) : 0;
  switch (item.phase) {
    case 'queued':
      return 'Waiting…';
    case 'uploading':
      return share === 100 ? 'Sent; waiting for the server…' : `${share}% · ${formatBytes(fileBytes)} of ${formatBytes(item.size)}`;
    case 'uploaded':
      return `Uploaded · ${formatBytes(item.size)}`;
    default:
      return share === 100 ? 'Sent, then refused' : `Stopped at ${share}%`;
  }
}

function Thumbnail({ name, size, url, state, reason }: { name: string; size: Size; url: string } & UploadItem['variants'][Size]) {
  const [dimensions, setDimensions] = useState('');
  return (
    <li className="thumb" data-size={size} data-state={state}>
      {state === 'ready' ? (
        <a href={url} target="_blank" rel="noreferrer" className="thumb-frame">
          <RetryingImage
            src={url}
            alt={`${name}, ${size} size`}
            decoding="async"
            onLoad={(event) => setDimensions(`${event.currentTarget.naturalWidth}×${event.currentTarget.naturalHeight}`)}
          />
        </a>
      ) : (
        <span className="thumb-frame" aria-hidden="true" />
      )}
      <span className="thumb-label">
        {size}
        {dimensions && <span className="muted"> {dimensions}</span>}
        {state === 'pending' && <span className="muted"> resizing…</span>}
        {state === 'failed' && <span className="danger-text"> failed{reason ? `: ${reason}` : ''}</span>}
      </span>
    </li>
  );
}

function Thumbnails({ item, onRecheck }: { item: UploadItem; onRecheck: (key: string) => void }) {
  const { links } = item;
  if (!links) return null;
  return (
    <>
      <ul className="thumbs" aria-label={`Sizes of ${item.name}`}>
        {SIZES.map((size) => (
          <Thumbnail key={size} name={item.name} size={size} url={links[size]} {...item.variants[size]} />
        ))}
      </ul>
      {item.watch === 'timeout' && (
        <p className="note">
          Some sizes are still not ready.{' '}
          <button type="button" onClick={() => onRecheck(item.key)}>
            Check again
          </button>
        </p>
      )}
    </>
  );
}

function Links({ item }: { item: UploadItem }) {
  const { links } = item;
  if (!links) return null;
  const all = LINK_KINDS.map((kind) => links[kind]).join('\n');
  return (
    <div className="links">
      <ul className="link-rows">
        {LINK_KINDS.map((kind) => {
          const id = `${item.key}-link-${kind}`;
          return (
            <li key={kind} className="link-row">
              <label htmlFor={id} className="link-kind">
                {kind}
              </label>
              <input id={id} className="link-url" readOnly value={links[kind]} onFocus={(e) => e.currentTarget.select()} />
              <CopyButton text={links[kind]} label={`Copy ${kind} link of ${item.name}`} />
            </li>
          );
        })}
      </ul>
      <CopyButton text={all} label={`Copy all links of ${item.name}`} className="copy-all">
        Copy all links
      </CopyButton>
    </div>
  );
}

/** One file: progress, then the sizes appearing, then its links; or what went wrong. */
export function UploadCard({ item, onRetry, onCancel, onDismiss, onRecheck }: { item: UploadItem } & UploadCardActions) {
  const nameId = `${item.key}-name`;
  const active = item.phase === 'queued' || item.phase === 'uploading';
  return (
    <li className="card" aria-labelledby={nameId} data-phase={item.phase} data-watch={item.watch}>
      <div className="card-head">
        <h3 id={nameId} className="card-name" title={item.name}>
          {item.name}
        </h3>
        <span className="muted card-size">{formatBytes(item.size)}</span>
        {active ? (
          <button type="button" onClick={() => onCancel(item.key)} aria-label={`Cancel upload of ${item.name}`}>
            Cancel
          </button>
        ) : (
          <button type="button" className="icon" onClick={() => onDismiss(item.key)} aria-label={`Dismiss ${item.name}`}>
            ×
          </button>
        )}
      </div>
      {item.phase !== 'rejected' && (
        <div className="progress">
          <progress max={item.total || 1} value={item.sent} aria-label={`Upload of ${item.name}`} />
          <span className="progress-text">{progressText(item)}</span>
        </div>
      )}
      {item.error && (
        <div className="error" role="alert">
          <p>
            <strong>{item.error.title}:</strong> {item.error.message}
          </p>
          {item.phase === 'failed' && item.error.retryable !== false && (
            <button type="button" onClick={() => onRetry(item.key)} aria-label={`Retry ${item.name}`}>
              Retry
            </button>
          )}
        </div>
      )}
      <Thumbnails item={item} onRecheck={onRecheck} />
      <Links item={item} />
    </li>
  );
}
