import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "../errors";
import { ColumnBuilder, PG_EPOCH_DAYS, PG_EPOCH_US } from "./column-builder";
import { K, type Kind } from "./types";

/** The 11-byte signature, flags and header-extension length that open a binary COPY stream. */
export const COPY_HEADER = Uint8Array.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** The field count -1 that closes a binary COPY stream. */
export const COPY_TRAILER = Uint8Array.from([0xff, 0xff]);

const EMPTY = new Uint8Array(0);
const TS_EPOCH_HI = Number(PG_EPOCH_US >> 32n);
const TS_EPOCH_LO = Number(PG_EPOCH_US & 0xffffffffn);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Incremental decoder of PostgreSQL binary COPY output into Arrow record batches. Feed it the chunks
 * as they arrive ({@link push}); it keeps only the bytes of an unfinished row between chunks, so
 * memory stays bounded by the batch size.
 * @internal
 */
export class CopyBinaryDecoder {
  private readonly builders: ColumnBuilder[];
  private readonly kinds: Kind[];
  private readonly schema: arrow.Schema;
  private readonly batchSize: number;
  private pending: Uint8Array = EMPTY;
  /** Rows in the builders (the batch being filled). */
  private count = 0;
  private headerDone = false;
  private finished = false;
  /** Rows decoded so far, for error messages. */
  rows = 0;

  constructor(fields: readonly { name: string; kind: Kind }[], batchSize: number) {
    this.batchSize = batchSize;
    this.builders = fields.map((f) => new ColumnBuilder(f.kind, f.name, batchSize));
    this.kinds = fields.map((f) => f.kind);
    this.schema = new arrow.Schema(this.builders.map((b) => new arrow.Field(b.name, b.type, true)));
  }

  /** The Arrow schema of the batches this decoder produces. */
  get arrowSchema(): arrow.Schema {
    return this.schema;
  }

  /** Decodes every complete row of `chunk` (plus what was pending); returns the batches completed. */
  push(chunk: Uint8Array): arrow.RecordBatch[] {
    const out: arrow.RecordBatch[] = [];
    if (this.finished) return out;
    if (!this.headerDone) {
      const buf = this.pending.length ? concat(this.pending, chunk) : chunk;
      const start = this.readHeader(buf);
      if (start < 0) {
        this.pending = buf;
        return out;
      }
      this.headerDone = true;
      this.pending = EMPTY;
      chunk = buf.subarray(start);
    }
    if (this.pending.length > 0) {
      // Finish the row split across chunks by joining only a small head of the new chunk.
      const pending = this.pending;
      let take = Math.min(chunk.length, Math.max(4096, 2 * pending.length));
      for (;;) {
        const head = concat(pending, chunk.subarray(0, take));
        const pos = this.decodeRows(head, out);
        if (this.finished) return out;
        if (pos > pending.length) {
          chunk = chunk.subarray(pos - pending.length);
          this.pending = EMPTY;
          break;
        }
        if (take === chunk.length) {
          this.pending = head;
          return out;
        }
        take = Math.min(chunk.length, take * 2);
      }
    }
    const pos = this.decodeRows(chunk, out);
    this.pending = pos < chunk.length && !this.finished ? chunk.subarray(pos) : EMPTY;
    return out;
  }

  /** The offset of the first row after the header, or -1 when the header is not complete yet. */
  private readHeader(buf: Uint8Array): number {
    if (buf.length < 19) return -1;
    for (let k = 0; k < 11; k++) {
      if (buf[k] !== COPY_HEADER[k]) throw new DataIoError("binary COPY stream does not start with the PGCOPY signature.");
    }
    const extLen = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(15);
    return buf.length < 19 + extLen ? -1 : 19 + extLen;
  }

