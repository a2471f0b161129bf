/**
 * Reading a byte range of a file in blocks through one reused buffer. Freshly allocated memory is
 * much dearer to touch the first time than memory already in use, so readers that scan a large
 * file once (CSV) read it block by block into the same buffer instead of into one buffer the size
 * of the file.
 */
import { readSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Default block size (2 MiB). */
export const BLOCK_BYTES = 1 << 21;

/**
 * The bytes of `[from, to)` of an open file, a block at a time: after {@link BlockReader.fill},
 * `buf[0, n)` holds the bytes not consumed yet followed by the next block, and `base` is the file
 * offset of `buf[0]`; {@link BlockReader.consume} drops what the reader used. The buffer grows
 * when nothing of a full buffer can be used (a record longer than a block).
 * @example
 * const r = new BlockReader(fh, 0, size);
 * do { await r.fill(); r.consume(parse(r.buf, r.n, r.final)); } while (!r.final);
 */
export class BlockReader {
  buf: Buffer;
  /** Bytes held in `buf`. */
  n = 0;
  /** File offset of `buf[0]`. */
  base: number;
  /** True once the range is read to its end (or the file ended early). */
  final = false;
  private pos: number;

  /**
   * `seekable` false: the file is a pipe or a device, read from where it stands to its end
   * (`to` is then ignored), and every block gets a buffer of its own, so earlier blocks stay
   * valid for whoever keeps them (they cannot be read again).
   */
  constructor(
    private readonly fh: FileHandle,
    from: number,
    private readonly to: number,
    private readonly seekable = true,
    block = BLOCK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(seekable ? Math.max(16, Math.min(block, to - from + 1)) : block);
    this.base = from;
    this.pos = from;
  }

  /** Reads the next block after the bytes held. */
  async fill(): Promise<void> {
    if (this.final) return;
    if (!this.seekable) {
      const next = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, this.n * 2));
      this.buf.copy(next, 0, 0, this.n);
      this.buf = next;
    } else if (this.n === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.n);
      this.buf = bigger;
    }
    if (!this.seekable) {
      // A pipe hands over what it has: read until the block is full or the input ends.
      while (this.n < this.buf.length) {
        const got = (await this.fh.read(this.buf, this.n, this.buf.length - this.n, null)).bytesRead;
        if (got === 0) {
          this.final = true;
          break;
        }
        this.pos += got;
        this.n += got;
      }
      return;
    }
    const want = Math.min(this.buf.length - this.n, this.to - this.pos);
    let got = 0;
    if (want > 0) got = (await this.fh.read(this.buf, this.n, want, this.pos)).bytesRead;
    this.pos += got;
    this.n += got;
    this.final = this.pos >= this.to || got === 0;
  }

  /** Drops the first `used` bytes held (the rest moves to the front). */
  consume(used: number): void {
    if (used <= 0) return;
    if (!this.seekable) {
      // The block may be kept by the caller: the rest goes to the next block's buffer instead.
      this.buf = this.buf.subarray(used);
      this.n -= used;
      this.base += used;
      return;
    }
    this.buf.copyWithin(0, used, this.n);
    this.n -= used;
    this.base += used;
  }
}

/** Bytes `[start, end)` of an open file (a new buffer; shorter when the file ends first). */
export function readRangeSync(fd: number, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(Math.max(0, end - start));
  let at = 0;
  while (at < out.length) {
    const got = readSync(fd, out, at, out.length - at, start + at);
    if (got === 0) break;
    at += got;
  }
  return at === out.length ? out : out.subarray(0, at);
}
