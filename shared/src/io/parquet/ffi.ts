/**
 * Arrow C Data Interface import from WebAssembly memory: copies the buffers of arrays decoded by
 * parquet-wasm straight into Arrow JS typed arrays (one copy), instead of serialising to an IPC
 * stream inside WASM and copying that out (two copies and a large temporary). Flat types only;
 * callers fall back to IPC for anything else (see {@link ffiSupported}).
 *
 * Struct layouts on wasm32 (pointers are 4 bytes, int64 aligned to 8):
 * ArrowArray  { i64 length@0, i64 null_count@8, i64 offset@16, i64 n_buffers@24, i64 n_children@32,
 *               void** buffers@40, ArrowArray** children@44, ArrowArray* dictionary@48, … }
 */
import * as arrow from "apache-arrow";
import { makeAnyData } from "./take";

/** Whether every column of `schema` can be imported by {@link importFfiBatch}. */
export function ffiSupported(schema: arrow.Schema): boolean {
  return schema.fields.every((f) => supportedType(f.type));
}

function supportedType(t: arrow.DataType): boolean {
  if (arrow.DataType.isDictionary(t)) return supportedType(t.dictionary) && supportedType(t.indices);
  return (
    arrow.DataType.isNull(t) ||
    arrow.DataType.isBool(t) ||
    t.typeId === arrow.Type.Utf8 ||
    t.typeId === arrow.Type.Binary ||
    fixedWidthBytes(t) > 0
  );
}

/** Byte width of a fixed-width type's values, 0 for other types. */
function fixedWidthBytes(t: arrow.DataType): number {
  if (arrow.DataType.isInt(t)) return t.bitWidth / 8;
  if (arrow.DataType.isFloat(t)) return t.precision === arrow.Precision.HALF ? 2 : t.precision === arrow.Precision.SINGLE ? 4 : 8;
  if (arrow.DataType.isDate(t)) return t.unit === arrow.DateUnit.DAY ? 4 : 8;
  if (arrow.DataType.isTimestamp(t)) return 8;
  if (arrow.DataType.isTime(t)) return t.bitWidth / 8;
  if (arrow.DataType.isDuration(t)) return 8;
  return 0;
}

class Memory {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  constructor(readonly buffer: ArrayBuffer) {
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
  }
  i64(addr: number): number {
    return Number(this.dv.getBigInt64(addr, true));
  }
  ptr(addr: number): number {
    return this.dv.getUint32(addr, true);
  }
  /** A copy of `len` bytes at `addr`, in an ArrayBuffer of its own: a recycled one of that size, else a fresh one. */
  copy(addr: number, len: number): ArrayBuffer {
    const reused = takeRecycled(len);
    if (reused) {
      new Uint8Array(reused).set(this.u8.subarray(addr, addr + len));
      return reused;
    }
    // Uninitialised memory of its own (never Buffer's shared pool): one pass over it, the copy.
    // ArrayBuffer#slice zero-fills first, which on reused heap memory is a second pass.
    const out = Buffer.allocUnsafeSlow(len);
    out.set(this.u8.subarray(addr, addr + len));
    return out.buffer as ArrayBuffer;
  }
}

/** Recycled buffers of at least this many bytes are kept (smaller ones cost little to allocate). */
export const RECYCLE_MIN_BYTES = 4096;
/** At most this many bytes of recycled buffers are kept; beyond it, the oldest are dropped. */
const RECYCLE_MAX_BYTES = 512 * 1024 * 1024;
/** Recycled buffers by byte length, oldest first, and their total size. */
const recycled = new Map<number, ArrayBuffer[]>();
let recycledBytes = 0;

/**
 * Keeps buffers that nobody uses any more for later copies out of WebAssembly memory (see
 * {@link importFfiBatch}). Memory touched before costs far less to write than fresh memory, so a
 * read that follows a recycled one of the same layout (same column sizes) copies into warm pages.
 * The caller gives the buffers up: nothing may view them afterwards.
 * @example recycleBuffers(buffersOfADroppedTable)
 */
export function recycleBuffers(buffers: Iterable<ArrayBuffer>): void {
  for (const b of buffers) {
    const n = b.byteLength;
    if (n < RECYCLE_MIN_BYTES || n > RECYCLE_MAX_BYTES) continue;
    let list = recycled.get(n);
    if (!list) recycled.set(n, (list = []));
    list.push(b);
    recycledBytes += n;
  }
  // Over the cap: drop the oldest-kept sizes first (Map order is insertion order).
  for (const [n, list] of recycled) {
    if (recycledBytes <= RECYCLE_MAX_BYTES) break;
    while (list.length > 0 && recycledBytes > RECYCLE_MAX_BYTES) {
      list.shift();
      recycledBytes -= n;
    }
    if (list.length === 0) recycled.delete(n);
  }
}

