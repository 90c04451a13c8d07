import { type LinkKind, SIZES, type Size } from '../lib/api.ts';
import { formatBytes, percent } from '../lib/format.ts';
import type { Dimensions } from '../lib/history.ts';
import type { UploadItem } from '../lib/uploads.ts';
import { LinkPanel } from './link-panel.tsx';
import { RetryingImage } from './retrying-image.tsx';

export interface UploadCardActions {
  onRetry: (key: string) => void;
  onCancel: (key: string) => void;
  onDismiss: (key: string) => void;
  onRecheck: (key: string) => void;
  onMeasured: (key: string, kind: LinkKind, size: Dimensions) => void;
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

interface ThumbnailProps {
  name: string;
  size: Size;
  url: string;
  dimensions: Dimensions | undefined;
  onMeasured: (size: Size, dimensions: Dimensions) => void;
}

function Thumbnail({ name, size, url, state, reason, dimensions, onMeasured }: ThumbnailProps & UploadItem['variants'][Size]) {
  return (
    <li className="thumb" data-size={size} data-state={state}>
      {state === 'ready' ? (
        <a href={url} target="_blank" rel="noreferrer" className="thumb-frame">
          <RetryingImage
            src={url}
            alt={`${name}, ${size} size`}
            decoding="async"
            onLoad={(event) => onMeasured(size, { width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })}
          />
        </a>
      ) : (
        <span className="thumb-frame" aria-hidden="true" />
      )}
      <span className="thumb-label">
        {size}
        {dimensions && <span className="muted"> {`${dimensions.width}×${dimensions.height}`}</span>}
        {state === 'pending' && <span className="muted"> resizing…</span>}
        {state === 'failed' && <span className="danger-text"> failed{reason ? `: ${reason}` : ''}</span>}
      </span>
    </li>
  );
}

function Thumbnails({ item, onRecheck, onMeasured }: { item: UploadItem } & Pick<UploadCardActions, 'onRecheck' | 'onMeasured'>) {
  const { links } = item;
  if (!links) return null;
  return (
    <>
      <ul className="thumbs" aria-label={`Sizes of ${item.name}`}>
        {SIZES.map((size) => (
          <Thumbnail
            key={size}
            name={item.name}
            size={size}
            url={links[size]}
            dimensions={item.dimensions[size]}
            onMeasured={(kind, dimensions) => onMeasured(item.key, kind, dimensions)}
            {...item.variants[size]}
          />
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

/** One file: progress, then the sizes appearing, then its links; or what went wrong. */
export function UploadCard({ item, onRetry, onCancel, onDismiss, onRecheck, onMeasured }: { item: UploadItem } & UploadCardActions) {
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
      <Thumbnails item={item} onRecheck={onRecheck} onMeasured={onMeasured} />
      {item.links && <LinkPanel idPrefix={item.key} image={{ name: item.name, links: item.links, dimensions: item.dimensions }} />}
    </li>
  );
}
