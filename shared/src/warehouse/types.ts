/**
 * PostgreSQL ⇄ Arrow type mapping used by every {@link Warehouse} read and load.
 *
 * | PostgreSQL                          | Arrow                          | JS value from `vector.get(i)`          |
 * |-------------------------------------|--------------------------------|----------------------------------------|
 * | `smallint` (int2)                   | `Int16`                        | `number`                               |
 * | `integer` (int4)                    | `Int32`                        | `number`                               |
 * | `bigint` (int8)                     | `Int64`                        | `bigint` (exact, never a string)       |
 * | `real` (float4)                     | `Float32`                      | `number`                               |
 * | `double precision` (float8)         | `Float64`                      | `number`                               |
 * | `numeric` / `decimal`               | `Float64` — lossy beyond 15–17 significant digits | `number`            |
 * | `boolean`                           | `Bool`                         | `boolean`                              |
 * | `text`, `varchar`, `char`, `name`   | `Utf8`                         | `string`                               |
 * | `json`, `jsonb`                     | `Utf8` (the JSON text)         | `string`                               |
 * | `bytea`                             | `Binary`                       | `Uint8Array`                           |
 * | `date`                              | `DateDay`                      | `number` (epoch milliseconds)          |
 * | `timestamp`, `timestamptz`          | `Timestamp(MICROSECOND, "UTC")`| `number` (epoch ms, µs as fraction)    |
 * | anything else (uuid, interval, arrays, enums…) | `Utf8` (PostgreSQL's text form) | `string`              |
 *
 * `timestamp without time zone` values are read as UTC wall-clock time. SQL `NULL` is an Arrow null in
 * every type. `infinity` timestamps and dates are read as the largest/smallest representable value.
 *
 * In the other direction ({@link arrowTypeToPg}, used when `load` creates a table): `Bool` → `boolean`,
 * `Int8`/`Int16`/`Uint8` → `smallint`, `Int32`/`Uint16` → `integer`, `Int64`/`Uint32`/`Uint64` → `bigint`,
 * `Float16`/`Float32` → `real`, `Float64` → `double precision`, `Utf8`/`LargeUtf8` → `text`,
 * `Binary`/`LargeBinary` → `bytea`, `DateDay`/`DateMillisecond` → `date`, any `Timestamp` → `timestamptz`
 * (a timestamp without an Arrow time zone is taken as UTC), `Dictionary<V>` → the type of `V`,
 * `Null` → `text`.
 * @packageDocumentation
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "../errors";

/** Type OIDs of the PostgreSQL built-in types Trellis reads natively. */
export const PG_OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/**
 * How a column's values are decoded/encoded. One small integer per column keeps the COPY hot loops on
 * a `switch` rather than on per-value virtual calls.
 * @internal
 */
export const K = {
  INT16: 0,
  INT32: 1,
  INT64: 2,
  FLOAT32: 3,
  FLOAT64: 4,
  NUMERIC: 5,
  BOOL: 6,
  TEXT: 7,
  JSONB: 8,
  BYTEA: 9,
  DATE: 10,
  TIMESTAMP: 11,
  /** Oid-4 unsigned integer (`oid` type) read into Int64. */
  OID: 12,
} as const;
/** @internal */
export type Kind = (typeof K)[keyof typeof K];

/**
 * The decoding kind of a result column by its type OID, or `undefined` when the type has no native
 * decoder (the column is then read as PostgreSQL's text form into Utf8).
 * @internal
 */
export function kindOfOid(oid: number): Kind | undefined {
  switch (oid) {
    case PG_OID.int2:
      return K.INT16;
    case PG_OID.int4:
      return K.INT32;
    case PG_OID.int8:
      return K.INT64;
    case PG_OID.oid:
      return K.OID;
    case PG_OID.float4:
      return K.FLOAT32;
    case PG_OID.float8:
      return K.FLOAT64;
    case PG_OID.numeric:
      return K.NUMERIC;
    case PG_OID.bool:
      return K.BOOL;
    case PG_OID.text:
    case PG_OID.varchar:
    case PG_OID.bpchar:
    case PG_OID.name:
    case PG_OID.char:
    case PG_OID.json:
    case PG_OID.unknown:
      return K.TEXT;
    case PG_OID.jsonb:
      return K.JSONB;
    case PG_OID.bytea:
      return K.BYTEA;
    case PG_OID.date:
      return K.DATE;
    case PG_OID.timestamp:
    case PG_OID.timestamptz:
      return K.TIMESTAMP;
    default:
      return undefined;
  }
}

/** The Arrow type a decoding kind produces. @internal */
export function arrowTypeOfKind(kind: Kind): arrow.DataType {
  switch (kind) {
    case K.INT16:
      return new arrow.Int16();
    case K.INT32:
      return new arrow.Int32();
    case K.INT64:
    case K.OID:
      return new arrow.Int64();
    case K.FLOAT32:
      return new arrow.Float32();
    case K.FLOAT64:
    case K.NUMERIC:
      return new arrow.Float64();
    case K.BOOL:
      return new arrow.Bool();
    case K.TEXT:
    case K.JSONB:
      return new arrow.Utf8();
    case K.BYTEA:
      return new arrow.Binary();
    case K.DATE:
      return new arrow.DateDay();
    case K.TIMESTAMP:
      return new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, "UTC");
  }
}

