import * as arrow from "apache-arrow";
import { DataIoError } from "../errors";
import { K, type Kind, arrowTypeOfKind } from "./types";

/** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
export const PG_EPOCH_US = 946_684_800_000_000n;
/** Days between 1970-01-01 and 2000-01-01. */
export const PG_EPOCH_DAYS = 10_957;
const EPOCH_HI = Number(PG_EPOCH_US >> 32n);
const EPOCH_LO = Number(PG_EPOCH_US & 0xffffffffn);
const TWO32 = 4294967296;
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;
const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

const utf8 = new TextEncoder();

/**
 * Accumulates one result column into Arrow buffers, from PostgreSQL binary COPY fields
 * ({@link appendBinary}) or from text-protocol values ({@link appendText}), then hands them over as
 * an `arrow.Data` ({@link finish}). Fixed-width values go straight into typed arrays; strings keep
 * their UTF-8 bytes (never decoded to JS strings and re-encoded).
 * @internal
 */
export class ColumnBuilder {
  readonly kind: Kind;
  readonly type: arrow.DataType;
  /** Column name, for error messages. */
  readonly name: string;
  length = 0;
  nullCount = 0;
  cap: number;
  validity!: Uint8Array;
  i16!: Int16Array;
  i32!: Int32Array;
  i64!: BigInt64Array;
  f32!: Float32Array;
  f64!: Float64Array;
  bits!: Uint8Array;
  offsets!: Int32Array;
  bytes!: Uint8Array;
  bytesLen = 0;

  constructor(kind: Kind, name: string, capacity = 1024) {
    this.kind = kind;
    this.name = name;
    this.type = arrowTypeOfKind(kind);
    this.cap = Math.max(16, capacity);
    this.allocate(this.cap);
  }

  private allocate(cap: number): void {
    this.validity = new Uint8Array((cap + 7) >> 3);
    switch (this.kind) {
      case K.INT16:
        this.i16 = new Int16Array(cap);
        break;
      case K.INT32:
      case K.DATE:
        this.i32 = new Int32Array(cap);
        break;
      case K.INT64:
      case K.OID:
      case K.TIMESTAMP:
        this.i64 = new BigInt64Array(cap);
        this.i32 = new Int32Array(this.i64.buffer);
        break;
      case K.FLOAT32:
        this.f32 = new Float32Array(cap);
        break;
      case K.FLOAT64:
      case K.NUMERIC:
        this.f64 = new Float64Array(cap);
        break;
      case K.BOOL:
        this.bits = new Uint8Array((cap + 7) >> 3);
        break;
      default:
        this.offsets = new Int32Array(cap + 1);
        this.bytes = new Uint8Array(Math.max(1024, cap * 8));
        this.bytesLen = 0;
    }
  }

  grow(): void {
    const cap = this.cap * 2;
    const grow = <T extends { length: number; set(a: ArrayLike<number> | ArrayLike<bigint>): void }>(
      old: T,
      make: (n: number) => T,
      n: number,
    ): T => {
      const next = make(n);
      next.set(old as unknown as ArrayLike<number>);
      return next;
    };
    this.validity = grow(this.validity, (n) => new Uint8Array(n), (cap + 7) >> 3);
    switch (this.kind) {
      case K.INT16:
        this.i16 = grow(this.i16, (n) => new Int16Array(n), cap);
        break;
      case K.INT32:
      case K.DATE:
        this.i32 = grow(this.i32, (n) => new Int32Array(n), cap);
        break;
      case K.INT64:
      case K.OID:
      case K.TIMESTAMP: {
        const next = new BigInt64Array(cap);
        next.set(this.i64);
        this.i64 = next;
        this.i32 = new Int32Array(next.buffer);
        break;
      }
      case K.FLOAT32:
        this.f32 = grow(this.f32, (n) => new Float32Array(n), cap);
        break;
      case K.FLOAT64:
      case K.NUMERIC:
        this.f64 = grow(this.f64, (n) => new Float64Array(n), cap);
        break;
      case K.BOOL:
        this.bits = grow(this.bits, (n) => new Uint8Array(n), (cap + 7) >> 3);
        break;
      default:
        this.offsets = grow(this.offsets, (n) => new Int32Array(n), cap + 1);
    }
    this.cap = cap;
  }

