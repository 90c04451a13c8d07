import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type LinkKind } from '../lib/api.ts';
import { explainError } from '../lib/error-text.ts';
import type { Dimensions, SavedUpload } from '../lib/history.ts';
import { CopyButton } from './copy-button.tsx';
import { LinkPanel } from './link-panel.tsx';
import { RetryingImage } from './retrying-image.tsx';
import { TokenTransfer, type TokenTransferProps } from './token-transfer.tsx';

interface MyUploadsProps {
  entries: SavedUpload[];
  /** Deletes on the server; resolves when gone. */
  onDelete: (entry: SavedUpload) => Promise<void>;
  /** Drops the entry from this browser only. */
  onForget: (entry: SavedUpload) => void;
  /** A size's pixel size, measured when its links were shown. */
  onMeasured: (id: string, kind: LinkKind, size: Dimensions) => void;
  /** The browser refused to store the list: it lives only as long as this page. */
  unsaved: boolean;
  onImport: TokenTransferProps['onImport'];
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

type SavedProps = { entry: SavedUpload } & Pick<MyUploadsProps, 'onDelete' | 'onForget' | 'onMeasured'>;

function Saved({ entry, onDelete, onForget, onMeasured }: SavedProps) {
  const [linksOpen, setLinksOpen] = useState(false);
  const [mode, setMode] = useState<'idle' | 'confirm' | 'deleting'>('idle');
  const [error, setError] = useState<string | null>(null);
  const [thumbFailed, setThumbFailed] = useState(false);
  const keepButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);

  useEffect(() => {
    // Keyboard users land on the question they just opened, on its safe answer (Enter must not delete), and
    // back on Delete when they cancel.
    if (mode === 'confirm') keepButton.current?.focus();
    if (mode === 'idle' && wasConfirming.current) deleteButton.current?.focus();
    wasConfirming.current = mode === 'confirm';
  }, [mode]);

  // Escape answers the question the safe way, as it closes any dialog.
  const cancelOnEscape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') setMode('idle');
  };

  const remove = async () => {
    setMode('deleting');
    setError(null);
    try {
      await onDelete(entry);
    } catch (cause) {
      setMode('idle');
      const text = cause instanceof ApiError ? explainError(cause, { online: navigator.onLine }) : null;
      setError(text ? `${text.title}: ${text.message}` : String(cause));
    }
  };

  const uploaded = new Date(entry.uploadedAt);
  return (
    <li className="saved" data-id={entry.id}>
      <span className="saved-thumb">
        {!thumbFailed && <RetryingImage src={entry.links.tiny} alt="" loading="lazy" onGiveUp={() => setThumbFailed(true)} />}
      </span>
      <div className="saved-main">
        <a href={entry.links.original} target="_blank" rel="noreferrer" className="saved-name">
          {entry.name}
        </a>
        <time className="muted" dateTime={entry.uploadedAt}>
          {Number.isNaN(uploaded.getTime()) ? entry.uploadedAt : dateFormat.format(uploaded)}
        </time>
      </div>
      <div className="saved-actions">
        {mode === 'confirm' ? (
          <>
            <span className="confirm-text">Delete for everyone?</span>
            <button type="button" className="danger" onClick={remove} onKeyDown={cancelOnEscape} aria-label={`Yes, delete ${entry.name}`}>
              Delete
            </button>
            <button ref={keepButton} type="button" onClick={() => setMode('idle')} onKeyDown={cancelOnEscape}>
              Keep
            </button>
          </>
        ) : (
          <>
            <CopyButton text={entry.links.original} label={`Copy link of ${entry.name}`}>
              Copy link
            </CopyButton>
            {entry.deleteToken ? (
              <button
                ref={deleteButton}
                type="button"
                onClick={() => setMode('confirm')}
                disabled={mode === 'deleting'}
                aria-label={`Delete ${entry.name}`}
              >
                {mode === 'deleting' ? 'Deleting…' : 'Delete'}
              </button>
            ) : (
              <button type="button" onClick={() => onForget(entry)} aria-label={`Forget ${entry.name}`}>
                Forget
              </button>
            )}
          </>
        )}
      </div>
      <details className="saved-links" open={linksOpen} onToggle={(event) => setLinksOpen(event.currentTarget.open)}>
        <summary>All sizes and embed codes</summary>
        {linksOpen && (
          <LinkPanel idPrefix={`saved-${entry.id}`} image={entry} onMeasure={(kind, size) => onMeasured(entry.id, kind, size)} />
        )}
      </details>
      {error && (
        <div className="error saved-error" role="alert">
          <p>{error}</p>
          <button type="button" onClick={() => onForget(entry)} aria-label={`Forget ${entry.name}`}>
            Forget it here
          </button>
        </div>
      )}
    </li>
  );
}

/** The uploads made from this browser, newest first, with their delete tokens. */
export function MyUploads({ entries, onDelete, onForget, onMeasured, unsaved, onImport }: MyUploadsProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const count = useRef(entries.length);

  useEffect(() => {
    // A deleted row takes the focus with it; put it somewhere sensible.
    if (entries.length < count.current && document.activeElement === document.body) heading.current?.focus();
    count.current = entries.length;
  }, [entries.length]);

  return (
    <section className="mine" aria-labelledby="mine-title">
      <h2 id="mine-title" ref={heading} tabIndex={-1}>
        My uploads <span className="count">{entries.length}</span>
      </h2>
      <p className="muted">Remembered by this browser only, with what is needed to delete them.</p>
      {unsaved && (
        <p className="warning" role="alert">
          This browser refused to store more: the list is kept only until this page is closed. Export it to keep the delete tokens.
        </p>
      )}
      <TokenTransfer entries={entries} onImport={onImport} />
      {entries.length === 0 ? (
        <p className="empty">Nothing uploaded from this browser yet.</p>
      ) : (
        <ul className="saved-list">
          {entries.map((entry) => (
            <Saved key={entry.id} entry={entry} onDelete={onDelete} onForget={onForget} onMeasured={onMeasured} />
          ))}
        </ul>
      )}
    </section>
  );
}
