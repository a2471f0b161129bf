/**
 * Row validation of a deployed model, compiled once per model from its input-schema descriptors into
 * an array of per-field checkers (closures over the field's constants; no code generation, no schema
 * walk per call). One rule set for every input format: row objects are checked value by value,
 * Arrow columns (and so CSV or Parquet read into Arrow) value by value with the same checkers after a
 * check of the column's type family.
 *
 * | input                                   | outcome                                              |
 * |-----------------------------------------|------------------------------------------------------|
 * | field absent (`undefined` counts as absent) | `missing`, unless the field is optional (then null) |
 * | `null` (or an Arrow null)               | `null`, unless the field is nullable                 |
 * | value of another type                   | `type` (no coercion: `"3"` is not a number, `1` not a boolean) |
 * | `NaN` in a number field                 | `nan`, unless the schema allows NaN                  |
 * | `±Infinity`                             | `not_finite`                                         |
 * | non-integer in an integer field         | `not_integer`                                        |
 * | integer beyond ±(2^53 − 1)              | `unsafe_integer` (as a number, bigint or Int64)      |
 * | number outside the bounds (int32, min…) | `out_of_range`                                       |
 * | string outside an enum                  | `not_in_enum`                                        |
 * | string length outside min/max           | `length`                                             |
 * | invalid `Date`                          | `invalid_date`                                       |
 * | field not in the schema                 | ignored and counted (`extra: "ignore"`), or `extra_field` (`extra: "reject"`) |
 * | a row that is not an object             | `not_object`                                         |
 *
 * Accepted without being an error: an integer (or a bigint / Int64 value in the safe range) in a
 * number field, which is what the schema states.
 */
import { DataType, type Table, type Vector } from "apache-arrow";
import type { InputField, InputSchemaDescriptor } from "../artifact/input-schema";
import type { RowObject } from "../base/frame";

/** Why a value was refused. */
export type RowErrorCode =
  | "missing"
  | "null"
  | "type"
  | "nan"
  | "not_finite"
  | "not_integer"
  | "unsafe_integer"
  | "out_of_range"
  | "not_in_enum"
  | "length"
  | "invalid_date"
  | "extra_field"
  | "not_object";

/** One refused value, JSON-friendly. */
export interface RowError {
  /** The row's index in the input (0-based; in streams, counted from the start of the stream). */
  row: number;
  /** The field, or null for a row that is not an object. */
  field: string | null;
  code: RowErrorCode;
  /** A sentence naming the field, the value and what was expected. */
  message: string;
  /** What the schema expects, e.g. `"integer (int32) or null"`. */
  expected: string;
  /** The offending value in JSON form (NaN/±Infinity/bigints as strings, long strings cut); absent for `missing`. */
  value?: string | number | boolean | null;
}

// Check results: 0 = valid; otherwise an index into CODES.
const OK = 0;
const CODES: RowErrorCode[] = ["missing", "missing", "null", "type", "nan", "not_finite", "not_integer", "unsafe_integer", "out_of_range", "not_in_enum", "length", "invalid_date"];
const E_MISSING = 1;
const E_NULL = 2;
const E_TYPE = 3;
const E_NAN = 4;
const E_INF = 5;
const E_NOT_INT = 6;
const E_UNSAFE = 7;
const E_RANGE = 8;
const E_ENUM = 9;
const E_LENGTH = 10;
const E_DATE = 11;

const FLOAT32_MAX = 3.4028234663852886e38;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIG = -MAX_SAFE_BIG;

/** Checks one non-null, present value: 0 when valid, else an error index. */
type ValueCheck = (v: unknown) => number;

/** A compiled field. */
export interface CompiledField {
  readonly name: string;
  readonly field: InputField;
  readonly nullable: boolean;
  readonly optional: boolean;
  readonly check: ValueCheck;
  /** What the field expects, for messages. */
  readonly expected: string;
  /** The Arrow type family this field reads. */
  readonly family: "number" | "boolean" | "string" | "date";
  /** For number and integer fields: the allowed range, checked inline over typed arrays. */
  readonly bounds: Bounds | null;
}

/** A numeric field's allowed range (format limits and min/max folded together). */
interface Bounds {
  readonly lo: number;
  readonly loIn: boolean;
  readonly hi: number;
  readonly hiIn: boolean;
}

