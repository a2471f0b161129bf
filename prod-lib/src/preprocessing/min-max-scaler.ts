import { z } from "zod";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { Matrix } from "../base/matrix";
import { BaseTransformer, type RowTransformer } from "../base/mixins";
import { numericColumns } from "./numeric";

/** Options of {@link MinMaxScaler}. */
export interface MinMaxScalerOptions {
  /** Target range `[min, max]` (default `[0, 1]`); min must be below max. */
  featureRange?: [number, number];
  /** Clip transformed values into the range (default false). */
  clip?: boolean;
}

const schema = z.strictObject({
  featureRange: z
    .tuple([z.number(), z.number()])
    .refine((r) => r[0] < r[1], { message: "featureRange minimum must be smaller than maximum" })
    .default([0, 1]),
  clip: z.boolean().default(false),
});

interface MinMaxState {
  dataMin: Float64Array;
  dataMax: Float64Array;
  dataRange: Float64Array;
  scale: Float64Array;
  min: Float64Array;
}

/**
 * Scales each feature into `featureRange`: `x * scale_ + min_`, with
 * `scale_ = (max - min) / (dataMax_ - dataMin_)` (a constant feature gets range 1).
 * Missing values are ignored at fit and stay missing.
 *
 * @example
 * new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).transform([{ a: 3 }]).toArray(); // [[0.5]]
 */
export class MinMaxScaler extends BaseTransformer<MinMaxScalerOptions, MinMaxState> implements RowTransformer {
  private lo = 0;
  private hi = 1;
  private clip = false;

  /**
   * Stores the options (validated at fit).
   * @example new MinMaxScaler({ featureRange: [-1, 1] })
   */
  constructor(options: MinMaxScalerOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * Per-feature minimum seen at fit.
   * @example new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).dataMin_ // Float64Array [2]
   */
  get dataMin_(): Float64Array {
    return this.fitted("dataMin");
  }

  /**
   * Per-feature maximum seen at fit.
   * @example new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).dataMax_ // Float64Array [4]
   */
  get dataMax_(): Float64Array {
    return this.fitted("dataMax");
  }

  /**
   * Per-feature `dataMax_ - dataMin_`.
   * @example new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).dataRange_ // Float64Array [2]
   */
  get dataRange_(): Float64Array {
    return this.fitted("dataRange");
  }

  /**
   * Per-feature multiplier.
   * @example new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).scale_ // Float64Array [0.5]
   */
  get scale_(): Float64Array {
    return this.fitted("scale");
  }

  /**
   * Per-feature offset added after scaling.
   * @example new MinMaxScaler().fit([{ a: 2 }, { a: 4 }]).min_ // Float64Array [-1]
   */
  get min_(): Float64Array {
    return this.fitted("min");
  }

  /**
   * Learns each feature's minimum and maximum. Returns `this`.
   * @example new MinMaxScaler().fit(table)
   */
  fit(X: XInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    const frame = this.fitFrame(X);
    const cols = numericColumns(frame, this.estimatorName);
    const d = cols.length;
    const dataMin = new Float64Array(d);
    const dataMax = new Float64Array(d);
    const dataRange = new Float64Array(d);
    const scale = new Float64Array(d);
    const min = new Float64Array(d);
    const [lo, hi] = p.featureRange;
    for (let j = 0; j < d; j++) {
      let mn = Infinity;
      let mx = -Infinity;
      const v = cols[j];
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < mn) mn = x;
        if (x > mx) mx = x;
      }
      if (mn === Infinity) {
        mn = NaN;
        mx = NaN;
      }
      dataMin[j] = mn;
      dataMax[j] = mx;
      const range = mx - mn;
      dataRange[j] = range;
      // scikit-learn's _handle_zeros_in_scale: a (near) zero range counts as 1.
      const r = range < 10 * 2.220446049250313e-16 ? 1 : range;
      scale[j] = (hi - lo) / r;
      min[j] = lo - mn * scale[j];
    }
    this.setFitted(this.specOf(frame), { dataMin, dataMax, dataRange, scale, min });
    return this;
  }

  protected override prepare(): void {
    const p = this.checkParams(schema);
    [this.lo, this.hi] = p.featureRange;
    this.clip = p.clip;
  }

  /**
   * Input column names.
   * @example new MinMaxScaler().fit([{ a: 1 }]).getFeatureNamesOut() // ["a"]
   */
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }

  /**
   * Scales X into a Matrix.
   * @example scaler.transformData([{ a: 3 }])
   */
  transformData(X: XInput): Matrix {
    const { scale, min } = this.learned;
    const frame = this.checkFrame(X);
    const cols = numericColumns(frame, this.estimatorName);
    const d = cols.length;
    const rows = frame.rows;
    const out = new Float64Array(rows * d);
    for (let j = 0; j < d; j++) {
      const v = cols[j];
      const s = scale[j];
      const m = min[j];
      for (let i = 0, k = j; i < rows; i++, k += d) out[k] = v[i] * s + m;
    }
    if (this.clip) for (let k = 0; k < out.length; k++) out[k] = Math.min(this.hi, Math.max(this.lo, out[k]));
    return new Matrix(out, rows, d, this.spec.names);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example scaler.rowOutputSize() // 4
   */
  rowOutputSize(): number {
    return this.spec.names.length;
  }

  /**
   * Scales one row into `out` at `offset`.
   * @example scaler.transformRowInto([3], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    const { scale, min } = this.learned;
    for (let j = 0; j < scale.length; j++) {
      let v = (input[j] as number) * scale[j] + min[j];
      if (this.clip) v = Math.min(this.hi, Math.max(this.lo, v));
      out[offset + j] = v;
    }
  }
}

registerEstimator(MinMaxScaler, "MinMaxScaler");
