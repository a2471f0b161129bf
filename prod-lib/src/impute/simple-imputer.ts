import { z } from "zod";
import { ValidationError } from "@trellis/shared";
import { registerEstimator } from "../base/estimator";
import { Frame, type FrameColumn, type XInput, type ColumnKind } from "../base/frame";
import { BaseTransformer, type RowTransformer, type TransformOutput } from "../base/mixins";

/** Options of {@link SimpleImputer}. */
export interface SimpleImputerOptions {
  /**
   * How to fill missing values (null, undefined, NaN): "mean" (default) and "median" for numeric
   * columns; "most_frequent" (smallest value among ties) and "constant" for any column.
   */
  strategy?: "mean" | "median" | "most_frequent" | "constant";
  /** Value used by "constant" (default 0 for numeric columns, "missing_value" for string columns). */
  fillValue?: number | string | null;
}

const schema = z.strictObject({
  strategy: z.enum(["mean", "median", "most_frequent", "constant"]).default("mean"),
  fillValue: z.union([z.number(), z.string()]).nullable().default(null),
});

interface ImputerState {
  /** Fill value per column: a number for numeric columns, a string for categorical ones. */
  statistics: (number | string)[];
}

/**
 * Fills missing values per column with the mean, median, most frequent value or a constant,
 * learned at fit (scikit-learn's SimpleImputer). String columns work with "most_frequent" and
 * "constant". A column with no value at fit is refused for the learned strategies.
 *
 * @example
 * const imp = new SimpleImputer({ strategy: "median" }).fit([{ a: 1 }, { a: 3 }, { a: 10 }]);
 * imp.transform([{ a: null }]).toArray(); // [[3]]
 */
export class SimpleImputer extends BaseTransformer<SimpleImputerOptions, ImputerState> implements RowTransformer {
  private numFill: Float64Array = new Float64Array(0);

  /**
   * Stores the options (validated at fit).
   * @example new SimpleImputer({ strategy: "most_frequent" })
   */
  constructor(options: SimpleImputerOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * The fill value of each input column (numbers, or strings for string columns).
   * @example new SimpleImputer().fit([{ a: 1 }, { a: 3 }]).statistics_ // [2]
   */
  get statistics_(): (number | string)[] {
    return [...this.fitted("statistics")];
  }

  /**
   * Learns one fill value per column. Returns `this`.
   * @example new SimpleImputer({ strategy: "median" }).fit(table)
   */
  fit(X: XInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    const frame = this.fitFrame(X);
    const statistics = frame.columns.map((col, j) => this.statistic(col, frame.names[j], p.strategy, p.fillValue));
    this.setFitted(this.specOf(frame), { statistics });
    return this;
  }

  private statistic(col: FrameColumn, name: string, strategy: "mean" | "median" | "most_frequent" | "constant", fillValue: number | string | null): number | string {
    const bad = (message: string): never => {
      throw new ValidationError(`${this.estimatorName} input`, [{ path: [name], message }]);
    };
    if (strategy === "constant") {
      if (col.kind === "number") {
        if (fillValue === null) return 0;
        if (typeof fillValue !== "number") {
          return bad(`fillValue ${JSON.stringify(fillValue)} is a string but column ${JSON.stringify(name)} is numeric; use a number fillValue`);
        }
        return fillValue;
      }
      if (fillValue === null) return "missing_value";
      if (typeof fillValue !== "string") {
        return bad(`fillValue ${fillValue} is a number but column ${JSON.stringify(name)} holds strings; use a string fillValue`);
      }
      return fillValue;
    }
    if (col.kind === "category") {
      if (strategy !== "most_frequent") {
        return bad(`strategy "${strategy}" needs numbers but column ${JSON.stringify(name)} holds strings; use "most_frequent" or "constant"`);
      }
      const counts = new Float64Array(col.levels.length);
      const codes = col.codes;
      for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) counts[codes[i]]++;
      let best = -1;
      for (let k = 0; k < counts.length; k++) {
        if (counts[k] === 0) continue;
        if (best < 0 || counts[k] > counts[best] || (counts[k] === counts[best] && col.levels[k] < col.levels[best])) best = k;
      }
      if (best < 0) return bad(`column ${JSON.stringify(name)} has only missing values at fit; strategy "most_frequent" has nothing to learn (use "constant" or drop the column)`);
      return col.levels[best];
    }
    const v = col.values;
    let count = 0;
    for (let i = 0; i < v.length; i++) if (v[i] === v[i]) count++;
    if (count === 0) {
      return bad(`column ${JSON.stringify(name)} has only missing values at fit; strategy "${strategy}" has nothing to learn (use "constant" or drop the column)`);
    }
    const vals = new Float64Array(count);
    for (let i = 0, k = 0; i < v.length; i++) if (v[i] === v[i]) vals[k++] = v[i];
    if (strategy === "mean") {
      let s = 0;
      for (let i = 0; i < vals.length; i++) s += vals[i];
      return s / vals.length;
    }
    if (strategy === "median") {
      const n = vals.length;
      const h = n >> 1;
      // Selection, not a full sort: O(n). numpy's median averages the two middle values for an even count.
      const hi = selectKth(vals, h);
      if (n % 2 === 1) return hi;
      let lo = -Infinity;
      for (let i = 0; i < h; i++) if (vals[i] > lo) lo = vals[i];
      return (lo + hi) / 2;
    }
    vals.sort();
    // most_frequent on sorted values: the first (smallest) value with the highest count wins.
    let best = vals[0];
    let bestCount = 0;
    let i = 0;
    while (i < vals.length) {
      let k = i + 1;
      while (k < vals.length && vals[k] === vals[i]) k++;
      if (k - i > bestCount) {
        bestCount = k - i;
        best = vals[i];
      }
      i = k;
    }
    return best;
  }

