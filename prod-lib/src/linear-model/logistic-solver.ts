/**
 * L2-regularised logistic regression solved with L-BFGS: the same convex problem as scikit-learn's
 * `LogisticRegression(solver="lbfgs")`, so the same optimum.
 *
 * Objective (scaled by 1 / (C · Σ s_i) so the gradient tolerance does not depend on n or C):
 *   Σ s_i · loss_i(W, b) / Σ s_i  +  ‖W‖² / (2 · C · Σ s_i)
 * with the intercept b unpenalised. Binary problems use one coefficient row and the logistic loss;
 * K > 2 classes use K rows and the softmax cross-entropy (scikit-learn's multinomial parametrisation).
 *
 * Three solvers: "newton-cholesky" (binary problems: line-search Newton whose steps solve the full
 * Hessian system by a Cholesky factorisation — a handful of passes over the data when the number of
 * coefficients is moderate, as with one-hot features), "newton-cg" (the same Newton method with
 * steps from conjugate gradients preconditioned by the Hessian diagonal — never forms the Hessian,
 * so it suits wide problems and multinomial ones) and "lbfgs". "auto" (the default) picks between
 * the two Newton variants by cost: see {@link autoSolver}.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { lbfgs } from "./lbfgs";
import type { LbfgsResult } from "./lbfgs";
import { denseColumns, isSparseDesign, linearGradient, linearPredict, rowScatter, takeEvery, weightedColumnSquares, weightedGram } from "./design";
import type { Design } from "./design";

/** The solvers of {@link solveLogistic}, spelled as scikit-learn spells them, plus "auto". */
export type LogisticSolver = "auto" | "newton-cholesky" | "newton-cg" | "lbfgs";

/** The largest parameter count (coefficients + intercept) for which "auto" forms the Hessian. */
export const CHOLESKY_MAX_PARAMS = 1024;

/**
 * What "auto" runs: "newton-cholesky" for a binary problem whose Hessian is cheap to form —
 * at most {@link CHOLESKY_MAX_PARAMS} parameters, and forming plus factorising it (≈ n·(d²/2 +
 * s·(d + s)) + P³/3 for d dense columns and s other nonzeros per row) costs no more than twenty
 * passes of conjugate gradients over the data (or is small outright) — and "newton-cg" otherwise
 * (multinomial, very wide, or many dense columns). `dense`: the design's {@link denseColumns}, when
 * already known.
 * @example autoSolver({ data: new Float64Array(4000), rows: 1000, cols: 4 }, 2, true) // "newton-cholesky"
 */
export function autoSolver(X: Design, nClasses: number, fitIntercept: boolean, dense?: Int32Array): "newton-cholesky" | "newton-cg" {
  const P = X.cols + (fitIntercept ? 1 : 0);
  if (nClasses > 2 || P > CHOLESKY_MAX_PARAMS) return "newton-cg";
  const n = Math.max(1, X.rows);
  const d = (dense ?? denseColumns(X)).length;
  const nnz = isSparseDesign(X) ? X.indptr[X.rows] : X.rows * X.cols;
  const s = Math.max(0, nnz / n - d);
  const exactCost = n * ((d * (d + 1)) / 2 + s * (d + s)) + (P * P * P) / 3;
  const cgPass = 2 * nnz + 4 * n;
  return exactCost <= 20 * cgPass || exactCost <= 2e7 ? "newton-cholesky" : "newton-cg";
}

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
  /** Default "auto". */
  solver?: LogisticSolver;
}

/** Solution of {@link solveLogistic}. */
export interface LogisticSolution {
  /** Row-major (K × p) coefficients; K = 1 for two classes. */
  coef: Float64Array;
  /** K intercepts (zeros without an intercept). */
  intercept: Float64Array;
  /** Number of coefficient rows. */
  K: number;
  /** Outer iterations (Newton steps or L-BFGS steps). */
  nIter: number;
  status: LbfgsResult["status"];
  gradMax: number;
  /** The scaled objective at the solution. */
  objective: number;
}