/** Bytes of recycled buffers kept on this thread (for tests and diagnostics). */
export function recycledByteCount(): number {
  return recycledBytes;
}

/** Drops every recycled buffer kept on this thread. */
export function dropRecycled(): void {
  recycled.clear();
  recycledBytes = 0;
}

function takeRecycled(len: number): ArrayBuffer | undefined {
  const list = recycled.get(len);
  const b = list?.pop();
  if (b === undefined) return undefined;
  recycledBytes -= len;
  if (list!.length === 0) recycled.delete(len);
  return b;
}

/** Copies a validity or boolean bitmap starting at bit `offset` into a bitmap starting at bit 0. */
function copyBits(mem: Memory, addr: number, offset: number, length: number): Uint8Array {
  const nBytes = (length + 7) >> 3;
  if ((offset & 7) === 0) return new Uint8Array(mem.copy(addr + (offset >> 3), nBytes));
  const out = new Uint8Array(nBytes);
  const src = mem.u8;
  for (let i = 0; i < length; i++) {
    const j = offset + i;
    if ((src[addr + (j >> 3)] >> (j & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
  }
  return out;
}

/** Imports the array at `addr`; a parent struct's offset/length, when given, select its rows. */
function importArray(mem: Memory, addr: number, type: arrow.DataType, parent?: { offset: number; length: number }): arrow.Data {
  const length = parent ? parent.length : mem.i64(addr);
  const offset = mem.i64(addr + 16) + (parent ? parent.offset : 0);
  // A parent's slice invalidates the child's null count; -1 means "compute it".
  let nullCount = parent && parent.offset !== 0 ? -1 : mem.i64(addr + 8);
  const buffers = mem.ptr(addr + 40);
  const buf = (i: number) => mem.ptr(buffers + 4 * i);

  if (arrow.DataType.isNull(type)) return makeAnyData({ type, length, nullCount: length });
  const validityAddr = buf(0);
  let nullBitmap: Uint8Array | undefined;
  if (validityAddr !== 0 && nullCount !== 0) {
    nullBitmap = copyBits(mem, validityAddr, offset, length);
    if (nullCount < 0) {
      let valid = 0;
      for (let i = 0; i < length; i++) valid += (nullBitmap[i >> 3] >> (i & 7)) & 1;
      nullCount = length - valid;
    }
  } else {
    nullCount = 0;
  }

  if (arrow.DataType.isDictionary(type)) {
    const width = fixedWidthBytes(type.indices);
    const Indices = type.indices.ArrayType as unknown as new (b: ArrayBuffer) => ArrayLike<number>;
    const indices = new Indices(mem.copy(buf(1) + offset * width, length * width));
    const dictAddr = mem.ptr(addr + 48);
    const dictionary = arrow.makeVector(importArray(mem, dictAddr, type.dictionary));
    return makeAnyData({ type, length, nullCount, nullBitmap, data: indices, dictionary });
  }
  if (arrow.DataType.isBool(type)) {
    return makeAnyData({ type, length, nullCount, nullBitmap, data: copyBits(mem, buf(1), offset, length) });
  }
  if (type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.Binary) {
    const offsets = new Int32Array(mem.copy(buf(1) + offset * 4, (length + 1) * 4));
    const first = offsets[0];
    const last = offsets[length];
    if (first !== 0) for (let i = 0; i <= length; i++) offsets[i] -= first;
    const data = new Uint8Array(mem.copy(buf(2) + first, last - first));
    return makeAnyData({ type, length, nullCount, nullBitmap, valueOffsets: offsets, data });
  }
  const width = fixedWidthBytes(type);
  const ArrayType = (type as arrow.Int).ArrayType as unknown as new (b: ArrayBuffer) => ArrayLike<number>;
  const values = new ArrayType(mem.copy(buf(1) + offset * width, length * width));
  return makeAnyData({ type, length, nullCount, nullBitmap, data: values });
}

/**
 * Imports one record batch (a struct ArrowArray at `addr` in WASM memory) as an Arrow JS batch
 * of `schema`, copying every buffer out of WASM memory.
 */
export function importFfiBatch(memory: ArrayBuffer, addr: number, schema: arrow.Schema): arrow.RecordBatch {
  const mem = new Memory(memory);
  const length = mem.i64(addr);
  const structOffset = mem.i64(addr + 16);
  const nChildren = mem.i64(addr + 32);
  if (nChildren !== schema.fields.length) {
    throw new Error(`FFI import: the batch has ${nChildren} columns but the schema ${schema.fields.length}`);
  }
  const childrenAddr = mem.ptr(addr + 44);
  const children = schema.fields.map((f, i) => importArray(mem, mem.ptr(childrenAddr + 4 * i), f.type, { offset: structOffset, length }));
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}
