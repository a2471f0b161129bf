/**
 * The byte-level CSV engine behind `readCsv`, `parseCsv`, `readCsvBatches` and `inferCsvSchema`:
 * records are found in UTF-8 bytes (no per-line strings, no per-row objects), each cell is a
 * `[start, end)` range written straight into a typed column builder (numbers parsed from the bytes,
 * strings copied as bytes). A chunk is only ever cut at a record boundary, so neither a quoted cell
 * nor a multi-byte character is split between chunks.
 *
 * Type guessing follows the rules of the `csv` module in one pass: the first value of a column
 * picks its type, and a later value that does not fit widens it (Int64 → Float64 → Utf8, any other
 * → Utf8). Widening rebuilds that column alone from the rows kept so far (the bytes of every batch
 * stay referenced until the read ends), so the result is the one a guess over every row would give.
 */
import * as arrow from "apache-arrow";
import { DataIoError } from "../errors";
import { ColumnBuilder, describe as describeValue } from "../frame/table";

const LF = 10;
const CR = 13;

/** Cell kinds: plain, quoted (no inner quotes), quoted with doubled inner quotes. */
export const PLAIN = 0;
export const QUOTED = 1;
export const ESCAPED = 2;

/**
 * Finds the records of CSV bytes. After a successful {@link RecordScanner.next}, `count` cells
 * were found; the first `min(count, capacity)` have their bounds in `starts`/`ends` and their kind
 * in `kinds`; `line` is the record's first line (1-based).
 */
export class RecordScanner {
  starts: Int32Array;
  ends: Int32Array;
  kinds: Uint8Array;
  count = 0;
  /** Line of the record found last. */
  line = 0;
  /** Line of the next record. */
  nextLine = 1;
  private readonly delim: number;
  private readonly quote: number;
  private readonly label: string;
  private readonly path: string | undefined;
  /** 1 for the bytes that end a plain cell (delimiter, LF, CR), else 0. */
  private readonly stops: Uint8Array;

  constructor(delim: string, quote: string, label: string, path: string | undefined, capacity = 64) {
    this.delim = Buffer.from(delim)[0];
    this.quote = Buffer.from(quote)[0];
    this.stops = new Uint8Array(256);
    this.stops[this.delim] = 1;
    this.stops[LF] = 1;
    this.stops[CR] = 1;
    this.label = label;
    this.path = path;
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.values = new Float64Array(capacity);
    this.parsed = new Uint8Array(capacity);
  }

  private grow(): void {
    const n = this.starts.length * 2;
    const s = new Int32Array(n);
    s.set(this.starts);
    const e = new Int32Array(n);
    e.set(this.ends);
    const k = new Uint8Array(n);
    k.set(this.kinds);
    this.starts = s;
    this.ends = e;
    this.kinds = k;
    this.values = new Float64Array(n);
    this.parsed = new Uint8Array(n);
  }

  /**
   * Scans the record starting at `p` (blank lines before it are skipped). Returns the position
   * after the record's line end, or -1 when the bytes end inside the record and more may come
   * (`final` false), or `n` with `count` 0 when only blank lines were left.
   */
  next(buf: Uint8Array, p: number, n: number, final: boolean): number {
    const delim = this.delim;
    const quote = this.quote;
    let line = this.nextLine;
    // Blank lines.
    while (p < n) {
      const c = buf[p];
      if (c === LF) {
        p++;
        line++;
      } else if (c === CR) {
        if (p + 1 < n) {
          p += buf[p + 1] === LF ? 2 : 1;
          line++;
        } else {
          if (!final) return -1;
          p++;
        }
      } else break;
    }
    if (p >= n) {
      this.nextLine = line;
      this.count = 0;
      return n;
    }
    let count = 0;
    let extra = 0;
    const stops = this.stops;
    let starts = this.starts;
    let ends = this.ends;
    let kinds = this.kinds;
    for (;;) {
      if (count >= starts.length) {
        this.grow();
        starts = this.starts;
        ends = this.ends;
        kinds = this.kinds;
      }
      if (p < n && buf[p] === quote) {
        const a = p + 1;
        let q = a;
        let kind = QUOTED;
        for (;;) {
          const e = buf.indexOf(quote, q);
          if (e < 0 || e >= n) {
            if (!final) return -1;
            throw new DataIoError(
              `${this.label} line ${line}: a quoted cell in column ${count + 1} is never closed; close the quote or escape inner quotes by doubling them.`,
              { row: line, path: this.path },
            );
          }
          if (e + 1 >= n && !final) return -1;
          if (e + 1 < n && buf[e + 1] === quote) {
            kind = ESCAPED;
            q = e + 2;
            continue;
          }
          for (let k = buf.indexOf(LF, a); k >= 0 && k < e; k = buf.indexOf(LF, k + 1)) extra++;
          starts[count] = a;
          ends[count] = e;
          kinds[count] = kind;
          p = e + 1;
          break;
        }
      } else {
        let q = p;
        while (q < n && stops[buf[q]] === 0) q++;
        if (q >= n && !final) return -1;
        starts[count] = p;
        ends[count] = q;
        kinds[count] = PLAIN;
        p = q;
      }
      count++;
      if (p >= n) break;
      const c = buf[p];
      if (c === delim) {
        p++;
        continue;
      }
      if (c === LF) {
        p++;
        break;
      }
      if (c === CR) {
        if (p + 1 < n) {
          p += buf[p + 1] === LF ? 2 : 1;
          break;
        }
        if (!final) return -1;
        p++;
        break;
      }
      throw new DataIoError(
        `${this.label} line ${line + extra}: unexpected character ${JSON.stringify(String.fromCharCode(c))} after the closing quote of column ${count}; a quoted cell must end at a delimiter or a line end (double inner quotes).`,
        { row: line + extra, path: this.path },
      );
    }
    // A cell left open at the very end of the input is complete only when nothing more comes.
    this.count = count;
    this.line = line;
    this.nextLine = line + 1 + extra;
    return p;
  }

  private view: DataView | null = null;
  private viewBuf: Uint8Array | null = null;