  /**
   * Decodes the complete rows at the start of `buf`; returns where the first incomplete row starts.
   * The per-type cases write straight into each builder's typed arrays (one monomorphic store per
   * case) rather than calling a method per field: this loop runs once per value of the result.
   */
  private decodeRows(buf: Uint8Array, out: arrow.RecordBatch[]): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const end = buf.length;
    const builders = this.builders;
    const kinds = this.kinds;
    const ncols = builders.length;
    const batchSize = this.batchSize;
    // Builders are allocated for batchSize rows and flushed when full, so they never grow here;
    // the row index is shared by every column and their lengths are set at flush.
    let i = this.count;
    let pos = 0;
    rows: while (pos + 2 <= end) {
      const nfields = view.getInt16(pos);
      if (nfields === -1) {
        this.finished = true;
        pos = end;
        break;
      }
      if (nfields !== ncols) {
        throw new DataIoError(`binary COPY row ${this.rows} has ${nfields} fields, expected ${ncols}.`, { row: this.rows });
      }
      let p = pos + 2;
      const bit = 1 << (i & 7);
      const byte = i >> 3;
      for (let c = 0; c < ncols; c++) {
        const b = builders[c];
        const kind = kinds[c];
        if (p + 4 > end) {
          for (let k = 0; k < c; k++) builders[k].undoAt(i);
          break rows;
        }
        const len = view.getInt32(p);
        p += 4;
        if (len < 0) {
          b.nullCount++;
          if (kind === K.TEXT || kind === K.JSONB || kind === K.BYTEA) b.offsets[i + 1] = b.bytesLen;
          continue;
        }
        if (p + len > end) {
          for (let k = 0; k < c; k++) builders[k].undoAt(i);
          break rows;
        }
        switch (kind) {
          case K.FLOAT64:
            b.f64[i] = view.getFloat64(p);
            b.validity[byte] |= bit;
            break;
          case K.INT64: {
            const w = b.i32;
            w[2 * i] = view.getInt32(p + 4);
            w[2 * i + 1] = view.getInt32(p);
            b.validity[byte] |= bit;
            break;
          }
          case K.INT32:
            b.i32[i] = view.getInt32(p);
            b.validity[byte] |= bit;
            break;
          case K.TIMESTAMP: {
            const hi = view.getInt32(p);
            const lo = view.getUint32(p + 4);
            if ((hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0)) {
              b.length = i;
              b.appendBinary(buf, view, p, len);
              break;
            }
            // Shift from PostgreSQL's epoch (2000-01-01) to Unix time in two 32-bit halves.
            let l = lo + TS_EPOCH_LO;
            let h = hi + TS_EPOCH_HI;
            if (l >= 4294967296) {
              l -= 4294967296;
              h += 1;
            }
            const w = b.i32;
            w[2 * i] = l | 0;
            w[2 * i + 1] = h | 0;
            b.validity[byte] |= bit;
            break;
          }
          case K.TEXT: {
            if (b.bytesLen + len > b.bytes.length) b.ensureBytes(len);
            const bytes = b.bytes;
            let o = b.bytesLen;
            if (len < 48) {
              for (let q = 0; q < len; q++) bytes[o++] = buf[p + q];
            } else {
              bytes.set(buf.subarray(p, p + len), o);
              o += len;
            }
            b.bytesLen = o;
            b.offsets[i + 1] = o;
            b.validity[byte] |= bit;
            break;
          }
          default:
            b.length = i;
            b.appendBinary(buf, view, p, len);
        }
        p += len;
      }
      pos = p;
      this.rows++;
      i++;
      if (i >= batchSize) {
        this.count = i;
        out.push(this.flush());
        i = 0;
      }
    }
    this.count = i;
    return pos;
  }

  /**
   * Prepares for another binary COPY stream whose rows continue the current batch (a read done as
   * several COPY statements). The previous stream must have ended with its end marker.
   */
  nextStream(): void {
    if (!this.finished) throw new DataIoError(`binary COPY stream ended after row ${this.rows} without its end marker.`, { row: this.rows });
    this.finished = false;
    this.headerDone = false;
    this.pending = EMPTY;
  }

  /** Returns the last, partial batch (or null when no row is left) and checks the stream was whole. */
  end(): arrow.RecordBatch | null {
    if (!this.finished) {
      throw new DataIoError(
        this.pending.length > 0 || !this.headerDone
          ? `binary COPY stream ended in the middle of row ${this.rows}.`
          : `binary COPY stream ended after row ${this.rows} without its end marker.`,
        { row: this.rows },
      );
    }
    return this.count > 0 ? this.flush() : null;
  }

  private flush(): arrow.RecordBatch {
    const length = this.count;
    for (const b of this.builders) b.length = length;
    const children = this.builders.map((b) => b.finish(this.batchSize));
    this.count = 0;
    const data = arrow.makeData({ type: new arrow.Struct(this.schema.fields), length, nullCount: 0, children });
    return new arrow.RecordBatch(this.schema, data);
  }

}