  ensureBytes(extra: number): void {
    const need = this.bytesLen + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.bytesLen));
    this.bytes = next;
  }

  /** Appends a SQL NULL. */
  appendNull(): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.nullCount++;
    // Value slots of nulls stay zero (fresh buffers); variable-width columns repeat the offset.
    if (this.offsets !== undefined && this.kind >= K.TEXT && this.kind <= K.BYTEA) this.offsets[i + 1] = this.bytesLen;
  }

  /** Clears the value at row `i` (used to undo a row that turned out to be incomplete). */
  undoAt(i: number): void {
    const bit = 1 << (i & 7);
    if ((this.validity[i >> 3] & bit) === 0) this.nullCount--;
    else this.validity[i >> 3] &= ~bit;
    if (this.kind === K.BOOL) this.bits[i >> 3] &= ~bit;
    else if (this.kind === K.TEXT || this.kind === K.JSONB || this.kind === K.BYTEA) this.bytesLen = this.offsets[i];
  }

  /**
   * Appends one non-null field in PostgreSQL binary format: `len` bytes of `buf` at `pos` (`view`
   * is a DataView over the same bytes as `buf`).
   */
  appendBinary(buf: Uint8Array, view: DataView, pos: number, len: number): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.validity[i >> 3] |= 1 << (i & 7);
    switch (this.kind) {
      case K.INT16:
        this.i16[i] = view.getInt16(pos);
        return;
      case K.INT32:
        this.i32[i] = view.getInt32(pos);
        return;
      case K.INT64: {
        this.i32[2 * i] = view.getInt32(pos + 4);
        this.i32[2 * i + 1] = view.getInt32(pos);
        return;
      }
      case K.OID:
        this.i64[i] = BigInt(view.getUint32(pos));
        return;
      case K.TIMESTAMP: {
        const hi = view.getInt32(pos);
        const lo = view.getUint32(pos + 4);
        if ((hi === INT32_MAX && lo === 0xffffffff) || (hi === INT32_MIN && lo === 0)) {
          // ±infinity: keep the extreme value rather than overflowing when shifting the epoch.
          this.i32[2 * i] = lo | 0;
          this.i32[2 * i + 1] = hi;
          return;
        }
        let l = lo + EPOCH_LO;
        let h = hi + EPOCH_HI;
        if (l >= TWO32) {
          l -= TWO32;
          h += 1;
        }
        this.i32[2 * i] = l | 0;
        this.i32[2 * i + 1] = h | 0;
        return;
      }
      case K.FLOAT32:
        this.f32[i] = view.getFloat32(pos);
        return;
      case K.FLOAT64:
        this.f64[i] = view.getFloat64(pos);
        return;
      case K.NUMERIC:
        this.f64[i] = decodeNumeric(view, pos);
        return;
      case K.BOOL:
        if (buf[pos] !== 0) this.bits[i >> 3] |= 1 << (i & 7);
        return;
      case K.DATE: {
        const d = view.getInt32(pos);
        this.i32[i] = d === INT32_MAX || d === INT32_MIN ? d : d + PG_EPOCH_DAYS;
        return;
      }
      default: {
        // TEXT, JSONB (skip the 1-byte format version), BYTEA: raw bytes.
        let p = pos;
        let n = len;
        if (this.kind === K.JSONB) {
          p++;
          n--;
        }
        this.ensureBytes(n);
        const bytes = this.bytes;
        let o = this.bytesLen;
        if (n < 48) {
          for (let k = 0; k < n; k++) bytes[o++] = buf[p + k];
        } else {
          bytes.set(buf.subarray(p, p + n), o);
          o += n;
        }
        this.bytesLen = o;
        this.offsets[i + 1] = o;
      }
    }
  }

  /**
   * Appends one value from the text protocol: PostgreSQL's text form as a string, or an already
   * parsed JS value (number, bigint, boolean, Date, Uint8Array) from drivers that parse some types.
   */
  appendText(value: unknown): void {
    if (value === null || value === undefined) {
      this.appendNull();
      return;
    }
    if (this.length === this.cap) this.grow();
    const i = this.length;
    switch (this.kind) {
      case K.INT16:
        this.i16[i] = this.toInteger(value);
        break;
      case K.INT32:
        this.i32[i] = this.toInteger(value);
        break;
      case K.INT64:
      case K.OID:
        this.i64[i] = typeof value === "bigint" ? value : BigInt(this.textOf(value));
        break;
      case K.FLOAT32:
        this.f32[i] = this.toFloat(value);
        break;
      case K.FLOAT64:
      case K.NUMERIC:
        this.f64[i] = this.toFloat(value);
        break;
      case K.BOOL: {
        const b = typeof value === "boolean" ? value : value === "t" || value === "true";
        if (b) this.bits[i >> 3] |= 1 << (i & 7);
        break;
      }
      case K.DATE:
        this.i32[i] = value instanceof Date ? Math.floor(value.getTime() / 86_400_000) : parseDateDays(this.textOf(value), this.name);
        break;
      case K.TIMESTAMP:
        this.i64[i] = value instanceof Date ? BigInt(value.getTime()) * 1000n : parseTimestampMicros(this.textOf(value), this.name);
        break;
      case K.BYTEA: {
        const bytes = value instanceof Uint8Array ? value : decodeByteaText(this.textOf(value), this.name);
        this.ensureBytes(bytes.length);
        this.bytes.set(bytes, this.bytesLen);
        this.bytesLen += bytes.length;
        this.offsets[i + 1] = this.bytesLen;
        break;
      }
      default: {
        const s = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
        this.ensureBytes(s.length * 3);
        const { written } = utf8.encodeInto(s, this.bytes.subarray(this.bytesLen));
        this.bytesLen += written;
        this.offsets[i + 1] = this.bytesLen;
      }
    }
    this.validity[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
  }

  private textOf(value: unknown): string {
    return typeof value === "string" ? value : String(value);
  }

  private toInteger(value: unknown): number {
    const n = typeof value === "number" ? value : Number(this.textOf(value));
    if (!Number.isInteger(n)) {
      throw new DataIoError(`cannot read column ${JSON.stringify(this.name)}: ${JSON.stringify(value)} is not an integer.`, {
        row: this.length,
      });
    }
    return n;
  }

  private toFloat(value: unknown): number {
    if (typeof value === "number") return value;
    const s = this.textOf(value);
    const n = Number(s);
    if (Number.isNaN(n) && s !== "NaN") {
      throw new DataIoError(`cannot read column ${JSON.stringify(this.name)}: ${JSON.stringify(s)} is not a number.`, {
        row: this.length,
      });
    }
    return n;
  }

  /** Hands the accumulated values over as Arrow data and starts an empty column. */
  finish(nextCapacity = 1024): arrow.Data {
    const length = this.length;
    const nullBitmap = this.nullCount > 0 ? this.validity.subarray(0, (length + 7) >> 3) : undefined;
    const type = this.type;
    let data: arrow.Data;
    switch (this.kind) {
      case K.INT16:
        data = arrow.makeData({ type: type as arrow.Int16, length, nullCount: this.nullCount, nullBitmap, data: this.i16.subarray(0, length) });
        break;
      case K.INT32:
        data = arrow.makeData({ type: type as arrow.Int32, length, nullCount: this.nullCount, nullBitmap, data: this.i32.subarray(0, length) });
        break;
      case K.DATE:
        data = arrow.makeData({ type: type as arrow.DateDay, length, nullCount: this.nullCount, nullBitmap, data: this.i32.subarray(0, length) });
        break;
      case K.INT64:
      case K.OID:
        data = arrow.makeData({ type: type as arrow.Int64, length, nullCount: this.nullCount, nullBitmap, data: this.i64.subarray(0, length) });
        break;
      case K.TIMESTAMP:
        data = arrow.makeData({ type: type as arrow.Timestamp, length, nullCount: this.nullCount, nullBitmap, data: this.i64.subarray(0, length) });
        break;
      case K.FLOAT32:
        data = arrow.makeData({ type: type as arrow.Float32, length, nullCount: this.nullCount, nullBitmap, data: this.f32.subarray(0, length) });
        break;
      case K.FLOAT64:
      case K.NUMERIC:
        data = arrow.makeData({ type: type as arrow.Float64, length, nullCount: this.nullCount, nullBitmap, data: this.f64.subarray(0, length) });
        break;
      case K.BOOL:
        data = arrow.makeData({ type: type as arrow.Bool, length, nullCount: this.nullCount, nullBitmap, data: this.bits.subarray(0, (length + 7) >> 3) });
        break;
      case K.BYTEA:
        data = arrow.makeData({
          type: type as arrow.Binary,
          length,
          nullCount: this.nullCount,
          nullBitmap,
          valueOffsets: this.offsets.subarray(0, length + 1),
          data: this.bytes.subarray(0, this.bytesLen),
        });
        break;
      default:
        data = arrow.makeData({
          type: type as arrow.Utf8,
          length,
          nullCount: this.nullCount,
          nullBitmap,
          valueOffsets: this.offsets.subarray(0, length + 1),
          data: this.bytes.subarray(0, this.bytesLen),
        });
    }
    this.length = 0;
    this.nullCount = 0;
    this.cap = Math.max(16, nextCapacity);
    this.allocate(this.cap);
    return data;
  }
}

