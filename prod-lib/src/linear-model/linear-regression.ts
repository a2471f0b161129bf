/**
 * LinearRegression and Ridge: least squares with an unpenalised intercept.
 */
import { z } from "zod";
import { ValidationError } from "@trellis/shared";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { toNumericTarget } from "../base/labels";
import type { YInput } from "../base/labels";
import { BaseRegressor } from "../base/mixins";
import type { RowRegressor } from "../base/mixins";
import { linearPredict } from "./design";
import { solveLinearRegression, solveRidge } from "./least-squares";

interface LinearState {
  coef: Float64Array;
  intercept: number;
  rank: number;
}

/** Shared prediction code of the least-squares regressors. */
abstract class LeastSquaresRegressor<P extends object> extends BaseRegressor<P, LinearState> implements RowRegressor {
  /**
   * One coefficient per feature, in `featureNamesIn_` order.
   * @example new LinearRegression().fit(Matrix.fromArray([[0], [1]]), [1, 3]).coef_ // Float64Array [2]
   */
  get coef_(): Float64Array {
    return this.fitted("coef");
  }

  /**
   * The intercept (0 when `fitIntercept` is false).
   * @example new LinearRegression().fit(Matrix.fromArray([[0], [1]]), [1, 3]).intercept_ // 1
   */
  get intercept_(): number {
    return this.fitted("intercept");
  }

  /**
   * Numerical rank of the (centred) design matrix.
   * @example new LinearRegression().fit(Matrix.fromArray([[1, 1], [2, 2], [3, 3]]), [1, 2, 3]).rank_ // 1
   */
  get rank_(): number {
    return this.fitted("rank");
  }

  protected fitData(X: XInput, y: YInput | undefined, alpha: number | null, fitIntercept: boolean): this {
    this.resetFit();
    const m = this.fitNumeric(X, { sparse: true });
    if (y === undefined) {
      throw new ValidationError(`${this.estimatorName} fit`, [{ path: ["y"], message: "missing target" }], "Pass the targets: fit(X, y).");
    }
    const target = toNumericTarget(y, this.estimatorName, m.rows);
    const sol = alpha === null ? solveLinearRegression(m, target, fitIntercept) : solveRidge(m, target, alpha, fitIntercept);
    this.setFitted(this.specOfMatrix(m), { coef: sol.coef, intercept: sol.intercept, rank: sol.rank });
    return this;
  }

  /**
   * Predicted values, one per row.
   * @example reg.predict([{ bmi: 30, bp: 90 }]) // Float64Array [...]
   */
  predict(X: XInput): Float64Array {
    const { coef, intercept } = this.learned;
    const m = this.checkNumeric(X, { sparse: true, missing: true });
    const out = new Float64Array(m.rows);
    linearPredict(m, coef, Float64Array.of(intercept), 1, out);
    this.refuseMissingByScores(m, out);
    return out;
  }

  /**
   * Prediction for one row of numbers in `featureNamesIn_` order (no validation; the single-row
   * path of a Pipeline).
   * @example reg.predictRow([30, 90]) // 152.1…
   */
  predictRow(x: ArrayLike<number>): number {
    const { coef, intercept } = this.learned;
    let s = 0;
    for (let j = 0; j < coef.length; j++) s += x[j] * coef[j];
    return s + intercept;
  }
}

/** Options of {@link LinearRegression}. */
export interface LinearRegressionOptions {
  /** Fit an intercept (default true); false means the data are expected to be centred. */
  fitIntercept?: boolean;
}

const linearSchema = z.strictObject({
  fitIntercept: z.boolean().default(true),
});

/**
 * Ordinary least squares, as scikit-learn's `LinearRegression`: minimises ‖y − Xw − b‖². Solved by
 * pivoted QR on centred data (the minimum-norm solution when features are collinear); sparse input
 * is solved through its Gram matrix without densifying X.
 * @example
 * const reg = new LinearRegression().fit([{ x: 0 }, { x: 1 }, { x: 2 }], [1, 3, 5]);
 * reg.coef_; // Float64Array [2]
 * reg.predict([{ x: 3 }]); // Float64Array [7]
 */
export class LinearRegression extends LeastSquaresRegressor<LinearRegressionOptions> {
  /**
   * Stores the options (validated at fit).
   * @example new LinearRegression({ fitIntercept: false })
   */
  constructor(options: LinearRegressionOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return linearSchema;
  }

  /**
   * Fits the coefficients. Returns `this`.
   * @example new LinearRegression().fit(table, table.getChild("target"))
   */
  fit(X: XInput, y?: YInput): this {
    const p = this.checkParams(linearSchema);
    return this.fitData(X, y, null, p.fitIntercept);
  }
}

/** Options of {@link Ridge}. */
export interface RidgeOptions {
  /** L2 regularisation strength (default 1); 0 gives ordinary least squares. */
  alpha?: number;
  /** Fit an (unpenalised) intercept (default true). */
  fitIntercept?: boolean;
}

const ridgeSchema = z.strictObject({
  alpha: z.number().finite().nonnegative().default(1),
  fitIntercept: z.boolean().default(true),
});

/**
 * Linear least squares with an L2 penalty, as scikit-learn's `Ridge`: minimises
 * ‖y − Xw − b‖² + α‖w‖², the intercept b not penalised (the data are centred). Solved by Cholesky
 * on XcᵀXc + αI, dense or sparse.
 * @example
 * const reg = new Ridge({ alpha: 1 }).fit([{ x: 0 }, { x: 1 }, { x: 2 }, { x: 3 }], [1, 3, 5, 7]);
 * reg.coef_; // Float64Array [1.6667] (= 10 / (5 + 1))
 */
export class Ridge extends LeastSquaresRegressor<RidgeOptions> {
  /**
   * Stores the options (validated at fit).
   * @example new Ridge({ alpha: 0.5 })
   */
  constructor(options: RidgeOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return ridgeSchema;
  }

  /**
   * Fits the coefficients. Returns `this`.
   * @example new Ridge({ alpha: 1 }).fit(X, y)
   */
  fit(X: XInput, y?: YInput): this {
    const p = this.checkParams(ridgeSchema);
    return this.fitData(X, y, p.alpha, p.fitIntercept);
  }
}

// Explicit names: bundlers may rename classes (e.g. CJS code splitting), and JSON must not depend on that.
registerEstimator(LinearRegression, "LinearRegression");
registerEstimator(Ridge, "Ridge");
