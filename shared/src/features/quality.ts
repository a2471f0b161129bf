/**
 * Data quality of feature rows: checking values against a view's zod schema (never coercing them
 * silently), conforming columns to the view's Arrow types, and the expectation report of
 * `FeatureStore.validate`.
 */
import * as arrow from "apache-arrow";
import { TextDecoder, TextEncoder } from "node:util";
import { z } from "zod";
import { SchemaMismatchError, type MistypedColumn, ValidationError, type ValidationIssue } from "../errors";
import { ZOD_ENUM_METADATA_KEY } from "../frame/schema";
import { type FlatColumn, flattenColumn, timestampMicros } from "./columns";
import type { AnyFeatureView, FeatureExpectation } from "./feature-view";

/** How many example rows a report or error shows per problem. */
const EXAMPLES = 5;

function family(t: arrow.DataType): string {
  if (arrow.DataType.isInt(t) || arrow.DataType.isFloat(t) || arrow.DataType.isDecimal(t)) return "number";
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) return "string";
  if (arrow.DataType.isDictionary(t)) return family((t as arrow.Dictionary).dictionary);
  if (arrow.DataType.isBool(t)) return "boolean";
  if (arrow.DataType.isTimestamp(t) || arrow.DataType.isDate(t)) return "timestamp";
  if (arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t)) return "binary";
  if (arrow.DataType.isNull(t)) return "null";
  return String(t);
}

/**
 * Checks that source columns can hold the view's declared types (numbers for numbers, strings for
 * strings/enums...). Throws a SchemaMismatchError listing missing and mistyped columns.
 * @example checkSourceSchema(stats, table.schema, 'source of view "customer_stats"')
 */
export function checkSourceSchema(view: AnyFeatureView, schema: arrow.Schema, subject: string, features: readonly string[] = view.features): void {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const missing: string[] = [];
  const mistyped: MistypedColumn[] = [];
  const expect = (name: string, type: arrow.DataType) => {
    const f = byName.get(name);
    if (!f) {
      missing.push(name);
      return;
    }
    const want = family(type);
    const got = family(f.type);
    if (got !== want && got !== "null") mistyped.push({ column: name, expected: `${want} (${String(type)})`, actual: String(f.type) });
  };
  for (const kf of view.entity.keyFields) expect(kf.name, kf.type);
  expect(view.source.timestamp, new arrow.TimestampMicrosecond("UTC"));
  if (view.source.createdTimestamp) expect(view.source.createdTimestamp, new arrow.TimestampMicrosecond("UTC"));
  for (const f of view.featureFields) if (features.includes(f.name)) expect(f.name, f.type);
  if (missing.length || mistyped.length) {
    throw new SchemaMismatchError(subject, { missing, mistyped }, `Fix the source or the schema of feature view "${view.name}" (version ${view.version}).`);
  }
}

interface ValueRule {
  nullable: boolean;
  int: boolean;
  min: number;
  max: number;
  allowed: Set<string> | null;
  /** Zod schema to run on values when it has checks beyond the above. */
  zod: z.ZodType | null;
}

interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  format?: string;
  checks?: { _zod: { def: { check?: string; format?: string } } }[];
  entries?: Record<string, string | number>;
}

