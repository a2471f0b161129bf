/**
 * LogisticRegression: L2-regularised logistic regression, binary or multinomial (softmax), solved
 * by Newton (Cholesky or CG steps) or L-BFGS to the optimum of the same convex problem as scikit-learn.
 */
import { z } from "zod";
import { ValidationError } from "@trellis/shared";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { encodeLabels } from "../base/labels";
import type { Label, YInput } from "../base/labels";
import { Matrix } from "../base/matrix";
import { BaseClassifier } from "../base/mixins";
import type { RowClassifier } from "../base/mixins";
import { linearPredict, linearPredictStacked, type StackedDesign } from "./design";
import { solveLogistic } from "./logistic-solver";

/** Options of {@link LogisticRegression}. */
export interface LogisticRegressionOptions {
  /** Inverse of the regularisation strength (default 1); smaller is stronger. */
  C?: number;
  /** `"l2"` (default) or `null` for no penalty. */
  penalty?: "l2" | null;
  /** Fit an (unpenalised) intercept (default true). */
  fitIntercept?: boolean;
  /** Maximum solver iterations (Newton or L-BFGS steps; default 100); reaching it emits a warning. */
  maxIter?: number;
  /**
   * Stop when the largest absolute gradient entry of the objective divided by the total sample
   * weight is at most `tol` — scikit-learn's lbfgs criterion. The default, 1e-8, is tighter than
   * scikit-learn's 1e-4 so that the result is the optimum itself (at 1e-4 the coefficients can
   * still be several percent away from it).
   */
  tol?: number;
  /** `"balanced"` weighs each class by n / (nClasses · count); `null` (default) weighs samples equally. */
  classWeight?: "balanced" | null;
  /**
   * `"newton-cholesky"` (two classes only): Newton steps solving the full Hessian system — a few
   * passes over the data, the fastest when the coefficients number at most a few thousand (one-hot
   * features included); `"newton-cg"`: Newton steps from preconditioned conjugate gradients, never
   * forming the Hessian (wide or multinomial problems); `"lbfgs"`: limited-memory BFGS. `"auto"`
   * (default) takes newton-cholesky for two classes when the Hessian is cheap to form (at most
   * 1024 parameters and few dense columns relative to the rows' nonzeros, as with one-hot features),
   * newton-cg otherwise. All solve the same convex problem to the same optimum; Newton's quadratic
   * convergence makes the tight default tolerance cheap.
   */
  solver?: "auto" | "newton-cholesky" | "newton-cg" | "lbfgs";
}

const schema = z.strictObject({
  C: z.number().finite().positive().default(1),
  penalty: z.enum(["l2"]).nullable().default("l2"),
  fitIntercept: z.boolean().default(true),
  maxIter: z.number().int().positive().default(100),
  tol: z.number().finite().positive().default(1e-8),
  classWeight: z.enum(["balanced"]).nullable().default(null),
  solver: z.enum(["auto", "newton-cholesky", "newton-cg", "lbfgs"]).default("auto"),
});

interface LogisticState {
  classes: Label[];
  /** Row-major K × p, K = 1 for two classes. */
  coef: Float64Array;
  intercept: Float64Array;
  nIter: number;
}

/**
 * Logistic regression classifier, as scikit-learn's `LogisticRegression`.
 * Minimises `C · Σ sᵢ · lossᵢ + ½‖W‖²` (intercept unpenalised; sᵢ the class weights): the
 * logistic loss with one coefficient row for two classes, the softmax cross-entropy with one row
 * per class (K rows) for more. Dense and sparse (one-hot) inputs are both solved without
 * densifying. Class labels may be numbers or strings; `classes_` is sorted.
 *
 * @example
 * const clf = new LogisticRegression({ C: 1 }).fit(X, y);
 * clf.predictProba(Xnew); // Matrix with one column per class, in classes_ order
 * clf.predict(Xnew); // labels
 */
