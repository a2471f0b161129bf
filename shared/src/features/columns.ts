/**
 * Typed-array column kernels used by the feature store: flattening chunked Arrow vectors,
 * gathering rows by index, epoch-microsecond timestamps and dense key codes. Internal module:
 * nothing here allocates an object per row on the fast paths.
 */
import * as arrow from "apache-arrow";
import { FeatureStoreError } from "../errors";
import { type Alloc, FRESH } from "../frame/scratch";

type NumericArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

interface NumericArrayCtor {
  new (length: number): NumericArray;
}

/** A vector flattened into contiguous buffers, with one validity byte per row (null when no nulls). */
export type FlatColumn =
  | { kind: "fixed"; type: arrow.DataType; length: number; values: NumericArray; valid: Uint8Array | null }
  | { kind: "bool"; type: arrow.DataType; length: number; values: Uint8Array; valid: Uint8Array | null }
  | { kind: "utf8"; type: arrow.DataType; length: number; offsets: Int32Array; bytes: Uint8Array; valid: Uint8Array | null }
  | { kind: "generic"; type: arrow.DataType; length: number; values: unknown[] };

function isFixedWidth(type: arrow.DataType): boolean {
  return (
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isTimestamp(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTime(type) ||
    arrow.DataType.isDuration(type)
  );
}

function dataValidity(data: arrow.Data, out: Uint8Array, at: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) {
    out.fill(1, at, at + data.length);
    return false;
  }
  const bm = data.nullBitmap;
  const off = data.offset;
  for (let i = 0; i < data.length; i++) {
    const b = off + i;
    out[at + i] = (bm[b >> 3] >> (b & 7)) & 1;
  }
  return true;
}

/** Null bits of an Arrow bitmap, row `i` at bit `offset + i`. */
interface NullBits {
  bitmap: Uint8Array;
  offset: number;
}

/**
 * A one-chunk fixed-width or UTF-8 vector as a flat column over its own buffers (no copy), with `valid`
 * left null and its null bits beside it; null for any other vector.
 */
function singleChunk(vector: arrow.Vector): { column: FlatColumn & { kind: "fixed" | "utf8" }; nulls: NullBits | null } | null {
  const type = vector.type as arrow.DataType;
  const chunks = vector.data as arrow.Data[];
  if (chunks.length !== 1 || !(isFixedWidth(type) || arrow.DataType.isUtf8(type)) || !ArrayBuffer.isView(chunks[0].values)) return null;
  const d = chunks[0];
  const length = vector.length;
  const nulls = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? { bitmap: d.nullBitmap, offset: d.offset } : null;
  if (arrow.DataType.isUtf8(type)) {
    const offsets = (d.valueOffsets as Int32Array).subarray(0, length + 1);
    return { column: { kind: "utf8", type, length, offsets, bytes: d.values as Uint8Array, valid: null }, nulls };
  }
  return { column: { kind: "fixed", type, length, values: (d.values as NumericArray).subarray(0, length) as NumericArray, valid: null }, nulls };
}

/**
 * Flattens a (possibly chunked, possibly sliced) vector into contiguous buffers.
 * Dictionary-encoded strings are expanded to plain UTF-8.
 */
