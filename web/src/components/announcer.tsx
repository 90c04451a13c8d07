import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';

const AnnounceContext = createContext<(message: string) => void>(() => {});

/** The function that reads a message to screen-reader users through the page's polite live region. */
export const useAnnounce = () => useContext(AnnounceContext);

/** Holds the live region; a repeated message is still announced, as the region text changes each time. */
export function Announcer({ children }: { children: (announce: (message: string) => void) => ReactNode }) {
  const [message, setMessage] = useState({ text: '', count: 0 });
  const announce = useCallback((text: string) => setMessage((m) => ({ text, count: m.count + 1 })), []);
  return (
    <AnnounceContext.Provider value={announce}>
      {children(announce)}
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {message.text}
        {message.count % 2 === 1 ? '\u00a0' : ''}
      </div>
    </AnnounceContext.Provider>
  );
}
