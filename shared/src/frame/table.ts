/**
 * Arrow table helpers: tables from plain row objects and back, column names, batch concatenation.
 *
 * Value rules (both directions):
 * - JS `number` ↔ Float64 (inferred), or any Int8/16/32, Uint8/16/32, Float32 column of a given schema.
 * - JS `bigint` ↔ Int64. Reading Int64 with {@link rowsOf} gives JS numbers by default and throws a
 *   {@link DataIoError} naming the column and row when a value lies beyond ±(2^53 − 1); pass
 *   `{ int64: "bigint" }` to get exact bigints instead. Never silently lossy.
 * - `Date` ↔ Timestamp(MICROSECOND, "UTC") (inferred); any Timestamp or Date column reads back as `Date`.
 * - `string` ↔ Utf8, `boolean` ↔ Bool, `Uint8Array` ↔ Binary, `null`/`undefined` ↔ null.
 */
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../errors";

/** The Arrow type a JS value type maps to when {@link tableFromRows} infers the schema. */
export type ArrowTypeOf<V> = [NonNullable<V>] extends [never]
  ? arrow.Null
  : [NonNullable<V>] extends [number]
    ? arrow.Float64
    : [NonNullable<V>] extends [bigint]
      ? arrow.Int64
      : [NonNullable<V>] extends [string]
        ? arrow.Utf8
        : [NonNullable<V>] extends [boolean]
          ? arrow.Bool
          : [NonNullable<V>] extends [Date]
            ? arrow.TimestampMicrosecond
            : [NonNullable<V>] extends [Uint8Array]
              ? arrow.Binary
              : arrow.DataType;

/** The Arrow type map of a row type: `{ id: bigint; x: number }` → `{ id: Int64; x: Float64 }`. */
export type RowTypeMap<T> = { [K in keyof T & string]: ArrowTypeOf<T[K]> };

/** Options of {@link rowsOf}. */
export interface RowsOfOptions {
  /**
   * How Int64/Uint64 values come out: `"number"` (default; throws when a value is beyond ±(2^53 − 1))
   * or `"bigint"` (always exact).
   */
  int64?: "number" | "bigint";
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/**
 * Builds an Arrow table from plain row objects. Without a schema the column types are inferred from
 * the values (see the module rules: number → Float64, bigint → Int64, string → Utf8, boolean → Bool,
 * Date → Timestamp(µs, UTC), Uint8Array → Binary; a column holding only nulls becomes Null). With a
 * schema, the values are checked against the field types and a value that does not fit throws a
 * {@link DataIoError} naming the column and row.
 * @example
 * const t = tableFromRows([{ id: 1n, score: 0.5, name: "ada" }]);
 * t.schema.fields.map((f) => String(f.type)); // ["Int64", "Float64", "Utf8"]
 */
export function tableFromRows<T extends Record<string, unknown>>(rows: readonly T[]): arrow.Table<RowTypeMap<T>>;
export function tableFromRows<T extends Record<string, unknown>, M extends arrow.TypeMap>(
  rows: readonly T[],
  schema: arrow.Schema<M>,
): arrow.Table<M>;
export function tableFromRows<T extends Record<string, unknown>>(rows: readonly T[], schema?: arrow.Schema): arrow.Table;
export function tableFromRows<T extends Record<string, unknown>>(rows: readonly T[], schema?: arrow.Schema): arrow.Table {
  if (!Array.isArray(rows)) {
    throw new InvalidArgumentError(`tableFromRows: rows must be an array of objects, got ${describe(rows)}.`);
  }
  const target = schema ?? inferSchema(rows);
  const n = rows.length;
  const data: arrow.Data[] = [];
  for (const field of target.fields) {
    const b = new ColumnBuilder(field.name, field.type, n, "tableFromRows");
    const key = field.name;
    for (let r = 0; r < n; r++) {
      const row = rows[r];
      if (row === null || typeof row !== "object") {
        throw new InvalidArgumentError(`tableFromRows: row ${r} must be an object, got ${describe(row)}.`);
      }
      b.append(row[key], r);
    }
    if (!field.nullable && b.nullCount > 0) {
      throw new DataIoError(
        `tableFromRows: column ${JSON.stringify(key)} is not nullable in the schema but ${b.nullCount} row(s) hold null/undefined; make the field nullable or fill the values.`,
      );
    }
    data.push(b.finish());
  }
  return makeTable(target, data, n);
}

/** Builds a table from a schema and one Data per field, all of `length` rows. */
export function makeTable(schema: arrow.Schema, columns: arrow.Data[], length: number): arrow.Table {
  const struct = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length,
    nullCount: 0,
    children: columns,
  });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
}

