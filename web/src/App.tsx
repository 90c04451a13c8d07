import { useCallback, useEffect, useRef, useState } from 'react';
import { Announcer } from './components/announcer.tsx';
import { CopyButton } from './components/copy-button.tsx';
import { DropZone } from './components/drop-zone.tsx';
import { ExpiryChoice } from './components/expiry-choice.tsx';
import { MyUploads } from './components/my-uploads.tsx';
import { UploadCard } from './components/upload-card.tsx';
import { useHistory } from './hooks/use-history.ts';
import { usePaste } from './hooks/use-paste.ts';
import { useUploader } from './hooks/use-uploader.ts';
import { ApiError, type ImgrApi, type ServerInfo } from './lib/api.ts';
import { formatBytes } from './lib/format.ts';
import type { SavedUpload } from './lib/history.ts';
import { acceptAttribute } from './lib/precheck.ts';
import { isFinished } from './lib/uploads.ts';
import type { BackoffOptions } from './lib/variants.ts';

export interface AppProps {
  api: ImgrApi;
  storage: Storage;
  /** Shown above the page when config.json could not be used. */
  warning?: string;
  concurrency?: number;
  /** Per-file rate under which files go one at a time (lib/pacing.ts); 0: the link is never judged slow. */
  slowLinkBytesPerSecond?: number;
  backoff?: BackoffOptions;
}

function limitsHint(info: ServerInfo): string {
  const parts: string[] = [];
  if (info.maxUploadBytes) parts.push(`up to ${formatBytes(info.maxUploadBytes)} each`);
  if (info.acceptedTypes) {
    parts.push(info.acceptedTypes.map((t) => t.replace(/^image\//, '').toUpperCase()).join(', '));
  }
  return parts.length ? `Images ${parts.join(': ')}.` : '';
}

function Page({
  api,
  storage,
  warning,
  concurrency,
  slowLinkBytesPerSecond,
  backoff,
  announce,
}: AppProps & { announce: (m: string) => void }) {
  const [info, setInfo] = useState<ServerInfo>({});
  const history = useHistory(storage);

  useEffect(() => {
    let live = true;
    void api.info().then((found) => live && setInfo(found));
    return () => {
      live = false;
    };
  }, [api]);

  const [expiresIn, setExpiresIn] = useState('');
  const uploader = useUploader({
    ...(expiresIn ? { expiresIn } : {}),
    api,
    info,
    announce,
    onUploaded: history.add,
    onMeasured: history.setDimensions,
    ...(concurrency ? { concurrency } : {}),
    ...(slowLinkBytesPerSecond !== undefined ? { slowLinkBytesPerSecond } : {}),
    ...(backoff ? { backoff } : {}),
  });
  usePaste(uploader.addFiles);

  // Leaving or reloading the page cancels uploads still on their way: the browser asks first.
  // Read through a ref by one lasting listener: a listener added and removed by an effect lags the screen.
  const sending = useRef(false);
  sending.current = uploader.items.some((item) => item.phase === 'queued' || item.phase === 'uploading');
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (sending.current) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  const { forgetImage } = uploader;
  const removeSaved = history.remove;
  const onDelete = useCallback(
    async (entry: SavedUpload) => {
      if (!entry.deleteToken) throw new ApiError('not-supported', 'No delete token was kept for this image.');
      try {
        await api.remove(entry.id, entry.deleteToken);
      } catch (error) {
        // Already gone on the server: the goal is reached.
        if (!(error instanceof ApiError && error.kind === 'not-found')) throw error;
      }
      removeSaved(entry.id);
      forgetImage(entry.id);
      announce(`${entry.name} deleted.`);
    },
    [api, removeSaved, forgetImage, announce],
  );
  const onForget = useCallback(
    (entry: SavedUpload) => {
      removeSaved(entry.id);
      announce(`${entry.name} removed from this list.`);
    },
    [removeSaved, announce],
  );

  // The original link of each upload of this visit, in the order of the cards, one a line: to share a batch.
  const batchLinks = uploader.items.flatMap((item) => (item.links ? [item.links.original] : [])).join('\n');

  return (
    <>
      <header className="top">
        <h1>imgr</h1>
        <p className="muted">Upload images, get a link to every size.</p>
      </header>
      <main>
        {warning && (
          <p className="warning" role="alert">
            {warning}
          </p>
        )}
        <DropZone onFiles={uploader.addFiles} accept={acceptAttribute(info)} hint={limitsHint(info)} />
        <ExpiryChoice value={expiresIn} onChange={setExpiresIn} />
        {uploader.items.length > 0 && (
          <section className="session" aria-labelledby="session-title">
            <div className="section-head">
              <h2 id="session-title">This visit</h2>
              {batchLinks && (
                <CopyButton text={batchLinks} label="Copy all links of this visit">
                  Copy all links
                </CopyButton>
              )}
              {uploader.items.some(isFinished) && (
                <button type="button" onClick={uploader.clearFinished}>
                  Clear finished
                </button>
              )}
            </div>
            <ul className="cards">
              {uploader.items.map((item) => (
                <UploadCard
                  key={item.key}
                  item={item}
                  onRetry={uploader.retry}
                  onCancel={uploader.cancel}
                  onDismiss={uploader.dismiss}
                  onRecheck={uploader.recheck}
                  onMeasured={uploader.measured}
                />
              ))}
            </ul>
          </section>
        )}
        <MyUploads
          entries={history.entries}
          onDelete={onDelete}
          onForget={onForget}
          onMeasured={history.setDimensions}
          unsaved={history.unsaved}
          onImport={history.importFile}
        />
      </main>
    </>
  );
}

/** The whole page; the API and storage come from outside so tests can hand in their own. */
export function App(props: AppProps) {
  return <Announcer>{(announce) => <Page {...props} announce={announce} />}</Announcer>;
}
