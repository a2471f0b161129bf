/**
 * `compareDistributions`: two samples of the same columns side by side (train against test, or two
 * time windows), with the population stability index and, for numbers, the two-sample
 * Kolmogorov–Smirnov statistic.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { binIndex, buildReferenceProfile } from "@trellis/prod";
import type { CategoricalColumnProfile, NumericColumnProfile } from "@trellis/prod";
import { buildTable, categoryOf, columnKind, numericValues, pickColumns, toTable } from "./input";
import type { ExploreInput } from "./input";
import { ExploreReport } from "./report";

/** Options of {@link compareDistributions}. */
export interface CompareDistributionsOptions {
  /** The columns to compare (default: every numeric, string and boolean column of `a` also in `b`). */
  columns?: readonly string[];
  /** Names of the two samples, used as prefixes of the report's columns (default ["a", "b"]). */
  names?: readonly [string, string];
}

/**
 * The smallest share used in the PSI, so that an empty bin does not make it infinite.
 * @example populationStabilityIndex([1, 0], [0.5, 0.5]) // the empty bin counts as PSI_EPSILON
 */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of two share vectors: Σ (b − a)·ln(b / a), each share floored at
 * {@link PSI_EPSILON}.
 * @example populationStabilityIndex([0.5, 0.5], [0.4, 0.6]) // 0.0405…
 */
export function populationStabilityIndex(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new InvalidArgumentError(
      `populationStabilityIndex: the share vectors have different lengths (${a.length} vs ${b.length}); pass one share per bin in both.`,
    );
  }
  let psi = 0;
  for (let i = 0; i < a.length; i++) {
    const p = Math.max(a[i]!, PSI_EPSILON);
    const q = Math.max(b[i]!, PSI_EPSILON);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}

/**
 * The two-sample Kolmogorov–Smirnov statistic: the largest distance between the two empirical
 * distribution functions (scipy's `ks_2samp(a, b).statistic`).
 * @example ksStatistic([1, 2, 3], [2, 3, 4]) // 0.3333…
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  if (x.length === 0 || y.length === 0) {
    throw new InvalidArgumentError("ksStatistic: both samples need at least one value.");
  }
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Compares the distribution of each column in two samples, one report row per column:
 * - numbers: both means and standard deviations (ddof = 1), the KS statistic on the non-missing
 *   values, and the PSI over the 10 decile bins of `a` (numpy's linear deciles, a value going to the
 *   bin `searchsorted(edges, v, side="right")`, as @trellis/prod's reference profiles) plus a bin for
 *   missing values;
 * - strings and booleans: each sample's most frequent value and its share, distinct counts, and the
 *   PSI over the categories of `a` (the 1,000 most frequent), a bin for values `a` never holds (or
 *   beyond those 1,000) and a bin for missing values.
 * Shares are over all rows, missing ones included; both samples' missing rates are reported.
 * PSI reads as: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a large one.
 * @example
 * const report = compareDistributions(train, test, { names: ["train", "test"] });
 * report.rows().find((r) => r.column === "channel")?.psi; // 0.15
 */