function defOf(s: z.ZodType): ZodDef {
  return (s as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/** Derives fast per-value rules from a feature's zod type (falling back to zod itself for refinements). */
export function valueRule(schema: z.ZodType, field: arrow.Field): ValueRule {
  let s = schema;
  let nullable = false;
  for (let d = 0; d < 32; d++) {
    const t = defOf(s).type;
    if (t === "nullable" || t === "optional") nullable = true;
    if (["nullable", "optional", "default", "prefault", "catch", "readonly", "nonoptional"].includes(t)) s = defOf(s).innerType as z.ZodType;
    else break;
  }
  const def = defOf(s);
  const rule: ValueRule = { nullable, int: false, min: -Infinity, max: Infinity, allowed: null, zod: null };
  if (def.type === "number") {
    const num = s as unknown as { isInt?: boolean; minValue?: number | null; maxValue?: number | null };
    rule.int = num.isInt === true;
    rule.min = num.minValue ?? -Infinity;
    rule.max = num.maxValue ?? Infinity;
    const extra = (def.checks ?? []).some((c) => !["number_format", "greater_than", "less_than"].includes(c._zod.def.check ?? ""));
    if (extra) rule.zod = s;
  } else if (def.type === "enum") {
    const meta = field.metadata.get(ZOD_ENUM_METADATA_KEY);
    rule.allowed = new Set(meta ? (JSON.parse(meta) as string[]) : Object.values(def.entries ?? {}).map(String));
  } else if (def.type === "string") {
    if ((def.checks ?? []).length > 0) rule.zod = s;
  }
  return rule;
}

/** One value that broke a rule. */
export interface BadValue {
  row: number;
  value: unknown;
  message: string;
}

function decodeAt(col: FlatColumn & { kind: "utf8" }, i: number, dec: TextDecoder): string {
  return dec.decode(col.bytes.subarray(col.offsets[i], col.offsets[i + 1]));
}

/**
 * Every value of `vector` that breaks the feature's zod type (null in a non-nullable feature, a
 * non-integer in an integer feature, out-of-range, a string outside a `z.enum`, a failed refinement).
 * @example const bad = badValues(stats.schema.segment, stats.featureFields[2], table.getChild("segment")!);
 */
export function badValues(
  schema: z.ZodType,
  field: arrow.Field,
  vector: arrow.Vector,
  limit = Infinity,
  matched: Uint8Array | null = null,
): { count: number; examples: BadValue[] } {
  const rule = valueRule(schema, field);
  // A nullable feature with no rule on its values (a plain number or string): nothing can be bad.
  if (rule.nullable && !rule.int && rule.min === -Infinity && rule.max === Infinity && !rule.allowed && !rule.zod) return { count: 0, examples: [] };
  const col = flattenColumn(vector);
  const examples: BadValue[] = [];
  let count = 0;
  const report = (row: number, value: unknown, message: string) => {
    count++;
    if (examples.length < limit) examples.push({ row, value, message });
  };
  const n = col.length;
  const valid = col.kind === "generic" ? null : col.valid;
  const isNull = (i: number) => (col.kind === "generic" ? col.values[i] === null || col.values[i] === undefined : valid !== null && valid[i] === 0);
  const checkRange = rule.int || rule.min !== -Infinity || rule.max !== Infinity;
  const dec = new TextDecoder();
  let allowedBytes: Uint8Array[] | null = null;
  if (rule.allowed && col.kind === "utf8") {
    const enc = new TextEncoder();
    allowedBytes = [...rule.allowed].map((a) => enc.encode(a));
  }
  for (let i = 0; i < n; i++) {
    if (isNull(i)) {
      // A null from "no feature row matched" is the join's answer, not a value of the source.
      if (!rule.nullable && (matched === null || matched[i] === 1)) report(i, null, "null in a feature that is not nullable");
      continue;
    }
    if (col.kind === "fixed" && checkRange) {
      const v = Number(col.values[i]);
      if (rule.int && !Number.isInteger(v)) report(i, v, "not an integer");
      else if (v < rule.min) report(i, v, `below the minimum ${rule.min}`);
      else if (v > rule.max) report(i, v, `above the maximum ${rule.max}`);
    }
    if (allowedBytes && col.kind === "utf8") {
      const s = col.offsets[i];
      const len = col.offsets[i + 1] - s;
      let ok = false;
      for (const a of allowedBytes) {
        if (a.length !== len) continue;
        let same = true;
        for (let k = 0; k < len; k++) if (a[k] !== col.bytes[s + k]) { same = false; break; }
        if (same) { ok = true; break; }
      }
      if (!ok) report(i, decodeAt(col, i, dec), `not one of ${[...rule.allowed!].join(", ")}`);
    }
    if (rule.zod) {
      const v: unknown = col.kind === "utf8" ? decodeAt(col, i, dec) : vector.get(i);
      const r = rule.zod.safeParse(typeof v === "bigint" ? Number(v) : v);
      if (!r.success) report(i, v, r.error.issues[0]?.message ?? "rejected by the schema");
    }
  }
  return { count, examples };
}

function sameType(a: arrow.DataType, b: arrow.DataType): boolean {
  if (a.typeId !== b.typeId || String(a) !== String(b)) return false;
  if (arrow.DataType.isTimestamp(a)) return (a as arrow.Timestamp).timezone === (b as arrow.Timestamp).timezone;
  return true;
}

/**
 * Converts a column to the view's declared Arrow type (e.g. Int32 → Int64, Float64 holding integers →
 * Int64, dictionary strings → Utf8, any timestamp unit → Timestamp(µs, UTC)). Call after
 * {@link badValues} found nothing, so no value changes meaning.
 * @example conformColumn(table.getChild("orders_30d")!, stats.featureFields[0])
 */
export function conformColumn(vector: arrow.Vector, field: arrow.Field): arrow.Vector {
  const target = field.type;
  const src = vector.type as arrow.DataType;
  if (sameType(src, target)) return vector;
  const n = vector.length;
  const flat = flattenColumn(vector);
  const valid = flat.kind === "generic" ? null : flat.valid;
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  if (valid) {
    bitmap = new Uint8Array(((n + 63) & ~63) >> 3);
    for (let i = 0; i < n; i++) {
      if (valid[i]) bitmap[i >> 3] |= 1 << (i & 7);
      else nullCount++;
    }
    if (nullCount === 0) bitmap = undefined;
  }
  if (arrow.DataType.isTimestamp(target)) {
    const us = timestampMicros(vector, field.name);
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = us[i] === us[i] ? BigInt(Math.round(us[i])) : 0n;
    if (!valid) {
      for (let i = 0; i < n; i++) if (us[i] !== us[i]) nullCount++;
      if (nullCount) {
        bitmap = new Uint8Array(((n + 63) & ~63) >> 3);
        for (let i = 0; i < n; i++) if (us[i] === us[i]) bitmap[i >> 3] |= 1 << (i & 7);
      }
    }
    return arrow.makeVector(arrow.makeData({ type: target as arrow.Timestamp, length: n, nullCount, nullBitmap: bitmap, data: out }));
  }
  if (flat.kind === "fixed" && (arrow.DataType.isInt(target) || arrow.DataType.isFloat(target))) {
    const T = target as arrow.Int | arrow.Float;
    const Ctor = T.ArrayType as unknown as new (n: number) => ArrayLike<number | bigint> & { [i: number]: number | bigint };
    const out = new Ctor(n);
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
    const srcBig = flat.values instanceof BigInt64Array || flat.values instanceof BigUint64Array;
    for (let i = 0; i < n; i++) {
      if (valid && !valid[i]) continue;
      const v = flat.values[i];
      out[i] = big ? (srcBig ? (v as bigint) : BigInt(Math.trunc(v as number))) : Number(v);
    }
    return arrow.makeVector(arrow.makeData({ type: T, length: n, nullCount, nullBitmap: bitmap, data: out } as never)) as arrow.Vector;
  }
  if (flat.kind === "utf8" && arrow.DataType.isUtf8(target)) {
    return arrow.makeVector(
      arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount, nullBitmap: bitmap, valueOffsets: flat.offsets, data: flat.bytes }),
    );
  }
  const values: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v: unknown = vector.get(i);
    if (v === null || v === undefined) values.push(null);
    else if (arrow.DataType.isInt(target) && (target as arrow.Int).bitWidth === 64) values.push(typeof v === "bigint" ? v : BigInt(Number(v)));
    else if (typeof v === "bigint") values.push(Number(v));
    else values.push(v);
  }
  return arrow.vectorFromArray(values as never[], target as never) as arrow.Vector;
}