/** Builds Arrow batches from text-protocol rows (arrays of values, column order). @internal */
export function batchFromTextRows(
  fields: readonly { name: string; kind: Kind }[],
  rows: readonly (readonly unknown[])[],
): arrow.RecordBatch {
  const builders = fields.map((f) => new ColumnBuilder(f.kind, f.name, rows.length));
  for (let c = 0; c < builders.length; c++) {
    const b = builders[c];
    for (let r = 0; r < rows.length; r++) b.appendText(rows[r][c]);
  }
  const schema = new arrow.Schema(builders.map((b) => new arrow.Field(b.name, b.type, true)));
  const children = builders.map((b) => b.finish(16));
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
}

// ---------------------------------------------------------------------------------------------
// Encoding Arrow → binary COPY
// ---------------------------------------------------------------------------------------------

/** Source layouts the encoder reads. */
const S = {
  NULL: 0,
  BOOL: 1,
  /** number-valued typed array: Int8/16/32, Uint8/16/32, Float32/64 */
  NUM: 2,
  /** BigInt64Array / BigUint64Array */
  BIG: 3,
  UTF8: 4,
  LARGE_UTF8: 5,
  DICT: 6,
  DATE_DAY: 7,
  DATE_MS: 8,
  TIMESTAMP: 9,
} as const;
type Source = (typeof S)[keyof typeof S];

function sourceOf(type: arrow.DataType): Source | undefined {
  if (arrow.DataType.isNull(type)) return S.NULL;
  if (arrow.DataType.isBool(type)) return S.BOOL;
  if (arrow.DataType.isInt(type)) return type.bitWidth === 64 ? S.BIG : S.NUM;
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.HALF ? undefined : S.NUM;
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) return S.UTF8;
  if (arrow.DataType.isLargeUtf8(type) || arrow.DataType.isLargeBinary(type)) return S.LARGE_UTF8;
  if (arrow.DataType.isDictionary(type)) {
    const v = type.dictionary;
    return arrow.DataType.isUtf8(v) || arrow.DataType.isBinary(v) ? S.DICT : undefined;
  }
  if (arrow.DataType.isDate(type)) return type.unit === arrow.DateUnit.DAY ? S.DATE_DAY : S.DATE_MS;
  if (arrow.DataType.isTimestamp(type)) return S.TIMESTAMP;
  return undefined;
}

function isFloatType(type: arrow.DataType): boolean {
  return arrow.DataType.isFloat(type);
}

function isBinaryLike(type: arrow.DataType): boolean {
  const t = arrow.DataType.isDictionary(type) ? type.dictionary : type;
  return arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t);
}

/**
 * Whether an Arrow column of `type` can be written straight into a PostgreSQL column of `kind` in
 * binary COPY format. Other pairs go through a staging table and a SQL cast.
 * @internal
 */
