/**
 * One declaration of a shape: a zod (v4) object schema converts to an Arrow schema (and, through the
 * warehouse's type mapping, to Postgres column types), and an Arrow schema converts back to zod.
 *
 * | zod                                   | Arrow                          | JS values (rowsOf)        |
 * |---------------------------------------|--------------------------------|---------------------------|
 * | `z.int32()`                           | Int32                          | number                    |
 * | `z.uint32()`                          | Uint32                         | number                    |
 * | `z.int()`, `z.number().int()`         | Int64                          | number (safe-integer range) |
 * | `z.bigint()`, `z.int64()`             | Int64                          | bigint (`{ int64: "bigint" }`) |
 * | `z.uint64()`                          | Uint64                         | bigint                    |
 * | `z.float32()`                         | Float32                        | number                    |
 * | `z.number()`, `z.float64()`           | Float64                        | number                    |
 * | `z.string()` (any string format)      | Utf8                           | string                    |
 * | `z.enum([...])`, string `z.literal`   | Utf8 (values kept in metadata) | string                    |
 * | `z.boolean()`                         | Bool                           | boolean                   |
 * | `z.date()`                            | Timestamp(MICROSECOND, "UTC")  | Date                      |
 * | `z.instanceof(Uint8Array)`            | Binary                         | Uint8Array                |
 *
 * `.nullable()`, `.optional()` and `.nullish()` make the field nullable; `.default()`, `.catch()`,
 * `.readonly()` and refinements are looked through. Back from Arrow: Int8/16/32 and Uint8/16/32 →
 * bounded `z.int()`s, Int64 → `z.int()` (or `z.bigint()` with `{ int64: "bigint" }`, or when the
 * field was declared as a bigint), Float32 → `z.float32()`, Float16/64 → `z.number()`, Utf8 and
 * dictionary-encoded strings → `z.string()` (a `z.enum` when the field's metadata lists the values),
 * Bool → `z.boolean()`, Timestamp and Date → `z.date()`, Binary → `z.instanceof(Uint8Array)`.
 *
 * To Postgres (through the warehouse's `arrowTypeToPg`): Int32 → integer, Int64 → bigint, Float32 →
 * real, Float64 → double precision, Utf8 → text, Bool → boolean, Timestamp → timestamptz, Binary →
 * bytea; a nullable field has no `NOT NULL`.
 */
import * as arrow from "apache-arrow";
import { z } from "zod";
import { InvalidArgumentError } from "../errors";
import { quoteIdent } from "../warehouse/identifiers";
import { arrowTypeToPg } from "../warehouse/types";

/** Field metadata keys Trellis writes so that a zod → Arrow → zod round trip keeps the declaration. */
export const ZOD_ENUM_METADATA_KEY = "trellis.enum";
/** Field metadata key marking an Int64 field whose values are JS bigints (`z.bigint()`). */
export const ZOD_JS_METADATA_KEY = "trellis.js";

/** A zod object schema or a plain record of zod field schemas. */
export type ZodShapeInput = z.ZodObject | Record<string, z.ZodType>;

/** Options of {@link arrowSchemaToZod}. */
export interface ArrowSchemaToZodOptions {
  /** How Int64 fields are declared: `"number"` (default, `z.int()`) or `"bigint"` (`z.bigint()`). */
  int64?: "number" | "bigint";
}

interface ZodInternals {
  _zod: {
    bag?: { Class?: unknown }; def: { type: string; format?: string; checks?: { _zod: { def: { check?: string; format?: string } } }[]; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; entries?: Record<string, string | number>; values?: unknown[]; getter?: () => z.ZodType };
  };
}

function shapeOf(input: ZodShapeInput, caller: string): Record<string, z.ZodType> {
  if (input instanceof z.ZodObject) return input.shape as Record<string, z.ZodType>;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidArgumentError(`${caller}: expected a zod object schema or a record of zod schemas, got ${String(input)}.`);
  }
  for (const [k, v] of Object.entries(input)) {
    if (!(v instanceof z.ZodType)) {
      throw new InvalidArgumentError(`${caller}: field ${JSON.stringify(k)} is not a zod schema; declare it as z.number(), z.string(), ...`);
    }
  }
  return input;
}