/**
 * Checks feature columns read from a source against the view's schema and conforms them to the view's
 * types. Bad values throw a ValidationError whose issues name view, key, column and value.
 * `matched` (1 = a feature row was found) keeps the nulls of unmatched rows from counting as bad.
 * @example const cols = checkAndConform(stats, features, keyLabel, matched);
 */
export function checkAndConform(
  view: AnyFeatureView,
  columns: { feature: string; vector: arrow.Vector }[],
  keyLabel: (row: number) => string,
  matched: Uint8Array | null = null,
): arrow.Vector[] {
  const issues: ValidationIssue[] = [];
  let total = 0;
  const out = columns.map(({ feature, vector }) => {
    const field = view.featureFields.find((f) => f.name === feature)!;
    const bad = badValues(view.schema[feature], field, vector, EXAMPLES, matched);
    total += bad.count;
    for (const b of bad.examples) issues.push({ path: [view.name, keyLabel(b.row), feature], message: b.message, value: b.value });
    return bad.count === 0 ? conformColumn(vector, field) : vector;
  });
  if (total > 0) {
    throw new ValidationError(
      `feature values of view "${view.name}" (version ${view.version}): ${total} value(s) do not match the schema`,
      issues,
      "Fix the source rows or the view's schema; values are never coerced.",
    );
  }
  return out;
}