  /**
   * A DataView of `buf` (kept while the same buffer comes back), for reading four digits at once:
   * the little-endian word `w` of four bytes holds only ASCII digits when every byte's high nibble is
   * 3 and stays 3 after adding 6; then `w & 0x0f0f0f0f` holds the digits, two multiply-and-shift
   * steps combine them pairwise into their 4-digit value, and the value of the number so far is
   * multiplied by 10^4 instead of 10 four times (one rounding instead of four once it passes 2^53,
   * which keeps it within 2^31 of the exact integer the same way).
   */
  private viewOf(buf: Uint8Array): DataView {
    if (this.viewBuf !== buf) {
      this.viewBuf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view!;
  }

  /** Parsed values of the numeric cells of the record found last by {@link RecordScanner.nextPlain}. */
  values: Float64Array;
  /** 1 where `values` holds the cell's value, 0 where the cell must be parsed from its bytes. */
  parsed: Uint8Array;

  /**
   * The common case of {@link RecordScanner.next} in one pass: a record of exactly `expected`
   * unquoted cells on one line, starting at `p` (no blank line before it) and ending at a line end,
   * with the numeric cells read as they are scanned (`numeric[j]`: 1 decimal, 2 integer; the value
   * goes to `values[j]` when `parsed[j]` is 1). Returns the position after the record, or -2 when
   * the record is anything else (a quote, a blank line, another cell count, the bytes ending inside
   * it): {@link RecordScanner.next} then reads it from `p`, which gives the same result.
   */
  nextPlain(buf: Uint8Array, p: number, n: number, expected: number, numeric: Uint8Array): number {
    if (expected > this.values.length || expected > this.starts.length) return -2;
    const stops = this.stops;
    const quote = this.quote;
    const delim = this.delim;
    const starts = this.starts;
    const ends = this.ends;
    const kinds = this.kinds;
    const values = this.values;
    const parsed = this.parsed;
    if (p >= n || stops[buf[p]] === 1 && buf[p] !== delim) return -2;
    for (let j = 0; j < expected; j++) {
      const a = p;
      if (p < n && buf[p] === quote) return -2;
      const kind = numeric[j];
      if (kind !== 0) {
        // [-]digits[.digits] read in one pass as the integer D of all its digits, over 10^fd (fd
        // fraction digits, at most 22): x is D rounded, l is D modulo 2^32 exactly. Below 2^53 x
        // is exact and one division is correctly rounded; up to 2^62 x is within 2^31 of D, so D
        // is rebuilt exactly from x and l as a sum of two doubles and divided with the residual
        // check of `divideExact`. Anything else is left to the full parser.
        let q = p;
        let neg = false;
        if (q < n && buf[q] === 45) {
          neg = true;
          q++;
        }
        const d0 = q;
        let x = 0;
        let l = 0;
        let c = 0;
        while (q < n && (c = buf[q] - 48) >>> 0 < 10) {
          x = x * 10 + c;
          l = (Math.imul(l, 10) + c) | 0;
          q++;
        }
        let fd = 0;
        let ok = q > d0;
        if (kind === 1 && q < n && buf[q] === 46) {
          q++;
          const f0 = q;
          // Four digits at a time while there are (see `viewOf`), then one at a time.
          if (q + 4 <= n) {
            const dv = this.viewOf(buf);
            while (q + 4 <= n) {
              const w = dv.getUint32(q, true);
              if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) break;
              let d = w & 0x0f0f0f0f;
              d = ((d * 10 + (d >>> 8)) & 0x00ff00ff) >>> 0;
              d = (d * 100 + (d >>> 16)) & 0xffff;
              x = x * 10000 + d;
              l = (Math.imul(l, 10000) + d) | 0;
              q += 4;
            }
          }
          while (q < n && (c = buf[q] - 48) >>> 0 < 10) {
            x = x * 10 + c;
            l = (Math.imul(l, 10) + c) | 0;
            q++;
          }
          fd = q - f0;
          ok = (ok || fd > 0) && fd <= 22;
        }
        let v = NaN;
        if (ok && (q >= n || stops[buf[q]] === 1)) {
          if (x <= 9007199254740991) v = fd === 0 ? x : x / POW10[fd];
          else if (kind === 1 && x < 4611686018427387904) {
            const low = l >>> 0;
            const big = Math.round((x - low) / 4294967296) * 4294967296;
            const s1 = big + low;
            v = fd === 0 ? s1 : divideExact(s1, big - s1 + low, POW10[fd]);
          }
        }
        if (v === v) {
          values[j] = neg ? -v : v;
          parsed[j] = 1;
          p = q;
        } else {
          while (q < n && stops[buf[q]] === 0) q++;
          // Longer digits or an exponent: the full parser, on bytes still in cache.
          const y = kind === 1 ? parseFloatBytes(buf, a, q) : NOT_A_NUMBER;
          if (y === NOT_A_NUMBER) parsed[j] = 0;
          else {
            values[j] = y;
            parsed[j] = 1;
          }
          p = q;
        }
      } else {
        while (p < n && stops[buf[p]] === 0) p++;
      }
      if (p >= n) return -2;
      starts[j] = a;
      ends[j] = p;
      kinds[j] = PLAIN;
      const c = buf[p];
      if (j + 1 < expected) {
        if (c !== delim) return -2;
        p++;
      } else if (c === LF) p++;
      else if (c === CR && p + 1 < n && buf[p + 1] === LF) p += 2;
      else return -2;
    }
    this.count = expected;
    this.line = this.nextLine;
    this.nextLine = this.line + 1;
    return p;
  }
}

const utf8 = new TextDecoder();

/** The text of a cell (inner doubled quotes undone). */
export function cellText(buf: Uint8Array, a: number, b: number, kind: number, quote: number): string {
  if (kind !== ESCAPED) return b - a < 16 ? shortText(buf, a, b) : utf8.decode(buf.subarray(a, b));
  const bytes = new Uint8Array(b - a);
  let w = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i];
    bytes[w++] = c;
    if (c === quote) i++;
  }
  return utf8.decode(bytes.subarray(0, w));
}

