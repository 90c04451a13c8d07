import { useEffect } from 'react';

const GENERIC_NAME = /^image\.\w+$/i;

/** Clipboard images arrive as "image.png"; give them a name that tells them apart in the lists. */
function namePasted(file: File, index: number): File {
  if (file.name && !GENERIC_NAME.test(file.name)) return file;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const extension = file.type.split('/')[1]?.replace('jpeg', 'jpg') ?? 'png';
  const suffix = index > 0 ? `-${index + 1}` : '';
  return new File([file], `pasted-${stamp}${suffix}.${extension}`, { type: file.type, lastModified: file.lastModified });
}

/** Files pasted anywhere on the page (Ctrl+V, or the context menu) are uploaded; pasted text is left alone. */
export function usePaste(onFiles: (files: File[]) => void) {
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const files = Array.from(event.clipboardData?.files ?? []);
      if (files.length === 0) return;
      event.preventDefault();
      onFiles(files.map(namePasted));
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, [onFiles]);
}
