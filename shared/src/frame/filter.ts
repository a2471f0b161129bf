/**
 * Row filters shared by every reader: the Parquet lake (row-group pruning + exact filtering), the
 * warehouse (rendered to a parameterised SQL `WHERE`), and in-memory Arrow tables.
 *
 * A filter is a list of predicates joined by AND, in the style of pyarrow's `filters=`:
 * `[["region", "=", "emea"], ["amount", ">=", 10], ["segment", "in", ["gold", "silver"]]]`.
 * Comparisons follow SQL: a null never satisfies a comparison (`=`, `!=`, `<`, `in`, `not in`, …);
 * use `"is null"` / `"is not null"` to test for nulls.
 */
import type { RecordBatch, Table, Vector } from "apache-arrow";
import { InvalidArgumentError } from "../errors";

/** The comparison operators a predicate may use. */
export type FilterOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is null" | "is not null";
/** A value a predicate compares against. Dates compare as instants (epoch milliseconds). */
export type FilterScalar = number | bigint | string | boolean | Date;
/** One condition on one column. */
export type Predicate =
  | readonly [column: string, op: "is null" | "is not null"]
  | readonly [column: string, op: "in" | "not in", values: readonly FilterScalar[]]
  | readonly [column: string, op: "=" | "!=" | "<" | "<=" | ">" | ">=", value: FilterScalar];
/** Predicates joined by AND; an empty list keeps every row. */
export type Filter = readonly Predicate[];

const COMPARISONS = new Set(["=", "!=", "<", "<=", ">", ">="]);
const ALL_OPS: readonly FilterOp[] = ["=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null"];

function isScalar(v: unknown): v is FilterScalar {
  return (
    (typeof v === "number" && !Number.isNaN(v)) ||
    typeof v === "bigint" ||
    typeof v === "string" ||
    typeof v === "boolean" ||
    (v instanceof Date && !Number.isNaN(v.getTime()))
  );
}

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Checks that `filter` is a well-formed {@link Filter} and, when `columns` is given, that every
 * column it names exists. Returns the filter typed; throws {@link InvalidArgumentError} naming the
 * bad predicate otherwise.
 * @example
 * validateFilter([["amount", ">=", 10]], ["amount", "region"]); // ok
 * validateFilter([["amount", "~", 10]]); // throws: unknown operator "~"
 */
export function validateFilter(filter: unknown, columns?: readonly string[]): Filter {
  if (filter === undefined || filter === null) return [];
  if (!Array.isArray(filter)) {
    throw new InvalidArgumentError(
      `filter must be an array of [column, op, value] predicates, got ${show(filter)}; e.g. [["amount", ">=", 10]].`,
    );
  }
  filter.forEach((p: unknown, i: number) => {
    const where = `filter[${i}] ${show(p)}`;
    if (!Array.isArray(p) || p.length < 2 || p.length > 3) {
      throw new InvalidArgumentError(`${where} must be [column, op] or [column, op, value], e.g. ["amount", ">=", 10].`);
    }
    const [column, op, value] = p as unknown[];
    if (typeof column !== "string" || column.length === 0) {
      throw new InvalidArgumentError(`${where}: the column must be a non-empty string.`);
    }
    if (columns && !columns.includes(column)) {
      throw new InvalidArgumentError(
        `${where}: unknown column ${JSON.stringify(column)}; available columns: ${columns.join(", ")}.`,
      );
    }
    if (typeof op !== "string" || !(ALL_OPS as readonly string[]).includes(op)) {
      throw new InvalidArgumentError(`${where}: unknown operator ${show(op)}; use one of ${ALL_OPS.join(", ")}.`);
    }
    if (op === "is null" || op === "is not null") {
      if (p.length !== 2) throw new InvalidArgumentError(`${where}: "${op}" takes no value; write [${show(column)}, "${op}"].`);
    } else if (op === "in" || op === "not in") {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
        throw new InvalidArgumentError(
          `${where}: "${op}" needs a non-empty array of numbers, bigints, strings, booleans or dates.`,
        );
      }
    } else if (!isScalar(value)) {
      throw new InvalidArgumentError(
        `${where}: "${op}" needs a number, bigint, string, boolean or date value, got ${show(value)}; use "is null" to test for nulls.`,
      );
    }
  });
  return filter as unknown as Filter;
}

/** Normalises a value to something comparable: dates become epoch milliseconds. */
function norm(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  return v;
}

/** Three-way comparison of two non-null values of compatible kinds; NaN when incomparable. */
function compare(a: unknown, b: unknown): number {
  a = norm(a);
  b = norm(b);
  if (typeof a === "bigint" || typeof b === "bigint") {
    if (typeof a === "number" && !Number.isInteger(a)) return a < Number(b) ? -1 : a > Number(b) ? 1 : 0;
    if (typeof b === "number" && !Number.isInteger(b)) return Number(a) < b ? -1 : Number(a) > b ? 1 : 0;
    if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return NaN;
  }
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  return NaN;
}

function test(op: FilterOp, value: unknown, arg: FilterScalar | readonly FilterScalar[] | undefined): boolean {
  if (op === "is null") return value === null || value === undefined;
  if (op === "is not null") return !(value === null || value === undefined);
  if (value === null || value === undefined) return false;
  if (op === "in" || op === "not in") {
    const hit = (arg as readonly FilterScalar[]).some((x) => compare(value, x) === 0);
    return op === "in" ? hit : !hit;
  }
  const c = compare(value, arg);
  if (Number.isNaN(c)) return false;
  switch (op) {
    case "=":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    default:
      return c >= 0;
  }
}