/** Decodes PostgreSQL's binary `numeric` (base-10000 digits) to the nearest double. */
function decodeNumeric(view: DataView, pos: number): number {
  const ndigits = view.getInt16(pos);
  const weight = view.getInt16(pos + 2);
  const sign = view.getUint16(pos + 4);
  if (sign === 0xc000) return NaN;
  if (sign === 0xd000) return Infinity;
  if (sign === 0xf000) return -Infinity;
  if (ndigits === 0) return 0;
  // Build the decimal string and let Number() round it correctly.
  let s = sign === 0x4000 ? "-" : "";
  for (let k = 0; k < ndigits; k++) {
    const d = view.getInt16(pos + 8 + 2 * k);
    s += k === 0 ? String(d) : String(d).padStart(4, "0");
  }
  const exponent = 4 * (weight - (ndigits - 1));
  return Number(exponent === 0 ? s : `${s}e${exponent}`);
}

/** Parses `YYYY-MM-DD` (optionally ` BC`, or ±infinity) into days since 1970-01-01. */
export function parseDateDays(s: string, column: string): number {
  if (s === "infinity") return INT32_MAX;
  if (s === "-infinity") return INT32_MIN;
  const m = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/.exec(s);
  if (!m) throw new DataIoError(`cannot read column ${JSON.stringify(column)}: ${JSON.stringify(s)} is not an ISO date.`);
  let year = Number(m[1]);
  if (m[4]) year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  return Math.round(d.getTime() / 86_400_000);
}