/**
 * Converts a zod object schema (or a record of field schemas) to an Arrow schema, following the
 * table in the module documentation. An unsupported field type throws an InvalidArgumentError naming
 * the field.
 * @example
 * zodToArrowSchema(z.object({ id: z.int64(), score: z.number().nullable() })).fields.map(String);
 * // ["id: Int64", "score: Float64"]
 */
export function zodToArrowSchema(shape: ZodShapeInput): arrow.Schema {
  const fields = Object.entries(shapeOf(shape, "zodToArrowSchema")).map(([name, schema]) => zodFieldToArrow(name, schema));
  return new arrow.Schema(fields);
}

/**
 * Converts one zod field schema to an Arrow field.
 * @example
 * zodFieldToArrow("n", z.int32().optional()).nullable; // true
 */
export function zodFieldToArrow(name: string, schema: z.ZodType): arrow.Field {
  let nullable = false;
  let s = schema as unknown as ZodInternals;
  for (let depth = 0; depth < 32; depth++) {
    const t = s._zod.def.type;
    if (t === "nullable" || t === "optional") {
      nullable = true;
      s = s._zod.def.innerType as unknown as ZodInternals;
    } else if (t === "default" || t === "prefault" || t === "catch" || t === "readonly" || t === "nonoptional") {
      s = s._zod.def.innerType as unknown as ZodInternals;
    } else if (t === "pipe") {
      s = s._zod.def.out as unknown as ZodInternals;
      if ((s._zod.def.type === "transform")) s = (schema as unknown as ZodInternals)._zod.def.in as unknown as ZodInternals;
    } else if (t === "lazy") {
      s = s._zod.def.getter!() as unknown as ZodInternals;
    } else break;
  }
  const def = s._zod.def;
  const metadata = new Map<string, string>();
  let type: arrow.DataType;
  switch (def.type) {
    case "number": {
      const format = def.format ?? def.checks?.map((c) => c._zod.def).find((c) => c.check === "number_format")?.format;
      if (format === "int32") type = new arrow.Int32();
      else if (format === "uint32") type = new arrow.Uint32();
      else if (format === "safeint") type = new arrow.Int64();
      else if (format === "float32") type = new arrow.Float32();
      else type = new arrow.Float64();
      break;
    }
    case "bigint":
      type = def.format === "uint64" ? new arrow.Uint64() : new arrow.Int64();
      metadata.set(ZOD_JS_METADATA_KEY, "bigint");
      break;
    case "string":
      type = new arrow.Utf8();
      break;
    case "enum": {
      const values = Object.values(def.entries ?? {});
      if (!values.every((v) => typeof v === "string")) {
        throw new InvalidArgumentError(
          `zodToArrowSchema: field ${JSON.stringify(name)} is a numeric enum, which has no Arrow column type; use z.enum([...strings]) or z.int32().`,
        );
      }
      type = new arrow.Utf8();
      metadata.set(ZOD_ENUM_METADATA_KEY, JSON.stringify(values));
      break;
    }
    case "literal": {
      const values = def.values ?? [];
      if (values.every((v) => typeof v === "string")) {
        type = new arrow.Utf8();
        metadata.set(ZOD_ENUM_METADATA_KEY, JSON.stringify(values));
      } else if (values.every((v) => typeof v === "number")) type = new arrow.Float64();
      else if (values.every((v) => typeof v === "boolean")) type = new arrow.Bool();
      else if (values.every((v) => typeof v === "bigint")) type = new arrow.Int64();
      else {
        throw new InvalidArgumentError(`zodToArrowSchema: field ${JSON.stringify(name)} is a literal of mixed types; use one type.`);
      }
      break;
    }
    case "boolean":
      type = new arrow.Bool();
      break;
    case "date":
      type = new arrow.TimestampMicrosecond("UTC");
      break;
    default:
      if (def.type === "custom" && s._zod.bag?.Class === Uint8Array) {
        type = new arrow.Binary();
        break;
      }
      throw new InvalidArgumentError(
        `zodToArrowSchema: field ${JSON.stringify(name)} has zod type "${def.type}", which has no Arrow column type; use numbers (z.number(), z.int(), z.int32(), z.float32()), z.bigint(), z.string(), z.enum(), z.boolean(), z.date() or z.instanceof(Uint8Array).`,
      );
  }
  return new arrow.Field(name, type, nullable, metadata.size ? metadata : null);
}