/** The scaled objective, its gradient and Hessian-vector products at the last evaluated point. */
class LogisticObjective {
  readonly n: number;
  readonly p: number;
  readonly K: number;
  readonly nCoef: number;
  readonly nParam: number;
  readonly invW: number;
  readonly l2: number;
  private readonly Z: Float64Array;
  private readonly R: Float64Array;
  /** Binary: Hessian weight per row; multinomial: probabilities (n × K). */
  private readonly H: Float64Array;
  private readonly zeroB: Float64Array;
  /** Binary: the Hessian diagonal without the penalty, from the last evaluation. */
  private readonly diag: Float64Array;
  /** Whether `evaluate` also accumulates the Hessian diagonal (binary; only CG steps use it). */
  wantDiag = true;
  /** Whether `diag` belongs to the last evaluated point. */
  private diagFresh = false;
  /** The design's dense columns: given by the caller, or found at the first Hessian. */
  denseCols: Int32Array | undefined;

  /** `l2` overrides the penalty (a subsample keeps the full problem's penalty). */
  constructor(
    private readonly problem: LogisticProblem,
    l2?: number,
  ) {
    const { X, nClasses, C, fitIntercept, sampleWeight } = problem;
    this.n = X.rows;
    this.p = X.cols;
    this.K = nClasses <= 2 ? 1 : nClasses;
    this.nCoef = this.K * this.p;
    this.nParam = this.nCoef + (fitIntercept ? this.K : 0);
    let wsum = 0;
    for (let i = 0; i < this.n; i++) wsum += sampleWeight ? sampleWeight[i] : 1;
    this.invW = 1 / wsum;
    this.l2 = l2 ?? (Number.isFinite(C) ? 1 / (C * wsum) : 0);
    // Binary problems run fused row passes and need no per-row score or residual buffers.
    this.Z = new Float64Array(this.K > 1 ? this.n * this.K : 0);
    this.R = new Float64Array(this.K > 1 ? this.n * this.K : 0);
    this.H = new Float64Array(this.n * this.K);
    this.zeroB = new Float64Array(this.K);
    this.diag = new Float64Array(this.K === 1 ? this.nParam : 0);
  }

  private weight(i: number): number {
    const sw = this.problem.sampleWeight;
    return sw ? sw[i] * this.invW : this.invW;
  }

  private intercepts(theta: Float64Array): Float64Array {
    return this.problem.fitIntercept ? theta.subarray(this.nCoef, this.nCoef + this.K) : this.zeroB;
  }