function shortText(buf: Uint8Array, a: number, b: number): string {
  let s = "";
  for (let i = a; i < b; i++) {
    const c = buf[i];
    if (c > 127) return utf8.decode(buf.subarray(a, b));
    s += String.fromCharCode(c);
  }
  return s;
}

// ------------------------------------------------------------------------------------------------
// Number parsing from bytes

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
/** Returned by the parsers for a cell that is not a number of the kind asked for. */
export const NOT_A_NUMBER = Symbol("not a number");
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  NaN: NaN, nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity, Infinity: Infinity, "+Infinity": Infinity, "-Infinity": -Infinity,
};

/**
 * A decimal from bytes, exactly as `Number(text)` would give it for the texts the CSV rules call
 * numbers (`[+-]digits[.digits][e±digits]`, and the special `NaN`/`inf` spellings), or
 * {@link NOT_A_NUMBER}. The digits are located first, then read in two tight loops: up to 15
 * significant digits and exponents within ±22 take one correctly rounded multiplication or
 * division (both operands exact); 16 and 17 digits with a negative exponent are divided and the
 * quotient checked, and if needed moved one step, by its exact residual; anything else (more
 * digits, larger exponents, a tie too close to call) goes through `Number`.
 */
export function parseFloatBytes(buf: Uint8Array, a: number, b: number): number | typeof NOT_A_NUMBER {
  let p = a;
  let neg = false;
  if (p < b) {
    const c0 = buf[p];
    if (c0 === 45) {
      neg = true;
      p++;
    } else if (c0 === 43) p++;
  }
  const intStart = p;
  while (p < b && buf[p] === 48) p++;
  // First significant digit of the integer part (or its end when it has none).
  let first = p;
  while (p < b && (buf[p] - 48) >>> 0 < 10) p++;
  const intEnd = p;
  let fracDigits = 0;
  let last = intEnd;
  if (p < b && buf[p] === 46) {
    p++;
    const fracStart = p;
    while (p < b && (buf[p] - 48) >>> 0 < 10) p++;
    fracDigits = p - fracStart;
    last = p;
    if (first === intEnd) {
      first = fracStart;
      while (first < p && buf[first] === 48) first++;
    }
  }
  if (intEnd === intStart && fracDigits === 0) return slowFloat(buf, a, b);
  let scale = -fracDigits;
  if (p < b && (buf[p] === 101 || buf[p] === 69)) {
    p++;
    let eneg = false;
    if (p < b && (buf[p] === 45 || buf[p] === 43)) {
      eneg = buf[p] === 45;
      p++;
    }
    const e0 = p;
    let e = 0;
    while (p < b && (buf[p] - 48) >>> 0 < 10 && p - e0 < 6) {
      e = e * 10 + (buf[p] - 48);
      p++;
    }
    if (p === e0 || p !== b) return slowFloat(buf, a, b);
    scale += eneg ? -e : e;
  }
  if (p !== b) return NOT_A_NUMBER;
  // Significant digits in [first, last), the decimal point possibly among them.
  const sig = last - first - (first < intEnd && last > intEnd ? 1 : 0);
  if (sig <= 17) {
    // The digits exactly, as hi (the first 9) times 10^loDigits plus lo (the rest, up to 8).
    let i = first;
    let hi = 0;
    let k = 0;
    for (; i < last && k < 9; i++) {
      const c = buf[i] - 48;
      if (c >= 0) {
        hi = hi * 10 + c;
        k++;
      }
    }
    let lo = 0;
    for (; i < last; i++) {
      const c = buf[i] - 48;
      if (c >= 0) lo = lo * 10 + c;
    }
    const big = hi * POW10[sig - k];
    const s1 = big + lo;
    // Below 2^53 the sum is exact (2^53 itself may be 2^53 + 1 rounded).
    if (s1 < 9007199254740992 && scale >= -22 && scale <= 22) {
      // Both operands exact: one correctly rounded operation.
      const x = scale < 0 ? s1 / POW10[-scale] : s1 * POW10[scale];
      return neg ? -x : x;
    }
    if (scale < 0 && scale >= -22) {
      const x = divideExact(s1, big - s1 + lo, POW10[-scale]);
      if (x === x) return neg ? -x : x;
    }
  }
  // A valid decimal the fast paths cannot round exactly: V8's own conversion of its text.
  return Number(latin1(buf, a, b));
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)

/** The spacing of doubles at positive normal `x`. */
function ulpOf(x: number): number {
  f64[0] = x;
  const exp = (u32[1] >>> 20) & 0x7ff;
  f64[0] = 0;
  u32[1] = (exp - 52) << 20;
  return exp > 52 ? f64[0] : NaN;
}

/** The next double above (`dir` 1) or below (`dir` -1) positive `x`. */
function stepOf(x: number, dir: number): number {
  f64[0] = x;
  if (dir > 0) {
    if (u32[0] === 0xffffffff) {
      u32[0] = 0;
      u32[1]++;
    } else u32[0]++;
  } else if (u32[0] === 0) {
    u32[0] = 0xffffffff;
    u32[1]--;
  } else u32[0]--;
  return f64[0];
}

/**
 * True when `q` is the correctly rounded value of (s1 + s2) / d, by the exact residual
 * s1 + s2 - q·d (Dekker's product, no fused multiply-add needed); false when it is not or too
 * close to a tie to tell.
 */
function roundsTo(q: number, s1: number, s2: number, d: number): number {
  let c = SPLIT * q;
  const qh = c - (c - q);
  const ql = q - qh;
  c = SPLIT * d;
  const dh = c - (c - d);
  const dl = d - dh;
  const p1 = q * d;
  const p2 = qh * dh - p1 + qh * dl + ql * dh + ql * dl;
  const r = s1 - p1 - p2 + s2;
  const half = (d * ulpOf(q)) / 2;
  const ar = r < 0 ? -r : r;
  if (ar < half * (1 - 1e-9)) return 0;
  if (ar > half * (1 + 1e-9) && ar < 3 * half * (1 - 1e-9)) return r < 0 ? -1 : 1;
  return 2;
}

