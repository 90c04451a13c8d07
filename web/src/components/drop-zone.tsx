import { useEffect, useRef, useState } from 'react';

interface DropZoneProps {
  onFiles: (files: File[]) => void;
  /** The picker's `accept` attribute. */
  accept: string;
  /** Limits to show, e.g. "Up to 25 MB: JPEG, PNG, GIF". */
  hint: string;
}

const carriesFiles = (event: DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');

/**
 * Files dropped anywhere on the page are taken (a drop that misses the zone would otherwise make the
 * browser open the image and leave the page); the zone lights up while files are dragged over the window.
 */
export function DropZone({ onFiles, accept, hint }: DropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    let depth = 0;
    const enter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const over = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const leave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      onFiles(Array.from(event.dataTransfer?.files ?? []));
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [onFiles]);

  return (
    <section className="dropzone" data-dragging={dragging} aria-labelledby="dropzone-title" data-testid="dropzone">
      <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M12 16V4m0 0L7 9m5-5 5 5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" />
      </svg>
      <h2 id="dropzone-title" className="dropzone-title">
        {dragging ? 'Drop to upload' : 'Drop images here'}
      </h2>
      <p className="dropzone-text">
        or paste one with <kbd>Ctrl</kbd>+<kbd>V</kbd>, or
      </p>
      <button type="button" className="primary" onClick={() => input.current?.click()}>
        Choose images…
      </button>
      <input
        ref={input}
        className="visually-hidden"
        type="file"
        multiple
        accept={accept}
        tabIndex={-1}
        aria-label="Images to upload"
        data-testid="file-input"
        onChange={(event) => {
          onFiles(Array.from(event.currentTarget.files ?? []));
          event.currentTarget.value = '';
        }}
      />
      {hint && <p className="dropzone-hint">{hint}</p>}
    </section>
  );
}