  /** f(θ); writes ∇f(θ) into `grad` and keeps what Hessian products at θ need. */
  evaluate = (theta: Float64Array, grad: Float64Array): number => {
    const { X, y, fitIntercept, sampleWeight } = this.problem;
    const { n, K, nCoef, Z, R, H, l2, invW } = this;
    let loss = 0;
    if (K === 1) {
      // One fused pass over X: score, loss, residual and gradient row by row.
      grad.fill(0);
      const rowFn = (i: number, z: number): number => {
        const s = sampleWeight ? sampleWeight[i] * invW : invW;
        const yi = y[i];
        // One exponential per row: t = exp(−|z|) gives log(1 + exp(z)) and sigmoid(z) without overflow.
        const t = Math.exp(-Math.abs(z));
        loss += s * ((z > 0 ? z : 0) + Math.log1p(t) - (yi === 1 ? z : 0));
        const e = z >= 0 ? 1 / (1 + t) : t / (1 + t);
        H[i] = s * e * (1 - e);
        return s * (e - yi);
      };
      // The Hessian diagonal (the CG preconditioner) comes from the same pass when wanted.
      const D = this.diag;
      D.fill(0);
      this.diagFresh = this.wantDiag;
      rowScatter(
        X,
        theta.subarray(0, nCoef),
        fitIntercept ? theta[nCoef] : 0,
        rowFn,
        grad.subarray(0, nCoef),
        fitIntercept ? grad.subarray(nCoef, nCoef + 1) : null,
        this.wantDiag ? { h: H, out: D.subarray(0, nCoef), outB: fitIntercept ? D.subarray(nCoef, nCoef + 1) : null } : undefined,
      );
    } else {
      linearPredict(X, theta.subarray(0, nCoef), this.intercepts(theta), K, Z);
      for (let i = 0; i < n; i++) {
        const s = this.weight(i);
        const base = i * K;
        let zmax = -Infinity;
        for (let k = 0; k < K; k++) if (Z[base + k] > zmax) zmax = Z[base + k];
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp(Z[base + k] - zmax);
          H[base + k] = e;
          sum += e;
        }
        loss += s * (zmax + Math.log(sum) - Z[base + y[i]]);
        for (let k = 0; k < K; k++) {
          H[base + k] /= sum;
          R[base + k] = s * H[base + k];
        }
        R[base + y[i]] -= s;
      }
      grad.fill(0);
      linearGradient(X, R, K, grad.subarray(0, nCoef), fitIntercept ? grad.subarray(nCoef, nCoef + K) : null);
    }
    let pen = 0;
    if (l2 > 0) {
      for (let j = 0; j < nCoef; j++) {
        pen += theta[j] * theta[j];
        grad[j] += l2 * theta[j];
      }
    }
    return loss + 0.5 * l2 * pen;
  };

  /** out = ∇²f(θ) v at the last evaluated θ. */
  hessVec(v: Float64Array, out: Float64Array): void {
    const { X, fitIntercept } = this.problem;
    const { n, K, nCoef, Z, R, H, l2 } = this;
    out.fill(0);
    if (K === 1) {
      const rowFn = (i: number, z: number): number => H[i] * z;
      rowScatter(X, v.subarray(0, nCoef), fitIntercept ? v[nCoef] : 0, rowFn, out.subarray(0, nCoef), fitIntercept ? out.subarray(nCoef, nCoef + 1) : null);
    } else {
      linearPredict(X, v.subarray(0, nCoef), this.intercepts(v), K, Z);
      for (let i = 0; i < n; i++) {
        const base = i * K;
        let mean = 0;
        for (let k = 0; k < K; k++) mean += H[base + k] * Z[base + k];
        const s = this.weight(i);
        for (let k = 0; k < K; k++) R[base + k] = s * H[base + k] * (Z[base + k] - mean);
      }
      linearGradient(X, R, K, out.subarray(0, nCoef), fitIntercept ? out.subarray(nCoef, nCoef + K) : null);
    }
    for (let j = 0; j < nCoef; j++) out[j] += l2 * v[j];
  }

  /**
   * The full Hessian ∇²f(θ) at the last evaluated θ of a binary problem, row-major nParam × nParam
   * (intercept last): Σ hᵢ xᵢxᵢᵀ plus the penalty on the coefficient diagonal.
   */
  hessMatrix(out: Float64Array): void {
    const { X, fitIntercept } = this.problem;
    const { nCoef, nParam: P, H, l2 } = this;
    this.denseCols ??= denseColumns(X);
    weightedGram(X, H, fitIntercept, this.denseCols, out);
    if (l2 > 0) for (let j = 0; j < nCoef; j++) out[j * P + j] += l2;
  }

  /** The Hessian diagonal at the last evaluated θ (a preconditioner for conjugate gradients). */
  hessDiag(out: Float64Array): void {
    const { X, fitIntercept } = this.problem;
    const { n, K, nCoef, R, H, l2 } = this;
    if (K === 1 && this.diagFresh) out.set(this.diag);
    else if (K === 1) {
      out.fill(0);
      weightedColumnSquares(X, H, 1, out.subarray(0, nCoef), fitIntercept ? out.subarray(nCoef, nCoef + 1) : null);
    } else {
      for (let i = 0; i < n; i++) {
        const s = this.weight(i);
        for (let k = 0; k < K; k++) R[i * K + k] = s * H[i * K + k] * (1 - H[i * K + k]);
      }
      out.fill(0);
      weightedColumnSquares(X, R, K, out.subarray(0, nCoef), fitIntercept ? out.subarray(nCoef, nCoef + K) : null);
    }
    for (let j = 0; j < out.length; j++) out[j] = (j < nCoef ? out[j] + l2 : out[j]) || 1;
  }
}