export function flattenColumn(vector: arrow.Vector): FlatColumn {
  const type = vector.type as arrow.DataType;
  const length = vector.length;
  const chunks = vector.data as arrow.Data[];
  const inPlace = singleChunk(vector);
  if (inPlace) {
    // One chunk: use its buffers as they are (no copy); only nulls are expanded to bytes.
    const { column, nulls } = inPlace;
    if (nulls) {
      column.valid = new Uint8Array(length);
      dataValidity(chunks[0], column.valid, 0);
    }
    return column;
  }
  if (isFixedWidth(type) && chunks.every((d) => ArrayBuffer.isView(d.values))) {
    const first = chunks[0]?.values as NumericArray | undefined;
    // Every fixed-width type accepted here stores one typed-array element per value in Arrow JS 21.
    const stride = 1;
    const Ctor = (first?.constructor ?? Float64Array) as unknown as NumericArrayCtor;
    const values = new Ctor(length * stride);
    const valid = new Uint8Array(length);
    let anyNull = false;
    let at = 0;
    for (const d of chunks) {
      const v = d.values as NumericArray;
      // Sliced fixed-width data already has its value buffer sliced (Arrow JS slices by stride).
      (values as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(
        (v as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(0, d.length * stride),
        at * stride,
      );
      if (dataValidity(d, valid, at)) anyNull = true;
      at += d.length;
    }
    return { kind: "fixed", type, length, values, valid: anyNull ? valid : null };
  }
  if (arrow.DataType.isBool(type)) {
    const values = new Uint8Array(length);
    const valid = new Uint8Array(length);
    let anyNull = false;
    let at = 0;
    for (const d of chunks) {
      const bits = d.values as Uint8Array;
      for (let i = 0; i < d.length; i++) {
        const b = d.offset + i;
        values[at + i] = (bits[b >> 3] >> (b & 7)) & 1;
      }
      if (dataValidity(d, valid, at)) anyNull = true;
      at += d.length;
    }
    return { kind: "bool", type, length, values, valid: anyNull ? valid : null };
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) {
    let total = 0;
    for (const d of chunks) {
      const o = d.valueOffsets as Int32Array | BigInt64Array;
      total += Number(o[d.length]) - Number(o[0]);
    }
    const offsets = new Int32Array(length + 1);
    const bytes = new Uint8Array(total);
    const valid = new Uint8Array(length);
    let anyNull = false;
    let at = 0;
    let pos = 0;
    for (const d of chunks) {
      const o = d.valueOffsets as Int32Array | BigInt64Array;
      const base = Number(o[0]);
      const end = Number(o[d.length]);
      bytes.set((d.values as Uint8Array).subarray(base, end), pos);
      if (o instanceof Int32Array) {
        for (let i = 0; i < d.length; i++) offsets[at + i + 1] = pos + o[i + 1] - base;
      } else {
        for (let i = 0; i < d.length; i++) offsets[at + i + 1] = pos + Number(o[i + 1]) - base;
      }
      pos += end - base;
      if (dataValidity(d, valid, at)) anyNull = true;
      at += d.length;
    }
    return { kind: "utf8", type: new arrow.Utf8(), length, offsets, bytes, valid: anyNull ? valid : null };
  }
  if (arrow.DataType.isDictionary(type) && arrow.DataType.isUtf8((type as arrow.Dictionary).dictionary)) {
    return flattenDictionaryUtf8(vector as arrow.Vector<arrow.Dictionary>);
  }
  return { kind: "generic", type, length, values: vector.toArray() as unknown[] };
}

function flattenDictionaryUtf8(vector: arrow.Vector<arrow.Dictionary>): FlatColumn {
  const length = vector.length;
  const valid = new Uint8Array(length);
  let anyNull = false;
  const pieces: Uint8Array[] = [];
  const offsets = new Int32Array(length + 1);
  let pos = 0;
  let at = 0;
  for (const d of vector.data as arrow.Data<arrow.Dictionary>[]) {
    const dict = d.dictionary ? flattenColumn(d.dictionary as arrow.Vector) : null;
    if (dataValidity(d, valid, at)) anyNull = true;
    const idx = d.values as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < d.length; i++) {
      if (valid[at + i] && dict && dict.kind === "utf8") {
        const k = Number(idx[i]);
        const s = dict.offsets[k];
        const e = dict.offsets[k + 1];
        pieces.push(dict.bytes.subarray(s, e));
        pos += e - s;
      }
      offsets[at + i + 1] = pos;
    }
    at += d.length;
  }
  const bytes = new Uint8Array(pos);
  let p = 0;
  for (const piece of pieces) {
    bytes.set(piece, p);
    p += piece.length;
  }
  return { kind: "utf8", type: new arrow.Utf8(), length, offsets, bytes, valid: anyNull ? valid : null };
}

function packBits(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(((length + 63) & ~63) >> 3);
  for (let i = 0; i < length; i++) if (bytes[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/**
 * The order in which a gather visits output rows: the rows `i` with `idx[i] >= 0`, by ascending block
 * of 64 source rows (`idx[i] >> 6`; output order within a block). A large source is then read front to
 * back, which the CPU prefetches, instead of one cache miss per row at random; the scattered writes
 * go to the smaller output. One counting-sort pass; blocks grow when the source is much larger than
 * `idx`, to keep the count table small. Compute it once and pass it to every gather of the same `idx`.
 * @example
 * gatherOrder(Int32Array.from([5000, -1, 3, 70]), 6000) // Int32Array [2, 3, 0]
 */
export function gatherOrder(idx: Int32Array, sourceLength: number, alloc: Alloc = FRESH): Int32Array {
  const n = idx.length;
  let shift = 6;
  while (sourceLength >>> shift > 4 * n + 1024) shift++;
  const blocks = (sourceLength >>> shift) + 1;
  const start = alloc.int32(blocks + 1);
  for (let i = 0; i < n; i++) {
    const j = idx[i];
    if (j >= 0) start[(j >>> shift) + 1]++;
  }
  for (let b = 0; b < blocks; b++) start[b + 1] += start[b];
  const order = alloc.int32(start[blocks]);
  for (let i = 0; i < n; i++) {
    const j = idx[i];
    if (j >= 0) order[start[j >>> shift]++] = i;
  }
  return order;
}

/**
 * Gathers rows `idx` (-1 → null) of a flattened column into a new single-chunk vector. Each kind of
 * column has its own small loop over one typed-array type, so V8 keeps every loop monomorphic.
 * `order` is {@link gatherOrder} of `idx` (computed here when not given).
 * @example
 * gatherColumn(flattenColumn(vector), Int32Array.from([2, -1, 0])) // rows 2, null, 0
 */
export function gatherColumn(col: FlatColumn, idx: Int32Array, order?: Int32Array): arrow.Vector {
  if (col.kind === "generic") return gatherGeneric(col, idx);
  return gatherFlat(col, col.valid, null, idx, order ?? gatherOrder(idx, col.length));
}

/**
 * {@link gatherColumn} straight from a vector: a fixed-width or UTF-8 vector is read in place, chunk
 * by chunk, its nulls from the Arrow bitmaps (nothing of the size of the source is copied or
 * expanded); other vectors are flattened first. Gathers of several columns of one table with the
 * same `idx` and `order` can pass one `splits` map, to split the rows by chunk once.
 * @example
 * const idx = pointInTimeIndices(input);
 * const order = gatherOrder(idx, table.numRows);
 * const splits: GatherSplits = new Map();
 * const f0 = gatherVector(table.getChild("f0")!, idx, order, splits);
 */
export function gatherVector(vector: arrow.Vector, idx: Int32Array, order?: Int32Array, splits?: GatherSplits): arrow.Vector {
  const inPlace = singleChunk(vector);
  if (!inPlace) {
    const type = vector.type as arrow.DataType;
    const chunks = vector.data as arrow.Data[];
    if (chunks.length > 1 && isFixedWidth(type) && !arrow.DataType.isBool(type) && chunks.every((d) => ArrayBuffer.isView(d.values))) {
      return gatherChunkedFixed(type, chunks, idx, order ?? gatherOrder(idx, vector.length), order ? splits : undefined);
    }
    if (chunks.length > 1 && arrow.DataType.isUtf8(type) && chunks.every((d) => d.valueOffsets instanceof Int32Array && ArrayBuffer.isView(d.values))) {
      return gatherChunkedUtf8(chunks, idx, order ?? gatherOrder(idx, vector.length), order ? splits : undefined);
    }
    return gatherColumn(flattenColumn(vector), idx, order);
  }
  return gatherFlat(inPlace.column, null, inPlace.nulls, idx, order ?? gatherOrder(idx, vector.length));
}

function gatherGeneric(col: FlatColumn & { kind: "generic" }, idx: Int32Array): arrow.Vector {
  const n = idx.length;
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[i];
    out[i] = j < 0 ? null : col.values[j];
  }
  return arrow.vectorFromArray(out as never[], col.type as never) as arrow.Vector;
}

/** Copies `src[idx[i]]` to `out[i]` for the rows `i` in `order`, with a loop per element width. */
function gatherFixedInto(src: NumericArray, idx: Int32Array, order: Int32Array, out: NumericArray): void {
  const width = src.BYTES_PER_ELEMENT;
  // Float64 values are copied as doubles (one load and store per row); other 8-byte values (int64,
  // timestamps) as two 32-bit words, so no bit pattern is ever read as a double.
  if (src instanceof Float64Array) gatherFloat64(src, idx, order, out as Float64Array);
  else if (width === 8) gatherPairs(new Int32Array(src.buffer, src.byteOffset, src.length * 2), idx, order, new Int32Array(out.buffer));
  else if (width === 4) gatherInt32(new Int32Array(src.buffer, src.byteOffset, src.length), idx, order, new Int32Array(out.buffer));
  else if (width === 2) gatherInt16(new Int16Array(src.buffer, src.byteOffset, src.length), idx, order, new Int16Array(out.buffer));
  else gatherUint8(new Uint8Array(src.buffer, src.byteOffset, src.length), idx, order, new Uint8Array(out.buffer));
}

/** How a gather's rows split over the chunks of its source; see {@link chunkSplit}. */
export interface ChunkSplit {
  /** Per output row: its source row relative to the first row of its chunk. */
  local: Int32Array;
  /** `order` regrouped by source chunk (keeping its order within each chunk). */
  split: Int32Array;
  /** Chunk `c`'s rows are `split[segStart[c]]` up to `split[segStart[c + 1]]`. */
  segStart: Int32Array;
}

/**
 * Chunk splits of one gather (one `idx` and `order`) by chunk layout, shared by the gathers of
 * several columns of one table, and where their arrays come from; see {@link gatherVector}.
 */
export interface GatherSplits {
  byLayout: Map<string, ChunkSplit>;
  alloc: Alloc;
}

/**
 * An empty {@link GatherSplits}; with a scratch `alloc`, the splits live as long as its arrays.
 * @example const splits = gatherSplits(); gatherVector(a, idx, order, splits); gatherVector(b, idx, order, splits);
 */
export function gatherSplits(alloc: Alloc = FRESH): GatherSplits {
  return { byLayout: new Map(), alloc };
}

/**
 * Splits `order` by source chunk (keeping its order within each chunk) and rebases `idx` to each
 * chunk's first row, so every chunk runs the same loops as a one-chunk vector. With `memo`, computed
 * once per chunk layout and shared by every column of the same table.
 */
function chunkSplit(chunks: arrow.Data[], idx: Int32Array, order: Int32Array, memo?: GatherSplits): ChunkSplit {
  const key = chunks.map((d) => d.length).join(",");
  const cached = memo?.byLayout.get(key);
  if (cached) return cached;
  const alloc = memo?.alloc ?? FRESH;
  const n = idx.length;
  const k = chunks.length;
  const starts = new Float64Array(k + 1);
  for (let c = 0; c < k; c++) starts[c + 1] = starts[c] + chunks[c].length;
  const chunkOf = (j: number): number => {
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= j) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const local = alloc.int32(n);
  const which = alloc.int32(order.length);
  const segStart = new Int32Array(k + 1);
  for (let q = 0; q < order.length; q++) {
    const i = order[q];
    const c = chunkOf(idx[i]);
    which[q] = c;
    local[i] = idx[i] - starts[c];
    segStart[c + 1]++;
  }
  for (let c = 0; c < k; c++) segStart[c + 1] += segStart[c];
  const split = alloc.int32(order.length);
  const fill = segStart.slice(0, k);
  for (let q = 0; q < order.length; q++) split[fill[which[q]]++] = order[q];
  const result = { local, split, segStart };
  memo?.byLayout.set(key, result);
  return result;
}

/**
 * Marks in `valid` (an Arrow bitmap, zeroed) the rows of each chunk's segment whose source row is not
 * null; returns the null count of the `n` output rows (rows outside every segment are null).
 */
function gatherChunkedValidity(chunks: arrow.Data[], s: ChunkSplit, n: number, valid: Uint8Array): number {
  let validRows = 0;
  for (let c = 0; c < chunks.length; c++) {
    const d = chunks[c];
    const seg = s.split.subarray(s.segStart[c], s.segStart[c + 1]);
    if (seg.length === 0) continue;
    // Each call returns n minus the rows it marked valid.
    const hasNulls = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0;
    const notMarked = hasNulls ? gatherValidityBits(d.nullBitmap as Uint8Array, d.offset, s.local, seg, valid) : gatherValidity(null, s.local, seg, valid);
    validRows += n - notMarked;
  }
  return n - validRows;
}

/**
 * The gather of a fixed-width vector of several chunks (a table read row group by row group) read
 * in place, chunk by chunk, instead of first copying the whole source into one buffer.
 */
function gatherChunkedFixed(type: arrow.DataType, chunks: arrow.Data[], idx: Int32Array, order: Int32Array, memo?: GatherSplits): arrow.Vector {
  const n = idx.length;
  const s = chunkSplit(chunks, idx, order, memo);
  const first = chunks[0].values as NumericArray;
  const out = new (first.constructor as unknown as NumericArrayCtor)(n);
  for (let c = 0; c < chunks.length; c++) {
    const d = chunks[c];
    const seg = s.split.subarray(s.segStart[c], s.segStart[c + 1]);
    if (seg.length > 0) gatherFixedInto((d.values as NumericArray).subarray(0, d.length) as NumericArray, s.local, seg, out);
  }
  const valid = new Uint8Array(((n + 63) & ~63) >> 3);
  const nullCount = gatherChunkedValidity(chunks, s, n, valid);
  const data = arrow.makeData({ type: type as arrow.Int, length: n, nullCount, nullBitmap: nullCount > 0 ? valid : undefined, data: out as never });
  return arrow.makeVector(data) as arrow.Vector;
}

/** Like {@link gatherChunkedFixed}, for UTF-8 strings (32-bit offsets). */
function gatherChunkedUtf8(chunks: arrow.Data[], idx: Int32Array, order: Int32Array, memo?: GatherSplits): arrow.Vector {
  const n = idx.length;
  const s = chunkSplit(chunks, idx, order, memo);
  const valid = new Uint8Array(((n + 63) & ~63) >> 3);
  const nullCount = gatherChunkedValidity(chunks, s, n, valid);
  const offsets = new Int32Array(n + 1);
  for (let c = 0; c < chunks.length; c++) {
    const seg = s.split.subarray(s.segStart[c], s.segStart[c + 1]);
    if (seg.length > 0) utf8Lengths(chunks[c].valueOffsets as Int32Array, s.local, seg, valid, offsets);
  }
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const bytes = new Uint8Array(offsets[n]);
  for (let c = 0; c < chunks.length; c++) {
    const seg = s.split.subarray(s.segStart[c], s.segStart[c + 1]);
    if (seg.length > 0) copyUtf8(chunks[c].valueOffsets as Int32Array, chunks[c].values as Uint8Array, s.local, seg, valid, offsets, bytes);
  }
  const data = arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount, nullBitmap: nullCount > 0 ? valid : undefined, valueOffsets: offsets, data: bytes });
  return arrow.makeVector(data) as arrow.Vector;
}

/** The gather of a non-generic column whose nulls are given as bytes (`validBytes`) or bits (`nullBits`), or neither. */
function gatherFlat(
  col: FlatColumn & { kind: "fixed" | "bool" | "utf8" },
  validBytes: Uint8Array | null,
  nullBits: NullBits | null,
  idx: Int32Array,
  order: Int32Array,
): arrow.Vector {
  const n = idx.length;
  // The output's validity is written as an Arrow bitmap straight away (no byte per row).
  const valid = new Uint8Array(((n + 63) & ~63) >> 3);
  const nullCount =
    nullBits !== null ? gatherValidityBits(nullBits.bitmap, nullBits.offset, idx, order, valid) : gatherValidity(validBytes, idx, order, valid);
  const nullBitmap = nullCount > 0 ? valid : undefined;
  if (col.kind === "fixed") {
    const src = col.values;
    const Ctor = src.constructor as unknown as NumericArrayCtor;
    const out = new Ctor(n);
    gatherFixedInto(src, idx, order, out);
    const data = arrow.makeData({ type: col.type as arrow.Int, length: n, nullCount, nullBitmap, data: out as never });
    return arrow.makeVector(data) as arrow.Vector;
  }
  if (col.kind === "bool") {
    const bits = new Uint8Array(n);
    gatherUint8(col.values, idx, order, bits);
    const data = arrow.makeData({ type: new arrow.Bool(), length: n, nullCount, nullBitmap, data: packBits(bits, n) });
    return arrow.makeVector(data) as arrow.Vector;
  }
  const { offsets, bytes } = gatherUtf8(col.offsets, col.bytes, idx, order, valid);
  const data = arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount, nullBitmap, valueOffsets: offsets, data: bytes });
  return arrow.makeVector(data) as arrow.Vector;
}

