/**
 * `missingReport`: missing values per column, nulls and NaN apart.
 */
import * as arrow from "apache-arrow";
import { buildTable, toTable } from "./input";
import type { ExploreInput } from "./input";
import { ExploreReport } from "./report";

/**
 * Missing values per column, in table order: `nulls` (Arrow nulls), `nan` (NaN values in float
 * columns, which pandas also counts as missing but which come from a computation rather than from
 * the source), `missing` (their sum, pandas' `isna().sum()`) and `rate` (missing / rows).
 * @example
 * missingReport(trainTable).rows()[1];
 * // { column: "monthly_spend", type: "Float64", rows: 600, nulls: 26, nan: 0, missing: 26, rate: 0.04333 }
 */
export function missingReport(input: ExploreInput): ExploreReport {
  const table = toTable("missingReport", input);
  const names: string[] = [];
  const types: string[] = [];
  const rows: number[] = [];
  const nulls: number[] = [];
  const nans: number[] = [];
  const missing: number[] = [];
  const rate: (number | null)[] = [];
  table.schema.fields.forEach((field, i) => {
    const vector = table.getChildAt(i)!;
    let nan = 0;
    if (arrow.DataType.isFloat(field.type)) {
      for (const v of vector) if (typeof v === "number" && Number.isNaN(v)) nan++;
    }
    const n = vector.length;
    names.push(field.name);
    types.push(String(field.type));
    rows.push(n);
    nulls.push(vector.nullCount);
    nans.push(nan);
    missing.push(vector.nullCount + nan);
    rate.push(n === 0 ? null : (vector.nullCount + nan) / n);
  });
  const i32 = new arrow.Int32();
  return new ExploreReport(
    buildTable([
      { name: "column", type: new arrow.Utf8(), values: names },
      { name: "type", type: new arrow.Utf8(), values: types },
      { name: "rows", type: i32, values: rows },
      { name: "nulls", type: i32, values: nulls },
      { name: "nan", type: i32, values: nans },
      { name: "missing", type: i32, values: missing },
      { name: "rate", type: new arrow.Float64(), values: rate },
    ]),
    `missing values (${table.numRows} rows)`,
    { formatters: { rate: (v) => `${Number(((v as number) * 100).toFixed(2))}%` } },
  );
}