function boundsOf(field: InputField): Bounds {
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  if (field.format === "int32") {
    lo = -(2 ** 31);
    hi = 2 ** 31 - 1;
  } else if (field.format === "uint32") {
    lo = 0;
    hi = 2 ** 32 - 1;
  } else if (field.format === "float32") {
    lo = -FLOAT32_MAX;
    hi = FLOAT32_MAX;
  }
  if (field.min && (field.min.value > lo || (field.min.value === lo && !field.min.inclusive))) {
    lo = field.min.value;
    loIn = field.min.inclusive;
  }
  if (field.max && (field.max.value < hi || (field.max.value === hi && !field.max.inclusive))) {
    hi = field.max.value;
    hiIn = field.max.inclusive;
  }
  return { lo, loIn, hi, hiIn };
}

function boundsCheck(field: InputField): (x: number) => boolean {
  const { lo, loIn, hi, hiIn } = boundsOf(field);
  return (x) => (loIn ? x >= lo : x > lo) && (hiIn ? x <= hi : x < hi);
}

function compileCheck(field: InputField): ValueCheck {
  switch (field.type) {
    case "number": {
      const allowNaN = field.allowNaN === true;
      const inRange = boundsCheck(field);
      return (v) => {
        let x: number;
        if (typeof v === "number") x = v;
        else if (typeof v === "bigint") {
          if (v > MAX_SAFE_BIG || v < MIN_SAFE_BIG) return E_UNSAFE;
          x = Number(v);
        } else return E_TYPE;
        if (x !== x) return allowNaN ? OK : E_NAN;
        if (x === Infinity || x === -Infinity) return E_INF;
        return inRange(x) ? OK : E_RANGE;
      };
    }
    case "integer": {
      const inRange = boundsCheck(field);
      return (v) => {
        let x: number;
        if (typeof v === "number") {
          if (v !== v) return E_NAN;
          if (v === Infinity || v === -Infinity) return E_INF;
          if (Math.floor(v) !== v) return E_NOT_INT;
          if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) return E_UNSAFE;
          x = v;
        } else if (typeof v === "bigint") {
          if (v > MAX_SAFE_BIG || v < MIN_SAFE_BIG) return inRange(v > 0n ? Infinity : -Infinity) ? E_UNSAFE : E_RANGE;
          x = Number(v);
        } else return E_TYPE;
        return inRange(x) ? OK : E_RANGE;
      };
    }
    case "boolean":
      return (v) => (typeof v === "boolean" ? OK : E_TYPE);
    case "string": {
      const min = field.minLength ?? 0;
      const max = field.maxLength ?? Infinity;
      if (min === 0 && max === Infinity) return (v) => (typeof v === "string" ? OK : E_TYPE);
      return (v) => (typeof v !== "string" ? E_TYPE : v.length < min || v.length > max ? E_LENGTH : OK);
    }
    case "enum": {
      const allowed = new Set(field.values ?? []);
      return (v) => (typeof v !== "string" ? E_TYPE : allowed.has(v) ? OK : E_ENUM);
    }
    case "date":
      return (v) => (v instanceof Date ? (v.getTime() === v.getTime() ? OK : E_DATE) : E_TYPE);
  }
}

