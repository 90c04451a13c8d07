import { type ImgHTMLAttributes, useEffect, useState } from 'react';

interface RetryingImageProps extends Omit<ImgHTMLAttributes<HTMLImageElement>, 'src' | 'onError'> {
  src: string;
  /** Tries after the first failure (5), waiting 1, 2, 4, 8, 16 s. */
  attempts?: number;
  /** Called once all tries failed. */
  onGiveUp?: () => void;
}

/**
 * An image that tries again when it fails to load: a size requested just before the worker wrote it
 * answers 404 the first time. Each try adds a query string, so no cached 404 is reused.
 */
export function RetryingImage({ src, attempts = 5, onGiveUp, alt, ...rest }: RetryingImageProps) {
  const [attempt, setAttempt] = useState(0);
  const [waiting, setWaiting] = useState(false);

  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(
      () => {
        setWaiting(false);
        setAttempt((n) => n + 1);
      },
      1000 * 2 ** attempt,
    );
    return () => clearTimeout(timer);
  }, [waiting, attempt]);

  const url = attempt === 0 ? src : `${src}${src.includes('?') ? '&' : '?'}try=${attempt}`;
  return (
    <img
      {...rest}
      alt={alt}
      src={url}
      // Hidden between tries, so no broken-image icon flashes.
      data-waiting={waiting || undefined}
      onError={() => {
        if (attempt < attempts) setWaiting(true);
        else onGiveUp?.();
      }}
    />
  );
}
