/**
 * Reference profiles: what a model's training (or reference) data looked like, column by column, in a
 * small JSON document saved beside the model (`reference.json`) and read back by drift reports.
 *
 * Numbers (integers, floats, dates and timestamps as epoch milliseconds): count, nulls, min, max,
 * mean, standard deviation, the 9 decile edges — numpy's default ("linear") quantiles at
 * 0.1, 0.2, …, 0.9 of the non-null values, duplicates kept — and the number of values in each of the
 * 10 bins they make, a value v falling in bin i = the number of edges ≤ v (numpy's
 * `searchsorted(edges, v, side="right")`). NaN counts as null.
 * Strings (and booleans, as "true"/"false"): count, nulls, the number of distinct values, and the
 * frequencies of the 1,000 most frequent values (ties by value), the rest summed as "other".
 * Shares are over all rows of the column, nulls included, so a column's bin shares, null share and
 * other share add up to 1.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError, tableFromRows } from "@trellis/shared";

/** Format name and version of a {@link ReferenceProfile} document. */
export const REFERENCE_FORMAT = "trellis-reference/1";

/** The quantiles whose values are a numeric column's bin edges: 0.1, 0.2, …, 0.9. */
export const DECILES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** How many categories a string column's profile keeps by name; the rest are counted as "other". */
export const MAX_CATEGORIES = 1000;

/** The profile of a numeric (or date/time) column. */
export interface NumericColumnProfile {
  kind: "numeric";
  /** The Arrow type of the column, as text (e.g. "Float64", "Timestamp<MICROSECOND, UTC>"). */
  type: string;
  /** Rows, nulls included. */
  count: number;
  nulls: number;
  /** nulls / count (0 for an empty column). */
  nullRate: number;
  /** Over the non-null values; null when there are none. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation (ddof = 1, as pandas); null below two values. */
  std: number | null;
  /** The 9 decile edges (empty when the column has no non-null value). */
  edges: number[];
  /** Non-null values per bin (10 entries; empty when there are no edges). */
  binCounts: number[];
  /** binCounts / count. */
  binShares: number[];
}

/** One category of a string column's profile. */
export interface CategoryFrequency {
  value: string;
  count: number;
  /** count / rows of the column, nulls included. */
  share: number;
}

/** The profile of a string (or boolean) column. */
export interface CategoricalColumnProfile {
  kind: "categorical";
  type: string;
  count: number;
  nulls: number;
  nullRate: number;
  /** Distinct non-null values. */
  distinct: number;
  /** The most frequent values (at most {@link MAX_CATEGORIES}), most frequent first, ties by value. */
  categories: CategoryFrequency[];
  /** Non-null values not among `categories`. */
  otherCount: number;
  otherShare: number;
}

/** One column's profile. */
export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

/** A reference profile: `reference.json` of a model artifact. */
export interface ReferenceProfile {
  format: typeof REFERENCE_FORMAT;
  rows: number;
  columns: Record<string, ColumnProfile>;
}

/** Options of {@link buildReferenceProfile}. */
export interface ReferenceProfileOptions {
  /** The columns to profile (default: every column of a kind it can profile, in table order). */
  columns?: readonly string[];
}

/**
 * numpy's default ("linear", method 7) quantile of values sorted ascending, computed the way numpy
 * does it (virtual index `(n − 1)·q`, and its two-sided interpolation) so the edges agree
 * with `np.quantile` to the last bit.
 * @example quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.5) // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError("quantileSorted needs at least one value, got an empty array.");
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`quantile q must be in [0, 1], got ${String(q)}.`);
  const virtual = (n - 1) * q;
  if (virtual <= 0) return sorted[0]!;
  if (virtual >= n - 1) return sorted[n - 1]!;
  const prev = Math.floor(virtual);
  const gamma = virtual - prev;
  const a = sorted[prev]!;
  const b = sorted[prev + 1]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * The bin of a value among sorted edges: the number of edges ≤ value (numpy's
 * `searchsorted(edges, value, side="right")`), so 0 … edges.length.
 * @example binIndex([1, 2, 2, 3], 2) // 3
 */
export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Kind = "numeric" | "categorical";