  protected override prepare(): void {
    const stats = this.learned.statistics;
    this.numFill = Float64Array.from(stats, (s) => (typeof s === "number" ? s : NaN));
  }

  /**
   * Input column names (one output per input).
   * @example new SimpleImputer().fit([{ a: 1 }]).getFeatureNamesOut() // ["a"]
   */
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }

  /**
   * Fills X: a Matrix when every column is numeric, else an Arrow Table with string columns.
   * @example imp.transform([{ a: null }])
   */
  override transform(X: XInput): TransformOutput {
    return super.transform(X);
  }

  /**
   * Fills X into a Frame (numeric columns as Float64Array, string columns dictionary coded).
   * Buffers of an owned frame (a conversion made inside a pipeline) are filled in place.
   * @example imp.transformData([{ a: null }])
   */
  transformData(X: XInput): Frame {
    const frame = this.checkFrame(X);
    const stats = this.learned.statistics;
    const inPlace = frame.owned;
    const cols: FrameColumn[] = frame.columns.map((col, j) => {
      const fill = stats[j];
      if (col.kind === "number") {
        const v = col.values;
        return { kind: "number", values: fillNumbers(v, inPlace ? v : new Float64Array(v.length), fill as number) };
      }
      const f = fill as string;
      let code = col.levels.indexOf(f);
      let levels = col.levels;
      if (code < 0) {
        levels = [...col.levels, f];
        code = levels.length - 1;
      }
      const src = col.codes;
      return { kind: "category", codes: fillCodes(src, inPlace ? src : new Int32Array(src.length), code), levels };
    });
    return new Frame(frame.names, cols, frame.rows);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example imp.rowOutputSize() // 4
   */
  rowOutputSize(): number {
    return this.numFill.length;
  }

  /**
   * Fills one row into `out` at `offset` (numbers stay numbers, strings stay strings).
   * @example imp.transformRowInto([NaN], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    const kinds: ColumnKind[] = this.spec.kinds;
    const stats = this.learned.statistics;
    for (let j = 0; j < kinds.length; j++) {
      const v = input[j];
      if (kinds[j] === "number") out[offset + j] = v === v && v !== null && v !== undefined ? v : this.numFill[j];
      else out[offset + j] = v === null || v === undefined ? stats[j] : v;
    }
  }
}

registerEstimator(SimpleImputer, "SimpleImputer");

/** `out[i] = v[i]`, or `fill` where `v[i]` is NaN (`out` may be `v`). Kept apart from {@link fillCodes} so each loop sees one array type. */
function fillNumbers(v: Float64Array, out: Float64Array, fill: number): Float64Array {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    out[i] = x === x ? x : fill;
  }
  return out;
}

/** `out[i] = src[i]`, or `code` where `src[i]` is −1 (missing; `out` may be `src`). */
function fillCodes(src: Int32Array, out: Int32Array, code: number): Int32Array {
  for (let i = 0; i < src.length; i++) out[i] = src[i] < 0 ? code : src[i];
  return out;
}

/**
 * Rearranges `a` so that `a[k]` holds the k-th smallest value, everything before it is ≤ and
 * everything after it is ≥ (Hoare selection with a median-of-three pivot); returns `a[k]`.
 */
function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot.
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) {
      y = z;
      if (x > y) y = x;
    }
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}
