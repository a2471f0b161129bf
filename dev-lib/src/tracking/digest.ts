/**
 * The content digest of an Arrow table, as recorded by `run.logDataset`.
 *
 * Definition (`trellis-dataset/1`): SHA-256 over the text
 * ```
 * trellis-dataset/1\n<schema JSON>\n<row count>\n
 * ```
 * followed, for every column in schema order, by `<name>:<validity sha256>:<values sha256>\n`, where
 * - the validity hash covers one byte per row, 1 for a value and 0 for a null;
 * - the values hash covers, for fixed-width types (integers, floats, decimals, dates, times,
 *   timestamps, durations, intervals, fixed-size binary), each row's little-endian value bytes (zero
 *   bytes for a null); for booleans one byte per row (0 or 1; 0 for null); for strings and binary
 *   each non-null value as a 4-byte little-endian length then its bytes (UTF-8 for strings); for
 *   dictionaries the decoded values, encoded as their value type; for anything else (lists,
 *   structs, maps) each non-null value as canonical JSON (object keys sorted, bigints as decimal
 *   strings) with the same length prefix.
 *
 * The schema JSON is `[{"name","type","nullable"}…]` with Arrow's type names (`Float64`,
 * `Timestamp<MICROSECOND, UTC>`…). The digest depends on the values, their order and the schema,
 * not on how the table is split into record batches.
 */
import { createHash, type Hash } from "node:crypto";
import * as arrow from "apache-arrow";

/** One field of a recorded schema. */
export interface SchemaFieldInfo {
  name: string;
  type: string;
  nullable: boolean;
}

/**
 * The schema of a table as plain JSON: names, Arrow type names, nullability.
 * @example
 * schemaInfo(arrow.tableFromArrays({ x: Float64Array.from([1]) }).schema); // [{ name: "x", type: "Float64", nullable: true }]
 */
export function schemaInfo(schema: arrow.Schema): SchemaFieldInfo[] {
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
}

function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (ArrayBuffer.isView(value)) return canonicalJson(Array.from(value as unknown as ArrayLike<unknown>));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return canonicalJson((value as { toJSON(): unknown }).toJSON());
  if (typeof (value as Iterable<unknown>)[Symbol.iterator] === "function") return canonicalJson(Array.from(value as Iterable<unknown>));
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(",")}}`;
}

const encoder = new TextEncoder();

function lengthPrefixed(hash: Hash, bytes: Uint8Array): void {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length, 0);
  hash.update(len);
  hash.update(bytes);
}

function isFixedWidth(type: arrow.DataType): boolean {
  return (
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isDecimal(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTime(type) ||
    arrow.DataType.isTimestamp(type) ||
    arrow.DataType.isInterval(type) ||
    arrow.DataType.isDuration(type) ||
    arrow.DataType.isFixedSizeBinary(type)
  );
}

function isBytesLike(type: arrow.DataType): boolean {
  return arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isLargeBinary(type);
}

function hashColumn(vector: arrow.Vector): { validity: string; values: string } {
  const validity = createHash("sha256");
  const values = createHash("sha256");
  const type = vector.type as arrow.DataType;
  for (const data of vector.data) {
    const n = data.length;
    const valid = new Uint8Array(n);
    if (data.nullCount > 0) {
      for (let i = 0; i < n; i++) valid[i] = data.getValid(i) ? 1 : 0;
    } else {
      valid.fill(1);
    }
    validity.update(valid);
    if (isFixedWidth(type)) {
      const arr = data.values as ArrayBufferView & { BYTES_PER_ELEMENT: number };
      const byteLength = n * data.stride * arr.BYTES_PER_ELEMENT;
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, byteLength);
      if (data.nullCount > 0) {
        const copy = Uint8Array.from(bytes);
        const width = byteLength / Math.max(1, n);
        for (let i = 0; i < n; i++) if (!valid[i]) copy.fill(0, i * width, (i + 1) * width);
        values.update(copy);
      } else {
        values.update(bytes);
      }
      continue;
    }
    const part = arrow.makeVector(data);
    if (arrow.DataType.isBool(type)) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = valid[i] && part.get(i) ? 1 : 0;
      values.update(out);
      continue;
    }
    const dictionaryValue = arrow.DataType.isDictionary(type) ? (type as arrow.Dictionary).dictionary : null;
    const asBytes = isBytesLike(type) || (dictionaryValue !== null && isBytesLike(dictionaryValue));
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue;
      const v = part.get(i);
      if (asBytes) lengthPrefixed(values, typeof v === "string" ? encoder.encode(v) : (v as Uint8Array));
      else lengthPrefixed(values, encoder.encode(canonicalJson(v)));
    }
  }
  return { validity: validity.digest("hex"), values: values.digest("hex") };
}

/**
 * The `trellis-dataset/1` content digest of a table (hex SHA-256; see the module notes for the
 * exact definition). Equal tables give equal digests however they are split into batches.
 * @example
 * tableDigest(arrow.tableFromArrays({ x: Float64Array.from([1, 2]) })); // "3f…" (64 hex digits)
 */
export function tableDigest(table: arrow.Table): string {
  const hash = createHash("sha256");
  hash.update(`trellis-dataset/1\n${JSON.stringify(schemaInfo(table.schema))}\n${table.numRows}\n`, "utf8");
  table.schema.fields.forEach((f, i) => {
    const col = table.getChildAt(i)!;
    const h = hashColumn(col);
    hash.update(`${f.name}:${h.validity}:${h.values}\n`, "utf8");
  });
  return hash.digest("hex");
}