/**
 * Sets bit `i` of `valid` (an Arrow bitmap, zeroed) for each row `i` in `order` whose source row is
 * not null; returns the null count (rows outside `order` take no source row and are null).
 */
function gatherValidity(srcValid: Uint8Array | null, idx: Int32Array, order: Int32Array, valid: Uint8Array): number {
  let set = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (srcValid === null || srcValid[idx[i]]) {
      valid[i >> 3] |= 1 << (i & 7);
      set++;
    }
  }
  return idx.length - set;
}

/** Like {@link gatherValidity}, reading the source's Arrow null bitmap (an eighth of the bytes). */
function gatherValidityBits(bitmap: Uint8Array, offset: number, idx: Int32Array, order: Int32Array, valid: Uint8Array): number {
  let set = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const b = offset + idx[i];
    if ((bitmap[b >> 3] >> (b & 7)) & 1) {
      valid[i >> 3] |= 1 << (i & 7);
      set++;
    }
  }
  return idx.length - set;
}

// The copy loops visit output rows in `order` (every row with idx >= 0); other rows stay zero.

function gatherFloat64(src: Float64Array, idx: Int32Array, order: Int32Array, out: Float64Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    out[i] = src[idx[i]];
  }
}

/** Copies 8-byte elements as pairs of 32-bit words. */
function gatherPairs(src: Int32Array, idx: Int32Array, order: Int32Array, out: Int32Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const j = idx[i];
    out[2 * i] = src[2 * j];
    out[2 * i + 1] = src[2 * j + 1];
  }
}