export function canEncode(type: arrow.DataType, kind: Kind | undefined): boolean {
  const src = sourceOf(type);
  if (src === undefined || kind === undefined) return false;
  switch (src) {
    case S.NULL:
      return kind !== K.OID && kind !== K.NUMERIC;
    case S.BOOL:
      return kind === K.BOOL;
    case S.NUM:
    case S.BIG:
      return kind === K.INT16 || kind === K.INT32 || kind === K.INT64 || kind === K.FLOAT32 || kind === K.FLOAT64;
    case S.UTF8:
    case S.LARGE_UTF8:
    case S.DICT:
      return isBinaryLike(type) ? kind === K.BYTEA : kind === K.TEXT || kind === K.JSONB;
    case S.DATE_DAY:
    case S.DATE_MS:
      return kind === K.DATE;
    case S.TIMESTAMP:
      return kind === K.TIMESTAMP;
  }
}

/** The decoding kind whose PostgreSQL type {@link arrowTypeToPg} picks for `type`. @internal */
export function naturalKind(type: arrow.DataType): Kind {
  if (arrow.DataType.isDictionary(type)) return naturalKind(type.dictionary);
  if (arrow.DataType.isBool(type)) return K.BOOL;
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth <= 8) return K.INT16;
    if (type.bitWidth === 16) return type.isSigned ? K.INT16 : K.INT32;
    if (type.bitWidth === 32) return type.isSigned ? K.INT32 : K.INT64;
    return K.INT64;
  }
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.DOUBLE ? K.FLOAT64 : K.FLOAT32;
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type)) return K.BYTEA;
  if (arrow.DataType.isDate(type)) return K.DATE;
  if (arrow.DataType.isTimestamp(type)) return K.TIMESTAMP;
  return K.TEXT;
}

interface ColumnPlan {
  name: string;
  kind: Kind;
  type: arrow.DataType;
}

const TWO32 = 4294967296;
const EPOCH_MS = 946_684_800_000;

/**
 * Encodes Arrow record batches as binary COPY rows (without header/trailer), writing each column
 * into the PostgreSQL type `kind` given for it. Works column by column over typed arrays: first the
 * byte size of every row, then each column's fields at each row's cursor.
 * @internal
 */
export class CopyBinaryEncoder {
  private readonly plan: ColumnPlan[];
  /** Rows of the batches encoded before the current one (for error messages). */
  rows = 0;

  constructor(plan: readonly ColumnPlan[]) {
    for (const p of plan) {
      if (!canEncode(p.type, p.kind)) {
        throw new InvalidArgumentError(`column ${JSON.stringify(p.name)}: cannot write Arrow ${String(p.type)} by binary COPY.`);
      }
    }
    this.plan = [...plan];
  }

  /** Encodes `batch` (columns in plan order) into buffers of at most ~`chunkRows` rows each. */
  *encode(batch: arrow.RecordBatch, chunkRows = 16384): Generator<Uint8Array> {
    const ncols = this.plan.length;
    const datas: arrow.Data[] = [];
    for (let c = 0; c < ncols; c++) {
      const child = batch.getChildAt(c);
      if (!child) throw new InvalidArgumentError(`batch has no column ${c} (${JSON.stringify(this.plan[c].name)}).`);
      datas.push(child.data.length === 1 ? child.data[0] : arrow.makeVector(child.data).data[0]);
    }
    const base = this.rows;
    for (let start = 0; start < batch.numRows; start += chunkRows) {
      const n = Math.min(chunkRows, batch.numRows - start);
      this.rows = base;
      yield this.encodeSlice(datas, start, n);
    }
    this.rows = base + batch.numRows;
  }

