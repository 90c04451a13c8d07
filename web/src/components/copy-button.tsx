import { type ReactNode, useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard.ts';
import { useAnnounce } from './announcer.tsx';

interface CopyButtonProps {
  text: string;
  /** Accessible name, e.g. "Copy big link of cat.jpg". */
  label: string;
  children?: ReactNode;
  className?: string;
}

/** Copies `text` in one click and says so for two seconds. */
export function CopyButton({ text, label, children = 'Copy', className = '' }: CopyButtonProps) {
  const announce = useAnnounce();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  const onClick = async () => {
    try {
      await copyText(text);
      setState('copied');
      announce('Copied to the clipboard.');
    } catch {
      setState('failed');
      announce('Could not copy; select the link and copy it by hand.');
    }
  };

  return (
    <button type="button" className={`copy ${className}`.trim()} aria-label={label} data-state={state} onClick={onClick}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : children}
    </button>
  );
}