/** How a column of this Arrow type is profiled, or undefined when it cannot be. */
export function profileKind(type: arrow.DataType): Kind | undefined {
  if (arrow.DataType.isDictionary(type)) return profileKind(type.dictionary);
  if (
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTimestamp(type)
  ) {
    return "numeric";
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isBool(type)) {
    return "categorical";
  }
  return undefined;
}

/** A numeric cell as a JS number (dates and timestamps as epoch ms), or null for null and NaN. */
export function numericValue(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isNaN(value) ? null : value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.getTime();
  return null;
}

/** A categorical cell as its string form, or null. */
export function categoricalValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

function profileNumeric(type: string, vector: arrow.Vector): NumericColumnProfile {
  const count = vector.length;
  const values = new Float64Array(count);
  let m = 0;
  for (const raw of vector) {
    const v = numericValue(raw);
    if (v !== null) values[m++] = v;
  }
  const nulls = count - m;
  const sorted = values.subarray(0, m).sort();
  const edges = m === 0 ? [] : DECILES.map((q) => quantileSorted(sorted, q));
  const binCounts = m === 0 ? [] : new Array<number>(DECILES.length + 1).fill(0);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    sum += sorted[i]!;
    binCounts[binIndex(edges, sorted[i]!)]!++;
  }
  const mean = m === 0 ? null : sum / m;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += (sorted[i]! - mean!) ** 2;
  return {
    kind: "numeric",
    type,
    count,
    nulls,
    nullRate: count === 0 ? 0 : nulls / count,
    min: m === 0 ? null : sorted[0]!,
    max: m === 0 ? null : sorted[m - 1]!,
    mean,
    std: m < 2 ? null : Math.sqrt(ss / (m - 1)),
    edges,
    binCounts,
    binShares: binCounts.map((c) => c / count),
  };
}

function profileCategorical(type: string, vector: arrow.Vector): CategoricalColumnProfile {
  const count = vector.length;
  const counts = new Map<string, number>();
  let nulls = 0;
  for (const raw of vector) {
    const v = categoricalValue(raw);
    if (v === null) nulls++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = ranked.slice(0, MAX_CATEGORIES);
  const otherCount = ranked.slice(MAX_CATEGORIES).reduce((s, [, c]) => s + c, 0);
  return {
    kind: "categorical",
    type,
    count,
    nulls,
    nullRate: count === 0 ? 0 : nulls / count,
    distinct: counts.size,
    categories: kept.map(([value, c]) => ({ value, count: c, share: c / count })),
    otherCount,
    otherShare: count === 0 ? 0 : otherCount / count,
  };
}

/**
 * Profiles the columns of a table (or row objects) for drift monitoring: see the module docs for
 * what each column kind records. Columns of other types (binary, nested) are skipped unless named in
 * `columns`, where they are refused.
 * @example
 * const profile = buildReferenceProfile(trainTable, { columns: ["age", "plan"] });
 * profile.columns.age.edges; // 9 decile edges, as np.quantile(age, [0.1, …, 0.9])
 */
export function buildReferenceProfile(
  data: arrow.Table | readonly Record<string, unknown>[],
  options: ReferenceProfileOptions = {},
): ReferenceProfile {
  const table: arrow.Table =
    data instanceof arrow.Table ? data : tableFromRows(data as Record<string, unknown>[]);
  const names = table.schema.fields.map((f) => f.name);
  const wanted = options.columns ?? names.filter((n) => profileKind(table.schema.fields[names.indexOf(n)]!.type));
  const columns: Record<string, ColumnProfile> = {};
  for (const name of wanted) {
    const index = names.indexOf(name);
    if (index < 0) {
      throw new InvalidArgumentError(
        `buildReferenceProfile: column ${JSON.stringify(name)} is not in the data (columns: ${names.join(", ")}).`,
      );
    }
    const field = table.schema.fields[index]!;
    const kind = profileKind(field.type);
    if (!kind) {
      throw new InvalidArgumentError(
        `buildReferenceProfile: column ${JSON.stringify(name)} has type ${String(field.type)}, which cannot be profiled; ` +
          "profile numbers, dates, timestamps, strings or booleans, or leave it out of columns.",
      );
    }
    const vector = table.getChildAt(index)!;
    columns[name] =
      kind === "numeric" ? profileNumeric(String(field.type), vector) : profileCategorical(String(field.type), vector);
  }
  return { format: REFERENCE_FORMAT, rows: table.numRows, columns };
}