/**
 * Converts an Arrow schema back to a zod object schema (see the module documentation). Nullable
 * fields become `.nullable()`. Unsupported Arrow types throw an InvalidArgumentError naming the field.
 * @example
 * const Row = arrowSchemaToZod(table.schema);
 * Row.parse(rowsOf(table)[0]);
 */
export function arrowSchemaToZod(schema: arrow.Schema, options: ArrowSchemaToZodOptions = {}): z.ZodObject {
  if (!(schema instanceof arrow.Schema)) {
    throw new InvalidArgumentError(`arrowSchemaToZod: expected an Arrow Schema, got ${String(schema)}.`);
  }
  const int64 = options.int64 ?? "number";
  const shape: Record<string, z.ZodType> = {};
  for (const field of schema.fields) {
    let s = arrowTypeToZod(field, field.type, int64);
    if (field.nullable) s = s.nullable();
    shape[field.name] = s;
  }
  return z.object(shape);
}

function arrowTypeToZod(field: arrow.Field, type: arrow.DataType, int64: "number" | "bigint"): z.ZodType {
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 64) {
      const asBig = int64 === "bigint" || field.metadata.get(ZOD_JS_METADATA_KEY) === "bigint";
      if (asBig) return type.isSigned ? z.bigint() : z.bigint().min(0n);
      return type.isSigned ? z.int() : z.int().min(0);
    }
    if (type.bitWidth === 32) return type.isSigned ? z.int32() : z.uint32();
    const bits = type.bitWidth;
    return type.isSigned ? z.int().min(-(2 ** (bits - 1))).max(2 ** (bits - 1) - 1) : z.int().min(0).max(2 ** bits - 1);
  }
  if (arrow.DataType.isFloat(type)) return type.precision === arrow.Precision.SINGLE ? z.float32() : z.number();
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) {
    const values = field.metadata.get(ZOD_ENUM_METADATA_KEY);
    if (values) {
      const list = JSON.parse(values) as string[];
      if (Array.isArray(list) && list.length > 0) return z.enum(list as [string, ...string[]]);
    }
    return z.string();
  }
  if (arrow.DataType.isDictionary(type)) return arrowTypeToZod(field, type.dictionary, int64);
  if (arrow.DataType.isBool(type)) return z.boolean();
  if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) return z.date();
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type) || arrow.DataType.isFixedSizeBinary(type)) {
    return z.instanceof(Uint8Array);
  }
  if (arrow.DataType.isNull(type)) return z.null();
  throw new InvalidArgumentError(
    `arrowSchemaToZod: field ${JSON.stringify(field.name)} has Arrow type ${type}, which has no zod mapping; cast it to a primitive column first.`,
  );
}

/** One Postgres column derived from a zod field. */
export interface PgColumn {
  name: string;
  /** The Postgres type, e.g. `"bigint"`, `"double precision"`, `"timestamptz"`. */
  type: string;
  nullable: boolean;
  /** The quoted column definition for a `CREATE TABLE`, e.g. `"id" bigint NOT NULL`. */
  definition: string;
}

/**
 * Converts a zod object schema (or record of field schemas) to Postgres column definitions, through
 * {@link zodToArrowSchema} and the warehouse's Arrow → Postgres type mapping, so that one zod
 * declaration gives the row type, the Arrow schema and the table's columns.
 * @example
 * zodToPgColumns(z.object({ id: z.int64(), score: z.number().nullable() })).map((c) => c.definition);
 * // ['"id" bigint NOT NULL', '"score" double precision']
 */
export function zodToPgColumns(shape: ZodShapeInput): PgColumn[] {
  return zodToArrowSchema(shape).fields.map((f) => {
    const type = arrowTypeToPg(f.type);
    return { name: f.name, type, nullable: f.nullable, definition: `${quoteIdent(f.name)} ${type}${f.nullable ? "" : " NOT NULL"}` };
  });
}