/**
 * Cholesky factorisation A = L Lᵀ in place of a symmetric positive definite row-major m × m
 * matrix (L overwrites the lower triangle). Returns false when A is not numerically positive
 * definite (a pivot below m · ε · max diagonal).
 * @example
 * const A = Float64Array.of(4, 2, 2, 5);
 * choleskyFactor(A, 2); // true; lower triangle of A = [2, ·, 1, 2]
 */
export function choleskyFactor(A: Float64Array, m: number): boolean {
  let maxDiag = 0;
  for (let j = 0; j < m; j++) maxDiag = Math.max(maxDiag, Math.abs(A[j * m + j]));
  const floor = maxDiag * m * Number.EPSILON;
  for (let j = 0; j < m; j++) {
    const rj = j * m;
    let d = A[rj + j];
    for (let k = 0; k < j; k++) d -= A[rj + k] * A[rj + k];
    if (!(d > floor)) return false;
    const ljj = Math.sqrt(d);
    A[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < m; i++) {
      const ri = i * m;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= A[ri + k] * A[rj + k];
      A[ri + j] = s * inv;
    }
  }
  return true;
}

/**
 * Solves L Lᵀ x = b in place (x overwrites b) from a factor of {@link choleskyFactor}.
 * @example
 * const A = Float64Array.of(4, 2, 2, 5);
 * choleskyFactor(A, 2);
 * const b = Float64Array.of(6, 7);
 * choleskySolve(A, b, 2); // b = [1, 1]
 */
export function choleskySolve(L: Float64Array, b: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * b[k];
    b[i] = s / L[ri + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < m; k++) s -= L[k * m + i] * b[k];
    b[i] = s / L[i * m + i];
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Approximate Newton direction d ≈ −(∇²f)⁻¹ g by preconditioned conjugate gradients. */
function conjugateGradients(
  obj: LogisticObjective,
  g: Float64Array,
  d: Float64Array,
  work: { r: Float64Array; z: Float64Array; q: Float64Array; Hq: Float64Array; M: Float64Array },
  tol: number,
  maxInner: number,
): void {
  const { r, z, q, Hq, M } = work;
  const m = g.length;
  obj.hessDiag(M);
  const gnorm = Math.sqrt(dot(g, g));
  const eta = Math.min(0.5, Math.sqrt(gnorm));
  d.fill(0);
  for (let j = 0; j < m; j++) {
    r[j] = -g[j];
    z[j] = r[j] / M[j];
    q[j] = z[j];
  }
  let rz = dot(r, z);
  for (let it = 0; it < maxInner; it++) {
    obj.hessVec(q, Hq);
    const curv = dot(q, Hq);
    if (!(curv > 0)) {
      if (it === 0) d.set(z);
      break;
    }
    const alpha = rz / curv;
    for (let j = 0; j < m; j++) {
      d[j] += alpha * q[j];
      r[j] -= alpha * Hq[j];
    }
    // Stop at the forcing-term residual, and never solve beyond what the tolerance needs.
    if (Math.sqrt(dot(r, r)) <= Math.max(eta * gnorm, 0.25 * tol)) break;
    for (let j = 0; j < m; j++) z[j] = r[j] / M[j];
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let j = 0; j < m; j++) q[j] = z[j] + beta * q[j];
  }
}

/**
 * Line-search Newton. Each step solves ∇²f d = −∇f either exactly, by Cholesky on the formed
 * Hessian (`exact`, binary problems), or approximately by conjugate gradients preconditioned by
 * the Hessian diagonal (scikit-learn's "newton-cg" plus a Jacobi preconditioner), to a relative
 * residual min(0.5, √‖∇f‖) so that convergence becomes quadratic near the optimum. When the formed
 * Hessian is not numerically positive definite (no penalty and collinear columns), that step falls
 * back to conjugate gradients.
 */