export class LogisticRegression
  extends BaseClassifier<LogisticRegressionOptions, LogisticState>
  implements RowClassifier
{
  private K = 0;
  private z: Float64Array = new Float64Array(0);

  /**
   * Stores the options (validated at fit).
   * @example new LogisticRegression({ C: 0.5, maxIter: 500 })
   */
  constructor(options: LogisticRegressionOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * The class labels, sorted (numbers ascending, strings by code point).
   * @example new LogisticRegression().fit(X, ["b", "a", "b"]).classes_ // ["a", "b"]
   */
  get classes_(): Label[] {
    return [...this.fitted("classes")];
  }

  /**
   * Coefficients: a K × nFeatures matrix (K = 1 for two classes, else one row per class in
   * `classes_` order), columns named after the features.
   * @example clf.coef_.get(0, 2) // weight of the third feature
   */
  get coef_(): Matrix {
    const coef = this.fitted("coef");
    const p = this.spec.names.length;
    return new Matrix(coef.slice(), coef.length / p, p, this.spec.names);
  }

  /**
   * Intercepts, one per coefficient row (zeros when `fitIntercept` is false).
   * @example clf.intercept_ // Float64Array [0.2145]
   */
  get intercept_(): Float64Array {
    return this.fitted("intercept").slice();
  }

  /**
   * Number of solver iterations (Newton or L-BFGS steps) run by the last fit.
   * @example clf.nIter_ // 48
   */
  get nIter_(): number {
    return this.fitted("nIter");
  }

  protected override prepare(): void {
    const s = this.state as LogisticState;
    this.K = s.intercept.length;
    this.z = new Float64Array(this.K);
  }

  /**
   * Fits the model. `y` holds one class label per row (at least two distinct classes). Returns
   * `this`. Emits a warning when `maxIter` is reached before convergence.
   * @example new LogisticRegression().fit(rows, rows.map((r) => r.churned))
   */
  fit(X: XInput, y?: YInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    const m = this.fitNumeric(X, { sparse: true });
    if (y === undefined) {
      throw new ValidationError(`${this.estimatorName} fit`, [{ path: ["y"], message: "missing target" }], "Pass the class labels: fit(X, y).");
    }
    const { classes, codes } = encodeLabels(y, this.estimatorName, m.rows);
    if (classes.length < 2) {
      throw new ValidationError(
        `${this.estimatorName} targets`,
        [{ path: ["y"], message: `only one class (${JSON.stringify(classes[0])}) is present`, value: classes[0] }],
        "LogisticRegression needs samples of at least 2 classes; check the labels or the data split.",
      );
    }
    if (p.solver === "newton-cholesky" && classes.length > 2) {
      throw new ValidationError(
        `${this.estimatorName} options`,
        [{ path: ["solver"], message: `"newton-cholesky" solves two-class problems; y has ${classes.length} classes`, value: p.solver }],
        'Use solver "auto", "newton-cg" or "lbfgs" for more than two classes.',
      );
    }
    let sampleWeight: Float64Array | null = null;
    if (p.classWeight === "balanced") {
      const counts = new Float64Array(classes.length);
      for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
      const w = counts.map((c) => codes.length / (classes.length * c));
      sampleWeight = new Float64Array(codes.length);
      for (let i = 0; i < codes.length; i++) sampleWeight[i] = w[codes[i]];
    }
    const sol = solveLogistic({
      X: m,
      y: codes,
      nClasses: classes.length,
      C: p.penalty === null ? Infinity : p.C,
      fitIntercept: p.fitIntercept,
      sampleWeight,
      maxIter: p.maxIter,
      tol: p.tol,
      solver: p.solver,
    });
    if (sol.status === "max_iter") {
      process.emitWarning(
        `${this.estimatorName} did not converge in maxIter = ${p.maxIter} iterations (largest gradient entry ${sol.gradMax.toExponential(2)} > tol ${p.tol}); raise maxIter (e.g. { maxIter: ${p.maxIter * 10} }) or standardise the features (StandardScaler).`,
        "ConvergenceWarning",
      );
    } else if (sol.status === "no_progress") {
      process.emitWarning(
        `${this.estimatorName} stopped after ${sol.nIter} iterations at the limit of floating-point precision (largest gradient entry ${sol.gradMax.toExponential(2)} > tol ${p.tol}); loosen tol or standardise the features (StandardScaler).`,
        "ConvergenceWarning",
      );
    }
    this.setFitted(this.specOfMatrix(m), { classes, coef: sol.coef, intercept: sol.intercept, nIter: sol.nIter });
    return this;
  }

  /**
   * Raw linear scores: an n × K matrix (K = 1 for two classes: the score of `classes_[1]`).
   * @example clf.decisionFunction(X).data // Float64Array of scores
   */
  decisionFunction(X: XInput): Matrix {
    const { coef, intercept } = this.learned;
    const K = intercept.length;
    const m = this.checkNumeric(X, { sparse: true, missing: true });
    const out = new Float64Array(m.rows * K);
    linearPredict(m, coef, intercept, K, out);
    this.refuseMissingByScores(m, out);
    const names = K === 1 ? [String(this.classes_[1])] : this.classes_.map(String);
    return new Matrix(out, m.rows, K, uniqueNames(names));
  }

  /**
   * Class probabilities: an n × nClasses matrix whose columns follow `classes_`.
   * @example clf.predictProba(X).get(0, 1) // probability of classes_[1] for the first row
   */
  predictProba(X: XInput): Matrix {
    const { coef, intercept, classes } = this.learned;
    const K = intercept.length;
    const m = this.checkNumeric(X, { sparse: true, missing: true });
    const n = m.rows;
    const z = new Float64Array(n * K);
    linearPredict(m, coef, intercept, K, z);
    this.refuseMissingByScores(m, z);
    return this.probaFromScores(z, n);
  }

  /**
   * `predictProba` of the parts of a ColumnTransformer's output side by side, without stacking
   * them (Pipeline's batch path). Returns null — the caller then stacks and calls `predictProba`,
   * which names any problem — when the names are not this model's fit columns or a score is NaN
   * (a missing value).
   * @internal
   */
  predictProbaStacked(X: StackedDesign, names: readonly string[]): Matrix | null {
    const { coef, intercept } = this.learned;
    const fit = this.spec.names;
    if (names.length !== fit.length || names.some((n, j) => n !== fit[j])) return null;
    const K = intercept.length;
    const z = new Float64Array(X.rows * K);
    linearPredictStacked(X, coef, intercept, K, z);
    for (let i = 0; i < z.length; i++) if (z[i] !== z[i]) return null;
    return this.probaFromScores(z, X.rows);
  }

  private probaFromScores(z: Float64Array, n: number): Matrix {
    const { intercept, classes } = this.learned;
    const K = intercept.length;
    const nc = classes.length;
    const out = new Float64Array(n * nc);
    if (K === 1) {
      for (let i = 0; i < n; i++) {
        const p1 = sigmoid(z[i]);
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
      }
    } else {
      for (let i = 0; i < n; i++) softmaxInto(z, i * K, K, out, i * nc);
    }
    return new Matrix(out, n, nc, uniqueNames(classes.map(String)));
  }

  /**
   * Class probabilities of one row of numbers in `featureNamesIn_` order, written to `out` in
   * `classes_` order. No validation and no allocation: the single-row path of a Pipeline.
   * @example const out = new Float64Array(2); clf.predictProbaRow([0.1, 2.3], out);
   */
  predictProbaRow(x: ArrayLike<number>, out: Float64Array): void {
    const { coef, intercept } = this.learned;
    const K = this.K;
    const p = coef.length / K;
    const z = this.z;
    for (let k = 0; k < K; k++) {
      const off = k * p;
      let s = 0;
      for (let j = 0; j < p; j++) s += x[j] * coef[off + j];
      z[k] = s + intercept[k];
    }
    if (K === 1) {
      const p1 = sigmoid(z[0]);
      out[0] = 1 - p1;
      out[1] = p1;
    } else {
      softmaxInto(z, 0, K, out, 0);
    }
  }
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function softmaxInto(z: Float64Array, zOff: number, K: number, out: Float64Array, outOff: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (z[zOff + k] > max) max = z[zOff + k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(z[zOff + k] - max);
    out[outOff + k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[outOff + k] /= sum;
}

/** Column names for class labels: labels 1 and "1" would collide, so later duplicates get a suffix. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let k = 1; seen.has(name); k++) name = `${n}_${k}`;
    seen.add(name);
    return name;
  });
}

// An explicit name: bundlers may rename classes, and JSON must not depend on that.
registerEstimator(LogisticRegression, "LogisticRegression");