  private encodeSlice(datas: arrow.Data[], start: number, n: number): Uint8Array {
    const ncols = this.plan.length;
    const rowPos = new Int32Array(n + 1);
    // Sizes: 2 bytes field count + 4 bytes length per field + the values.
    const base = 2 + 4 * ncols;
    for (let r = 0; r < n; r++) rowPos[r] = base;
    for (let c = 0; c < ncols; c++) this.addSizes(datas[c], this.plan[c], start, n, rowPos);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const size = rowPos[r];
      rowPos[r] = total;
      total += size;
    }
    rowPos[n] = total;
    const buf = new Uint8Array(total);
    const view = new DataView(buf.buffer);
    for (let r = 0; r < n; r++) {
      view.setInt16(rowPos[r], ncols);
      rowPos[r] += 2;
    }
    for (let c = 0; c < ncols; c++) this.writeColumn(datas[c], this.plan[c], start, n, buf, view, rowPos);
    return buf;
  }

  private addSizes(data: arrow.Data, plan: ColumnPlan, start: number, n: number, size: Int32Array): void {
    const src = sourceOf(data.type)!;
    const valid = validityOf(data);
    // Arrow JS slices value and offset buffers (index start + r) but not validity or boolean
    // bitmaps (index data.offset + start + r).
    const off = start;
    const bo = data.offset;
    const fixed = fixedWidth(plan.kind);
    if (src === S.NULL) return;
    if (fixed > 0) {
      for (let r = 0; r < n; r++) if (valid === null || isValid(valid, bo + off + r)) size[r] += fixed;
      return;
    }
    const extra = plan.kind === K.JSONB ? 1 : 0;
    if (src === S.UTF8) {
      const o = data.valueOffsets as Int32Array;
      for (let r = 0; r < n; r++) if (valid === null || isValid(valid, bo + off + r)) size[r] += o[off + r + 1] - o[off + r] + extra;
    } else if (src === S.LARGE_UTF8) {
      const o = data.valueOffsets as unknown as BigInt64Array;
      for (let r = 0; r < n; r++) if (valid === null || isValid(valid, bo + off + r)) size[r] += Number(o[off + r + 1] - o[off + r]) + extra;
    } else {
      const { offsets } = dictionaryBytes(data);
      const idx = data.values as Int32Array;
      for (let r = 0; r < n; r++) {
        if (valid === null || isValid(valid, bo + off + r)) {
          const k = idx[off + r];
          size[r] += offsets[k + 1] - offsets[k] + extra;
        }
      }
    }
  }

  private writeColumn(
    data: arrow.Data,
    plan: ColumnPlan,
    start: number,
    n: number,
    buf: Uint8Array,
    view: DataView,
    pos: Int32Array,
  ): void {
    const src = sourceOf(data.type)!;
    const valid = validityOf(data);
    // Arrow JS slices value and offset buffers (index start + r) but not validity or boolean
    // bitmaps (index data.offset + start + r).
    const off = start;
    const bo = data.offset;
    const kind = plan.kind;
    if (src === S.NULL) {
      for (let r = 0; r < n; r++) {
        view.setInt32(pos[r], -1);
        pos[r] += 4;
      }
      return;
    }
    const fixed = fixedWidth(kind);
    const writeNull = (r: number) => {
      view.setInt32(pos[r], -1);
      pos[r] += 4;
    };
    switch (src) {
      case S.BOOL: {
        const bits = data.values as Uint8Array;
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          let p = pos[r];
          view.setInt32(p, 1);
          buf[p + 4] = (bits[(bo + i) >> 3] >> ((bo + i) & 7)) & 1;
          pos[r] = p + 5;
        }
        return;
      }
      case S.NUM: {
        const values = data.values as Float64Array;
        const float = isFloatType(data.type);
        if (kind === K.FLOAT64) {
          // The common case (float64 features) without a call per value.
          for (let r = 0; r < n; r++) {
            const i = off + r;
            const p = pos[r];
            if (valid !== null && !isValid(valid, bo + i)) {
              view.setInt32(p, -1);
              pos[r] = p + 4;
            } else {
              view.setInt32(p, 8);
              view.setFloat64(p + 4, values[i]);
              pos[r] = p + 12;
            }
          }
          return;
        }
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          const p = pos[r];
          view.setInt32(p, fixed);
          this.writeNumber(values[i], kind, view, p + 4, float, plan.name, start + r);
          pos[r] = p + 4 + fixed;
        }
        return;
      }
      case S.BIG: {
        const values = data.values as BigInt64Array;
        const unsigned = values instanceof BigUint64Array;
        const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          const p = pos[r];
          view.setInt32(p, fixed);
          if (kind === K.INT64) {
            const hi = words[2 * i + 1];
            if (unsigned && hi < 0) this.outOfRange(plan.name, start + r, values[i], "bigint");
            view.setInt32(p + 4, hi);
            view.setInt32(p + 8, words[2 * i]);
          } else {
            const v = Number(values[i]);
            if (kind !== K.FLOAT32 && kind !== K.FLOAT64 && !Number.isSafeInteger(v)) this.outOfRange(plan.name, start + r, values[i], kindName(kind));
            this.writeNumber(v, kind, view, p + 4, false, plan.name, start + r);
          }
          pos[r] = p + 4 + fixed;
        }
        return;
      }
      case S.DATE_DAY:
      case S.DATE_MS: {
        const days = data.values as Int32Array;
        const ms = data.values as unknown as BigInt64Array;
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          const p = pos[r];
          view.setInt32(p, 4);
          const d = src === S.DATE_DAY ? days[i] : Math.floor(Number(ms[i]) / 86_400_000);
          view.setInt32(p + 4, d - PG_EPOCH_DAYS);
          pos[r] = p + 8;
        }
        return;
      }
      case S.TIMESTAMP: {
        const values = data.values as BigInt64Array;
        const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
        const unit = (data.type as arrow.Timestamp).unit;
        // Multiply to microseconds in doubles (exact below 2^53 µs, i.e. years 1685–2255); beyond that, BigInt.
        const mul = unit === arrow.TimeUnit.SECOND ? 1e6 : unit === arrow.TimeUnit.MILLISECOND ? 1e3 : 1;
        const div = unit === arrow.TimeUnit.NANOSECOND ? 1000 : 1;
        const epoch = EPOCH_MS * 1000;
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          const p = pos[r];
          view.setInt32(p, 8);
          const raw = words[2 * i + 1] * TWO32 + (words[2 * i] >>> 0);
          let us = div === 1 ? raw * mul : Math.floor(raw / div);
          if (Number.isSafeInteger(raw) && Number.isSafeInteger(us)) {
            us -= epoch;
            const hi = Math.floor(us / TWO32);
            view.setInt32(p + 4, hi);
            view.setUint32(p + 8, us - hi * TWO32);
          } else {
            const v = values[i];
            let big = div === 1 ? v * BigInt(mul) : v / 1000n - (v % 1000n < 0n ? 1n : 0n);
            big -= BigInt(epoch);
            view.setBigInt64(p + 4, BigInt.asIntN(64, big));
          }
          pos[r] = p + 12;
        }
        return;
      }
      default: {
        // UTF8 / LARGE_UTF8 / DICT → text, jsonb or bytea.
        let offsets: Int32Array | BigInt64Array;
        let bytes: Uint8Array;
        let idx: Int32Array | null = null;
        if (src === S.DICT) {
          ({ offsets, bytes } = dictionaryBytes(data));
          idx = data.values as Int32Array;
        } else {
          offsets = data.valueOffsets as Int32Array | BigInt64Array;
          bytes = data.values as Uint8Array;
        }
        const big = offsets instanceof BigInt64Array;
        const jsonb = kind === K.JSONB;
        for (let r = 0; r < n; r++) {
          const i = off + r;
          if (valid !== null && !isValid(valid, bo + i)) {
            writeNull(r);
            continue;
          }
          const k = idx === null ? i : idx[i];
          const from = big ? Number((offsets as BigInt64Array)[k]) : (offsets as Int32Array)[k];
          const to = big ? Number((offsets as BigInt64Array)[k + 1]) : (offsets as Int32Array)[k + 1];
          const len = to - from;
          let p = pos[r];
          view.setInt32(p, jsonb ? len + 1 : len);
          p += 4;
          if (jsonb) buf[p++] = 1;
          if (len < 48) {
            for (let q = 0; q < len; q++) buf[p + q] = bytes[from + q];
          } else {
            buf.set(bytes.subarray(from, to), p);
          }
          pos[r] = p + len;
        }
      }
    }
  }

  private writeNumber(v: number, kind: Kind, view: DataView, p: number, float: boolean, column: string, row: number): void {
    switch (kind) {
      case K.FLOAT64:
        view.setFloat64(p, v);
        return;
      case K.FLOAT32:
        view.setFloat32(p, v);
        return;
    }
    if (float && !Number.isInteger(v)) {
      throw new DataIoError(
        `cannot load column ${JSON.stringify(column)}: row ${this.rows + row} holds ${v}, which is not an integer, into a ${kindName(kind)} column; round the values or load into a float column.`,
        { row: this.rows + row },
      );
    }
    switch (kind) {
      case K.INT16:
        if (v < -32768 || v > 32767) this.outOfRange(column, row, v, "smallint");
        view.setInt16(p, v);
        return;
      case K.INT32:
        if (v < -2147483648 || v > 2147483647) this.outOfRange(column, row, v, "integer");
        view.setInt32(p, v);
        return;
      default: {
        if (!Number.isSafeInteger(v)) this.outOfRange(column, row, v, "bigint");
        const hi = Math.floor(v / TWO32);
        view.setInt32(p, hi);
        view.setUint32(p + 4, v - hi * TWO32);
      }
    }
  }

  private outOfRange(column: string, row: number, v: number | bigint, pgType: string): never {
    throw new DataIoError(
      `cannot load column ${JSON.stringify(column)}: row ${this.rows + row} holds ${String(v)}, out of range for PostgreSQL ${pgType}; widen the target column.`,
      { row: this.rows + row },
    );
  }
}