function newtonCg(
  obj: LogisticObjective,
  maxIter: number,
  tol: number,
  x0?: Float64Array,
  exact = false,
): { x: Float64Array; f: number; nIter: number; gradMax: number; status: LbfgsResult["status"] } {
  const m = obj.nParam;
  let x = x0 ? Float64Array.from(x0) : new Float64Array(m);
  let g = new Float64Array(m);
  let f = obj.evaluate(x, g);
  let xt = new Float64Array(m);
  let gt = new Float64Array(m);
  const d = new Float64Array(m);
  const r = new Float64Array(m);
  const z = new Float64Array(m);
  const q = new Float64Array(m);
  const Hq = new Float64Array(m);
  const M = new Float64Array(m);
  let Hfull = exact ? new Float64Array(m * m) : null; // the Cholesky factor in use, once formed
  obj.wantDiag = !exact;
  let refresh = true; // form a new Hessian at the next step
  let stale = false; // the factor in use is from an earlier point
  let gradMax = maxAbs(g);
  let iter = 0;
  const maxInner = Math.max(200, 2 * m);
  while (gradMax > tol) {
    if (iter >= maxIter) return { x, f, nIter: iter, gradMax, status: "max_iter" };
    // Exact mode keeps the factorised Hessian while steps keep shrinking the gradient fast (a
    // chord / modified Newton step: one pass over the data instead of forming a new Hessian),
    // and refactorises it at the current point otherwise.
    if (Hfull && refresh) {
      obj.hessMatrix(Hfull);
      refresh = false;
      stale = false;
      // Not positive definite (no penalty, collinear columns): conjugate gradients from here on.
      if (!choleskyFactor(Hfull, m)) {
        Hfull = null;
        obj.wantDiag = true;
      }
    } else if (Hfull) stale = true;
    if (Hfull) {
      for (let j = 0; j < m; j++) d[j] = -g[j];
      choleskySolve(Hfull, d, m);
    } else conjugateGradients(obj, g, d, { r, z, q, Hq, M }, tol, maxInner);
    // Trial points are evaluated from here on (CG products overwrote the scores of this point).
    const slope = dot(g, d);
    const fSlack = 4 * Number.EPSILON * Math.abs(f);
    const fNoise = fSlack * Math.sqrt(obj.n);
    let step = 1;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let j = 0; j < m; j++) xt[j] = x[j] + step * d[j];
      const ft = obj.evaluate(xt, gt);
      // Armijo's sufficient decrease; or, where the predicted decrease is below the rounding
      // noise of a sum over n rows (near the optimum f cannot tell points apart), a smaller gradient.
      const armijo = ft <= f + 1e-4 * step * slope + fSlack;
      if (Number.isFinite(ft) && (armijo || (-slope * step < fNoise && ft <= f + fNoise && maxAbs(gt) < gradMax))) {
        const fOld = f;
        const gOld = gradMax;
        [x, xt] = [xt, x];
        [g, gt] = [gt, g];
        f = ft;
        accepted = true;
        iter++;
        gradMax = maxAbs(g);
        // Near the optimum f is flat to rounding while the gradient still shrinks: that is progress too.
        if (!(fOld - f > 0) && !(gradMax < 0.5 * gOld) && gradMax > tol) {
          if (!stale) return { x, f, nIter: iter, gradMax, status: "no_progress" };
          refresh = true;
        }
        if (step < 1 || gradMax > CHORD_MAX_RATIO * gOld) refresh = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) {
      if (stale) {
        // The old Hessian misled the search: retry from here with a fresh one.
        obj.evaluate(x, g);
        refresh = true;
        continue;
      }
      obj.evaluate(x, g);
      return { x, f, nIter: iter, gradMax, status: "no_progress" };
    }
  }
  return { x, f, nIter: iter, gradMax, status: "converged" };
}