/** One violated expectation in a {@link QualityReport}. */
export interface QualityViolation {
  /** Which expectation: `schema` (the zod type), `min`, `max`, `allowed`, `maxNullRate` or `unique`. */
  expectation: "schema" | "min" | "max" | "allowed" | "maxNullRate" | "unique";
  /** The feature (or, for `unique`, the key + timestamp columns). */
  column: string;
  /** Rows that break it (for `maxNullRate`: the null count). */
  count: number;
  /** What was expected and what was found. */
  detail: string;
  /** Up to 5 offending rows (keys, timestamp and the value). */
  examples: Record<string, unknown>[];
}

/** The result of `FeatureStore.validate`. */
export interface QualityReport {
  view: string;
  version: number;
  start: Date;
  end: Date;
  /** Rows checked. */
  rows: number;
  /** True when nothing is violated. */
  ok: boolean;
  violations: QualityViolation[];
  /** Share of nulls per feature. */
  nullRates: Record<string, number>;
}

/**
 * Checks source rows of a view against its schema and expectations: zod type of every value, min,
 * max, allowed values (`z.enum` and `allowed`), max null rate, and uniqueness of key + event timestamp
 * (+ created timestamp when the source has one: rows that share key and time but were created at
 * different times are corrections, not duplicates).
 * @example const report = qualityReport(stats, sourceRows, start, end);
 */