/** Builds one record batch from a schema and one Data per field. */
export function makeBatch(schema: arrow.Schema, columns: arrow.Data[], length: number): arrow.RecordBatch {
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children: columns });
  return new arrow.RecordBatch(schema, struct);
}

function inferSchema(rows: readonly Record<string, unknown>[]): arrow.Schema {
  const kinds = new Map<string, { kind: string; nullable: boolean; firstRow: number }>();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row === null || typeof row !== "object") {
      throw new InvalidArgumentError(`tableFromRows: row ${r} must be an object, got ${describe(row)}.`);
    }
    for (const key of Object.keys(row)) {
      const v = row[key];
      let info = kinds.get(key);
      if (!info) {
        info = { kind: "null", nullable: r > 0, firstRow: r };
        kinds.set(key, info);
      }
      if (v === null || v === undefined) {
        info.nullable = true;
        continue;
      }
      const k = kindOf(v);
      if (k === undefined) {
        throw new DataIoError(
          `tableFromRows: column ${JSON.stringify(key)} row ${r} holds ${describe(v)}, which has no Arrow column type; use numbers, bigints, strings, booleans, Dates or Uint8Arrays (JSON.stringify nested values), or pass a schema.`,
          { row: r },
        );
      }
      if (info.kind === "null") info.kind = k;
      else if (info.kind !== k) {
        throw new DataIoError(
          `tableFromRows: column ${JSON.stringify(key)} mixes ${info.kind} and ${k} values (row ${r}); make the values one type or pass a schema.`,
          { row: r },
        );
      }
    }
  }
  const fields: arrow.Field[] = [];
  for (const [name, info] of kinds) {
    const type = typeForKind(info.kind);
    let nullable = info.nullable || info.kind === "null";
    // A key missing from some rows is a null in those rows.
    if (!nullable) {
      for (let r = 0; r < rows.length; r++) {
        if (!(name in rows[r])) {
          nullable = true;
          break;
        }
      }
    }
    fields.push(new arrow.Field(name, type, nullable));
  }
  return new arrow.Schema(fields);
}

function kindOf(v: unknown): string | undefined {
  switch (typeof v) {
    case "number":
      return "number";
    case "bigint":
      return "bigint";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "object":
      if (v instanceof Date) return "Date";
      if (v instanceof Uint8Array) return "Uint8Array";
      return undefined;
    default:
      return undefined;
  }
}

function typeForKind(kind: string): arrow.DataType {
  switch (kind) {
    case "number":
      return new arrow.Float64();
    case "bigint":
      return new arrow.Int64();
    case "string":
      return new arrow.Utf8();
    case "boolean":
      return new arrow.Bool();
    case "Date":
      return new arrow.TimestampMicrosecond("UTC");
    case "Uint8Array":
      return new arrow.Binary();
    default:
      return new arrow.Null();
  }
}

/**
 * Converts an Arrow table to plain row objects, one per row, column-wise (see the module rules):
 * Int64 → number by default (a {@link DataIoError} names the column and row of a value beyond
 * ±(2^53 − 1); pass `{ int64: "bigint" }` for exact bigints), Timestamp and Date → `Date`,
 * nulls → `null`, lists → arrays, structs → objects.
 * @example
 * rowsOf<{ id: number }>(tableFromRows([{ id: 7n }])); // [{ id: 7 }]
 */
export function rowsOf<T = Record<string, unknown>>(table: arrow.Table, options: RowsOfOptions = {}): T[] {
  if (!(table instanceof arrow.Table)) {
    throw new InvalidArgumentError(`rowsOf: expected an Arrow Table, got ${describe(table)}.`);
  }
  const int64 = options.int64 ?? "number";
  if (int64 !== "number" && int64 !== "bigint") {
    throw new InvalidArgumentError(`rowsOf: option int64 must be "number" or "bigint", got ${JSON.stringify(int64)}.`);
  }
  const n = table.numRows;
  const rows: Record<string, unknown>[] = new Array(n);
  for (let r = 0; r < n; r++) rows[r] = {};
  const fields = table.schema.fields;
  for (let c = 0; c < fields.length; c++) {
    const field = fields[c];
    const vector = table.getChildAt(c);
    if (!vector) continue;
    const name = field.name;
    if (fillPrimitive(rows, name, vector, int64)) continue;
    const convert = converterFor(field.type, int64, name);
    let r = 0;
    if (convert === null) {
      for (const v of vector) rows[r++][name] = v ?? null;
    } else {
      for (const v of vector) {
        rows[r][name] = v === null || v === undefined ? null : convert(v, r);
        r++;
      }
    }
  }
  return rows as T[];
}

