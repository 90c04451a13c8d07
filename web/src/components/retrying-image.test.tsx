import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryingImage } from './retrying-image.tsx';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('RetryingImage', () => {
  it('tries again with growing waits and a fresh URL, then gives up', () => {
    const gaveUp = vi.fn();
    render(<RetryingImage src="http://h/image/a/tiny" alt="a" attempts={2} onGiveUp={gaveUp} />);
    const img = () => screen.getByRole('img', { name: 'a' });
    expect(img().getAttribute('src')).toBe('http://h/image/a/tiny');

    fireEvent.error(img());
    expect(img().hasAttribute('data-waiting')).toBe(true);
    act(() => vi.advanceTimersByTime(999));
    expect(img().getAttribute('src')).toBe('http://h/image/a/tiny');
    act(() => vi.advanceTimersByTime(1));
    expect(img().getAttribute('src')).toBe('http://h/image/a/tiny?try=1');
    expect(img().hasAttribute('data-waiting')).toBe(false);

    fireEvent.error(img());
    act(() => vi.advanceTimersByTime(2000));
    expect(img().getAttribute('src')).toBe('http://h/image/a/tiny?try=2');
    expect(gaveUp).not.toHaveBeenCalled();

    fireEvent.error(img());
    expect(gaveUp).toHaveBeenCalledOnce();
  });
});