const NAME_TO_KIND: Record<string, Kind> = {
  int2: K.INT16,
  smallint: K.INT16,
  int4: K.INT32,
  int: K.INT32,
  integer: K.INT32,
  int8: K.INT64,
  bigint: K.INT64,
  oid: K.OID,
  float4: K.FLOAT32,
  real: K.FLOAT32,
  float8: K.FLOAT64,
  "double precision": K.FLOAT64,
  float: K.FLOAT64,
  numeric: K.NUMERIC,
  decimal: K.NUMERIC,
  bool: K.BOOL,
  boolean: K.BOOL,
  text: K.TEXT,
  varchar: K.TEXT,
  "character varying": K.TEXT,
  char: K.TEXT,
  character: K.TEXT,
  bpchar: K.TEXT,
  name: K.TEXT,
  json: K.TEXT,
  jsonb: K.JSONB,
  bytea: K.BYTEA,
  date: K.DATE,
  timestamp: K.TIMESTAMP,
  "timestamp without time zone": K.TIMESTAMP,
  timestamptz: K.TIMESTAMP,
  "timestamp with time zone": K.TIMESTAMP,
};

/**
 * The Arrow type Trellis reads a PostgreSQL type as (see the mapping table in this module). Accepts
 * the names `format_type` and `information_schema` print, aliases and modifiers
 * (`"character varying(20)"`, `"numeric(10,2)"`, `"timestamp(3) with time zone"`, `"INT8"`). Types
 * without a native mapping (uuid, interval, arrays, enums…) are read as their text form: `Utf8`.
 * @example
 * pgTypeToArrow("bigint");      // Int64
 * pgTypeToArrow("timestamptz"); // Timestamp<MICROSECOND, UTC>
 * pgTypeToArrow("uuid");        // Utf8
 */
export function pgTypeToArrow(pgTypeName: string): arrow.DataType {
  if (typeof pgTypeName !== "string" || pgTypeName.trim() === "") {
    throw new InvalidArgumentError(
      `pgTypeToArrow: expected a PostgreSQL type name such as "bigint", got ${JSON.stringify(pgTypeName) ?? String(pgTypeName)}.`,
    );
  }
  const kind = kindOfPgTypeName(pgTypeName);
  return kind === undefined ? new arrow.Utf8() : arrowTypeOfKind(kind);
}

/** The decoding kind of a type name, or undefined for types read as text. @internal */
export function kindOfPgTypeName(pgTypeName: string): Kind | undefined {
  const normalized = pgTypeName
    .trim()
    .toLowerCase()
    .replace(/^pg_catalog\./, "")
    .replace(/"/g, "")
    .replace(/\s*\([^)]*\)/g, "")
    .replace(/\s+/g, " ");
  if (normalized.endsWith("[]")) return undefined;
  return NAME_TO_KIND[normalized];
}

/**
 * The PostgreSQL column type `load` uses for an Arrow type when it creates a table (see the mapping
 * table in this module). Throws {@link InvalidArgumentError} for Arrow types with no faithful
 * PostgreSQL column (lists, structs, maps, unions, decimals, intervals, times).
 * @example
 * arrowTypeToPg(new arrow.Int64());                                  // "bigint"
 * arrowTypeToPg(new arrow.Utf8());                                   // "text"
 * arrowTypeToPg(new arrow.TimestampMillisecond());                   // "timestamptz"
 */
export function arrowTypeToPg(type: arrow.DataType): string {
  if (!(type instanceof arrow.DataType)) {
    throw new InvalidArgumentError(`arrowTypeToPg: expected an Arrow DataType such as new arrow.Int64(), got ${typeof type}.`);
  }
  if (arrow.DataType.isDictionary(type)) return arrowTypeToPg(type.dictionary);
  if (arrow.DataType.isBool(type)) return "boolean";
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth <= 8) return "smallint";
    if (type.bitWidth === 16) return type.isSigned ? "smallint" : "integer";
    if (type.bitWidth === 32) return type.isSigned ? "integer" : "bigint";
    return "bigint";
  }
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.DOUBLE ? "double precision" : "real";
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isNull(type)) return "text";
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type)) return "bytea";
  if (arrow.DataType.isDate(type)) return "date";
  if (arrow.DataType.isTimestamp(type)) return "timestamptz";
  throw new InvalidArgumentError(
    `arrowTypeToPg: Arrow type ${String(type)} has no PostgreSQL column mapping; cast the column to one of ` +
      `Bool, Int8-64, Uint8-64, Float16-64, Utf8, Binary, Date, Timestamp or Dictionary<Utf8> first.`,
  );
}
