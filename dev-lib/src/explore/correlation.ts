/**
 * `correlation`: pandas' `DataFrame.corr` (Pearson or Spearman, pairwise complete observations).
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { buildTable, numberOf, pickColumns, toTable } from "./input";
import type { ExploreInput } from "./input";
import { ExploreReport } from "./report";

/** Options of {@link correlation}. */
export interface CorrelationOptions {
  /** `"pearson"` (default) or `"spearman"` (Pearson correlation of average ranks). */
  method?: "pearson" | "spearman";
  /** The numeric columns to correlate (default: every numeric column). */
  columns?: readonly string[];
  /** Fewest complete pairs for a coefficient (default 1, as pandas); fewer give null. */
  minPeriods?: number;
}

/** Average ranks (1-based; ties share the mean of their positions), as scipy's rankdata. */
function averageRanks(values: Float64Array): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

function pearson(x: Float64Array, y: Float64Array): number | null {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const divisor = Math.sqrt(sxx * syy);
  if (divisor === 0) return null;
  return Math.max(-1, Math.min(1, sxy / divisor));
}

/**
 * The correlation matrix of numeric columns, as pandas' `df.corr(method)`: each coefficient uses the
 * rows where both columns are present (pairwise complete observations; NaN is missing); Spearman
 * ranks those rows again per pair, ties getting their average rank. A pair with fewer than
 * `minPeriods` complete rows, or a constant column, gives null (pandas' NaN). The report is the
 * matrix: a `column` column, then one column per variable.
 * @example
 * correlation(trainTable, { method: "spearman", columns: ["tenure_months", "monthly_spend"] }).rows();
 * // [{ column: "tenure_months", tenure_months: 1, monthly_spend: … }, { column: "monthly_spend", … }]
 */
export function correlation(input: ExploreInput, options: CorrelationOptions = {}): ExploreReport {
  const fn = "correlation";
  const method = options.method ?? "pearson";
  if (method !== "pearson" && method !== "spearman") {
    throw new InvalidArgumentError(`${fn}: method is ${JSON.stringify(method)}; use "pearson" or "spearman".`);
  }
  const minPeriods = options.minPeriods ?? 1;
  if (!Number.isInteger(minPeriods) || minPeriods < 1) {
    throw new InvalidArgumentError(`${fn}: minPeriods must be a whole number ≥ 1, got ${String(minPeriods)}.`);
  }
  const table = toTable(fn, input);
  const names = pickColumns(fn, table, options.columns, ["numeric"]);
  const n = table.numRows;
  const data = names.map((name) => {
    const out = new Float64Array(n);
    let r = 0;
    for (const raw of table.getChild(name)!) {
      const v = numberOf(raw);
      out[r++] = v === null ? NaN : v;
    }
    return out;
  });
  const k = names.length;
  const matrix: (number | null)[][] = Array.from({ length: k }, () => new Array<number | null>(k).fill(null));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const xa = data[a]!;
      const xb = data[b]!;
      const x: number[] = [];
      const y: number[] = [];
      for (let r = 0; r < n; r++) {
        if (!Number.isNaN(xa[r]!) && !Number.isNaN(xb[r]!)) {
          x.push(xa[r]!);
          y.push(xb[r]!);
        }
      }
      let value: number | null = null;
      if (x.length >= minPeriods && x.length > 0) {
        let fx: Float64Array = Float64Array.from(x);
        let fy: Float64Array = Float64Array.from(y);
        if (method === "spearman") {
          fx = averageRanks(fx);
          fy = averageRanks(fy);
        }
        value = pearson(fx, fy);
      }
      matrix[a]![b] = value;
      matrix[b]![a] = value;
    }
  }
  const table2 = buildTable([
    { name: "column", type: new arrow.Utf8(), values: names },
    ...names.map((name, j) => ({ name, type: new arrow.Float64(), values: matrix.map((row) => row[j]) })),
  ]);
  return new ExploreReport(table2, `${method} correlation`, { digits: 4 });
}
