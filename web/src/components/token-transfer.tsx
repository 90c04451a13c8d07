import { useRef, useState } from 'react';
import { exportHistory, type SavedUpload } from '../lib/history.ts';
import { useAnnounce } from './announcer.tsx';

export interface TokenTransferProps {
  entries: SavedUpload[];
  /** Merges an exported file into the list; throws with a message the user can read when it is not one. */
  onImport: (text: string) => { added: number; invalid: number; saved: boolean };
}

/**
 * The delete tokens exist only in this browser: export writes them (with every link) to a JSON file, import reads
 * such a file back, here or in another browser.
 */
export function TokenTransfer({ entries, onImport }: TokenTransferProps) {
  const announce = useAnnounce();
  const picker = useRef<HTMLInputElement>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const download = () => {
    const blob = new Blob([exportHistory(entries)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `imgr-uploads-${new Date().toISOString().slice(0, 10)}.json`;
    link.click();
    // After the click the browser holds its own reference to the file.
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
    announce(`Exported ${entries.length} uploads.`);
  };

  const read = async (file: File | undefined) => {
    if (!file) return;
    try {
      const { added, invalid, saved } = onImport(await file.text());
      const parts = [`${added} ${added === 1 ? 'upload' : 'uploads'} added`];
      if (invalid > 0) parts.push(`${invalid} unreadable ${invalid === 1 ? 'entry' : 'entries'} skipped`);
      const text = `${parts.join(', ')}.${saved ? '' : ' The browser could not store them: export again before closing.'}`;
      setResult({ ok: saved, text });
      announce(text);
    } catch (error) {
      const text = `${file.name} was not imported: ${error instanceof Error ? error.message : String(error)}`;
      setResult({ ok: false, text });
      announce(text);
    }
  };

  return (
    <div className="transfer">
      <button type="button" onClick={download} disabled={entries.length === 0}>
        Export delete tokens
      </button>
      <button type="button" onClick={() => picker.current?.click()}>
        Import…
      </button>
      <input
        ref={picker}
        className="visually-hidden"
        type="file"
        accept="application/json,.json"
        tabIndex={-1}
        aria-label="Exported uploads file to import"
        onChange={(event) => {
          void read(event.currentTarget.files?.[0]);
          event.currentTarget.value = '';
        }}
      />
      {result && (
        <p className={result.ok ? 'muted transfer-result' : 'danger-text transfer-result'} role="status">
          {result.text}
        </p>
      )}
    </div>
  );
}