function gatherInt32(src: Int32Array, idx: Int32Array, order: Int32Array, out: Int32Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    out[i] = src[idx[i]];
  }
}

function gatherInt16(src: Int16Array, idx: Int32Array, order: Int32Array, out: Int16Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    out[i] = src[idx[i]];
  }
}

function gatherUint8(src: Uint8Array, idx: Int32Array, order: Int32Array, out: Uint8Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    out[i] = src[idx[i]];
  }
}

/** UTF-8 strings of the rows whose bit is set in `valid` (an Arrow bitmap); other rows get empty strings. */
function gatherUtf8(so: Int32Array, src: Uint8Array, idx: Int32Array, order: Int32Array, valid: Uint8Array): { offsets: Int32Array; bytes: Uint8Array } {
  const offsets = utf8Offsets(so, idx, order, valid);
  const bytes = new Uint8Array(offsets[idx.length]);
  copyUtf8(so, src, idx, order, valid, offsets, bytes);
  return { offsets, bytes };
}

/** Output offsets: each row's length (read in `order`, i.e. source order), then their running sum. */
function utf8Offsets(so: Int32Array, idx: Int32Array, order: Int32Array, valid: Uint8Array): Int32Array {
  const n = idx.length;
  const offsets = new Int32Array(n + 1);
  utf8Lengths(so, idx, order, valid, offsets);
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  return offsets;
}