function kindName(kind: Kind): string {
  switch (kind) {
    case K.INT16:
      return "smallint";
    case K.INT32:
      return "integer";
    case K.INT64:
      return "bigint";
    case K.FLOAT32:
      return "real";
    default:
      return "double precision";
  }
}

function fixedWidth(kind: Kind): number {
  switch (kind) {
    case K.BOOL:
      return 1;
    case K.INT16:
      return 2;
    case K.INT32:
    case K.FLOAT32:
    case K.DATE:
      return 4;
    case K.INT64:
    case K.FLOAT64:
    case K.TIMESTAMP:
      return 8;
    default:
      return 0;
  }
}

function validityOf(data: arrow.Data): Uint8Array | null {
  return data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 ? data.nullBitmap : null;
}

function isValid(bitmap: Uint8Array, i: number): boolean {
  return ((bitmap[i >> 3] >> (i & 7)) & 1) === 1;
}

const dictCache = new WeakMap<object, { offsets: Int32Array; bytes: Uint8Array }>();

/** The dictionary's values as one offsets/bytes pair (dictionaries may arrive in several chunks). */
function dictionaryBytes(data: arrow.Data): { offsets: Int32Array; bytes: Uint8Array } {
  const dict = data.dictionary;
  if (!dict) throw new InvalidArgumentError("dictionary column without a dictionary");
  const cached = dictCache.get(dict);
  if (cached) return cached;
  let result: { offsets: Int32Array; bytes: Uint8Array };
  if (dict.data.length === 1 && dict.data[0].offset === 0 && dict.data[0].valueOffsets instanceof Int32Array) {
    result = { offsets: dict.data[0].valueOffsets, bytes: dict.data[0].values as Uint8Array };
  } else {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    const offsets = new Int32Array(dict.length + 1);
    let total = 0;
    for (let k = 0; k < dict.length; k++) {
      const v: unknown = dict.get(k);
      const b = v instanceof Uint8Array ? v : v == null ? new Uint8Array(0) : enc.encode(String(v));
      parts.push(b);
      total += b.length;
      offsets[k + 1] = total;
    }
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const b of parts) {
      bytes.set(b, o);
      o += b.length;
    }
    result = { offsets, bytes };
  }
  dictCache.set(dict, result);
  return result;
}
