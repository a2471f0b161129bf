import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseTransformer, Matrix, StandardScaler, LogisticRegression, registerEstimator, toFrame } from "../../src/index";
import type { XInput } from "../../src/index";
import { CHECK_NAMES, EstimatorCheckError, checkEstimator, runCheck } from "../../src/testing";
import type { CheckName } from "../../src/testing";

/** A correct transformer: multiplies every numeric column by a learned per-column max. */
class MaxScaler extends BaseTransformer<{ factor?: number }, { max: Float64Array }> {
  constructor(options: { factor?: number } = {}) {
    super(options);
  }
  protected paramSchema() {
    return z.strictObject({ factor: z.number().finite().default(1) });
  }
  protected columnsOf(X: XInput, fit: boolean): Float64Array[] {
    const frame = fit ? this.fitFrame(X) : this.checkFrame(X);
    const cols = frame.columns.map((c, j) => {
      if (c.kind !== "number") throw new TypeError(`column ${frame.names[j]} is not numeric`);
      return c.values;
    });
    if (fit) this.lastSpec = this.specOf(frame);
    return cols;
  }
  protected lastSpec = { names: [] as string[], kinds: [] as ("number" | "category")[] };
  fit(X: XInput): this {
    const p = this.checkParams(this.paramSchema());
    this.resetFit();
    const cols = this.columnsOf(X, true);
    for (const [j, c] of cols.entries()) {
      for (let i = 0; i < c.length; i++) {
        if (Number.isNaN(c[i])) throw new EstimatorLikeError(`${this.estimatorName}: missing value in column ${this.lastSpec.names[j]}`);
      }
    }
    const max = Float64Array.from(cols, (c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / p.factor || 1);
    this.setFitted(this.lastSpec, { max });
    return this;
  }
  transformData(X: XInput): Matrix {
    const { max } = this.learned;
    const cols = this.columnsOf(X, false);
    const n = cols[0].length;
    const out = new Float64Array(n * cols.length);
    for (let j = 0; j < cols.length; j++) for (let i = 0; i < n; i++) out[i * cols.length + j] = cols[j][i] / max[j];
    return new Matrix(out, n, cols.length, this.getFeatureNamesOut());
  }
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }
  get max_(): Float64Array {
    return this.fitted("max");
  }
}

class EstimatorLikeError extends Error {
  readonly code = "VALIDATION";
}

/** Scales the Matrix it is given in place: mutates its input. */
class MutatingScaler extends MaxScaler {
  override transformData(X: XInput): Matrix {
    const out = super.transformData(X);
    if (X instanceof Matrix) X.data[0] += 1;
    return out;
  }
}

/** Writes learned state into its options: fit changes params. */
class ParamWritingScaler extends MaxScaler {
  override fit(X: XInput): this {
    super.fit(X);
    (this.params as { factor?: number }).factor = this.max_[0];
    return this;
  }
}

/** Centres every batch on its own mean: outputs depend on the batch. */
class BatchCentering extends MaxScaler {
  override transformData(X: XInput): Matrix {
    const out = super.transformData(X);
    const { rows, cols, data } = out;
    for (let j = 0; j < cols; j++) {
      let m = 0;
      for (let i = 0; i < rows; i++) m += data[i * cols + j] / rows;
      for (let i = 0; i < rows; i++) data[i * cols + j] -= m;
    }
    return out;
  }
}

/** Keeps a learned value outside the serialised state: the JSON round trip loses it. */
class ForgetfulScaler extends MaxScaler {
  private offset = 0;
  override fit(X: XInput): this {
    super.fit(X);
    this.offset = 0.5;
    return this;
  }
  override transformData(X: XInput): Matrix {
    const out = super.transformData(X);
    for (let k = 0; k < out.data.length; k++) out.data[k] += this.offset;
    return out;
  }
}

/** Silently accepts missing values (NaN max) without declaring it. */
class NanTolerantScaler extends MaxScaler {
  override fit(X: XInput): this {
    this.checkParams(this.paramSchema());
    this.resetFit();
    const frame = toFrame(X, this.estimatorName);
    if (frame.rows === 0) return super.fit(X);
    const max = new Float64Array(frame.names.length).fill(1);
    this.setFitted(this.specOf(frame), { max });
    return this;
  }
}

