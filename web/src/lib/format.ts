const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/**
 * "2.3 MB", "25 MB": units of 1024, as server limits are set (25 MiB is "25 MB", not "26.2 MB"); one decimal
 * below 10, none when it is zero.
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${UNITS[unit]}`;
}

/** Whole percent, never 100 before the last byte is sent. */
export function percent(sent: number, total: number): number {
  if (total <= 0) return 0;
  if (sent >= total) return 100;
  return Math.min(99, Math.floor((sent / total) * 100));
}
