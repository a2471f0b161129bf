import { z } from "zod";
import { InvalidArgumentError } from "@trellis/shared";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { Matrix, SparseMatrix } from "../base/matrix";
import { BaseTransformer, type RowTransformer } from "../base/mixins";
import { numericColumns } from "./numeric";

/** Options of {@link StandardScaler}. */
export interface StandardScalerOptions {
  /** Subtract the mean (default true). Must be false for sparse input. */
  withMean?: boolean;
  /** Divide by the population standard deviation (default true). */
  withStd?: boolean;
}

const schema = z.strictObject({
  withMean: z.boolean().default(true),
  withStd: z.boolean().default(true),
});

interface StandardScalerState {
  mean: Float64Array;
  var: Float64Array | null;
  scale: Float64Array | null;
  nSamplesSeen: Float64Array;
}

const EPS = 2.220446049250313e-16;
/** Rows per block in transform (keeps a block of the row-major output in cache). */
const BLOCK = 512;

/**
 * Standardises numeric features to zero mean and unit variance: `(x - mean_) / scale_`.
 * `scale_` is the population standard deviation (ddof 0); a constant column gets scale 1.
 * Missing values (NaN/null) are ignored at fit and stay missing. Sparse input is scaled without
 * centring when `withMean` is false.
 *
 * @example
 * const scaler = new StandardScaler().fit([{ a: 1 }, { a: 3 }]);
 * scaler.transform([{ a: 3 }]).toArray(); // [[1]]
 */