/** Exposes a learned attribute that reads undefined instead of throwing before fit. */
class LeakyScaler extends MaxScaler {
  get leak_(): Float64Array | undefined {
    return (this.state as { max: Float64Array } | null)?.max;
  }
}

/** Validates its options in the constructor, which scikit-learn's contract forbids. */
class EagerScaler extends MaxScaler {
  constructor(options: { factor?: number } = {}) {
    if (options.factor !== undefined && typeof options.factor !== "number") throw new RangeError("factor must be a number");
    super(options);
  }
}

for (const cls of [MaxScaler, MutatingScaler, ParamWritingScaler, BatchCentering, ForgetfulScaler, NanTolerantScaler, LeakyScaler, EagerScaler]) {
  registerEstimator(cls, cls.name);
}

function failedChecks(factory: () => MaxScaler): CheckName[] {
  return checkEstimator(factory, { throwOnFailure: false })
    .filter((r) => !r.passed)
    .map((r) => r.name as CheckName);
}

describe("checkEstimator", () => {
  it("passes a correct estimator on every check", () => {
    const results = checkEstimator(() => new MaxScaler({ factor: 2 }));
    expect(results.map((r) => r.name)).toEqual(CHECK_NAMES);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.find((r) => r.name === "classifier_labels")?.skipped).toBe(true);
  });

  it("catches an estimator that mutates its input", () => {
    expect(failedChecks(() => new MutatingScaler())).toContain("input_not_mutated");
    expect(runCheck("input_not_mutated", () => new MutatingScaler()).message).toBe("Matrix data changed by fit/predict");
  });

  it("catches fit changing the params", () => {
    const r = runCheck("fit_returns_this_and_keeps_params", () => new ParamWritingScaler());
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/^params changed by fit/);
  });

  it("catches outputs that depend on the batch", () => {
    const r = runCheck("batch_size_invariance", () => new BatchCentering());
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/^row 0 alone differs from the batch/);
  });

  it("catches learned state missing from the JSON", () => {
    const r = runCheck("json_roundtrip", () => new ForgetfulScaler());
    expect(r.passed).toBe(false);
    expect(r.message).toMatch(/^outputs differ after the round trip/);
  });

  it("catches missing values accepted without the allowMissing tag, and accepts them with it", () => {
    const r = runCheck("missing_values", () => new NanTolerantScaler());
    expect(r.passed).toBe(false);
    expect(r.message).toBe("fit accepted a missing value in num2; refuse it or declare allowMissing");
    expect(runCheck("missing_values", () => new NanTolerantScaler(), { allowMissing: true }).passed).toBe(true);
  });

  it("catches a learned attribute readable before fit", () => {
    const r = runCheck("not_fitted_error", () => new LeakyScaler());
    expect(r.passed).toBe(false);
    expect(r.message).toBe("leak_ did not throw before fit");
  });

  it("catches a constructor that validates its options", () => {
    const r = runCheck("constructor_stores_params", () => new EagerScaler());
    expect(r.passed).toBe(false);
    expect(r.message).toBe("the constructor validated option factor (RangeError: factor must be a number); validate in fit instead");
  });

  it("throws one EstimatorCheckError listing every failure", () => {
    let err: unknown;
    try {
      checkEstimator(() => new MutatingScaler());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EstimatorCheckError);
    const e = err as EstimatorCheckError;
    expect(e.failed.map((r) => r.name)).toContain("input_not_mutated");
    expect(e.message).toMatch(/^MutatingScaler failed \d+ of 17 conformance check\(s\):\n {2}- /);
  });

  it("refuses an unknown check name and a factory that returns no estimator", () => {
    expect(() => runCheck("constructor" as CheckName, () => new MaxScaler())).toThrow('runCheck: unknown check "constructor"; known checks: constructor_stores_params');
    expect(() => checkEstimator(() => null as never)).toThrow("checkEstimator: the factory must return a new estimator (with fit and getParams), got null");
  });

  it("runs the library's own classifier and transformer cleanly", () => {
    expect(checkEstimator(() => new LogisticRegression()).every((r) => r.passed)).toBe(true);
    expect(checkEstimator(() => new StandardScaler(), { tags: { allowMissing: true }, only: ["json_roundtrip", "not_fitted_error"] })).toHaveLength(2);
  });
});
