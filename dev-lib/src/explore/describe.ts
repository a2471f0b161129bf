/**
 * `describe`: pandas' `DataFrame.describe(include="all")`, one row per column.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { quantileSorted } from "@trellis/prod";
import { buildTable, categoryOf, columnKind, numericValues, pickColumns, toTable } from "./input";
import type { ExploreInput } from "./input";
import { ExploreReport } from "./report";

/** Options of {@link describe}. */
export interface DescribeOptions {
  /** The columns to describe (default: every numeric, string and boolean column, in table order). */
  columns?: readonly string[];
  /**
   * Quantiles reported for numeric columns, in [0, 1] (default [0.25, 0.5, 0.75]); as in pandas, the
   * median is always added and the list is sorted.
   */
  percentiles?: readonly number[];
}

/** pandas' column label of a percentile: 0.25 → "25%", 0.125 → "12.5%". */
function percentileLabel(p: number): string {
  return `${Number((p * 100).toFixed(10))}%`;
}

/**
 * Summary statistics per column, as pandas' `describe(include="all")` computes them, in a tidy
 * orientation (one row per column, one report column per statistic — so each report column has one
 * type and a wide table stays readable).
 *
 * - Numbers (integers, floats, decimals): `count` (non-missing values; NaN is missing), `nulls`,
 *   `mean`, `std` (sample, ddof = 1; null below two values), `min`, the percentiles (numpy's
 *   linear interpolation, pandas' default), `max`.
 * - Strings and booleans: `count`, `nulls`, `unique`, `top` (the most frequent value; among ties the
 *   one seen first, as pandas' `value_counts` orders them) and `freq`.
 * Report columns that no described column uses are left out.
 * @example
 * const report = describe(trainTable, { columns: ["tenure_months", "plan"] });
 * console.log(report.toString());
 * // describe (600 rows)
 * // column         type     count  nulls     mean      std  min  25%   50%  75%  max  unique  top    freq
 * // -------------  -------  -----  -----  -------  -------  ---  ---  ----  ---  ---  ------  -----  ----
 * // tenure_months  Float64    600      0  61.4367  34.7299    0   30  63.5   92  119
 * // plan           Utf8       600      0                                                   3  basic   293
 */
export function describe(input: ExploreInput, options: DescribeOptions = {}): ExploreReport {
  const fn = "describe";
  const table = toTable(fn, input);
  const columns = pickColumns(fn, table, options.columns, ["numeric", "categorical"]);
  const requested = options.percentiles ?? [0.25, 0.5, 0.75];
  for (const p of requested) {
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new InvalidArgumentError(`${fn}: percentiles must lie in [0, 1], got ${String(p)}; pass e.g. [0.1, 0.9].`);
    }
  }
  const percentiles = [...new Set([...requested, 0.5])].sort((a, b) => a - b);
  const labels = percentiles.map(percentileLabel);

  const out = {
    column: [] as string[],
    type: [] as string[],
    count: [] as number[],
    nulls: [] as number[],
    mean: [] as (number | null)[],
    std: [] as (number | null)[],
    min: [] as (number | null)[],
    quantiles: percentiles.map(() => [] as (number | null)[]),
    max: [] as (number | null)[],
    unique: [] as (number | null)[],
    top: [] as (string | null)[],
    freq: [] as (number | null)[],
  };
  let anyNumeric = false;
  let anyCategorical = false;
  for (const name of columns) {
    const field = table.schema.fields.find((f) => f.name === name)!;
    const vector = table.getChild(name)!;
    out.column.push(name);
    out.type.push(String(field.type));
    if (columnKind(field.type) === "numeric") {
      anyNumeric = true;
      const { values, missing } = numericValues(vector);
      const m = values.length;
      out.count.push(m);
      out.nulls.push(missing);
      const sorted = Float64Array.from(values).sort();
      let sum = 0;
      for (let i = 0; i < m; i++) sum += values[i]!;
      const mean = m ? sum / m : null;
      let ss = 0;
      for (let i = 0; i < m; i++) ss += (values[i]! - mean!) ** 2;
      out.mean.push(mean);
      out.std.push(m > 1 ? Math.sqrt(ss / (m - 1)) : null);
      out.min.push(m ? sorted[0]! : null);
      out.max.push(m ? sorted[m - 1]! : null);
      percentiles.forEach((p, k) => out.quantiles[k]!.push(m ? quantileSorted(sorted, p) : null));
      out.unique.push(null);
      out.top.push(null);
      out.freq.push(null);
    } else {
      anyCategorical = true;
      const counts = new Map<string, number>();
      let missing = 0;
      for (const raw of vector) {
        const v = categoryOf(raw);
        if (v === null) missing++;
        else counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      // Map keeps first-seen order, so the first strictly larger count wins: ties go to the value seen first.
      let top: string | null = null;
      let freq = 0;
      for (const [v, c] of counts) {
        if (c > freq) {
          top = v;
          freq = c;
        }
      }
      out.count.push(vector.length - missing);
      out.nulls.push(missing);
      out.mean.push(null);
      out.std.push(null);
      out.min.push(null);
      out.max.push(null);
      out.quantiles.forEach((q) => q.push(null));
      out.unique.push(counts.size);
      out.top.push(top);
      out.freq.push(top === null ? null : freq);
    }
  }
  const f64 = new arrow.Float64();
  const i32 = new arrow.Int32();
  const cols: { name: string; type: arrow.DataType; values: unknown[] }[] = [
    { name: "column", type: new arrow.Utf8(), values: out.column },
    { name: "type", type: new arrow.Utf8(), values: out.type },
    { name: "count", type: i32, values: out.count },
    { name: "nulls", type: i32, values: out.nulls },
  ];
  if (anyNumeric) {
    cols.push({ name: "mean", type: f64, values: out.mean }, { name: "std", type: f64, values: out.std });
    cols.push({ name: "min", type: f64, values: out.min });
    labels.forEach((label, k) => cols.push({ name: label, type: f64, values: out.quantiles[k]! }));
    cols.push({ name: "max", type: f64, values: out.max });
  }
  if (anyCategorical) {
    cols.push({ name: "unique", type: i32, values: out.unique });
    cols.push({ name: "top", type: new arrow.Utf8(), values: out.top });
    cols.push({ name: "freq", type: i32, values: out.freq });
  }
  return new ExploreReport(buildTable(cols), `describe (${table.numRows} rows)`, { nullText: "" });
}
