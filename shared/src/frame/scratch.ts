/**
 * Scratch memory for temporary arrays — those of an in-process join (key codes, times, orders),
 * the bytes a Parquet read hands to its engine: typed arrays over buffers kept between calls, so
 * that repeated calls write to memory they have written before instead of to fresh memory, whose
 * first touch costs far more than the writes themselves. Only arrays that never outlive the call
 * may come from here: the caller releases them all at once, after which they may be handed out
 * again. Kept buffers are dropped after a few idle seconds, and never exceed a fixed total.
 */

/** Arrays smaller than this are allocated as usual (small allocations are cheap). */
const MIN_BYTES = 64 * 1024;
/** At most this many bytes are kept between calls. */
const MAX_KEPT_BYTES = 256 * 1024 * 1024;
/** Kept buffers are dropped after this long without use. */
const IDLE_MS = 10_000;

/** Buffers kept between calls, and their total size. */
const kept: ArrayBuffer[] = [];
let keptBytes = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** The smallest kept buffer of at least `bytes` bytes and at most twice that (removed from the kept set), or a new one. */
function takeBuffer(bytes: number): ArrayBuffer {
  let best = -1;
  for (let i = 0; i < kept.length; i++) {
    const n = kept[i].byteLength;
    if (n >= bytes && n <= 2 * bytes && (best < 0 || n < kept[best].byteLength)) best = i;
  }
  if (best < 0) return new ArrayBuffer(bytes);
  const [b] = kept.splice(best, 1);
  keptBytes -= b.byteLength;
  return b;
}

/** Bytes kept between calls (for tests and diagnostics). */
export function scratchByteCount(): number {
  return keptBytes;
}

/** Drops every kept buffer. */
export function dropScratch(): void {
  kept.length = 0;
  keptBytes = 0;
  clearTimeout(idleTimer);
}

/** Where a kernel takes its temporary arrays from: fresh memory ({@link FRESH}) or a {@link Scratch}. */
export interface Alloc {
  int32(n: number): Int32Array;
  float64(n: number): Float64Array;
  uint8(n: number): Uint8Array;
}

/** Fresh arrays, owned by whoever receives them. */
export const FRESH: Alloc = {
  int32: (n) => new Int32Array(n),
  float64: (n) => new Float64Array(n),
  uint8: (n) => new Uint8Array(n),
};

/**
 * The temporary arrays of one call. Arrays come zero-filled, like `new Int32Array(n)`.
 * @example
 * const scratch = new Scratch();
 * try {
 *   const codes = scratch.int32(rows);
 *   // … use codes, never return them …
 * } finally {
 *   scratch.release();
 * }
 */
export class Scratch implements Alloc {
  private taken: ArrayBuffer[] = [];

  private buffer(bytes: number): ArrayBuffer | null {
    if (bytes < MIN_BYTES) return null;
    const b = takeBuffer(bytes);
    this.taken.push(b);
    return b;
  }

  /** A zero-filled Int32Array of `n` elements. */
  int32(n: number): Int32Array {
    const b = this.buffer(n * 4);
    return b ? new Int32Array(b, 0, n).fill(0) : new Int32Array(n);
  }

  /** A zero-filled Float64Array of `n` elements. */
  float64(n: number): Float64Array {
    const b = this.buffer(n * 8);
    return b ? new Float64Array(b, 0, n).fill(0) : new Float64Array(n);
  }

  /** A zero-filled Uint8Array of `n` elements. */
  uint8(n: number): Uint8Array {
    const b = this.buffer(n);
    return b ? new Uint8Array(b, 0, n).fill(0) : new Uint8Array(n);
  }

  /** A Uint8Array of `n` bytes, not zero-filled (a kept buffer holds what its last user wrote). */
  bytes(n: number): Uint8Array {
    const b = this.buffer(n);
    return b ? new Uint8Array(b, 0, n) : new Uint8Array(n);
  }

  /** Gives every array of this call back; none of them may be used afterwards. */
  release(): void {
    const taken = this.taken;
    this.taken = [];
    // Largest first: when over the cap, the largest are the ones most likely to be needed again.
    taken.sort((a, b) => b.byteLength - a.byteLength);
    for (const b of taken) {
      if (keptBytes + b.byteLength > MAX_KEPT_BYTES) continue;
      kept.push(b);
      keptBytes += b.byteLength;
    }
    clearTimeout(idleTimer);
    if (keptBytes > 0) {
      idleTimer = setTimeout(dropScratch, IDLE_MS);
      idleTimer.unref();
    }
  }
}
