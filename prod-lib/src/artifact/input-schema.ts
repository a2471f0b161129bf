/**
 * The input schema of a model, kept in a form that rebuilds the same validator on load without
 * running any code from the artifact: a list of field descriptors (plain data). `describeInputSchema`
 * turns a zod object into descriptors (refusing what it cannot rebuild exactly) and
 * `inputSchemaFromDescriptor` turns them back into an equivalent zod object.
 *
 * | zod field                                      | descriptor                                   |
 * |------------------------------------------------|----------------------------------------------|
 * | `z.number()`, `z.float64()`, `z.float32()`     | `number` (format float64 / float32)          |
 * | `z.int()`, `z.int32()`, `z.uint32()`           | `integer` (format safeint / int32 / uint32)  |
 * | `.min/.max/.gt/.gte/.lt/.lte/.positive()…` on numbers | `min` / `max` with `inclusive`        |
 * | `z.union([z.number(), z.nan()])`               | `number` with `allowNaN`                     |
 * | `z.boolean()`                                  | `boolean`                                    |
 * | `z.string()` with `.min()`/`.max()` lengths    | `string` with `minLength` / `maxLength`      |
 * | `z.enum([...strings])`, string `z.literal(...)` | `enum` with `values`                        |
 * | `z.date()`                                     | `date`                                       |
 * | `.nullable()`, `z.union([X, z.null()])`        | `nullable: true` (the value may be `null`)   |
 * | `.optional()`                                  | `optional: true` (the field may be absent)   |
 * | `.nullish()`                                   | both                                         |
 *
 * Anything else (bigints, string formats and regexes, refinements, transforms, defaults, nested
 * objects...) is refused at save time with an error naming the field.
 */
import { z } from "zod";
import { InvalidArgumentError } from "@trellis/shared";

/** The kinds of value an input field holds. */
export type InputFieldType = "number" | "integer" | "boolean" | "string" | "enum" | "date";

/** A bound of a numeric field. */
export interface NumberBound {
  value: number;
  inclusive: boolean;
}

/** One input field, as stored in a model manifest. Keys that do not apply are absent. */
export interface InputField {
  name: string;
  type: InputFieldType;
  /** `null` is a valid value. */
  nullable: boolean;
  /** The field may be absent from a row (absent is then read as `null`). */
  optional: boolean;
  /** number: `"float64"` or `"float32"`; integer: `"safeint"`, `"int32"` or `"uint32"`. */
  format?: "float64" | "float32" | "safeint" | "int32" | "uint32";
  /** number: `NaN` is a valid value (declared with `z.union([z.number(), z.nan()])`). */
  allowNaN?: boolean;
  min?: NumberBound;
  max?: NumberBound;
  minLength?: number;
  maxLength?: number;
  /** enum: the allowed strings. */
  values?: string[];
}

/** The input schema of a model as plain data (stored in `manifest.inputSchema.fields`). */
export type InputSchemaDescriptor = InputField[];