/**
 * Evaluates a filter on every row of a table or record batch: `1` where the row is kept.
 * Throws {@link InvalidArgumentError} when the filter names a column the data does not have.
 * @example
 * const keep = filterMask(table, [["amount", ">", 0]]); // Uint8Array [1, 0, 1, ...]
 */
export function filterMask(data: Table | RecordBatch, filter: Filter): Uint8Array {
  const names = data.schema.fields.map((f) => f.name);
  validateFilter(filter, names);
  const mask = new Uint8Array(data.numRows).fill(1);
  for (const p of filter) {
    const col = data.getChild(p[0]) as Vector | null;
    if (!col) continue;
    const op = p[1];
    const arg = p[2] as FilterScalar | readonly FilterScalar[] | undefined;
    let i = 0;
    for (const v of col) {
      if (mask[i] && !test(op, v, arg)) mask[i] = 0;
      i++;
    }
  }
  return mask;
}

/**
 * Keeps the rows of `table` that satisfy `filter`, preserving the schema and row order.
 * @example
 * const gold = filterTable(customers, [["segment", "=", "gold"]]);
 */
export function filterTable(table: Table, filter: Filter): Table {
  if (filter.length === 0) return table;
  const mask = filterMask(table, filter);
  const keep: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) keep.push(i);
  if (keep.length === table.numRows) return table;
  return takeRows(table, keep);
}

/**
 * A new table with the rows at `indices` (ascending), same schema; contiguous runs are zero-copy slices.
 * @example takeRows(table, [0, 1, 2, 10]).numRows // 4
 */
export function takeRows(table: Table, indices: readonly number[]): Table {
  if (indices.length === 0) return table.slice(0, 0);
  // Contiguous runs become zero-copy slices, concatenated at the end.
  const slices: Table[] = [];
  let start = indices[0];
  let prev = start;
  for (let k = 1; k <= indices.length; k++) {
    const i = k < indices.length ? indices[k] : -1;
    if (i === prev + 1) {
      prev = i;
      continue;
    }
    slices.push(table.slice(start, prev + 1));
    start = prev = i;
  }
  return slices.length === 1 ? slices[0] : slices[0].concat(...slices.slice(1));
}

/**
 * Renders a filter as a parameterised SQL boolean expression (no `WHERE` keyword): identifiers go
 * through `quoteIdent`, values become `$n` parameters starting at `firstParam`. Returns `sql: ""`
 * for an empty filter.
 * @example
 * filterToSql([["region", "=", "emea"], ["amount", "is not null"]], quoteIdent)
 * // { sql: '"region" = $1 AND "amount" IS NOT NULL', params: ["emea"] }
 */
export function filterToSql(
  filter: Filter,
  quoteIdent: (column: string) => string,
  firstParam = 1,
): { sql: string; params: unknown[] } {
  validateFilter(filter);
  const params: unknown[] = [];
  const parts: string[] = [];
  const next = (v: unknown) => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  for (const p of filter) {
    const col = quoteIdent(p[0]);
    const op = p[1];
    if (op === "is null") parts.push(`${col} IS NULL`);
    else if (op === "is not null") parts.push(`${col} IS NOT NULL`);
    else if (op === "in" || op === "not in") {
      const values = p[2] as readonly FilterScalar[];
      const list = values.map((v) => next(sqlValue(v))).join(", ");
      parts.push(`${col} ${op === "in" ? "IN" : "NOT IN"} (${list})`);
    } else {
      parts.push(`${col} ${op === "!=" ? "<>" : op} ${next(sqlValue(p[2] as FilterScalar))}`);
    }
  }
  return { sql: parts.join(" AND "), params };
}

function sqlValue(v: FilterScalar): unknown {
  if (typeof v === "bigint") return v.toString();
  return v;
}

/**
 * Whether a row group (or any chunk) with these column statistics may contain a row satisfying
 * the predicate. `false` means the chunk can be skipped safely; unknown statistics give `true`.
 * @example
 * predicateMayMatch(["amount", ">", 100], { min: 0, max: 50 }); // false: skip this row group
 */
export function predicateMayMatch(
  p: Predicate,
  stats: { min?: unknown; max?: unknown; nullCount?: number; rowCount?: number },
): boolean {
  const op = p[1];
  const { min, max, nullCount, rowCount } = stats;
  if (op === "is null") return nullCount === undefined || nullCount > 0;
  const allNull = nullCount !== undefined && rowCount !== undefined && nullCount >= rowCount;
  if (op === "is not null") return !allNull;
  if (allNull) return false;
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  const lowOk = (v: unknown, strict: boolean) => {
    if (!hasMax) return true;
    const c = compare(max, v);
    return Number.isNaN(c) || (strict ? c > 0 : c >= 0);
  };
  const highOk = (v: unknown, strict: boolean) => {
    if (!hasMin) return true;
    const c = compare(min, v);
    return Number.isNaN(c) || (strict ? c < 0 : c <= 0);
  };
  switch (op) {
    case "=":
      return lowOk(p[2], false) && highOk(p[2], false);
    case "!=": {
      if (!hasMin || !hasMax) return true;
      const a = compare(min, p[2]);
      const b = compare(max, p[2]);
      return !(a === 0 && b === 0);
    }
    case "<":
      return highOk(p[2], true);
    case "<=":
      return highOk(p[2], false);
    case ">":
      return lowOk(p[2], true);
    case ">=":
      return lowOk(p[2], false);
    case "in":
      return (p[2] as readonly FilterScalar[]).some((v) => lowOk(v, false) && highOk(v, false));
    case "not in":
      return true;
  }
  return true;
}