type Converter = ((v: unknown, row: number) => unknown) | null;

/**
 * Fills one column of `rows` straight from the typed arrays of numeric, Int64 and timestamp
 * columns (no per-value visitor dispatch). Returns false for other types.
 */
function fillPrimitive(rows: Record<string, unknown>[], name: string, vector: arrow.Vector, int64: "number" | "bigint"): boolean {
  const type = vector.type as arrow.DataType;
  const isNum = (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF) || (arrow.DataType.isInt(type) && type.bitWidth < 64);
  const isBig = arrow.DataType.isInt(type) && type.bitWidth === 64;
  const isTs = arrow.DataType.isTimestamp(type);
  if (!isNum && !isBig && !isTs) return false;
  const perMs = isTs ? [0.001, 1, 1000, 1_000_000][(type as arrow.Timestamp).unit] : 1;
  let r = 0;
  for (const data of vector.data) {
    const n = data.length;
    const values = data.values as unknown as ArrayLike<number | bigint>;
    const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    const off = data.offset;
    for (let i = 0; i < n; i++, r++) {
      if (bitmap && !((bitmap[(off + i) >> 3] >> ((off + i) & 7)) & 1)) {
        rows[r][name] = null;
        continue;
      }
      const v = values[i];
      if (isNum) rows[r][name] = v;
      else if (isBig) {
        if (int64 === "bigint") rows[r][name] = v;
        else {
          const x = v as bigint;
          if (x > MAX_SAFE || x < MIN_SAFE) {
            throw new DataIoError(
              `rowsOf: column ${JSON.stringify(name)} row ${r} holds ${x}, beyond the safe integer range ±(2^53 - 1) of JS numbers; pass { int64: "bigint" } to read exact bigints.`,
              { row: r },
            );
          }
          rows[r][name] = Number(x);
        }
      } else rows[r][name] = new Date(Math.floor(Number(v) / perMs));
    }
  }
  return true;
}

function converterFor(type: arrow.DataType, int64: "number" | "bigint", column: string): Converter {
  if (arrow.DataType.isInt(type) && type.bitWidth === 64) {
    if (int64 === "bigint") return (v) => (typeof v === "bigint" ? v : BigInt(v as number));
    return (v, row) => {
      if (typeof v !== "bigint") return v;
      if (v > MAX_SAFE || v < MIN_SAFE) {
        throw new DataIoError(
          `rowsOf: column ${JSON.stringify(column)} row ${row} holds ${v}, beyond the safe integer range ±(2^53 - 1) of JS numbers; pass { int64: "bigint" } to read exact bigints.`,
          { row },
        );
      }
      return Number(v);
    };
  }
  if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) {
    return (v) => (v instanceof Date ? v : new Date(Number(v)));
  }
  if (arrow.DataType.isDictionary(type)) return converterFor(type.dictionary, int64, column);
  if (arrow.DataType.isList(type) || arrow.DataType.isFixedSizeList(type)) {
    const inner = converterFor((type as arrow.List).children[0].type, int64, column);
    return (v, row) => {
      const out: unknown[] = [];
      for (const x of v as Iterable<unknown>) out.push(x === null || x === undefined ? null : inner ? inner(x, row) : x);
      return out;
    };
  }
  if (arrow.DataType.isStruct(type)) {
    const convs = type.children.map((f) => [f.name, converterFor(f.type, int64, `${column}.${f.name}`)] as const);
    return (v, row) => {
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, conv] of convs) {
        const x = src[k];
        out[k] = x === null || x === undefined ? null : conv ? conv(x, row) : x;
      }
      return out;
    };
  }
  return null;
}

/**
 * The column names of a table, in schema order.
 * @example
 * columnNames(tableFromRows([{ a: 1, b: "x" }])); // ["a", "b"]
 */
export function columnNames(table: arrow.Table | arrow.RecordBatch): string[] {
  if (!(table instanceof arrow.Table) && !(table instanceof arrow.RecordBatch)) {
    throw new InvalidArgumentError(`columnNames: expected an Arrow Table or RecordBatch, got ${describe(table)}.`);
  }
  return table.schema.fields.map((f) => f.name);
}