interface Def {
  type: string;
  format?: string;
  checks?: { _zod: { def: Record<string, unknown> & { check: string } } }[];
  innerType?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

const SUPPORTED =
  "use z.number(), z.float32(), z.int(), z.int32(), z.uint32(), z.boolean(), z.string(), z.enum([...]) or z.date(), optionally with numeric bounds, string lengths, .nullable() and .optional()";

function refuse(caller: string, name: string, what: string): never {
  throw new InvalidArgumentError(`${caller}: input field ${JSON.stringify(name)} is ${what}, which a model input schema cannot store; ${SUPPORTED}.`);
}

/**
 * Describes a zod object schema as plain field descriptors (see the module table). Throws an
 * InvalidArgumentError naming the first field whose type cannot be stored.
 * @example describeInputSchema(z.object({ age: z.int().min(0), plan: z.enum(["basic", "pro"]).nullable() }))
 * // [{ name: "age", type: "integer", format: "safeint", nullable: false, optional: false, min: { value: 0, inclusive: true } }, ...]
 */
export function describeInputSchema(schema: z.ZodObject, caller = "describeInputSchema"): InputSchemaDescriptor {
  if (!(schema instanceof z.ZodObject)) {
    throw new InvalidArgumentError(`${caller}: inputSchema must be a zod object schema (z.object({ ... })), got ${schema === null ? "null" : typeof schema}.`);
  }
  const shape = schema.shape as Record<string, z.ZodType>;
  const fields: InputField[] = [];
  for (const [name, fieldSchema] of Object.entries(shape)) fields.push(describeField(name, fieldSchema, caller));
  if (fields.length === 0) throw new InvalidArgumentError(`${caller}: inputSchema has no fields; declare the model's input columns.`);
  return fields;
}

function describeField(name: string, schema: z.ZodType, caller: string): InputField {
  let nullable = false;
  let optional = false;
  let allowNaN = false;
  let s = schema;
  for (let depth = 0; depth < 16; depth++) {
    const d = defOf(s);
    if (d.type === "optional") {
      optional = true;
      s = d.innerType!;
    } else if (d.type === "nullable") {
      nullable = true;
      s = d.innerType!;
    } else if (d.type === "union") {
      const rest: z.ZodType[] = [];
      for (const o of d.options ?? []) {
        const t = defOf(o).type;
        if (t === "null") nullable = true;
        else if (t === "nan") allowNaN = true;
        else rest.push(o);
      }
      if (rest.length !== 1) refuse(caller, name, "a union of several types");
      s = rest[0];
    } else break;
  }
  const d = defOf(s);
  const field: InputField = { name, type: "number", nullable, optional };
  const checks = (d.checks ?? []).map((c) => c._zod.def);
  switch (d.type) {
    case "number": {
      const format = d.format ?? "float64";
      if (format === "float64" || format === "float32") field.type = "number";
      else if (format === "safeint" || format === "int32" || format === "uint32") field.type = "integer";
      else refuse(caller, name, `a number of format ${JSON.stringify(format)}`);
      field.format = format as InputField["format"];
      for (const c of checks) {
        if (c.check === "greater_than" && typeof c.value === "number") field.min = tighter(field.min, { value: c.value, inclusive: Boolean(c.inclusive) }, 1);
        else if (c.check === "less_than" && typeof c.value === "number") field.max = tighter(field.max, { value: c.value, inclusive: Boolean(c.inclusive) }, -1);
        else refuse(caller, name, `a number with a ${JSON.stringify(c.check)} check`);
      }
      break;
    }
    case "boolean":
      field.type = "boolean";
      break;
    case "string": {
      if (d.format) refuse(caller, name, `a string of format ${JSON.stringify(d.format)}`);
      field.type = "string";
      for (const c of checks) {
        if (c.check === "min_length" && typeof c.minimum === "number") field.minLength = Math.max(field.minLength ?? 0, c.minimum);
        else if (c.check === "max_length" && typeof c.maximum === "number") field.maxLength = Math.min(field.maxLength ?? Infinity, c.maximum);
        else refuse(caller, name, `a string with a ${JSON.stringify(c.check)} check`);
      }
      break;
    }
    case "enum": {
      const values = Object.values(d.entries ?? {});
      if (!values.every((v) => typeof v === "string")) refuse(caller, name, "a numeric enum");
      field.type = "enum";
      field.values = values as string[];
      break;
    }
    case "literal": {
      const values = d.values ?? [];
      if (!values.every((v) => typeof v === "string")) refuse(caller, name, "a non-string literal");
      field.type = "enum";
      field.values = values as string[];
      break;
    }
    case "date":
      if (checks.length) refuse(caller, name, "a date with checks");
      field.type = "date";
      break;
    default:
      refuse(caller, name, `of zod type ${JSON.stringify(d.type)}`);
  }
  if (allowNaN) {
    if (field.type !== "number") refuse(caller, name, `a union of z.nan() with a ${field.type}`);
    field.allowNaN = true;
  }
  return field;
}

/** Keeps the stricter of two bounds (sign 1 for minimums, -1 for maximums). */
function tighter(prev: NumberBound | undefined, next: NumberBound, sign: 1 | -1): NumberBound {
  if (!prev) return next;
  if (next.value * sign > prev.value * sign) return next;
  if (next.value === prev.value) return { value: next.value, inclusive: prev.inclusive && next.inclusive };
  return prev;
}

const boundSchema = z.strictObject({ value: z.number(), inclusive: z.boolean() });
const fieldSchema = z.strictObject({
  name: z.string(),
  type: z.enum(["number", "integer", "boolean", "string", "enum", "date"]),
  nullable: z.boolean(),
  optional: z.boolean(),
  format: z.enum(["float64", "float32", "safeint", "int32", "uint32"]).optional(),
  allowNaN: z.boolean().optional(),
  min: boundSchema.optional(),
  max: boundSchema.optional(),
  minLength: z.int().min(0).optional(),
  maxLength: z.int().min(0).optional(),
  values: z.array(z.string()).min(1).optional(),
});

/** The zod schema of a stored descriptor (used to check a manifest before trusting it). */
export const inputSchemaDescriptorSchema = z.array(fieldSchema).min(1);

/**
 * Rebuilds the zod object schema from stored descriptors: the same field types, bounds, enum
 * values, nullability and optionality as the schema that was described.
 * @example inputSchemaFromDescriptor(describeInputSchema(Row)).parse({ age: 31, plan: null })
 */
export function inputSchemaFromDescriptor(fields: InputSchemaDescriptor): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const f of fields) {
    let s: z.ZodType;
    switch (f.type) {
      case "number":
      case "integer": {
        let n =
          f.format === "float32" ? z.float32() : f.format === "safeint" ? z.int() : f.format === "int32" ? z.int32() : f.format === "uint32" ? z.uint32() : z.number();
        if (f.min) n = f.min.inclusive ? n.gte(f.min.value) : n.gt(f.min.value);
        if (f.max) n = f.max.inclusive ? n.lte(f.max.value) : n.lt(f.max.value);
        s = f.allowNaN ? z.union([n, z.nan()]) : n;
        break;
      }
      case "boolean":
        s = z.boolean();
        break;
      case "string": {
        let t = z.string();
        if (f.minLength !== undefined) t = t.min(f.minLength);
        if (f.maxLength !== undefined) t = t.max(f.maxLength);
        s = t;
        break;
      }
      case "enum":
        s = z.enum(f.values as [string, ...string[]]);
        break;
      case "date":
        s = z.date();
        break;
    }
    if (f.nullable) s = s.nullable();
    if (f.optional) s = s.optional();
    shape[f.name] = s;
  }
  return z.object(shape);
}

/**
 * The JSON Schema (draft 2020-12, zod 4's `z.toJSONSchema` on the input side) of an input schema;
 * types JSON Schema cannot express (dates, NaN) appear as `{}`.
 * @example inputJsonSchema(z.object({ age: z.int() })).properties.age // { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 }
 */
export function inputJsonSchema(schema: z.ZodObject): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as Record<string, unknown>;
}
