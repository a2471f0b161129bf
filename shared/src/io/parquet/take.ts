/**
 * Row gathering for Arrow data: builds new columns holding the rows at given indices. Fixed-width
 * columns, booleans, strings/binaries and dictionaries are gathered directly on their buffers;
 * other (nested) types go through Arrow's builders.
 */
import * as arrow from "apache-arrow";

/** `makeData` with props checked at run time by Arrow (its overloads are per concrete type). */
export const makeAnyData = arrow.makeData as unknown as (props: Record<string, unknown>) => arrow.Data;

/** Gathers `indices` (in order) from every column of `batch`. */
export function takeBatch(batch: arrow.RecordBatch, indices: Int32Array): arrow.RecordBatch {
  const children = batch.data.children.map((c) => takeData(c, indices));
  const data = arrow.makeData({
    type: new arrow.Struct(batch.schema.fields),
    length: indices.length,
    nullCount: 0,
    children,
  });
  return new arrow.RecordBatch(batch.schema, data);
}

/** Indices of the set entries of a 0/1 mask. */
export function maskToIndices(mask: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}

function takeValidity(data: arrow.Data, indices: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return { nullCount: 0 };
  const src = data.nullBitmap;
  const off = data.offset;
  const n = indices.length;
  const out = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const j = off + indices[i];
    if ((src[j >> 3] >> (j & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: out, nullCount: nulls };
}

/** Gathers `indices` from one column's data. */
export function takeData(data: arrow.Data, indices: Int32Array): arrow.Data {
  const type = data.type;
  const n = indices.length;
  const validity = takeValidity(data, indices);
  const tid = type.typeId;
  if (arrow.DataType.isBool(type)) {
    const src = data.values as Uint8Array;
    const out = new Uint8Array((n + 7) >> 3);
    const off = data.offset;
    for (let i = 0; i < n; i++) {
      const j = off + indices[i];
      if ((src[j >> 3] >> (j & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
    }
    return makeAnyData({ type, length: n, ...validity, data: out });
  }
  if (tid === arrow.Type.Utf8 || tid === arrow.Type.Binary) {
    const offsets = data.valueOffsets as Int32Array;
    const src = data.values as Uint8Array;
    const outOffsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      total += offsets[k + 1] - offsets[k];
      outOffsets[i + 1] = total;
    }
    const out = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      out.set(src.subarray(offsets[k], offsets[k + 1]), outOffsets[i]);
    }
    return makeAnyData({ type, length: n, ...validity, valueOffsets: outOffsets, data: out });
  }
  const isFixed =
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTimestamp(type) ||
    arrow.DataType.isTime(type) ||
    arrow.DataType.isDecimal(type) ||
    arrow.DataType.isFixedSizeBinary(type) ||
    arrow.DataType.isInterval(type) ||
    arrow.DataType.isDuration(type) ||
    arrow.DataType.isDictionary(type);
  if (isFixed && data.values && ArrayBuffer.isView(data.values)) {
    const src = data.values as unknown as { length: number; [i: number]: number | bigint; constructor: new (n: number) => unknown };
    const stride = data.stride;
    const out = new src.constructor(n * stride) as { [i: number]: number | bigint };
    if (stride === 1) {
      for (let i = 0; i < n; i++) out[i] = src[indices[i]];
    } else {
      for (let i = 0; i < n; i++) {
        const base = indices[i] * stride;
        for (let s = 0; s < stride; s++) out[i * stride + s] = src[base + s];
      }
    }
    return makeAnyData({
      type,
      length: n,
      ...validity,
      data: out,
      dictionary: (data as arrow.Data<arrow.Dictionary>).dictionary,
    });
  }
  // Nested and rare types: rebuild through Arrow's builders.
  const vector = new arrow.Vector([data]);
  const values = new Array(n);
  for (let i = 0; i < n; i++) values[i] = vector.get(indices[i]);
  return arrow.vectorFromArray(values, type).data[0];
}