/**
 * Collects record batches (from an array, a generator or an async stream) into one table without
 * copying their buffers. Every batch must have the same column names and types as the first; an
 * empty input gives an empty table with no columns.
 * @example
 * const t = await concatBatches(readCsvBatches("big.csv"));
 */
export async function concatBatches(
  batches: Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>,
): Promise<arrow.Table> {
  if (batches === null || typeof batches !== "object" || !(Symbol.asyncIterator in batches || Symbol.iterator in batches)) {
    throw new InvalidArgumentError(`concatBatches: expected an iterable of RecordBatches, got ${describe(batches)}.`);
  }
  const list: arrow.RecordBatch[] = [];
  let first: arrow.Schema | undefined;
  let index = 0;
  for await (const b of batches as AsyncIterable<arrow.RecordBatch>) {
    if (!(b instanceof arrow.RecordBatch)) {
      throw new InvalidArgumentError(`concatBatches: item ${index} is ${describe(b)}, not an Arrow RecordBatch.`);
    }
    if (!first) first = b.schema;
    else assertSameSchema(first, b.schema, `concatBatches: batch ${index}`);
    list.push(b);
    index++;
  }
  if (!first) return new arrow.Table();
  return new arrow.Table(first, list);
}

/** Throws a SchemaMismatchError unless `actual` has the same field names and types as `expected`. */
export function assertSameSchema(expected: arrow.Schema, actual: arrow.Schema, subject: string): void {
  const exp = new Map(expected.fields.map((f) => [f.name, f]));
  const act = new Map(actual.fields.map((f) => [f.name, f]));
  const missing = [...exp.keys()].filter((k) => !act.has(k));
  const unexpected = [...act.keys()].filter((k) => !exp.has(k));
  const mistyped = [...exp.values()]
    .filter((f) => act.has(f.name) && !sameType(f.type, act.get(f.name)!.type))
    .map((f) => ({ column: f.name, expected: String(f.type), actual: String(act.get(f.name)!.type) }));
  const reordered =
    !missing.length && !unexpected.length && expected.fields.some((f, i) => actual.fields[i].name !== f.name);
  if (missing.length || unexpected.length || mistyped.length) {
    throw new SchemaMismatchError(subject, { missing, unexpected, mistyped }, "Every batch must have the first batch's schema.");
  }
  if (reordered) {
    throw new SchemaMismatchError(subject, {}, "Its columns come in a different order from the first batch's; select them in one order.");
  }
}

