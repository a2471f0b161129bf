/**
 * `valueCounts`: pandas' `Series.value_counts`.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { buildTable, columnKind, columnOf, numberOf, toTable } from "./input";
import type { ExploreInput } from "./input";
import { ExploreReport } from "./report";

/** Options of {@link valueCounts}. */
export interface ValueCountsOptions {
  /** Shares instead of counts (report column `proportion` instead of `count`). Default false. */
  normalize?: boolean;
  /** Leave missing values out (default true); with false they are counted as one value, null. */
  dropna?: boolean;
  /** Order by count (default true); with false, in the order values are first seen. */
  sort?: boolean;
  /** With `sort`, smallest counts first (default false). */
  ascending?: boolean;
}

/** A column's values: an Arrow vector or a plain array. */
export type ValuesInput = arrow.Vector | readonly unknown[];

function isValues(value: unknown): value is ValuesInput {
  return value instanceof arrow.Vector || (Array.isArray(value) && (value.length === 0 || !isRowObject(value[0])));
}

function isRowObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/**
 * How often each distinct value occurs, as pandas' `value_counts`: most frequent first; values with
 * equal counts stay in the order they were first seen (pandas 3's stable sort, also with
 * `ascending`; pandas 2.x orders tied numbers by its hash table instead, so only the order within
 * ties can differ from it); NaN counts as missing. The report's `value` column keeps the column's type (numbers,
 * strings, booleans); `count` (or `proportion` with `normalize`, over the values counted) follows.
 * @example
 * valueCounts(trainTable, "plan").rows();
 * // [{ value: "basic", count: 293 }, { value: "plus", count: 174 }, { value: "pro", count: 133 }]
 * valueCounts(["a", "b", "a", null], { dropna: false, normalize: true }).rows();
 * // [{ value: "a", proportion: 0.5 }, { value: "b", proportion: 0.25 }, { value: null, proportion: 0.25 }]
 */
export function valueCounts(input: ExploreInput, column: string, options?: ValueCountsOptions): ExploreReport;
export function valueCounts(values: ValuesInput, options?: ValueCountsOptions): ExploreReport;
export function valueCounts(
  input: ExploreInput | ValuesInput,
  columnOrOptions?: string | ValueCountsOptions,
  maybeOptions?: ValueCountsOptions,
): ExploreReport {
  const fn = "valueCounts";
  let values: Iterable<unknown>;
  let type: arrow.DataType | undefined;
  let name: string;
  let options: ValueCountsOptions;
  if (typeof columnOrOptions === "string") {
    const table = toTable(fn, input as ExploreInput);
    const vector = columnOf(fn, table, columnOrOptions);
    values = vector;
    type = vector.type;
    name = columnOrOptions;
    options = maybeOptions ?? {};
  } else {
    if (!isValues(input)) {
      throw new InvalidArgumentError(
        `${fn}: pass a column's values (an Arrow vector or an array), or a table and a column name: valueCounts(table, "plan").`,
      );
    }
    values = input as Iterable<unknown>;
    type = input instanceof arrow.Vector ? input.type : undefined;
    name = "values";
    options = columnOrOptions ?? {};
  }
  const normalize = options.normalize ?? false;
  const dropna = options.dropna ?? true;
  const sort = options.sort ?? true;
  const ascending = options.ascending ?? false;

  // One key per distinct value (typed so that 1 and "1" stay apart); Map keeps first-seen order.
  const counts = new Map<unknown, { value: unknown; count: number }>();
  let total = 0;
  for (const raw of values) {
    let v: unknown = raw;
    if (v === undefined || (typeof v === "number" && Number.isNaN(v))) v = null;
    if (typeof v === "bigint") v = numberOf(v);
    if (v === null && dropna) continue;
    const key = v instanceof Date ? `date:${v.getTime()}` : v;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { value: v, count: 1 });
    total++;
  }
  const entries = [...counts.values()];
  // Array.prototype.sort is stable: ties keep first-seen order, as pandas' value_counts does.
  if (sort) entries.sort((a, b) => (ascending ? a.count - b.count : b.count - a.count));

  const valueType = type ? valueTypeOf(type) : inferType(entries.map((e) => e.value));
  const table = buildTable([
    { name: "value", type: valueType, values: entries.map((e) => e.value) },
    normalize
      ? { name: "proportion", type: new arrow.Float64(), values: entries.map((e) => e.count / total) }
      : { name: "count", type: new arrow.Int32(), values: entries.map((e) => e.count) },
  ]);
  return new ExploreReport(table, `value counts of ${name}`, { nullText: "null" });
}

function valueTypeOf(type: arrow.DataType): arrow.DataType {
  if (arrow.DataType.isDictionary(type)) return valueTypeOf(type.dictionary);
  if (columnKind(type) === "numeric") return new arrow.Float64();
  return type;
}

function inferType(values: unknown[]): arrow.DataType {
  const kinds = new Set(values.filter((v) => v !== null).map((v) => (v instanceof Date ? "date" : typeof v)));
  if (kinds.size === 0) return new arrow.Utf8();
  if (kinds.size > 1) {
    throw new InvalidArgumentError(
      `valueCounts: the values mix ${[...kinds].join(" and ")}; pass values of one kind (or an Arrow vector).`,
    );
  }
  const kind = [...kinds][0];
  if (kind === "number") return new arrow.Float64();
  if (kind === "boolean") return new arrow.Bool();
  if (kind === "string") return new arrow.Utf8();
  if (kind === "date") return new arrow.TimestampMillisecond();
  throw new InvalidArgumentError(`valueCounts: cannot count values of type ${String(kind)}; pass numbers, strings, booleans or dates.`);
}