/** A chord step that shrinks the largest gradient entry by less than this factor triggers a new Hessian. */
const CHORD_MAX_RATIO = 0.1;

/** Rows above which newton-cg first solves a subsample to start the full problem near its optimum. */
const WARM_START_MIN_ROWS = 100_000;
const WARM_START_ROWS = 25_000;

/**
 * A starting point for a big problem: the optimum of an evenly spaced subsample with the same
 * penalty, solved loosely. Newton then needs fewer passes over the full data; the answer is still
 * the full problem's optimum to the requested tolerance.
 */
function warmStart(problem: LogisticProblem, full: LogisticObjective, exact: boolean): Float64Array | undefined {
  const n = problem.X.rows;
  if (n < WARM_START_MIN_ROWS) return undefined;
  const stride = Math.floor(n / WARM_START_ROWS);
  const y = new Int32Array(Math.ceil(n / stride));
  const w = problem.sampleWeight ? new Float64Array(y.length) : null;
  for (let i = 0, r = 0; i < n; i += stride, r++) {
    y[r] = problem.y[i];
    if (w) w[r] = problem.sampleWeight![i];
  }
  const seen = new Set(y);
  if (seen.size < Math.min(problem.nClasses, 2) || (problem.nClasses > 2 && seen.size < problem.nClasses)) return undefined;
  const sub = new LogisticObjective({ ...problem, X: takeEvery(problem.X, stride), y, sampleWeight: w }, full.l2);
  return newtonCg(sub, problem.maxIter, Math.max(problem.tol, 1e-4), undefined, exact).x;
}

/**
 * Solves the L2-regularised logistic problem to the gradient tolerance.
 * @example
 * const X = { data: Float64Array.of(-2, -1, 1, 2), rows: 4, cols: 1 };
 * const sol = solveLogistic({ X, y: Int32Array.of(0, 1, 0, 1), nClasses: 2, C: 1, fitIntercept: true, sampleWeight: null, maxIter: 100, tol: 1e-10 });
 * sol.coef[0]; // ≈ 0.18, the optimum of the convex problem
 */
export function solveLogistic(problem: LogisticProblem): LogisticSolution {
  const obj = new LogisticObjective(problem);
  const { nCoef, K } = obj;
  let result: ReturnType<typeof newtonCg>;
  const solver = problem.solver ?? "auto";
  if (solver === "newton-cholesky" && K > 1) {
    throw new InvalidArgumentError(
      `solver "newton-cholesky" solves binary problems; this one has ${problem.nClasses} classes. Use solver "newton-cg", "lbfgs" or "auto".`,
    );
  }
  if (solver === "lbfgs") {
    obj.wantDiag = false;
    result = lbfgs(obj.evaluate, new Float64Array(obj.nParam), { maxIter: problem.maxIter, gtol: problem.tol });
  } else {
    if (solver === "auto" && K === 1) obj.denseCols = denseColumns(problem.X); // one pass, shared with the Hessian
    const exact = (solver === "auto" ? autoSolver(problem.X, problem.nClasses, problem.fitIntercept, obj.denseCols) : solver) === "newton-cholesky";
    result = newtonCg(obj, problem.maxIter, problem.tol, warmStart(problem, obj, exact), exact);
  }
  const coef = Float64Array.from(result.x.subarray(0, nCoef));
  const intercept = problem.fitIntercept ? Float64Array.from(result.x.subarray(nCoef, nCoef + K)) : new Float64Array(K);
  if (K > 1 && problem.fitIntercept) {
    // Softmax is unchanged by adding one constant to every intercept and intercepts are not
    // penalised, so the optimum is a line: report its zero-sum point, as scikit-learn does.
    let mean = 0;
    for (let k = 0; k < K; k++) mean += intercept[k] / K;
    for (let k = 0; k < K; k++) intercept[k] -= mean;
  }
  return { coef, intercept, K, nIter: result.nIter, status: result.status, gradMax: result.gradMax, objective: result.f };
}