export function compareDistributions(
  a: ExploreInput,
  b: ExploreInput,
  options: CompareDistributionsOptions = {},
): ExploreReport {
  const fn = "compareDistributions";
  const ta = toTable(fn, a);
  const tb = toTable(fn, b);
  const [na, nb] = options.names ?? ["a", "b"];
  if (typeof na !== "string" || typeof nb !== "string" || na === nb || !na || !nb) {
    throw new InvalidArgumentError(`${fn}: names must be two different non-empty strings, got ${JSON.stringify(options.names)}.`);
  }
  const bNames = new Set(tb.schema.fields.map((f) => f.name));
  const columns =
    options.columns !== undefined
      ? pickColumns(fn, ta, options.columns, ["numeric", "categorical"])
      : pickColumns(fn, ta, undefined, ["numeric", "categorical"]).filter((c) => bNames.has(c));
  for (const c of columns) {
    const fb = tb.schema.fields.find((f) => f.name === c);
    if (!fb) throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(c)} is in ${na} but not in ${nb}.`);
    const ka = columnKind(ta.schema.fields.find((f) => f.name === c)!.type);
    if (columnKind(fb.type) !== ka) {
      throw new InvalidArgumentError(
        `${fn}: column ${JSON.stringify(c)} is ${ka} in ${na} but has type ${String(fb.type)} in ${nb}; compare columns of one kind.`,
      );
    }
  }
  const profile = buildReferenceProfile(ta, { columns });
  const out: Record<string, unknown[]> = {};
  const keys = ["column", "kind", "mean_a", "mean_b", "std_a", "std_b", "top_a", "top_share_a", "top_b", "top_share_b", "unique_a", "unique_b", "null_rate_a", "null_rate_b", "ks", "psi"];
  for (const k of keys) out[k] = [];
  const push = (row: Record<string, unknown>) => keys.forEach((k) => out[k]!.push(row[k] ?? null));
  for (const c of columns) {
    const va = ta.getChild(c)!;
    const vb = tb.getChild(c)!;
    const p = profile.columns[c]!;
    if (p.kind === "numeric") {
      const A = numericValues(va).values;
      const B = numericValues(vb);
      const np = p as NumericColumnProfile;
      const rowsB = vb.length;
      const binsB = new Array<number>(np.binCounts.length).fill(0);
      for (const v of B.values) binsB[binIndex(np.edges, v)]!++;
      const sharesA = [...np.binShares, np.nullRate];
      const sharesB = [...binsB.map((x) => (rowsB ? x / rowsB : 0)), rowsB ? B.missing / rowsB : 0];
      push({
        column: c,
        kind: "numeric",
        mean_a: np.mean,
        mean_b: mean(B.values),
        std_a: np.std,
        std_b: std(B.values),
        null_rate_a: np.nullRate,
        null_rate_b: rowsB ? B.missing / rowsB : null,
        ks: A.length && B.values.length ? ksStatistic(A, B.values) : null,
        psi: A.length && rowsB ? populationStabilityIndex(sharesA, sharesB) : null,
      });
    } else {
      const cp = p as CategoricalColumnProfile;
      const index = new Map(cp.categories.map((cat, i) => [cat.value, i]));
      const countsB = new Array<number>(cp.categories.length).fill(0);
      const seenB = new Map<string, number>();
      let otherB = 0;
      let missingB = 0;
      for (const raw of vb) {
        const v = categoryOf(raw);
        if (v === null) {
          missingB++;
          continue;
        }
        seenB.set(v, (seenB.get(v) ?? 0) + 1);
        const i = index.get(v);
        if (i === undefined) otherB++;
        else countsB[i]!++;
      }
      const rowsB = vb.length;
      let topB: string | null = null;
      let topCount = 0;
      for (const [v, n] of seenB) if (n > topCount) [topB, topCount] = [v, n];
      const top = firstSeenTop(va);
      const sharesA = [...cp.categories.map((x) => x.share), cp.otherShare, cp.nullRate];
      const sharesB = [...countsB.map((x) => x / rowsB), otherB / rowsB, missingB / rowsB];
      push({
        column: c,
        kind: "categorical",
        top_a: top.value,
        top_share_a: cp.count ? top.count / cp.count : null,
        top_b: topB,
        top_share_b: rowsB ? topCount / rowsB : null,
        unique_a: cp.distinct,
        unique_b: seenB.size,
        null_rate_a: cp.nullRate,
        null_rate_b: rowsB ? missingB / rowsB : null,
        psi: cp.count && rowsB ? populationStabilityIndex(sharesA, sharesB) : null,
      });
    }
  }
  const f64 = new arrow.Float64();
  const utf8 = new arrow.Utf8();
  const i32 = new arrow.Int32();
  const types: Record<string, arrow.DataType> = { column: utf8, kind: utf8, top_a: utf8, top_b: utf8, unique_a: i32, unique_b: i32 };
  const rename = (k: string) => k.replace(/_a$/, `_${na}`).replace(/_b$/, `_${nb}`);
  const table = buildTable(keys.map((k) => ({ name: rename(k), type: types[k] ?? f64, values: out[k]! })));
  const psi = out.psi as (number | null)[];
  return new ExploreReport(table, `${na} vs ${nb}: ${ta.numRows} vs ${tb.numRows} rows`, {
    digits: 4,
    nullText: "",
    // In HTML, rows are shaded by the usual PSI reading: a large shift (> 0.25) or a moderate one (> 0.1).
    rowStatus: (r) => (psi[r] == null ? undefined : psi[r]! > 0.25 ? "drift" : psi[r]! > 0.1 ? "warn" : undefined),
  });
}

/** The most frequent value of a column, ties going to the value seen first (as describe's top). */
function firstSeenTop(vector: arrow.Vector): { value: string | null; count: number } {
  const counts = new Map<string, number>();
  for (const raw of vector) {
    const v = categoryOf(raw);
    if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let value: string | null = null;
  let count = 0;
  for (const [v, n] of counts) if (n > count) [value, count] = [v, n];
  return { value, count };
}

function mean(values: Float64Array): number | null {
  if (!values.length) return null;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function std(values: Float64Array): number | null {
  if (values.length < 2) return null;
  const m = mean(values)!;
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}