function expectedOf(f: InputField): string {
  let base: string;
  switch (f.type) {
    case "number":
      base = f.format === "float32" ? "number (float32)" : "number";
      break;
    case "integer":
      base = f.format === "int32" ? "integer (int32)" : f.format === "uint32" ? "integer (uint32)" : "integer";
      break;
    case "enum":
      base = `one of ${(f.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "date":
      base = "Date";
      break;
    default:
      base = f.type;
  }
  const bounds: string[] = [];
  if (f.min) bounds.push(`${f.min.inclusive ? "≥" : ">"} ${f.min.value}`);
  if (f.max) bounds.push(`${f.max.inclusive ? "≤" : "<"} ${f.max.value}`);
  if (f.minLength !== undefined) bounds.push(`at least ${f.minLength} characters`);
  if (f.maxLength !== undefined) bounds.push(`at most ${f.maxLength} characters`);
  if (bounds.length) base += ` ${bounds.join(", ")}`;
  if (f.allowNaN) base += " or NaN";
  if (f.nullable) base += " or null";
  if (f.optional) base += " (optional)";
  return base;
}

/**
 * Compiles input-schema descriptors into per-field checkers.
 * @example const fields = compileFields(manifest.inputSchema.fields);
 */
export function compileFields(fields: InputSchemaDescriptor): CompiledField[] {
  return fields.map((f) => ({
    name: f.name,
    field: f,
    nullable: f.nullable,
    optional: f.optional,
    check: compileCheck(f),
    expected: expectedOf(f),
    family: f.type === "number" || f.type === "integer" ? "number" : f.type === "enum" ? "string" : f.type,
    bounds: f.type === "number" || f.type === "integer" ? boundsOf(f) : null,
  }));
}

/** A value as shown in an error (JSON-friendly). */
export function shownValue(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return v.length > 100 ? v.slice(0, 100) + "…" : v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  if (Array.isArray(v)) return "[array]";
  return `[${typeof v}]`;
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "bigint") return `bigint ${v}n`;
  if (v instanceof Date) return `Date ${shownValue(v)}`;
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function messageOf(f: CompiledField, code: number, v: unknown): string {
  const name = JSON.stringify(f.name);
  switch (code) {
    case E_MISSING:
      return `field ${name} is missing (expected ${f.expected})`;
    case E_NULL:
      return `field ${name} is null, but the schema does not allow null (expected ${f.expected})`;
    case E_TYPE:
      return `field ${name} must be ${f.field.type === "integer" ? "an integer" : f.field.type === "enum" ? "a string" : `a ${f.field.type === "date" ? "Date" : f.field.type}`}, got ${describeValue(v)}`;
    case E_NAN:
      return `field ${name} is NaN, which the schema does not allow (send null for a missing value${f.nullable ? "" : " in a nullable field"})`;
    case E_INF:
      return `field ${name} is ${String(v)}; only finite numbers are allowed`;
    case E_NOT_INT:
      return `field ${name} must be an integer, got ${String(v)}`;
    case E_UNSAFE:
      return `field ${name} is ${String(v)}, beyond ±2^53 (Number.MAX_SAFE_INTEGER): it cannot be held exactly as a number`;
    case E_RANGE:
      return `field ${name} is ${String(v)}, outside the allowed range (expected ${f.expected})`;
    case E_ENUM:
      return `field ${name} is ${JSON.stringify(v)}, not one of ${(f.field.values ?? []).map((x) => JSON.stringify(x)).join(", ")}`;
    case E_LENGTH:
      return `field ${name} has ${(v as string).length} characters (expected ${f.expected})`;
    case E_DATE:
      return `field ${name} is an invalid Date`;
    default:
      return `field ${name} is invalid`;
  }
}

/** Options of row validation. */
export interface ValidateOptions {
  /** Fields not in the schema: `"ignore"` (default; counted and named in warnings) or `"reject"`. */
  extra?: "ignore" | "reject";
  /** The index of the first row (for streams). Default 0. */
  rowOffset?: number;
}

/** What validation finds in a batch. */
export interface ValidationOutcome {
  rows: number;
  /** Per row: 1 when the row has at least one error. */
  invalid: Uint8Array;
  invalidCount: number;
  errors: RowError[];
  /** Fields not in the schema, with the number of rows holding each (ignored or rejected). */
  extraFields: Map<string, number>;
}

function push(out: ValidationOutcome, row: number, f: CompiledField, code: number, v: unknown, rowOffset: number): void {
  if (!out.invalid[row]) {
    out.invalid[row] = 1;
    out.invalidCount++;
  }
  const e: RowError = { row: row + rowOffset, field: f.name, code: CODES[code], message: messageOf(f, code, v), expected: f.expected };
  if (code !== E_MISSING) e.value = shownValue(v);
  out.errors.push(e);
}

function markExtra(out: ValidationOutcome, row: number, name: string, reject: boolean, rowOffset: number): void {
  out.extraFields.set(name, (out.extraFields.get(name) ?? 0) + 1);
  if (!reject) return;
  if (!out.invalid[row]) {
    out.invalid[row] = 1;
    out.invalidCount++;
  }
  out.errors.push({ row: row + rowOffset, field: name, code: "extra_field", message: `field ${JSON.stringify(name)} is not in the input schema (extra fields are rejected)`, expected: "no such field" });
}

/**
 * Validates row objects against compiled fields.
 * @example validateRows(compileFields(desc), [{ age: 31 }], { extra: "reject" }).invalidCount
 */
export function validateRows(fields: readonly CompiledField[], known: ReadonlySet<string>, rows: readonly RowObject[], options: ValidateOptions = {}): ValidationOutcome {
  const n = rows.length;
  const reject = options.extra === "reject";
  const rowOffset = options.rowOffset ?? 0;
  const out: ValidationOutcome = { rows: n, invalid: new Uint8Array(n), invalidCount: 0, errors: [], extraFields: new Map() };
  const nf = fields.length;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      out.invalid[i] = 1;
      out.invalidCount++;
      out.errors.push({ row: i + rowOffset, field: null, code: "not_object", message: `row ${i + rowOffset} is ${describeValue(row)}, not a row object ({ field: value })`, expected: "a row object", value: shownValue(row) });
      continue;
    }
    let present = 0;
    for (let j = 0; j < nf; j++) {
      const f = fields[j];
      const v = row[f.name];
      if (v === undefined) {
        if (!f.optional) push(out, i, f, E_MISSING, v, rowOffset);
        continue;
      }
      present++;
      if (v === null) {
        if (!f.nullable) push(out, i, f, E_NULL, v, rowOffset);
        continue;
      }
      const code = f.check(v);
      if (code !== OK) push(out, i, f, code, v, rowOffset);
    }
    let keys = 0;
    for (const k in row) if (row[k] !== undefined) keys++;
    if (keys > present) {
      for (const k in row) if (row[k] !== undefined && !known.has(k)) markExtra(out, i, k, reject, rowOffset);
    }
  }
  return out;
}

/** The type family of an Arrow column, or null for types no field reads. */
function arrowFamily(type: DataType): CompiledField["family"] | null {
  if (DataType.isInt(type) || DataType.isFloat(type)) return "number";
  if (DataType.isBool(type)) return "boolean";
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return "string";
  if (DataType.isDictionary(type)) return arrowFamily(type.dictionary);
  if (DataType.isTimestamp(type) || DataType.isDate(type)) return "date";
  return null;
}

type PlainNumberArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;

function isPlainNumberArray(values: unknown): values is PlainNumberArray {
  return (
    values instanceof Float64Array ||
    values instanceof Float32Array ||
    values instanceof Int32Array ||
    values instanceof Int16Array ||
    values instanceof Int8Array ||
    values instanceof Uint32Array ||
    values instanceof Uint16Array ||
    values instanceof Uint8Array
  );
}

/**
 * The typed-array path of a number or integer column: a value inside the bounds (finite, and whole
 * for an integer field) passes inline; anything else goes through the field's check, which names
 * the exact error. Same outcome as checking every value, without a call per value.
 */
function checkNumbers(
  out: ValidationOutcome,
  f: CompiledField,
  b: Bounds,
  values: PlainNumberArray,
  len: number,
  nulls: Uint8Array | undefined,
  offset: number,
  first: number,
  rowOffset: number,
): void {
  const { lo, loIn, hi, hiIn } = b;
  const whole = f.field.type === "integer";
  const hasNulls = nulls !== undefined && nulls.length > 0;
  for (let k = 0; k < len; k++) {
    if (hasNulls) {
      const bit = offset + k;
      if (((nulls[bit >> 3] >> (bit & 7)) & 1) === 0) {
        if (!f.nullable) push(out, first + k, f, E_NULL, null, rowOffset);
        continue;
      }
    }
    const x = values[k]!;
    // x - x is 0 exactly when x is finite.
    if (x - x === 0 && (loIn ? x >= lo : x > lo) && (hiIn ? x <= hi : x < hi) && (!whole || (Math.floor(x) === x && x <= Number.MAX_SAFE_INTEGER && x >= -Number.MAX_SAFE_INTEGER))) {
      continue;
    }
    const code = f.check(x);
    if (code !== OK) push(out, first + k, f, code, x, rowOffset);
  }
}

function checkColumn(out: ValidationOutcome, f: CompiledField, vec: Vector, rowOffset: number): void {
  const family = arrowFamily(vec.type);
  // Fast path: a Float64/Float32/Int (≤ 32 bits) column read from its value buffers.
  if (family === f.family && family === "number") {
    let i = 0;
    for (const chunk of vec.data) {
      const values = chunk.values as ArrayLike<number | bigint>;
      const len = chunk.length;
      const nulls = chunk.nullCount > 0 ? (chunk.nullBitmap as Uint8Array | undefined) : undefined;
      const half = (chunk.type as { precision?: number }).precision === 0 && DataType.isFloat(chunk.type);
      if (!half && f.bounds && isPlainNumberArray(values)) {
        checkNumbers(out, f, f.bounds, values, len, nulls, chunk.offset, i, rowOffset);
        i += len;
        continue;
      }
      for (let k = 0; k < len; k++, i++) {
        if (nulls && nulls.length) {
          const b = chunk.offset + k;
          if (((nulls[b >> 3] >> (b & 7)) & 1) === 0) {
            if (!f.nullable) push(out, i, f, E_NULL, null, rowOffset);
            continue;
          }
        }
        const v = half ? vec.get(i) : values[k];
        const code = f.check(v);
        if (code !== OK) push(out, i, f, code, v, rowOffset);
      }
    }
    return;
  }
  // A plain string field accepts any string: only nulls need looking at, not the decoded values.
  if (family === "string" && f.field.type === "string" && f.field.minLength === undefined && f.field.maxLength === undefined) {
    if (f.nullable) return;
    let row = 0;
    for (const chunk of vec.data) {
      const len = chunk.length;
      const nulls = chunk.nullCount > 0 ? (chunk.nullBitmap as Uint8Array | undefined) : undefined;
      if (nulls && nulls.length) {
        for (let k = 0; k < len; k++) {
          const b = chunk.offset + k;
          if (((nulls[b >> 3] >> (b & 7)) & 1) === 0) push(out, row + k, f, E_NULL, null, rowOffset);
        }
      }
      row += len;
    }
    return;
  }
  let i = 0;
  for (const v of vec as Iterable<unknown>) {
    if (v === null || v === undefined) {
      if (!f.nullable) push(out, i, f, E_NULL, null, rowOffset);
    } else if (family !== f.family) push(out, i, f, E_TYPE, v, rowOffset);
    else if (family === "date") {
      const d = v instanceof Date ? v : new Date(Number(v));
      const code = f.check(d);
      if (code !== OK) push(out, i, f, code, d, rowOffset);
    } else {
      const code = f.check(v);
      if (code !== OK) push(out, i, f, code, v, rowOffset);
    }
    i++;
  }
}

/**
 * Validates an Arrow table against compiled fields, with the same rules as row objects: an absent
 * column is `missing` on every row (unless optional), an Arrow null is `null`, a column of another
 * type family is a `type` error on each of its non-null values.
 * @example validateTable(compileFields(desc), known, table).errors
 */
export function validateTable(fields: readonly CompiledField[], known: ReadonlySet<string>, table: Table, options: ValidateOptions = {}): ValidationOutcome {
  const n = table.numRows;
  const reject = options.extra === "reject";
  const rowOffset = options.rowOffset ?? 0;
  const out: ValidationOutcome = { rows: n, invalid: new Uint8Array(n), invalidCount: 0, errors: [], extraFields: new Map() };
  for (const f of fields) {
    const vec = table.getChild(f.name);
    if (!vec) {
      if (!f.optional) for (let i = 0; i < n; i++) push(out, i, f, E_MISSING, undefined, rowOffset);
      continue;
    }
    checkColumn(out, f, vec, rowOffset);
  }
  for (const field of table.schema.fields) {
    if (known.has(field.name)) continue;
    if (reject) for (let i = 0; i < n; i++) markExtra(out, i, field.name, true, rowOffset);
    else out.extraFields.set(field.name, n);
  }
  // Errors in row order (columns are checked one after the other).
  out.errors.sort((a, b) => a.row - b.row);
  return out;
}

/**
 * Checks one row object and throws nothing: returns null when valid, else the list of errors. The
 * single-row fast path of `predictOne`.
 */
export function checkOneRow(fields: readonly CompiledField[], known: ReadonlySet<string>, row: RowObject, reject: boolean): RowError[] | null {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    return [{ row: 0, field: null, code: "not_object", message: `the row is ${describeValue(row)}, not a row object ({ field: value })`, expected: "a row object", value: shownValue(row) }];
  }
  let bad = false;
  let present = 0;
  for (let j = 0; j < fields.length; j++) {
    const f = fields[j];
    const v = row[f.name];
    if (v === undefined) {
      if (!f.optional) bad = true;
      continue;
    }
    present++;
    if (v === null ? !f.nullable : f.check(v) !== OK) bad = true;
  }
  if (reject && !bad) {
    let keys = 0;
    for (const k in row) if (row[k] !== undefined) keys++;
    if (keys > present) bad = true;
  }
  if (!bad) return null;
  return validateRows(fields, known, [row], { extra: reject ? "reject" : "ignore" }).errors;
}