export class StandardScaler
  extends BaseTransformer<StandardScalerOptions, StandardScalerState>
  implements RowTransformer
{
  private offset: Float64Array = new Float64Array(0);

  /**
   * Stores the options (validated at fit).
   * @example new StandardScaler({ withMean: false })
   */
  constructor(options: StandardScalerOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * Per-feature mean (of non-missing values).
   * @example new StandardScaler().fit([{ a: 1 }, { a: 3 }]).mean_ // Float64Array [2]
   */
  get mean_(): Float64Array {
    return this.fitted("mean");
  }

  /**
   * Per-feature population variance, or null when `withStd` is false.
   * @example new StandardScaler().fit([{ a: 1 }, { a: 3 }]).var_ // Float64Array [1]
   */
  get var_(): Float64Array | null {
    return this.fitted("var");
  }

  /**
   * Per-feature scale (standard deviation, 1 for constant features), or null when `withStd` is false.
   * @example new StandardScaler().fit([{ a: 1 }, { a: 3 }]).scale_ // Float64Array [1]
   */
  get scale_(): Float64Array | null {
    return this.fitted("scale");
  }

  /**
   * Number of non-missing values seen per feature.
   * @example new StandardScaler().fit([{ a: 1 }, { a: null }]).nSamplesSeen_ // Float64Array [1]
   */
  get nSamplesSeen_(): Float64Array {
    return this.fitted("nSamplesSeen");
  }

  /**
   * Learns mean and scale per feature. Returns `this`.
   * @example new StandardScaler().fit(table)
   */
  fit(X: XInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    if (X instanceof SparseMatrix) {
      if (p.withMean) {
        throw new InvalidArgumentError(
          "StandardScaler cannot centre sparse input (withMean: true would make it dense); set withMean: false.",
        );
      }
      this.fitSparse(X, p.withStd);
      return this;
    }
    const frame = this.fitFrame(X);
    const cols = numericColumns(frame, this.estimatorName);
    const d = cols.length;
    const mean = new Float64Array(d);
    const variance = new Float64Array(d);
    const seen = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const v = cols[j];
      let n = 0;
      let s = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === x) {
          s += x;
          n++;
        }
      }
      const m = n > 0 ? s / n : NaN;
      let ss = 0;
      let comp = 0;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === x) {
          const dx = x - m;
          ss += dx * dx;
          comp += dx;
        }
      }
      mean[j] = m;
      // Two-pass variance with the compensation term (numerically like numpy's nanvar).
      variance[j] = n > 0 ? (ss - (comp * comp) / n) / n : NaN;
      seen[j] = n;
    }
    this.setFitted(this.specOf(frame), this.finish(mean, variance, seen, p.withStd));
    return this;
  }

  private fitSparse(X: SparseMatrix, withStd: boolean): void {
    const d = X.cols;
    if (X.rows === 0) throw new InvalidArgumentError("StandardScaler.fit: X has 0 rows; pass at least one row.");
    const sum = new Float64Array(d);
    const nanCount = new Float64Array(d);
    const { indptr, indices, values } = X;
    for (let k = 0; k < indptr[X.rows]; k++) {
      const x = values[k];
      if (x === x) sum[indices[k]] += x;
      else nanCount[indices[k]]++;
    }
    const seen = new Float64Array(d);
    const mean = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      seen[j] = X.rows - nanCount[j];
      mean[j] = sum[j] / seen[j];
    }
    const ss = new Float64Array(d);
    const stored = new Float64Array(d);
    for (let k = 0; k < indptr[X.rows]; k++) {
      const x = values[k];
      if (x === x) {
        const j = indices[k];
        const dx = x - mean[j];
        ss[j] += dx * dx;
        stored[j]++;
      }
    }
    const variance = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      // Implicit zeros contribute (0 - mean)^2 each.
      const zeros = seen[j] - stored[j];
      variance[j] = (ss[j] + zeros * mean[j] * mean[j]) / seen[j];
    }
    this.setFitted(this.specOfMatrix(X), this.finish(mean, variance, seen, withStd));
  }

  private finish(mean: Float64Array, variance: Float64Array, seen: Float64Array, withStd: boolean): StandardScalerState {
    if (!withStd) return { mean, var: null, scale: null, nSamplesSeen: seen };
    const scale = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const v = variance[j];
      const n = seen[j];
      // scikit-learn's _is_constant_feature: variance within float error of zero → scale 1.
      const bound = n * EPS * v + (n * mean[j] * EPS) ** 2;
      scale[j] = !(v > bound) ? 1 : Math.sqrt(v);
    }
    return { mean, var: variance, scale, nSamplesSeen: seen };
  }

  protected override prepare(): void {
    const s = this.learned;
    const p = this.checkParams(schema);
    const d = s.mean.length;
    this.offset = new Float64Array(d);
    if (p.withMean) this.offset.set(s.mean);
  }

  /**
   * Input column names (scaling keeps one output per input).
   * @example new StandardScaler().fit([{ a: 1 }]).getFeatureNamesOut() // ["a"]
   */
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }

  /**
   * Scales X. Dense input gives a Matrix; a SparseMatrix (withMean false) gives a SparseMatrix.
   * @example scaler.transformData(Matrix.fromArray([[1]], ["a"]))
   */
  transformData(X: XInput): Matrix | SparseMatrix {
    const names = this.spec.names;
    const scale = this.learned.scale;
    if (X instanceof SparseMatrix) {
      const p = this.checkParams(schema);
      if (p.withMean) throw new InvalidArgumentError("StandardScaler cannot centre sparse input; fit with withMean: false.");
      const m = this.checkNumeric(X, { sparse: true, missing: true, where: "transform" }) as SparseMatrix;
      const values = new Float64Array(m.nnz);
      const { indices } = m;
      for (let k = 0; k < values.length; k++) values[k] = scale ? m.values[k] / scale[indices[k]] : m.values[k];
      return new SparseMatrix(m.indptr.slice(), m.indices.slice(0, m.nnz), values, m.rows, m.cols, names);
    }
    const frame = this.checkFrame(X);
    const cols = numericColumns(frame, this.estimatorName);
    const d = cols.length;
    const rows = frame.rows;
    const out = new Float64Array(rows * d);
    const { offset } = this;
    const sc = scale ?? new Float64Array(d).fill(1);
    // Row blocks keep the strided writes of each column inside a cache-sized slice of `out`.
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(rows, r0 + BLOCK);
      for (let j = 0; j < d; j++) {
        const v = cols[j];
        const o = offset[j];
        const s = sc[j];
        // Division (not multiplication by 1/s) so the numbers equal scikit-learn's bit for bit.
        for (let i = r0, k = r0 * d + j; i < r1; i++, k += d) out[k] = (v[i] - o) / s;
      }
    }
    return new Matrix(out, rows, d, names);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example scaler.rowOutputSize() // 4
   */
  rowOutputSize(): number {
    return this.spec.names.length;
  }

  /**
   * Scales one row (values in `featureNamesIn_` order) into `out` at `offset`.
   * @example scaler.transformRowInto([3], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    const scale = this.learned.scale;
    const o = this.offset;
    const d = o.length;
    if (scale) for (let j = 0; j < d; j++) out[offset + j] = ((input[j] as number) - o[j]) / scale[j];
    else for (let j = 0; j < d; j++) out[offset + j] = (input[j] as number) - o[j];
  }
}

registerEstimator(StandardScaler, "StandardScaler");
