/**
 * What the exploration functions accept, and how they read columns: an Arrow table, row objects,
 * or anything holding a `table` (a FeatureStore's `FeatureFrame`). Columns are read by kind:
 * numbers (integers, floats, decimals; NaN counts as missing), categories (strings, booleans,
 * dictionaries of them), or other (dates, binary, nested), which the numeric and categorical
 * summaries leave out.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError, tableFromRows } from "@trellis/shared";

/** A table to explore: an Arrow table, row objects, or an object holding one (e.g. a FeatureFrame). */
export type ExploreInput = arrow.Table | readonly Record<string, unknown>[] | { readonly table: arrow.Table };

/** How a column is summarised. */
export type ColumnKind = "numeric" | "categorical" | "other";

/** The Arrow table of an exploration input. @internal */
export function toTable(fn: string, input: ExploreInput): arrow.Table {
  if (input instanceof arrow.Table) return input;
  if (Array.isArray(input)) return tableFromRows(input as Record<string, unknown>[]);
  if (input !== null && typeof input === "object" && (input as { table?: unknown }).table instanceof arrow.Table) {
    return (input as { table: arrow.Table }).table;
  }
  throw new InvalidArgumentError(
    `${fn}: expected an Arrow table, an array of row objects or an object with a table (such as a FeatureFrame), got ${describeInput(input)}.`,
  );
}

function describeInput(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The summary kind of an Arrow type. @internal */
export function columnKind(type: arrow.DataType): ColumnKind {
  if (arrow.DataType.isDictionary(type)) return columnKind(type.dictionary);
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type)) return "numeric";
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isBool(type)) return "categorical";
  return "other";
}

/** The columns to summarise: the named ones (checked) or every column whose kind is wanted. @internal */
export function pickColumns(
  fn: string,
  table: arrow.Table,
  columns: readonly string[] | undefined,
  kinds: readonly ColumnKind[],
): string[] {
  const names = table.schema.fields.map((f) => f.name);
  if (columns === undefined) {
    return names.filter((_, i) => kinds.includes(columnKind(table.schema.fields[i]!.type)));
  }
  if (!Array.isArray(columns)) {
    throw new InvalidArgumentError(`${fn}: columns must be an array of column names, got ${describeInput(columns)}.`);
  }
  for (const name of columns) {
    const i = names.indexOf(name);
    if (i < 0) {
      throw new InvalidArgumentError(
        `${fn}: column ${JSON.stringify(name)} is not in the table (columns: ${names.join(", ")}).`,
      );
    }
    const kind = columnKind(table.schema.fields[i]!.type);
    if (!kinds.includes(kind)) {
      throw new InvalidArgumentError(
        `${fn}: column ${JSON.stringify(name)} has type ${String(table.schema.fields[i]!.type)}, which ${fn} cannot summarise; ` +
          `pass ${kinds.join(" or ")} columns, or leave it out of columns.`,
      );
    }
  }
  return [...columns];
}

/** A numeric cell as a number, or null for null and NaN (bigints and decimals converted). @internal */
export function numberOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isNaN(value) ? null : value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  const n = Number(value);
  return Number.isNaN(n) ? null : n;
}

/** The non-missing values of a numeric column, in row order, and how many were missing. @internal */
export function numericValues(vector: arrow.Vector): { values: Float64Array; missing: number } {
  const values = new Float64Array(vector.length);
  let m = 0;
  for (const raw of vector) {
    const v = numberOf(raw);
    if (v !== null) values[m++] = v;
  }
  return { values: values.subarray(0, m), missing: vector.length - m };
}

/** A categorical cell as text ("true"/"false" for booleans), or null. @internal */
export function categoryOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

/** The named column's vector (which must exist). @internal */
export function columnOf(fn: string, table: arrow.Table, name: string): arrow.Vector {
  const v = table.getChild(name);
  if (!v) {
    const names = table.schema.fields.map((f) => f.name);
    throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(name)} is not in the table (columns: ${names.join(", ")}).`);
  }
  return v;
}

/** Builds an Arrow table from columns of plain values with the given types. @internal */
export function buildTable(columns: { name: string; type: arrow.DataType; values: unknown[] }[]): arrow.Table {
  const fields = columns.map((c) => new arrow.Field(c.name, c.type, true));
  const n = columns.length ? columns[0]!.values.length : 0;
  const rows: Record<string, unknown>[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = c.values[r];
    rows[r] = row;
  }
  return tableFromRows(rows, new arrow.Schema(fields));
}