/**
 * Parses PostgreSQL's ISO timestamp text (`2024-01-02 03:04:05.123456+02`, offsets optional, ` BC`,
 * ±infinity) into microseconds since 1970-01-01 UTC. Text without an offset is taken as UTC.
 */
export function parseTimestampMicros(s: string, column: string): bigint {
  if (s === "infinity") return INT64_MAX;
  if (s === "-infinity") return INT64_MIN;
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/.exec(s);
  if (!m) throw new DataIoError(`cannot read column ${JSON.stringify(column)}: ${JSON.stringify(s)} is not an ISO timestamp.`);
  let year = Number(m[1]);
  if (m[12]) year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  let us = BigInt(d.getTime()) * 1000n + BigInt((m[7] ?? "").padEnd(6, "0") || "0");
  if (m[8]) {
    const offsetSec = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    us -= BigInt(m[8] === "-" ? -offsetSec : offsetSec) * 1_000_000n;
  }
  return us;
}

function decodeByteaText(s: string, column: string): Uint8Array {
  if (s.startsWith("\\x")) return new Uint8Array(Buffer.from(s.slice(2), "hex"));
  // Legacy "escape" output: backslash-octal escapes for non-printables, \\ for a backslash.
  const out: number[] = [];
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c !== 92) {
      out.push(c);
    } else if (s[k + 1] === "\\") {
      out.push(92);
      k++;
    } else if (/^[0-7]{3}$/.test(s.slice(k + 1, k + 4))) {
      out.push(parseInt(s.slice(k + 1, k + 4), 8));
      k += 3;
    } else {
      throw new DataIoError(`cannot read bytea column ${JSON.stringify(column)}: malformed escape in ${JSON.stringify(s.slice(0, 40))}.`);
    }
  }
  return Uint8Array.from(out);
}
