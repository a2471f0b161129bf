/**
 * A minimal reader for the Thrift compact protocol, enough to decode a Parquet footer
 * (`FileMetaData`). parquet-wasm does not expose column statistics, which row-group pruning
 * needs, so the footer is decoded here.
 *
 * Structs decode generically to `Map<fieldId, value>`; callers pick the fields they know.
 */

/** A decoded Thrift value: numbers for i8/i16/i32 (and i64 when safe), bigint for larger i64. */
export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftValue[] | ThriftStruct;
/** A decoded struct (or union): field id → value. */
export type ThriftStruct = Map<number, ThriftValue>;

const T_STOP = 0;
const T_TRUE = 1;
const T_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_DOUBLE = 7;
const T_BINARY = 8;
const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
const T_STRUCT = 12;

/** Wire types of struct fields and list elements, kept so a decoded footer can be re-encoded. */
const fieldTypes = new WeakMap<ThriftStruct, Map<number, number>>();
const elementTypes = new WeakMap<ThriftValue[], number>();

/** A shallow copy of a struct that keeps its wire types (for editing a footer). */
export function cloneStruct(s: ThriftStruct): ThriftStruct {
  const out: ThriftStruct = new Map(s);
  fieldTypes.set(out, new Map(fieldTypes.get(s)));
  return out;
}

/** A list with the same element type as `like`. */
export function listLike(like: ThriftValue[], items: ThriftValue[]): ThriftValue[] {
  const t = elementTypes.get(like);
  if (t !== undefined) elementTypes.set(items, t);
  return items;
}

/** Thrown on malformed input; the caller turns it into a DataIoError naming the file. */
export class ThriftDecodeError extends Error {}

/** Decodes a compact-protocol struct starting at `offset`; returns it and the end offset. */
export function readThriftStruct(buf: Uint8Array, offset = 0): { value: ThriftStruct; end: number } {
  const r = new Reader(buf, offset);
  const value = r.struct(0);
  return { value, end: r.pos };
}