export function qualityReport(view: AnyFeatureView, table: arrow.Table, start: Date, end: Date): QualityReport {
  const n = table.numRows;
  const keyCols = view.entity.joinKeys.map((k) => table.getChild(k) as arrow.Vector);
  const tsName = view.source.timestamp;
  const tsCol = table.getChild(tsName) as arrow.Vector;
  const example = (row: number, column: string, value: unknown): Record<string, unknown> => {
    const e: Record<string, unknown> = {};
    view.entity.joinKeys.forEach((k, i) => {
      const v: unknown = keyCols[i].get(row);
      e[k] = typeof v === "bigint" ? Number(v) : v;
    });
    const t: unknown = tsCol.get(row);
    e[tsName] = typeof t === "number" ? new Date(t) : t;
    e[column] = typeof value === "bigint" ? Number(value) : value;
    return e;
  };
  const violations: QualityViolation[] = [];
  const nullRates: Record<string, number> = {};
  for (const field of view.featureFields) {
    const name = field.name;
    const vector = table.getChild(name) as arrow.Vector;
    const exp: FeatureExpectation = (view.expectations as Record<string, FeatureExpectation | undefined>)[name] ?? {};
    const bad = badValues(view.schema[name], field, vector, EXAMPLES);
    if (bad.count > 0) {
      violations.push({
        expectation: "schema",
        column: name,
        count: bad.count,
        detail: `${bad.count} value(s) do not match the declared type (${bad.examples[0].message})`,
        examples: bad.examples.map((b) => example(b.row, name, b.value)),
      });
    }
    let nulls = 0;
    const below: number[] = [];
    const above: number[] = [];
    const notAllowed: number[] = [];
    let belowCount = 0;
    let aboveCount = 0;
    let notAllowedCount = 0;
    const allowed = exp.allowed ? new Set<unknown>(exp.allowed) : null;
    const flat = flattenColumn(vector);
    for (let i = 0; i < n; i++) {
      const isNull = flat.kind === "generic" ? flat.values[i] === null || flat.values[i] === undefined : flat.valid !== null && flat.valid[i] === 0;
      if (isNull) {
        nulls++;
        continue;
      }
      if ((exp.min !== undefined || exp.max !== undefined) && flat.kind === "fixed") {
        const v = Number(flat.values[i]);
        if (exp.min !== undefined && v < exp.min) {
          belowCount++;
          if (below.length < EXAMPLES) below.push(i);
        }
        if (exp.max !== undefined && v > exp.max) {
          aboveCount++;
          if (above.length < EXAMPLES) above.push(i);
        }
      }
      if (allowed) {
        const raw: unknown = vector.get(i);
        const v = typeof raw === "bigint" ? Number(raw) : raw;
        if (!allowed.has(v)) {
          notAllowedCount++;
          if (notAllowed.length < EXAMPLES) notAllowed.push(i);
        }
      }
    }
    nullRates[name] = n === 0 ? 0 : nulls / n;
    const val = (i: number): unknown => vector.get(i);
    if (belowCount) {
      violations.push({ expectation: "min", column: name, count: belowCount, detail: `${belowCount} value(s) below the minimum ${exp.min}`, examples: below.map((i) => example(i, name, val(i))) });
    }
    if (aboveCount) {
      violations.push({ expectation: "max", column: name, count: aboveCount, detail: `${aboveCount} value(s) above the maximum ${exp.max}`, examples: above.map((i) => example(i, name, val(i))) });
    }
    if (notAllowedCount) {
      violations.push({
        expectation: "allowed",
        column: name,
        count: notAllowedCount,
        detail: `${notAllowedCount} value(s) not in the allowed values ${exp.allowed!.join(", ")}`,
        examples: notAllowed.map((i) => example(i, name, val(i))),
      });
    }
    if (exp.maxNullRate !== undefined && n > 0 && nulls / n > exp.maxNullRate) {
      const ex: Record<string, unknown>[] = [];
      for (let i = 0; i < n && ex.length < EXAMPLES; i++) if (vector.get(i) === null) ex.push(example(i, name, null));
      violations.push({
        expectation: "maxNullRate",
        column: name,
        count: nulls,
        detail: `null rate ${(nulls / n).toFixed(4)} (${nulls} of ${n}) above the maximum ${exp.maxNullRate}`,
        examples: ex,
      });
    }
  }
  // Uniqueness of key + event time (+ created time).
  const uniqueCols = [...view.entity.joinKeys, tsName, ...(view.source.createdTimestamp ? [view.source.createdTimestamp] : [])];
  const ts = timestampMicros(tsCol, tsName);
  const created = view.source.createdTimestamp ? timestampMicros(table.getChild(view.source.createdTimestamp) as arrow.Vector, view.source.createdTimestamp) : null;
  const seen = new Map<string, number>();
  let dupCount = 0;
  const dupExamples: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    let key = "";
    for (const c of keyCols) key += `${String(c.get(i))}\u0001`;
    key += `${ts[i]}\u0001${created ? created[i] : ""}`;
    if (seen.has(key)) {
      dupCount++;
      if (dupExamples.length < EXAMPLES) dupExamples.push(example(i, "first_row", seen.get(key)));
    } else seen.set(key, i);
  }
  if (dupCount) {
    violations.push({
      expectation: "unique",
      column: uniqueCols.join(", "),
      count: dupCount,
      detail: `${dupCount} row(s) repeat the key and timestamp of an earlier row (${uniqueCols.join(", ")})`,
      examples: dupExamples,
    });
  }
  return { view: view.name, version: view.version, start, end, rows: n, ok: violations.length === 0, violations, nullRates };
}