/**
 * (s1 + s2) / d correctly rounded, for an exact double-double numerator and d = 10^k (k ≤ 22):
 * divided, then checked and if needed moved one step by the exact residual; NaN when a tie is
 * too close to call.
 */
function divideExact(s1: number, s2: number, d: number): number {
  let q = s1 / d;
  for (let step = 0; step < 2; step++) {
    const verdict = roundsTo(q, s1, s2, d);
    if (verdict === 0) return q;
    if (verdict === 2 || !(q > 0)) return NaN;
    q = stepOf(q, verdict);
  }
  return NaN;
}

function slowFloat(buf: Uint8Array, a: number, b: number): number | typeof NOT_A_NUMBER {
  const s = shortOrLatin(buf, a, b);
  if (FLOAT_RE.test(s)) return Number(s);
  const x = SPECIAL_FLOATS[s];
  return x === undefined ? NOT_A_NUMBER : x;
}

function shortOrLatin(buf: Uint8Array, a: number, b: number): string {
  return latin1(buf, a, b);
}

/** The bytes as one-byte characters (exact for ASCII). */
function latin1(buf: Uint8Array, a: number, b: number): string {
  return Buffer.prototype.latin1Slice.call(buf, a, b) as string;
}

/** True when the bytes are `[+-]?digits` (the CSV rules' integer). */
export function isIntBytes(buf: Uint8Array, a: number, b: number): boolean {
  let p = a;
  if (p < b && (buf[p] === 45 || buf[p] === 43)) p++;
  if (p >= b) return false;
  for (; p < b; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// Column sinks

/** Where the cells of one output column go. */
export interface CellSink {
  readonly length: number;
  /** Appends a cell; false when it does not fit the column's type (nothing appended then). */
  put(buf: Uint8Array, a: number, b: number, kind: number, line: number): boolean;
  putNull(): void;
  finish(): arrow.Data;
}

class Validity {
  bits: Uint8Array;
  nulls = 0;
  constructor(cap: number) {
    this.bits = new Uint8Array((cap + 7) >> 3);
  }
  grow(cap: number): void {
    const b = new Uint8Array((cap + 7) >> 3);
    b.set(this.bits);
    this.bits = b;
  }
  bitmap(n: number): Uint8Array | undefined {
    return this.nulls > 0 ? this.bits.slice(0, (n + 7) >> 3) : undefined;
  }
}

/**
 * The first `n` values of a sink's array for its finished column: the array itself when full (a
 * sink is not used after `finish`), else a copy, so no spare capacity stays referenced.
 */
function used<T extends Float64Array | BigInt64Array | Uint8Array | Int32Array>(a: T, n: number): T {
  return (n === a.length ? a : a.slice(0, n)) as T;
}

/** Float64 cells parsed from bytes into a Float64Array. */
class Float64Sink implements CellSink {
  length = 0;
  private values: Float64Array;
  private readonly valid: Validity;
  constructor(cap: number) {
    this.values = new Float64Array(cap);
    this.valid = new Validity(cap);
  }
  private grow(): void {
    const v = new Float64Array(this.values.length * 2);
    v.set(this.values);
    this.values = v;
    this.valid.grow(v.length);
  }
  /** Appends a value already parsed. */
  push(x: number): void {
    const i = this.length;
    if (i >= this.values.length) this.grow();
    this.values[i] = x;
    this.valid.bits[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
  }
  put(buf: Uint8Array, a: number, b: number): boolean {
    const x = parseFloatBytes(buf, a, b);
    if (x === NOT_A_NUMBER) return false;
    const i = this.length;
    if (i >= this.values.length) this.grow();
    this.values[i] = x;
    this.valid.bits[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
    return true;
  }
  putNull(): void {
    const i = this.length;
    if (i >= this.values.length) this.grow();
    this.valid.nulls++;
    this.length = i + 1;
  }
  finish(): arrow.Data {
    const n = this.length;
    return arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: this.valid.nulls, nullBitmap: this.valid.bitmap(n), data: used(this.values, n) });
  }
}

/** Signed Int64 cells: parsed from bytes into the two 32-bit halves (no BigInt for 15 digits or fewer). */
class Int64Sink implements CellSink {
  length = 0;
  private values: BigInt64Array;
  private words: Int32Array;
  private readonly valid: Validity;
  constructor(cap: number) {
    this.values = new BigInt64Array(cap);
    this.words = new Int32Array(this.values.buffer);
    this.valid = new Validity(cap);
  }
  private grow(): void {
    const v = new BigInt64Array(this.values.length * 2);
    v.set(this.values);
    this.values = v;
    this.words = new Int32Array(v.buffer);
    this.valid.grow(v.length);
  }
  /** Appends an integer already parsed (|x| < 2^53). */
  push(x: number): void {
    const i = this.length;
    if (i >= this.values.length) this.grow();
    const hi = Math.floor(x / 4294967296);
    this.words[2 * i] = x - hi * 4294967296;
    this.words[2 * i + 1] = hi;
    this.valid.bits[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
  }
  put(buf: Uint8Array, a: number, b: number): boolean {
    let p = a;
    let neg = false;
    if (p < b && (buf[p] === 45 || buf[p] === 43)) {
      neg = buf[p] === 45;
      p++;
    }
    if (p >= b) return false;
    const i = this.length;
    if (i >= this.values.length) this.grow();
    if (b - p <= 15) {
      let x = 0;
      for (; p < b; p++) {
        const c = buf[p] - 48;
        if (c < 0 || c > 9) return false;
        x = x * 10 + c;
      }
      if (neg) x = -x;
      const hi = Math.floor(x / 4294967296);
      this.words[2 * i] = x - hi * 4294967296;
      this.words[2 * i + 1] = hi;
    } else {
      if (!isIntBytes(buf, a, b)) return false;
      const big = BigInt(shortOrLatin(buf, a, b));
      if (big < -0x8000000000000000n || big > 0x7fffffffffffffffn) return false;
      this.values[i] = big;
    }
    this.valid.bits[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
    return true;
  }
  putNull(): void {
    const i = this.length;
    if (i >= this.values.length) this.grow();
    this.values[i] = 0n;
    this.valid.nulls++;
    this.length = i + 1;
  }
  finish(): arrow.Data {
    const n = this.length;
    return arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: this.valid.nulls, nullBitmap: this.valid.bitmap(n), data: used(this.values, n) });
  }
}

/** Utf8 cells copied as bytes (doubled quotes undone). */
class Utf8Sink implements CellSink {
  length = 0;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private used = 0;
  private readonly valid: Validity;
  /** `bytes`: the expected byte size of the column (default 8 per row). */
  constructor(cap: number, private readonly quote: number, bytes = cap * 8) {
    this.offsets = new Int32Array(cap + 1);
    this.bytes = new Uint8Array(Math.max(64, bytes));
    this.valid = new Validity(cap);
  }

  /** Bytes of text held so far. */
  get byteLength(): number {
    return this.used;
  }
  private growRows(): void {
    const o = new Int32Array((this.offsets.length - 1) * 2 + 1);
    o.set(this.offsets);
    this.offsets = o;
    this.valid.grow(o.length - 1);
  }
  put(buf: Uint8Array, a: number, b: number, kind: number): boolean {
    const i = this.length;
    if (i + 1 >= this.offsets.length) this.growRows();
    let w = this.used;
    if (w + (b - a) > this.bytes.length) {
      const nb = new Uint8Array(Math.max(this.bytes.length * 2, w + (b - a)));
      nb.set(this.bytes.subarray(0, w));
      this.bytes = nb;
    }
    const out = this.bytes;
    if (kind === ESCAPED) {
      const q = this.quote;
      for (let k = a; k < b; k++) {
        const c = buf[k];
        out[w++] = c;
        if (c === q) k++;
      }
    } else if (b - a < 32) {
      for (let k = a; k < b; k++) out[w++] = buf[k];
    } else {
      out.set(buf.subarray(a, b), w);
      w += b - a;
    }
    this.used = w;
    this.offsets[i + 1] = w;
    this.valid.bits[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
    return true;
  }
  putNull(): void {
    const i = this.length;
    if (i + 1 >= this.offsets.length) this.growRows();
    this.offsets[i + 1] = this.used;
    this.valid.nulls++;
    this.length = i + 1;
  }
  finish(): arrow.Data {
    const n = this.length;
    return arrow.makeData({
      type: new arrow.Utf8(),
      length: n,
      nullCount: this.valid.nulls,
      nullBitmap: this.valid.bitmap(n),
      valueOffsets: used(this.offsets, n + 1),
      // Most of the buffer is used when it was sized from the batch before: a view then, not a copy.
      data: this.used >= this.bytes.length * 0.75 ? this.bytes.subarray(0, this.used) : used(this.bytes, this.used),
    });
  }
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digitsAt(buf: Uint8Array, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * `parseIsoFast` of `csv.ts` on bytes, with the same arithmetic (so the same double): epoch
 * milliseconds of `YYYY-MM-DD[T ]HH:MM:SS[.f…][Z|z|±HH:MM|±HHMM|±HH]`; NaN for any other text,
 * which then goes through the text converter.
 */
export function isoTimestampBytesMs(buf: Uint8Array, a: number, b: number): number {
  const n = b - a;
  if (n < 19 || buf[a + 4] !== 45 || buf[a + 7] !== 45 || buf[a + 13] !== 58 || buf[a + 16] !== 58) return NaN;
  const sep = buf[a + 10];
  if (sep !== 84 && sep !== 32) return NaN;
  const y = digitsAt(buf, a, 4);
  const mo = digitsAt(buf, a + 5, 2);
  const d = digitsAt(buf, a + 8, 2);
  const h = digitsAt(buf, a + 11, 2);
  const mi = digitsAt(buf, a + 14, 2);
  const sec = digitsAt(buf, a + 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60)) return NaN;
  let ms = (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
  let p = a + 19;
  if (p < b && buf[p] === 46) {
    p++;
    let frac = 0;
    let scale = 1;
    const start = p;
    while (p < b) {
      const c = buf[p] - 48;
      if (c < 0 || c > 9) break;
      if (p - start < 9) {
        frac = frac * 10 + c;
        scale *= 10;
      }
      p++;
    }
    if (p === start) return NaN;
    ms += (frac / scale) * 1000;
  }
  if (p === b) return ms;
  const z = buf[p];
  if ((z === 90 || z === 122) && p + 1 === b) return ms;
  if ((z === 43 || z === 45) && (p + 6 === b || p + 5 === b || p + 3 === b)) {
    const oh = digitsAt(buf, p + 1, 2);
    const om = p + 3 === b ? 0 : digitsAt(buf, b - 2, 2);
    if (p + 6 === b && buf[p + 3] !== 58) return NaN;
    if (!(oh <= 23 && om <= 59)) return NaN;
    return ms - (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return NaN;
}

/**
 * Any other type: the cell's text through the module's text converter into a {@link ColumnBuilder}
 * (timestamps first tried straight from the bytes, by {@link isoTimestampBytesMs}).
 */
class TextSink implements CellSink {
  private readonly builder: ColumnBuilder;
  private readonly timestamp: boolean;
  constructor(
    field: arrow.Field,
    cap: number,
    label: string,
    private readonly convert: (s: string) => unknown,
    private readonly invalid: symbol,
    private readonly quote: number,
  ) {
    this.builder = new ColumnBuilder(field.name, field.type, cap, label);
    this.timestamp = arrow.DataType.isTimestamp(field.type);
  }
  get length(): number {
    return this.builder.length;
  }
  put(buf: Uint8Array, a: number, b: number, kind: number, line: number): boolean {
    if (this.timestamp && kind === PLAIN) {
      // Both converters (by schema and by guess) give parseIsoFast's value first when it parses.
      const ms = isoTimestampBytesMs(buf, a, b);
      if (ms === ms) {
        this.builder.append(ms, line);
        return true;
      }
    }
    const v = this.convert(cellText(buf, a, b, kind, this.quote));
    if (v === this.invalid) return false;
    this.builder.append(v, line);
    return true;
  }
  putNull(): void {
    this.builder.appendNull();
  }
  finish(): arrow.Data {
    return this.builder.finish();
  }
}

/** A guessed column that has seen only nulls: any value sends it to a type (ends as all-null Utf8). */
class UnseenSink implements CellSink {
  length = 0;
  put(): boolean {
    return false;
  }
  putNull(): void {
    this.length++;
  }
  finish(): arrow.Data {
    const n = this.length;
    return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: n, nullBitmap: new Uint8Array((n + 7) >> 3), valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) });
  }
}

/**
 * A sink for `field`: byte-level for Float64, signed Int64 and Utf8; through `convert` (text →
 * value, or `invalid`) into a ColumnBuilder for every other type.
 */
export function makeSink(
  field: arrow.Field,
  cap: number,
  label: string,
  convert: (s: string) => unknown,
  invalid: symbol,
  quote: string,
  textBytes?: number,
): CellSink {
  const t = field.type as arrow.DataType;
  const q = Buffer.from(quote)[0];
  if (arrow.DataType.isFloat(t) && t.precision === arrow.Precision.DOUBLE) return new Float64Sink(cap);
  if (arrow.DataType.isInt(t) && t.bitWidth === 64 && t.isSigned) return new Int64Sink(cap);
  if (arrow.DataType.isUtf8(t)) return new Utf8Sink(cap, q, textBytes);
  return new TextSink(field, cap, label, convert, invalid, q);
}

/** A DataIoError for a cell that does not fit its column. */
export function badCell(label: string, path: string | undefined, line: number, field: arrow.Field, text: string): DataIoError {
  return new DataIoError(
    `${label} line ${line}: column ${JSON.stringify(field.name)} holds ${describeValue(text)}, which is not a valid ${field.type}; fix the cell or declare the column with another type.`,
    { row: line, path },
  );
}

// ------------------------------------------------------------------------------------------------
// The columnar reader

/** A column's guessed type while guessing (UNSEEN: only nulls so far). */
const enum Guess {
  Unseen,
  Bool,
  Int,
  Float,
  Date,
  Timestamp,
  Utf8,
}

const BOOL_WORDS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };

/** Text → value of the guessing rules (stricter than reading by a schema), or `invalid`. */
export interface GuessConverters {
  isoDateMs: (s: string) => number;
  isoTimestampMs: (s: string) => number;
}

function guessField(name: string, g: Guess): arrow.Field {
  const type =
    g === Guess.Bool ? new arrow.Bool()
    : g === Guess.Int ? new arrow.Int64()
    : g === Guess.Float ? new arrow.Float64()
    : g === Guess.Date ? new arrow.DateDay()
    : g === Guess.Timestamp ? new arrow.TimestampMicrosecond("UTC")
    : new arrow.Utf8();
  return new arrow.Field(name, type, true);
}

/** One output column of a {@link CsvColumns} reader. */
export interface ColumnSpec {
  /** The field (its type is ignored for a guessed column). */
  field: arrow.Field;
  /** Index of the file column feeding it. */
  source: number;
  /** Guess the type (from the values) instead of reading by `field.type`. */
  guess: boolean;
  /** Text → value for `field.type` (or `invalid`), used for types without a byte-level sink. */
  convert: (s: string) => unknown;
}

/**
 * Records read by one `feed` call into the current batch, kept while a guessed type may still
 * change so the batch can be rebuilt: `[start, end)` of `buf`, or, when the bytes came from a
 * reused buffer, of the source at `base` (re-read with {@link CsvColumnsOptions.reread}).
 */
interface Segment {
  buf: Uint8Array | null;
  base: number;
  start: number;
  end: number;
  line: number;
}

interface Pending {
  rows: number;
  data: arrow.Data[];
  segments: Segment[];
}

/** Options of {@link CsvColumns}. */
export interface CsvColumnsOptions {
  delimiter: string;
  quote: string;
  nullValues: readonly string[];
  batchSize: number;
  /** Rows after which guessed types are frozen (a later misfit is an error). */
  inferRows: number;
  /** Number of cells every record must have. */
  fileColumns: number;
  label: string;
  path: string | undefined;
  invalid: symbol;
  guessing: GuessConverters;
  /** Guesses to start from (see {@link CsvColumns.guessCodes}) instead of "only nulls so far". */
  initialGuesses?: readonly number[];
  /**
   * Bytes `[start, end)` of the source, for rebuilding batches after a widening, when the bytes
   * fed are in a buffer that is reused between calls of `feed` (whose `base` then says where
   * `buf[0]` is in the source). Without it the batches keep the buffers they were read from.
   */
  reread?: (start: number, end: number) => Uint8Array;
}

/**
 * The guess a column ends with when its rows are read in one pass, from the guesses of two runs of
 * consecutive rows (codes of {@link CsvColumns.guessCodes}): equal guesses stay, a run of only
 * nulls takes the other's, Int64 and Float64 give Float64, any other pair Utf8 — what reading the
 * second run after the first would widen to.
 */
export function mergeGuess(a: number, b: number): number {
  if (a === b || b === Guess.Unseen) return a;
  if (a === Guess.Unseen) return b;
  if ((a === Guess.Int && b === Guess.Float) || (a === Guess.Float && b === Guess.Int)) return Guess.Float;
  return Guess.Utf8;
}

/**
 * Reads records into columns: feed it bytes with {@link CsvColumns.feed}; finished batches wait in
 * `pending` until every guessed type is settled (at `inferRows` rows or at the end), then come out
 * of {@link CsvColumns.take} as column data with the final fields.
 */
export class CsvColumns {
  readonly scanner: RecordScanner;
  /** Data rows read. */
  rows = 0;
  private readonly specs: ColumnSpec[];
  private readonly guesses: Guess[];
  private fields: arrow.Field[];
  private sinks: CellSink[];
  private readonly pending: Pending[] = [];
  private cur: Pending;
  private frozen: boolean;
  private readonly nullBytes: Uint8Array[];
  private readonly emptyIsNull: boolean;
  private readonly quoteByte: number;
  private readonly cap: number;
  /** Per file column: 1 when it feeds a Float64 sink, 2 an Int64 sink, else 0 (see `nextPlain`). */
  private readonly numeric: Uint8Array;
  /** Per column: text bytes per row of the last full batch of a Utf8 column (sizes the next one). */
  private readonly textPerRow: Float64Array;
  /** Whether to try the one-pass scan first; turned off when most records are not plain. */
  private plain = true;
  private plainMisses = 0;

  constructor(specs: ColumnSpec[], private readonly o: CsvColumnsOptions) {
    this.scanner = new RecordScanner(o.delimiter, o.quote, o.label, o.path, Math.max(8, o.fileColumns));
    this.specs = specs;
    this.guesses = specs.map((s, k) => (s.guess ? ((o.initialGuesses?.[k] ?? Guess.Unseen) as Guess) : Guess.Utf8));
    this.fields = specs.map((s, k) => (s.guess ? guessField(s.field.name, this.guesses[k]) : s.field));
    this.cap = Math.min(o.batchSize, 65_536);
    this.textPerRow = new Float64Array(specs.length);
    this.sinks = specs.map((_, k) => this.sinkFor(k));
    this.cur = { rows: 0, data: [], segments: [] };
    this.frozen = !specs.some((s) => s.guess) || o.inferRows === 0;
    this.emptyIsNull = o.nullValues.includes("");
    this.nullBytes = o.nullValues.filter((v) => v !== "").map((v) => Buffer.from(v, "utf8"));
    this.quoteByte = Buffer.from(o.quote)[0];
    this.numeric = new Uint8Array(o.fileColumns);
    this.refreshNumeric();
  }

  private refreshNumeric(): void {
    this.numeric.fill(0);
    for (let k = 0; k < this.specs.length; k++) {
      const sink = this.sinks[k];
      this.numeric[this.specs[k].source] = sink instanceof Float64Sink ? 1 : sink instanceof Int64Sink ? 2 : 0;
    }
  }

  /** The fields as they stand (final once {@link CsvColumns.settled}). */
  get schemaFields(): arrow.Field[] {
    return this.fields;
  }

  /** Each column's guess as a number (for {@link mergeGuess}); meaningful for guessed columns only. */
  get guessCodes(): number[] {
    return this.guesses.slice();
  }

  /** True once no guessed type can change any more. */
  get settled(): boolean {
    return this.frozen;
  }

  private sinkFor(k: number, cap = this.cap): CellSink {
    const spec = this.specs[k];
    const field = this.fields[k];
    // A little over the last batch's text size, so the buffer neither grows nor is copied at the end.
    const perRow = this.textPerRow[k];
    const textBytes = perRow > 0 ? Math.ceil(perRow * cap * 1.0625) + 1024 : undefined;
    if (!spec.guess) return makeSink(field, cap, this.o.label, spec.convert, this.o.invalid, this.o.quote, textBytes);
    const g = this.guesses[k];
    if (g === Guess.Unseen) return new UnseenSink();
    const conv = this.o.guessing;
    const invalid = this.o.invalid;
    const convert =
      g === Guess.Bool ? (s: string) => BOOL_WORDS[s] ?? invalid
      : g === Guess.Date ? (s: string) => { const d = conv.isoDateMs(s); return d === d ? d : invalid; }
      : g === Guess.Timestamp ? (s: string) => { const d = conv.isoTimestampMs(s); return d === d ? d : invalid; }
      : (s: string) => s;
    return makeSink(field, cap, this.o.label, convert, invalid, this.o.quote, textBytes);
  }

  private isNull(buf: Uint8Array, a: number, b: number, kind: number): boolean {
    if (kind !== PLAIN) return false;
    if (a === b) return this.emptyIsNull;
    const list = this.nullBytes;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (v.length !== b - a) continue;
      let same = true;
      for (let k = 0; k < v.length; k++) {
        if (v[k] !== buf[a + k]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  /**
   * Reads the complete records of `buf[p, n)`; returns where the unread rest starts (the start of
   * an incomplete last record unless `final`). Stops early once `stopAt` rows were read.
   */
  feed(buf: Uint8Array, p: number, n: number, final: boolean, stopAt = Infinity, base = 0): number {
    const sc = this.scanner;
    const specs = this.specs;
    const nCols = specs.length;
    const fileColumns = this.o.fileColumns;
    const segBuf = this.o.reread ? null : buf;
    let seg: Segment | null = this.frozen ? null : { buf: segBuf, base, start: p, end: p, line: sc.nextLine };
    if (seg) this.cur.segments.push(seg);
    while (p < n && this.rows < stopAt) {
      const recStart = p;
      let next = this.plain ? sc.nextPlain(buf, p, n, fileColumns, this.numeric) : -2;
      const fast = next !== -2;
      if (!fast) {
        if (this.plain && ++this.plainMisses > 1000 && this.plainMisses > this.rows) this.plain = false;
        next = sc.next(buf, p, n, final);
      }
      if (next < 0) break;
      p = next;
      if (sc.count === 0) break;
      if (sc.count !== fileColumns) {
        throw new DataIoError(
          `${this.o.label} line ${sc.line}: expected ${fileColumns} field(s) like the header, found ${sc.count}; quote cells that contain the delimiter.`,
          { row: sc.line, path: this.o.path },
        );
      }
      const starts = sc.starts;
      const ends = sc.ends;
      const kinds = sc.kinds;
      for (let k = 0; k < nCols; k++) {
        const j = specs[k].source;
        const a = starts[j];
        const b = ends[j];
        const kind = kinds[j];
        if (this.isNull(buf, a, b, kind)) {
          if (!this.fields[k].nullable) {
            throw new DataIoError(
              `${this.o.label} line ${sc.line}: column ${JSON.stringify(this.fields[k].name)} is empty but the schema does not allow nulls; fill the cell or make the field nullable.`,
              { row: sc.line, path: this.o.path },
            );
          }
          this.sinks[k].putNull();
          continue;
        }
        if (fast && sc.parsed[j] === 1) {
          const num = this.numeric[j];
          if (num === 1) {
            (this.sinks[k] as Float64Sink).push(sc.values[j]);
            continue;
          }
          if (num === 2) {
            (this.sinks[k] as Int64Sink).push(sc.values[j]);
            continue;
          }
        }
        if (this.sinks[k].put(buf, a, b, kind, sc.line)) continue;
        if (this.frozen || !specs[k].guess) {
          throw badCell(this.o.label, this.o.path, sc.line, this.fields[k], cellText(buf, a, b, kind, this.quoteByte));
        }
        if (seg) seg.end = recStart;
        this.widen(k, buf, a, b, kind);
        if (!this.sinks[k].put(buf, a, b, kind, sc.line)) {
          throw badCell(this.o.label, this.o.path, sc.line, this.fields[k], cellText(buf, a, b, kind, this.quoteByte));
        }
      }
      this.rows++;
      this.cur.rows++;
      if (seg) seg.end = p;
      if (!this.frozen && this.rows >= this.o.inferRows) {
        this.frozen = true;
        seg = null;
      }
      if (this.cur.rows >= this.o.batchSize) {
        this.closeBatch();
        if (!this.frozen) {
          seg = { buf: segBuf, base, start: p, end: p, line: sc.nextLine };
          this.cur.segments.push(seg);
        }
      }
    }
    if (seg) seg.end = Math.min(seg.end, p);
    return p;
  }

  private closeBatch(): void {
    if (this.cur.rows === 0) return;
    for (let k = 0; k < this.sinks.length; k++) {
      const sink = this.sinks[k];
      if (sink instanceof Utf8Sink && sink.length === this.cap) this.textPerRow[k] = sink.byteLength / sink.length;
    }
    this.cur.data = this.sinks.map((s) => s.finish());
    this.pending.push(this.cur);
    this.cur = { rows: 0, data: [], segments: [] };
    this.sinks = this.specs.map((_, k) => this.sinkFor(k));
    this.refreshNumeric();
  }

  /** Changes column `k` to the type that also holds the cell `[a, b)` and rebuilds its rows so far. */
  private widen(k: number, buf: Uint8Array, a: number, b: number, kind: number): void {
    const before = this.guesses[k];
    let g: Guess;
    if (before === Guess.Unseen) {
      // The first value picks the type, in the order of the guessing rules.
      const text = cellText(buf, a, b, kind, this.quoteByte);
      const conv = this.o.guessing;
      if (BOOL_WORDS[text] !== undefined) g = Guess.Bool;
      else if (isIntBytes(buf, a, b)) g = Guess.Int;
      else if (parseFloatBytes(buf, a, b) !== NOT_A_NUMBER) g = Guess.Float;
      else if (!Number.isNaN(conv.isoDateMs(text))) g = Guess.Date;
      else if (!Number.isNaN(conv.isoTimestampMs(text))) g = Guess.Timestamp;
      else g = Guess.Utf8;
    } else if (before === Guess.Int && parseFloatBytes(buf, a, b) !== NOT_A_NUMBER) g = Guess.Float;
    else g = Guess.Utf8;
    this.guesses[k] = g;
    this.fields = this.fields.map((f, i) => (i === k ? guessField(f.name, g) : f));
    for (const batch of this.pending) batch.data[k] = this.rebuild(k, batch, before);
    const sink = this.sinkFor(k);
    this.fillFrom(k, this.cur, before, sink);
    this.sinks[k] = sink;
    this.refreshNumeric();
  }

  private rebuild(k: number, batch: Pending, before: Guess): arrow.Data {
    const sink = this.sinkFor(k, batch.rows);
    this.fillFrom(k, batch, before, sink);
    return sink.finish();
  }

  /** Puts column `k` of the rows of `batch` into `sink` again (only nulls when it was unseen). */
  private fillFrom(k: number, batch: Pending, before: Guess, sink: CellSink): void {
    if (before === Guess.Unseen) {
      for (let i = 0; i < batch.rows; i++) sink.putNull();
      return;
    }
    const j = this.specs[k].source;
    const sc = new RecordScanner(this.o.delimiter, this.o.quote, this.o.label, this.o.path, Math.max(8, this.o.fileColumns));
    let rows = 0;
    for (const seg of batch.segments) {
      sc.nextLine = seg.line;
      let p = seg.start;
      let end = seg.end;
      let buf = seg.buf;
      if (!buf) {
        buf = this.o.reread!(seg.base + seg.start, seg.base + seg.end);
        p = 0;
        end = buf.length;
      }
      while (p < end && rows < batch.rows) {
        p = sc.next(buf, p, end, true);
        if (sc.count === 0) break;
        const a = sc.starts[j];
        const b = sc.ends[j];
        const kind = sc.kinds[j];
        if (this.isNull(buf, a, b, kind)) sink.putNull();
        else if (!sink.put(buf, a, b, kind, sc.line)) {
          throw badCell(this.o.label, this.o.path, sc.line, this.fields[k], cellText(buf, a, b, kind, this.quoteByte));
        }
        rows++;
      }
    }
    if (rows !== batch.rows) throw new Error(`CsvColumns: rebuilt ${rows} of ${batch.rows} rows of column ${k}`);
  }

  /**
   * The finished batches (all of them, the current one included, when `final`), as column data
   * with {@link CsvColumns.schemaFields}; none while a guessed type may still change.
   */
  take(final: boolean): { rows: number; data: arrow.Data[] }[] {
    if (final) {
      this.closeBatch();
      this.frozen = true;
    }
    if (!this.frozen) return [];
    const out = this.pending.splice(0).map((b) => ({ rows: b.rows, data: b.data }));
    return out;
  }
}