/** Writes the length of each valid row `i` in `order` to `offsets[i + 1]`. */
function utf8Lengths(so: Int32Array, idx: Int32Array, order: Int32Array, valid: Uint8Array, offsets: Int32Array): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (!((valid[i >> 3] >> (i & 7)) & 1)) continue;
    const j = idx[i];
    offsets[i + 1] = so[j + 1] - so[j];
  }
}

function copyUtf8(so: Int32Array, src: Uint8Array, idx: Int32Array, order: Int32Array, valid: Uint8Array, offsets: Int32Array, bytes: Uint8Array): void {
  // Strings are short: copying four bytes at a time through DataViews beats both a plain byte loop
  // (about twice as slow) and a subarray view per row.
  const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const to = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (!((valid[i >> 3] >> (i & 7)) & 1)) continue;
    const j = idx[i];
    let w = offsets[i];
    let p = so[j];
    const end = so[j + 1];
    for (; p + 4 <= end; p += 4, w += 4) to.setInt32(w, from.getInt32(p, true), true);
    for (; p < end; p++) bytes[w++] = src[p];
  }
}

const TWO_32 = 4294967296;

/** Converts a BigInt64Array to float64 numbers without a BigInt per element (exact below 2^53). */
function int64ToFloat(values: BigInt64Array, scale: number, alloc: Alloc = FRESH): Float64Array {
  const n = values.length;
  const out = alloc.float64(n);
  int64ToFloatInto(new Int32Array(values.buffer, values.byteOffset, n * 2), n, scale, out, 0);
  return out;
}

/** Writes `length` int64 values, held as pairs of 32-bit words, times `scale` into `out` from `at`. */
function int64ToFloatInto(words: Int32Array, length: number, scale: number, out: Float64Array, at: number): void {
  for (let i = 0; i < length; i++) {
    // Little-endian: low word unsigned, high word signed.
    out[at + i] = (words[2 * i + 1] * TWO_32 + (words[2 * i] >>> 0)) * scale;
  }
}

/** Sets `out[at + i]` to NaN for each of `length` rows whose bit (from bit `offset`) is clear in an Arrow null bitmap. */
function nullBitsToNaN(bitmap: Uint8Array, offset: number, length: number, out: Float64Array, at: number): void {
  for (let i = 0; i < length; i++) {
    const b = offset + i;
    if (!((bitmap[b >> 3] >> (b & 7)) & 1)) out[at + i] = Number.NaN;
  }
}

/**
 * Parses a timestamp string to epoch microseconds. A string without a timezone designator is read as
 * UTC (documented rule), never in the machine's local zone.
 */
