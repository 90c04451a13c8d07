const MiB = 1024 * 1024;

export interface UploadBufferPoolOptions {
  /** Buffers kept for reuse: one per upload the API handles at once. */
  maxBuffers: number;
  /** Larger buffers are never kept, so a few big uploads do not pin their memory. */
  maxBufferBytes: number;
}

/**
 * Buffers for upload bodies, reused from one upload to the next. An upload's bytes live for the
 * whole request (read, probe, store), long enough for V8 to move them to its old generation, where
 * only a full collection frees them, and V8 waits for about 64 MiB of such memory before running one:
 * at a hundred 2 MB uploads a second that garbage, not the uploads in flight, was most of the API's
 * resident memory (measured: peak 150-175 MiB with a fresh buffer per upload, 100-130 MiB reused).
 * Capacities are rounded up to whole MiB so that a buffer fits the next uploads of a similar size.
 */
export function createUploadBufferPool(options: UploadBufferPoolOptions) {
  // Largest first, so the smallest buffer that fits is the last match and the smallest is dropped.
  const free: Buffer[] = [];

  return {
    /** A buffer of at least `capacity` bytes, with stale contents: the caller overwrites what it uses. */
    acquire(capacity: number): Buffer {
      for (let index = free.length - 1; index >= 0; index--) {
        const buffer = free[index] as Buffer;
        if (buffer.length >= capacity) {
          free.splice(index, 1);
          return buffer;
        }
      }
      const rounded = Math.ceil(capacity / MiB) * MiB;
      return Buffer.allocUnsafe(rounded <= options.maxBufferBytes ? rounded : capacity);
    },

    /**
     * Hands back a buffer from `acquire` (or a view of one) once nothing uses its bytes any more.
     * Only whole buffers of at least 1 MiB are kept: smaller ones may be slices of Node's shared pool.
     */
    release(bytes: Buffer): void {
      const whole = bytes.buffer;
      if (whole.byteLength < MiB || whole.byteLength > options.maxBufferBytes || !(whole instanceof ArrayBuffer)) return;
      free.push(Buffer.from(whole));
      free.sort((a, b) => b.length - a.length);
      if (free.length > options.maxBuffers) free.pop();
    },

    /** Bytes held for reuse (for tests). */
    heldBytes: () => free.reduce((sum, buffer) => sum + buffer.length, 0),
  };
}

export type UploadBufferPool = ReturnType<typeof createUploadBufferPool>;