function sameType(a: arrow.DataType, b: arrow.DataType): boolean {
  return String(a) === String(b);
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? "Invalid" : v.toISOString()})`;
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// Column building (internal, shared by the CSV/JSON readers): typed arrays filled in place, no
// per-value objects.

const enum Kind {
  Float,
  Int,
  Int64,
  Uint64,
  Timestamp,
  DateDay,
  DateMs,
  Bool,
  Utf8,
  Null,
  Other,
}

type NumArray = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

const encoder = new TextEncoder();

/**
 * Accumulates the values of one column into Arrow buffers. `append` accepts the JS value rules of
 * the module and throws a DataIoError naming the column and row for a value that does not fit.
 */
export class ColumnBuilder {
  readonly name: string;
  readonly type: arrow.DataType;
  length = 0;
  nullCount = 0;
  private readonly kind: Kind;
  private readonly subject: string;
  private readonly rowBase: number;
  private validity: Uint8Array;
  private nums: NumArray | BigInt64Array | BigUint64Array | Int32Array | null = null;
  private intMin = 0;
  private intMax = 0;
  private tsScale = 1;
  private tsUnit: arrow.TimeUnit = arrow.TimeUnit.MICROSECOND;
  private bytes: Uint8Array = new Uint8Array(0);
  private byteLength = 0;
  private offsets: Int32Array = new Int32Array(0);
  private other: arrow.Builder | null = null;

  constructor(name: string, type: arrow.DataType, capacity: number, subject: string, rowBase = 0) {
    this.name = name;
    this.type = type;
    this.subject = subject;
    this.rowBase = rowBase;
    const cap = Math.max(16, capacity);
    this.validity = new Uint8Array((cap + 7) >> 3);
    if (arrow.DataType.isFloat(type)) {
      this.kind = Kind.Float;
      this.nums = type.precision === arrow.Precision.SINGLE ? new Float32Array(cap) : type.precision === arrow.Precision.DOUBLE ? new Float64Array(cap) : null;
      if (!this.nums) {
        this.kind = Kind.Other;
      }
    } else if (arrow.DataType.isInt(type)) {
      if (type.bitWidth === 64) {
        this.kind = type.isSigned ? Kind.Int64 : Kind.Uint64;
        this.nums = type.isSigned ? new BigInt64Array(cap) : new BigUint64Array(cap);
      } else {
        this.kind = Kind.Int;
        const C = type.ArrayType as unknown as new (n: number) => NumArray;
        this.nums = new C(cap);
        const bits = type.bitWidth;
        this.intMin = type.isSigned ? -(2 ** (bits - 1)) : 0;
        this.intMax = type.isSigned ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      }
    } else if (arrow.DataType.isTimestamp(type)) {
      this.kind = Kind.Timestamp;
      this.nums = new BigInt64Array(cap);
      this.tsUnit = type.unit;
      this.tsScale = [0.001, 1, 1000, 1_000_000][type.unit];
    } else if (arrow.DataType.isDate(type)) {
      if (type.unit === arrow.DateUnit.DAY) {
        this.kind = Kind.DateDay;
        this.nums = new Int32Array(cap);
      } else {
        this.kind = Kind.DateMs;
        this.nums = new BigInt64Array(cap);
      }
    } else if (arrow.DataType.isBool(type)) {
      this.kind = Kind.Bool;
      this.bytes = new Uint8Array((cap + 7) >> 3);
    } else if (arrow.DataType.isUtf8(type)) {
      this.kind = Kind.Utf8;
      this.offsets = new Int32Array(cap + 1);
      this.bytes = new Uint8Array(cap * 8);
    } else if (arrow.DataType.isNull(type)) {
      this.kind = Kind.Null;
    } else {
      this.kind = Kind.Other;
    }
    if (this.kind === Kind.Other) {
      this.other = arrow.makeBuilder({ type, nullValues: [null, undefined] });
    }
  }

  private grow(): void {
    const cap = this.validity.length * 8;
    const next = cap * 2;
    const v = new Uint8Array(next >> 3);
    v.set(this.validity);
    this.validity = v;
    if (this.nums) {
      const C = this.nums.constructor as new (n: number) => NumArray;
      const a = new C(next);
      (a as Float64Array).set(this.nums as Float64Array);
      this.nums = a;
    }
    if (this.kind === Kind.Bool) {
      const b = new Uint8Array(next >> 3);
      b.set(this.bytes);
      this.bytes = b;
    }
    if (this.kind === Kind.Utf8) {
      const o = new Int32Array(next + 1);
      o.set(this.offsets);
      this.offsets = o;
    }
  }

  private bad(value: unknown, row: number, expected: string): never {
    throw new DataIoError(
      `${this.subject}: column ${JSON.stringify(this.name)} row ${row + this.rowBase} holds ${describe(value)}, which does not fit ${this.type} (expected ${expected}); fix the value or declare the column with another type.`,
      { row: row + this.rowBase },
    );
  }

  /** Appends a null. */
  appendNull(): void {
    const i = this.length;
    if (i >= this.validity.length * 8) this.grow();
    this.nullCount++;
    if (this.kind === Kind.Utf8) this.offsets[i + 1] = this.byteLength;
    if (this.other) this.other.append(null);
    this.length = i + 1;
  }

  /** Appends one JS value (`null`/`undefined` append a null). `row` is only used in error messages. */
  append(value: unknown, row: number): void {
    if (value === null || value === undefined) return this.appendNull();
    const i = this.length;
    if (i >= this.validity.length * 8) this.grow();
    switch (this.kind) {
      case Kind.Float:
        if (typeof value !== "number") {
          if (typeof value === "bigint") (this.nums as Float64Array)[i] = Number(value);
          else this.bad(value, row, "a number");
        } else (this.nums as Float64Array)[i] = value;
        break;
      case Kind.Int: {
        const x = typeof value === "bigint" ? Number(value) : value;
        if (typeof x !== "number" || !Number.isInteger(x) || x < this.intMin || x > this.intMax) {
          this.bad(value, row, `an integer in [${this.intMin}, ${this.intMax}]`);
        }
        (this.nums as Int32Array)[i] = x;
        break;
      }
      case Kind.Int64:
      case Kind.Uint64: {
        let x: bigint;
        if (typeof value === "bigint") x = value;
        else if (typeof value === "number" && Number.isSafeInteger(value)) x = BigInt(value);
        else this.bad(value, row, "a bigint or a safe integer number");
        if (this.kind === Kind.Uint64 ? x < 0n || x > 0xffffffffffffffffn : x < -0x8000000000000000n || x > 0x7fffffffffffffffn) {
          this.bad(value, row, "a value in the 64-bit range");
        }
        (this.nums as BigInt64Array)[i] = x;
        break;
      }
      case Kind.Timestamp: {
        const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : NaN;
        if (!Number.isFinite(ms)) this.bad(value, row, "a Date or epoch milliseconds");
        let x: bigint;
        if (this.tsUnit === arrow.TimeUnit.NANOSECOND) {
          const whole = Math.floor(ms);
          x = BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
        } else x = BigInt(this.tsUnit === arrow.TimeUnit.SECOND ? Math.floor(ms * this.tsScale) : Math.round(ms * this.tsScale));
        (this.nums as BigInt64Array)[i] = x;
        break;
      }
      case Kind.DateDay: {
        const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : NaN;
        if (!Number.isFinite(ms)) this.bad(value, row, "a Date or epoch milliseconds");
        (this.nums as Int32Array)[i] = Math.floor(ms / 86_400_000);
        break;
      }
      case Kind.DateMs: {
        const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : NaN;
        if (!Number.isFinite(ms)) this.bad(value, row, "a Date or epoch milliseconds");
        (this.nums as BigInt64Array)[i] = BigInt(Math.floor(ms));
        break;
      }
      case Kind.Bool:
        if (typeof value !== "boolean") this.bad(value, row, "a boolean");
        if (value) this.bytes[i >> 3] |= 1 << (i & 7);
        break;
      case Kind.Utf8: {
        if (typeof value !== "string") this.bad(value, row, "a string");
        this.appendString(value);
        break;
      }
      case Kind.Null:
        this.bad(value, row, "null");
        break;
      default:
        try {
          this.other!.append(value);
        } catch (e) {
          throw new DataIoError(
            `${this.subject}: column ${JSON.stringify(this.name)} row ${row + this.rowBase} holds ${describe(value)}, which does not fit ${this.type}.`,
            { row: row + this.rowBase, cause: e },
          );
        }
    }
    this.validity[i >> 3] |= 1 << (i & 7);
    this.length = i + 1;
  }

  private appendString(s: string): void {
    const i = this.length;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const need = this.byteLength + s.length * 3;
    if (need > this.bytes.length) {
      const b = new Uint8Array(Math.max(need, this.bytes.length * 2));
      b.set(this.bytes.subarray(0, this.byteLength));
      this.bytes = b;
    }
    let written: number;
    if (s.length < 32) {
      // Short strings: a plain loop beats encodeInto's call overhead.
      let p = this.byteLength;
      const out = this.bytes;
      let ascii = true;
      for (let k = 0; k < s.length; k++) {
        const c = s.charCodeAt(k);
        if (c > 127) {
          ascii = false;
          break;
        }
        out[p++] = c;
      }
      if (ascii) written = s.length;
      else written = encoder.encodeInto(s, this.bytes.subarray(this.byteLength)).written;
    } else {
      written = encoder.encodeInto(s, this.bytes.subarray(this.byteLength)).written;
    }
    this.byteLength += written;
    this.offsets[i + 1] = this.byteLength;
  }

  /** Finishes the column; the builder must not be used afterwards. */
  finish(): arrow.Data {
    const n = this.length;
    const nullBitmap = this.nullCount > 0 ? this.validity.slice(0, (n + 7) >> 3) : undefined;
    const type = this.type as never;
    switch (this.kind) {
      case Kind.Float:
      case Kind.Int:
      case Kind.Int64:
      case Kind.Uint64:
      case Kind.Timestamp:
      case Kind.DateDay:
      case Kind.DateMs:
        return arrow.makeData({ type, length: n, nullCount: this.nullCount, nullBitmap, data: this.nums!.slice(0, n) as never });
      case Kind.Bool:
        return arrow.makeData({ type, length: n, nullCount: this.nullCount, nullBitmap, data: this.bytes.slice(0, (n + 7) >> 3) as never });
      case Kind.Utf8:
        return arrow.makeData({
          type,
          length: n,
          nullCount: this.nullCount,
          nullBitmap,
          valueOffsets: this.offsets.slice(0, n + 1),
          data: this.bytes.slice(0, this.byteLength) as never,
        });
      case Kind.Null:
        return arrow.makeData({ type: new arrow.Null(), length: n, nullCount: n });
      default: {
        const d = this.other!.finish().flush();
        return d;
      }
    }
  }
}