class Reader {
  pos: number;
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    offset: number,
  ) {
    this.pos = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private byte(): number {
    if (this.pos >= this.buf.length) throw new ThriftDecodeError(`unexpected end of metadata at byte ${this.pos}`);
    return this.buf[this.pos++];
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ThriftDecodeError(`varint too long at byte ${this.pos}`);
    }
  }

  private smallVarint(): number {
    // Fast path for lengths, sizes and 32-bit values.
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new ThriftDecodeError(`32-bit varint too long at byte ${this.pos}`);
  }

  private zigzag32(): number {
    const n = this.smallVarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private zigzag64(): number | bigint {
    const n = this.varint();
    const v = (n >> 1n) ^ -(n & 1n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private binary(): Uint8Array {
    const len = this.smallVarint();
    if (this.pos + len > this.buf.length) throw new ThriftDecodeError(`binary field runs past the end at byte ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  private value(type: number, depth: number): ThriftValue {
    switch (type) {
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_BYTE: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case T_I16:
      case T_I32:
        return this.zigzag32();
      case T_I64:
        return this.zigzag64();
      case T_DOUBLE: {
        if (this.pos + 8 > this.buf.length) throw new ThriftDecodeError(`double runs past the end at byte ${this.pos}`);
        const d = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return d;
      }
      case T_BINARY:
        return this.binary();
      case T_LIST:
      case T_SET:
        return this.list(depth + 1);
      case T_MAP:
        return this.map(depth + 1);
      case T_STRUCT:
        return this.struct(depth + 1);
      default:
        throw new ThriftDecodeError(`unknown thrift type ${type} at byte ${this.pos}`);
    }
  }

  private list(depth: number): ThriftValue[] {
    const header = this.byte();
    let size = header >> 4;
    const elemType = header & 0x0f;
    if (size === 15) size = this.smallVarint();
    if (size > this.buf.length) throw new ThriftDecodeError(`list of ${size} elements is larger than the metadata`);
    const out: ThriftValue[] = new Array(size);
    elementTypes.set(out, elemType);
    for (let i = 0; i < size; i++) {
      // Booleans inside collections are one byte each (1 = true).
      out[i] = elemType === T_TRUE || elemType === T_FALSE ? this.byte() === 1 : this.value(elemType, depth);
    }
    return out;
  }

  private map(depth: number): ThriftValue[] {
    const size = this.smallVarint();
    if (size === 0) return [];
    const types = this.byte();
    const kt = types >> 4;
    const vt = types & 0x0f;
    const out: ThriftValue[] = [];
    for (let i = 0; i < size; i++) {
      const k = kt === T_TRUE || kt === T_FALSE ? this.byte() === 1 : this.value(kt, depth);
      const v = vt === T_TRUE || vt === T_FALSE ? this.byte() === 1 : this.value(vt, depth);
      out.push([k, v]);
    }
    return out;
  }

  struct(depth: number): ThriftStruct {
    if (depth > 64) throw new ThriftDecodeError("metadata nested too deeply");
    const out: ThriftStruct = new Map();
    const types = new Map<number, number>();
    fieldTypes.set(out, types);
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === T_STOP) return out;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag32() : lastId + delta;
      lastId = id;
      types.set(id, type === T_FALSE ? T_TRUE : type);
      out.set(id, this.value(type, depth));
    }
  }
}

/** Encodes a struct decoded by {@link readThriftStruct} (possibly edited) back to compact protocol. */
export function writeThriftStruct(s: ThriftStruct): Uint8Array {
  const w = new Writer();
  w.struct(s);
  return w.bytes();
}

class Writer {
  private buf = new Uint8Array(4096);
  private pos = 0;

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  private ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  private byte(b: number) {
    this.ensure(1);
    this.buf[this.pos++] = b & 0xff;
  }
  private varint(v: bigint) {
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }
  private zigzag(v: number | bigint) {
    const b = BigInt(v);
    this.varint(b >= 0n ? b << 1n : ((-b) << 1n) - 1n);
  }
  private value(type: number, v: ThriftValue) {
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        this.byte(v ? 1 : 2);
        return;
      case T_BYTE:
        this.byte(Number(v));
        return;
      case T_I16:
      case T_I32:
      case T_I64:
        this.zigzag(v as number | bigint);
        return;
      case T_DOUBLE: {
        this.ensure(8);
        new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v as number, true);
        this.pos += 8;
        return;
      }
      case T_BINARY: {
        const b = v as Uint8Array;
        this.varint(BigInt(b.length));
        this.ensure(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
        return;
      }
      case T_LIST:
      case T_SET: {
        const items = v as ThriftValue[];
        const et = elementTypes.get(items) ?? T_STRUCT;
        if (items.length < 15) this.byte((items.length << 4) | et);
        else {
          this.byte(0xf0 | et);
          this.varint(BigInt(items.length));
        }
        for (const item of items) this.value(et, item);
        return;
      }
      case T_MAP: {
        const pairs = v as ThriftValue[][];
        this.varint(BigInt(pairs.length));
        if (pairs.length === 0) return;
        throw new ThriftDecodeError("re-encoding thrift maps is not supported");
      }
      case T_STRUCT:
        this.struct(v as ThriftStruct);
        return;
      default:
        throw new ThriftDecodeError(`cannot encode thrift type ${type}`);
    }
  }
  struct(s: ThriftStruct) {
    const types = fieldTypes.get(s);
    if (!types) throw new ThriftDecodeError("struct has no recorded field types");
    let last = 0;
    for (const id of [...s.keys()].sort((a, b) => a - b)) {
      const v = s.get(id)!;
      let type = types.get(id);
      if (type === undefined) throw new ThriftDecodeError(`field ${id} has no recorded type`);
      // Booleans carry their value in the field header.
      if (type === T_TRUE) type = v ? T_TRUE : T_FALSE;
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(id);
      }
      last = id;
      if (type !== T_TRUE && type !== T_FALSE) this.value(type, v);
    }
    this.byte(T_STOP);
  }
}