export function parseTimestampMicros(s: string): number {
  const t = s.trim();
  const hasZone = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/.test(t) && /\d[T ]\d/.test(t);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : hasZone ? t.replace(" ", "T") : `${t.replace(" ", "T")}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return Number.NaN;
  // Keep sub-millisecond digits that Date drops.
  const frac = /\.(\d{4,6})/.exec(t);
  const extraMicros = frac ? Number(frac[1].padEnd(6, "0").slice(3, 6)) : 0;
  return ms * 1000 + extraMicros;
}

/**
 * Reads a column of timestamps as epoch microseconds (NaN for null). Accepts Arrow timestamps of any
 * unit, dates, numbers (epoch milliseconds) and strings (ISO 8601; timezone-less strings are UTC).
 */
export function timestampMicros(vector: arrow.Vector, what: string, alloc: Alloc = FRESH): Float64Array {
  const type = vector.type as arrow.DataType;
  const n = vector.length;
  let out: Float64Array;
  if (arrow.DataType.isTimestamp(type) || (arrow.DataType.isDate(type) && (type as arrow.Date_).unit === arrow.DateUnit.MILLISECOND)) {
    const unit = arrow.DataType.isTimestamp(type) ? (type as arrow.Timestamp).unit : arrow.TimeUnit.MILLISECOND;
    const scale =
      unit === arrow.TimeUnit.SECOND ? 1e6 : unit === arrow.TimeUnit.MILLISECOND ? 1e3 : unit === arrow.TimeUnit.MICROSECOND ? 1 : 1e-3;
    const chunks = vector.data as arrow.Data[];
    if (chunks.length > 1 && chunks.every((d) => d.values instanceof BigInt64Array)) {
      // Several chunks (a table read row group by row group): converted chunk by chunk, no flat copy first.
      out = alloc.float64(n);
      let at = 0;
      for (const d of chunks) {
        const v = d.values as BigInt64Array;
        int64ToFloatInto(new Int32Array(v.buffer, v.byteOffset, d.length * 2), d.length, scale, out, at);
        if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0) nullBitsToNaN(d.nullBitmap, d.offset, d.length, out, at);
        at += d.length;
      }
      if (unit === arrow.TimeUnit.NANOSECOND) for (let i = 0; i < n; i++) out[i] = Math.floor(out[i]);
      return out;
    }
    const flat = flattenColumn(vector);
    if (flat.kind === "fixed" && flat.values instanceof BigInt64Array) {
      out = int64ToFloat(flat.values, scale, alloc);
      if (unit === arrow.TimeUnit.NANOSECOND) for (let i = 0; i < n; i++) out[i] = Math.floor(out[i]);
      applyNulls(out, flat.valid);
      return out;
    }
    if (flat.kind === "fixed") {
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(flat.values[i]) * scale;
      applyNulls(out, flat.valid);
      return out;
    }
  }
  if (arrow.DataType.isDate(type)) {
    const flat = flattenColumn(vector);
    out = new Float64Array(n);
    if (flat.kind === "fixed") {
      for (let i = 0; i < n; i++) out[i] = Number(flat.values[i]) * 86_400_000_000;
      applyNulls(out, flat.valid);
      return out;
    }
  }
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type)) {
    const flat = flattenColumn(vector);
    out = flat.kind === "fixed" && flat.values instanceof BigInt64Array ? int64ToFloat(flat.values, 1000) : new Float64Array(n);
    if (flat.kind === "fixed" && !(flat.values instanceof BigInt64Array)) for (let i = 0; i < n; i++) out[i] = Number(flat.values[i]) * 1000;
    if (flat.kind === "fixed") applyNulls(out, flat.valid);
    return out;
  }
  out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v: unknown = vector.get(i);
    out[i] = valueToMicros(v, what, i);
  }
  return out;
}

/** One timestamp value (Date, epoch-ms number, bigint µs from Arrow, ISO string) → epoch µs; NaN for null. */
export function valueToMicros(v: unknown, what: string, row: number): number {
  if (v === null || v === undefined) return Number.NaN;
  if (v instanceof Date) return v.getTime() * 1000;
  if (typeof v === "number") return v * 1000;
  if (typeof v === "string") {
    const us = parseTimestampMicros(v);
    if (Number.isNaN(us)) {
      throw new FeatureStoreError(
        `${what} row ${row}: ${JSON.stringify(v)} is not a timestamp; use an ISO 8601 string (e.g. "2025-01-31T12:00:00Z"), a Date or epoch milliseconds.`,
      );
    }
    return us;
  }
  throw new FeatureStoreError(`${what} row ${row}: ${String(v)} (${typeof v}) is not a timestamp; use a Date, an ISO 8601 string or epoch milliseconds.`);
}

function applyNulls(out: Float64Array, valid: Uint8Array | null): void {
  if (!valid) return;
  for (let i = 0; i < out.length; i++) if (!valid[i]) out[i] = Number.NaN;
}

/** The family of a key column's values, used to detect key type mismatches. */
export type KeyFamily = "number" | "string" | "boolean" | "other";

/** Which family of values an Arrow type holds (integers and floats compare as numbers). */
export function keyFamily(type: arrow.DataType): KeyFamily {
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type)) return "number";
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return "string";
  if (arrow.DataType.isDictionary(type)) return keyFamily((type as arrow.Dictionary).dictionary);
  if (arrow.DataType.isBool(type)) return "boolean";
  return "other";
}

/** Key values of one column as numbers (exact integers) or strings; null → undefined. */
function keyValues(vector: arrow.Vector): { nums: Float64Array | null; valid: Uint8Array | null; values: unknown[] | null } {
  const flat = flattenColumn(vector);
  if (flat.kind === "fixed") {
    if (flat.values instanceof BigInt64Array) {
      const f = int64ToFloat(flat.values, 1);
      let safe = true;
      for (let i = 0; i < f.length; i++) if (!Number.isSafeInteger(f[i])) { safe = false; break; }
      if (safe) return { nums: f, valid: flat.valid, values: null };
      const values: unknown[] = new Array(flat.length);
      for (let i = 0; i < flat.length; i++) values[i] = flat.valid && !flat.valid[i] ? undefined : String(flat.values[i]);
      return { nums: null, valid: null, values };
    }
    const f = new Float64Array(flat.length);
    for (let i = 0; i < flat.length; i++) f[i] = Number(flat.values[i]);
    return { nums: f, valid: flat.valid, values: null };
  }
  if (flat.kind === "utf8") {
    const dec = new TextDecoder();
    const values: unknown[] = new Array(flat.length);
    for (let i = 0; i < flat.length; i++) {
      values[i] = flat.valid && !flat.valid[i] ? undefined : dec.decode(flat.bytes.subarray(flat.offsets[i], flat.offsets[i + 1]));
    }
    return { nums: null, valid: null, values };
  }
  if (flat.kind === "bool") {
    const f = new Float64Array(flat.length);
    for (let i = 0; i < flat.length; i++) f[i] = flat.values[i];
    return { nums: f, valid: flat.valid, values: null };
  }
  return { nums: null, valid: null, values: flat.values.map((v) => (v === null ? undefined : typeof v === "bigint" ? String(v) : v)) };
}

/** One chunk of a signed Int32/Int64 column as 32-bit words, with its validity bitmap when it has nulls. */
interface IntChunk {
  words: Int32Array;
  length: number;
  bitmap: Uint8Array | null;
  bitOffset: number;
}

/**
 * A signed Int32/Int64 column read chunk by chunk as 32-bit words (`stride` 2: little-endian low and
 * high word per value), straight from its Arrow buffers (nothing copied, whatever the number of
 * chunks); null for any other column.
 */
function intWords(vector: arrow.Vector): { chunks: IntChunk[]; stride: 1 | 2; length: number; nulls: boolean } | null {
  const data = vector.data as arrow.Data[];
  const t = vector.type as arrow.DataType;
  if (!arrow.DataType.isInt(t) || !(t as arrow.Int).isSigned) return null;
  const bits = (t as arrow.Int).bitWidth;
  if (bits !== 32 && bits !== 64) return null;
  const stride = bits === 64 ? 2 : 1;
  const chunks: IntChunk[] = [];
  let nulls = false;
  for (const d of data) {
    const v = d.values as Int32Array | BigInt64Array;
    if (!ArrayBuffer.isView(v)) return null;
    const bitmap = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null;
    if (bitmap) nulls = true;
    // Sliced fixed-width data already has its value buffer sliced; its null bits start at `offset`.
    chunks.push({ words: new Int32Array(v.buffer, v.byteOffset, d.length * stride), length: d.length, bitmap, bitOffset: d.offset });
  }
  return { chunks, stride, length: vector.length, nulls };
}

/**
 * Fast path of {@link keyCodes} for one integer key column in a compact range (the common case: ids):
 * a lookup table indexed by value, read straight from the Arrow buffers (no hash map, no float
 * conversion, no BigInt). Needs a left side without nulls whose values fit in int32; right-side values
 * outside the table's range (also those that do not fit in int32) and nulls get -1.
 */
function smallIntKeyCodes(left: arrow.Vector, right: arrow.Vector): { left: Int32Array; right: Int32Array; groups: number } | null {
  const l = intWords(left);
  const r = intWords(right);
  if (!l || !r || l.nulls || l.length === 0) return null;
  const range = int32Range(l.chunks, l.stride);
  if (range === null || range.max - range.min + 1 > Math.max(1 << 20, 4 * (l.length + r.length))) return null;
  const table = new Int32Array(range.max - range.min + 1).fill(-1);
  const lc = new Int32Array(l.length);
  let groups = 0;
  let at = 0;
  for (const c of l.chunks) {
    groups = codeLeft(c.words, l.stride, c.length, range.min, table, groups, lc, at);
    at += c.length;
  }
  const rc = new Int32Array(r.length);
  at = 0;
  for (const c of r.chunks) {
    codeRight(c.words, r.stride, c.length, c.bitmap, c.bitOffset, range.min, table, table.length, rc, at);
    at += c.length;
  }
  return { left: lc, right: rc, groups };
}

/**
 * Key codes for a join, where equal keys only need to share a code: like {@link keyCodes}, except that
 * one integer key column whose values span a compact range is coded by value − min (no lookup table,
 * no first-appearance numbering). Codes lie in 0..groups-1 but some may be unused, and a right row
 * whose key the left side lacks gets -1 or a code no left row has. Integer columns of several chunks
 * (a table read row group by row group) are read in place.
 * @example
 * joinKeyCodes([vectorFromArray([7, 5, 7])], [vectorFromArray([5, 9])]) // { left: [2, 0, 2], right: [0, -1], groups: 3 }
 */
export function joinKeyCodes(left: arrow.Vector[], right: arrow.Vector[], alloc: Alloc = FRESH): { left: Int32Array; right: Int32Array; groups: number } {
  if (left.length === 1) {
    const l = intWords(left[0]);
    const r = intWords(right[0]);
    if (l && r && !l.nulls && l.length > 0) {
      const range = int32Range(l.chunks, l.stride);
      // Compact: the per-code state of a join stays about as small as per-row arrays.
      if (range !== null && range.max - range.min + 1 <= Math.max(65_536, l.length)) {
        const lc = alloc.int32(l.length);
        let at = 0;
        for (const c of l.chunks) {
          slotLeft(c.words, l.stride, c.length, range.min, lc, at);
          at += c.length;
        }
        const rc = alloc.int32(r.length);
        const span = range.max - range.min + 1;
        at = 0;
        for (const c of r.chunks) {
          codeRight(c.words, r.stride, c.length, c.bitmap, c.bitOffset, range.min, null, span, rc, at);
          at += c.length;
        }
        return { left: lc, right: rc, groups: span };
      }
    }
  }
  return keyCodes(left, right);
}

/** Codes by value − min of `length` values, written from `codes[at]`. */
function slotLeft(words: Int32Array, stride: 1 | 2, length: number, min: number, codes: Int32Array, at: number): void {
  for (let i = 0; i < length; i++) codes[at + i] = words[stride * i] - min;
}

/** min and max of integer values held as 32-bit words, or null when some do not fit in int32. */
function int32Range(chunks: IntChunk[], stride: 1 | 2): { min: number; max: number } | null {
  const range = { min: 2147483647, max: -2147483648 };
  for (const c of chunks) if (!chunkRange(c.words, stride, c.length, range)) return null;
  return range;
}

/** Widens `range` by one chunk's values; false when some do not fit in int32. */
function chunkRange(words: Int32Array, stride: 1 | 2, length: number, range: { min: number; max: number }): boolean {
  let min = range.min;
  let max = range.max;
  if (stride === 2) {
    for (let i = 0; i < length; i++) {
      const v = words[2 * i];
      // Fits in int32 when the high word is the sign extension of the low word.
      if (words[2 * i + 1] !== v >> 31) return false;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  } else {
    for (let i = 0; i < length; i++) {
      const v = words[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  range.min = min;
  range.max = max;
  return true;
}

/**
 * Codes of the left side in order of first appearance, recorded in `table` by value − min, written
 * from `codes[at]`; `next` is the count of codes given so far, and the new count is returned.
 */
function codeLeft(words: Int32Array, stride: 1 | 2, length: number, min: number, table: Int32Array, next: number, codes: Int32Array, at: number): number {
  for (let i = 0; i < length; i++) {
    const slot = words[stride * i] - min;
    let id = table[slot];
    if (id < 0) {
      id = next++;
      table[slot] = id;
    }
    codes[at + i] = id;
  }
  return next;
}

/**
 * Codes of the right side, written from `codes[at]`: `table[value − min]`, or value − min itself
 * when `table` is null; -1 for nulls and values outside the `span` of codes.
 */
function codeRight(
  words: Int32Array,
  stride: 1 | 2,
  length: number,
  bitmap: Uint8Array | null,
  bitOffset: number,
  min: number,
  table: Int32Array | null,
  span: number,
  codes: Int32Array,
  at: number,
): void {
  for (let i = 0; i < length; i++) {
    let code = -1;
    if (bitmap === null || (bitmap[(bitOffset + i) >> 3] >> ((bitOffset + i) & 7)) & 1) {
      const v = words[stride * i];
      const slot = v - min;
      if (slot >= 0 && slot < span && (stride === 1 || words[2 * i + 1] === v >> 31)) code = table === null ? slot : table[slot];
    }
    codes[at + i] = code;
  }
}

/** min/max of integer values when their range is small enough for a lookup table, else null. */
function denseIntRange(values: Float64Array, valid: Uint8Array | null, n: number): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (valid && !valid[i]) continue;
    const v = values[i];
    if (!Number.isInteger(v)) return null;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return null;
  return max - min + 1 <= Math.max(1 << 20, 4 * n) ? { min, max } : null;
}

/**
 * Dense key codes shared by two sides of a join: rows of `left` get codes 0..groups-1 (-1 for a null
 * key), rows of `right` get the code of the equal left key, or -1 when the left side has no such key.
 * Several columns form a composite key.
 */
export function keyCodes(left: arrow.Vector[], right: arrow.Vector[]): { left: Int32Array; right: Int32Array; groups: number } {
  const nl = left[0]?.length ?? 0;
  const nr = right[0]?.length ?? 0;
  if (left.length === 1) {
    const fast = smallIntKeyCodes(left[0], right[0]);
    if (fast) return fast;
  }
  let lCode: Float64Array | null = null;
  let rCode: Float64Array | null = null;
  let card = 1;
  for (let c = 0; c < left.length; c++) {
    const lv = keyValues(left[c]);
    const rv = keyValues(right[c]);
    const lIds = new Float64Array(nl);
    const rIds = new Float64Array(nr);
    let next = 0;
    const dense = lv.nums && rv.nums ? denseIntRange(lv.nums, lv.valid, nl + nr) : null;
    if (dense && lv.nums && rv.nums) {
      // Integer keys in a compact range: a lookup table instead of a hash map.
      const table = new Int32Array(dense.max - dense.min + 1).fill(-1);
      const ln = lv.nums;
      const min = dense.min;
      for (let i = 0; i < nl; i++) {
        if (lv.valid && !lv.valid[i]) { lIds[i] = -1; continue; }
        const slot = ln[i] - min;
        let id = table[slot];
        if (id < 0) { id = next++; table[slot] = id; }
        lIds[i] = id;
      }
      const rn = rv.nums;
      const span = table.length;
      for (let i = 0; i < nr; i++) {
        if (rv.valid && !rv.valid[i]) { rIds[i] = -1; continue; }
        const slot = rn[i] - min;
        rIds[i] = slot >= 0 && slot < span && Number.isInteger(slot) ? table[slot] : -1;
      }
    } else if (lv.nums && rv.nums) {
      const map = new Map<number, number>();
      const ln = lv.nums;
      for (let i = 0; i < nl; i++) {
        if (lv.valid && !lv.valid[i]) { lIds[i] = -1; continue; }
        const k = ln[i];
        let id = map.get(k);
        if (id === undefined) { id = next++; map.set(k, id); }
        lIds[i] = id;
      }
      const rn = rv.nums;
      for (let i = 0; i < nr; i++) {
        if (rv.valid && !rv.valid[i]) { rIds[i] = -1; continue; }
        const id = map.get(rn[i]);
        rIds[i] = id === undefined ? -1 : id;
      }
    } else {
      const map = new Map<unknown, number>();
      const la = lv.values ?? Array.from(lv.nums ?? [], (x, i) => (lv.valid && !lv.valid[i] ? undefined : x));
      const ra = rv.values ?? Array.from(rv.nums ?? [], (x, i) => (rv.valid && !rv.valid[i] ? undefined : x));
      for (let i = 0; i < nl; i++) {
        const k = la[i];
        if (k === undefined) { lIds[i] = -1; continue; }
        let id = map.get(k);
        if (id === undefined) { id = next++; map.set(k, id); }
        lIds[i] = id;
      }
      for (let i = 0; i < nr; i++) {
        const k = ra[i];
        const id = k === undefined ? undefined : map.get(k);
        rIds[i] = id === undefined ? -1 : id;
      }
    }
    if (lCode === null || rCode === null) {
      lCode = lIds;
      rCode = rIds;
      card = next;
      continue;
    }
    const combinedCard = card * next;
    if (combinedCard > Number.MAX_SAFE_INTEGER) {
      throw new FeatureStoreError(`composite key has too many distinct values to encode (${card} × ${next}); use fewer key columns.`);
    }
    for (let i = 0; i < nl; i++) lCode[i] = lCode[i] < 0 || lIds[i] < 0 ? -1 : lCode[i] * next + lIds[i];
    for (let i = 0; i < nr; i++) rCode[i] = rCode[i] < 0 || rIds[i] < 0 ? -1 : rCode[i] * next + rIds[i];
    card = combinedCard;
  }
  if (!lCode || !rCode) return { left: new Int32Array(nl).fill(0), right: new Int32Array(nr).fill(0), groups: nl > 0 ? 1 : 0 };
  if (left.length === 1) return { left: Int32Array.from(lCode), right: Int32Array.from(rCode), groups: card };
  // Composite codes are sparse: compact them to 0..groups-1.
  const dense = new Map<number, number>();
  const l = new Int32Array(nl);
  const r = new Int32Array(nr);
  for (let i = 0; i < nl; i++) {
    const k = lCode[i];
    if (k < 0) { l[i] = -1; continue; }
    let id = dense.get(k);
    if (id === undefined) { id = dense.size; dense.set(k, id); }
    l[i] = id;
  }
  for (let i = 0; i < nr; i++) {
    const k = rCode[i];
    const id = k < 0 ? undefined : dense.get(k);
    r[i] = id === undefined ? -1 : id;
  }
  return { left: l, right: r, groups: dense.size };
}
