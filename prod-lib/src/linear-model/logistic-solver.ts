/**
 * L2-regularised logistic regression solved with L-BFGS: the same convex problem as scikit-learn's
 * `LogisticRegression(solver="lbfgs")`, so the same optimum.
 *
 * Objective (scaled by 1 / (C · Σ s_i) so the gradient tolerance does not depend on n or C):
 *   Σ s_i · loss_i(W, b) / Σ s_i  +  ‖W‖² / (2 · C · Σ s_i)
 * with the intercept b unpenalised. Binary problems use one coefficient row and the logistic loss;
 * K > 2 classes use K rows and the softmax cross-entropy (scikit-learn's multinomial parametrisation).
 */
import { lbfgs } from "./lbfgs";
import type { LbfgsResult } from "./lbfgs";
import { linearGradient, linearPredict } from "./design";
import type { Design } from "./design";

/** Inputs of {@link solveLogistic}. */
export interface LogisticProblem {
  X: Design;
  /** Class index of every row, in 0 .. nClasses − 1. */
  y: Int32Array;
  nClasses: number;
  /** Inverse regularisation strength; `Infinity` means no penalty. */
  C: number;
  fitIntercept: boolean;
  /** Per-row weights (e.g. balanced class weights), or null for 1. */
  sampleWeight: Float64Array | null;
  maxIter: number;
  /** Largest absolute gradient entry of the scaled objective at convergence. */
  tol: number;
}

/** Solution of {@link solveLogistic}. */
export interface LogisticSolution {
  /** Row-major (K × p) coefficients; K = 1 for two classes. */
  coef: Float64Array;
  /** K intercepts (zeros without an intercept). */
  intercept: Float64Array;
  /** Number of coefficient rows. */
  K: number;
  nIter: number;
  status: LbfgsResult["status"];
  gradMax: number;
  /** The scaled objective at the solution. */
  objective: number;
}

/** log(1 + exp(z)) without overflow. */
function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Solves the L2-regularised logistic problem to the gradient tolerance.
 * @example
 * const X = { data: Float64Array.of(-2, -1, 1, 2), rows: 4, cols: 1 };
 * const sol = solveLogistic({ X, y: Int32Array.of(0, 1, 0, 1), nClasses: 2, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 100, tol: 1e-10 });
 * sol.coef[0]; // ≈ 0.18, the optimum of the convex problem
 */
export function solveLogistic(problem: LogisticProblem): LogisticSolution {
  const { X, y, nClasses, C, fitIntercept, sampleWeight } = problem;
  const n = X.rows;
  const p = X.cols;
  const K = nClasses <= 2 ? 1 : nClasses;
  const nCoef = K * p;
  const nParam = nCoef + (fitIntercept ? K : 0);
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += sampleWeight ? sampleWeight[i] : 1;
  const invW = 1 / wsum;
  const l2 = Number.isFinite(C) ? 1 / (C * wsum) : 0;
  const Z = new Float64Array(n * K);
  const R = new Float64Array(n * K);
  const zeroB = new Float64Array(K);

  const fg = (theta: Float64Array, grad: Float64Array): number => {
    const W = theta.subarray(0, nCoef);
    const b = fitIntercept ? theta.subarray(nCoef, nCoef + K) : zeroB;
    linearPredict(X, W, b, K, Z);
    let loss = 0;
    if (K === 1) {
      for (let i = 0; i < n; i++) {
        const s = sampleWeight ? sampleWeight[i] * invW : invW;
        const z = Z[i];
        const yi = y[i];
        loss += s * (log1pExp(z) - (yi === 1 ? z : 0));
        // sigmoid(z) − y, computed without overflow.
        const e = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        R[i] = s * (e - yi);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const s = sampleWeight ? sampleWeight[i] * invW : invW;
        const base = i * K;
        let zmax = -Infinity;
        for (let k = 0; k < K; k++) if (Z[base + k] > zmax) zmax = Z[base + k];
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp(Z[base + k] - zmax);
          R[base + k] = e;
          sum += e;
        }
        const lse = zmax + Math.log(sum);
        loss += s * (lse - Z[base + y[i]]);
        const inv = s / sum;
        for (let k = 0; k < K; k++) R[base + k] *= inv;
        R[base + y[i]] -= s;
      }
    }
    grad.fill(0);
    linearGradient(X, R, K, grad.subarray(0, nCoef), fitIntercept ? grad.subarray(nCoef, nCoef + K) : null);
    let pen = 0;
    if (l2 > 0) {
      for (let j = 0; j < nCoef; j++) {
        pen += theta[j] * theta[j];
        grad[j] += l2 * theta[j];
      }
    }
    return loss + 0.5 * l2 * pen;
  };

  const result = lbfgs(fg, new Float64Array(nParam), { maxIter: problem.maxIter, gtol: problem.tol });
  const coef = Float64Array.from(result.x.subarray(0, nCoef));
  const intercept = fitIntercept ? Float64Array.from(result.x.subarray(nCoef, nCoef + K)) : new Float64Array(K);
  return { coef, intercept, K, nIter: result.nIter, status: result.status, gradMax: result.gradMax, objective: result.f };
}
