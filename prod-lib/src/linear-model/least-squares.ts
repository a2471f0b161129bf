/**
 * Least-squares solvers for LinearRegression and Ridge, on centred data so the intercept is never
 * penalised: Householder QR with column pivoting (minimum-norm solution when rank-deficient, as
 * LAPACK's `gelsd` that scikit-learn uses) and Cholesky on the regularised Gram matrix for Ridge.
 */
import { columnMeans, isSparseDesign } from "./design";
import type { Design } from "./design";

/** Solution of a linear least-squares fit. */
export interface LinearSolution {
  coef: Float64Array;
  intercept: number;
  /** Numerical rank of the centred design. */
  rank: number;
}

/**
 * Minimum-norm least-squares solution of A x ≈ b, with A given column-major (m × n, overwritten).
 * Rank is decided as LAPACK's default: |R_kk| > eps · max(m, n) · |R_00|.
 * @example
 * // Columns [1, 1, 1] and [0, 1, 2]; b = 1 + 2t.
 * lstsqColumnMajor(Float64Array.of(1, 1, 1, 0, 1, 2), 3, 2, Float64Array.of(1, 3, 5)); // { x: [1, 2], rank: 2 }
 */
export function lstsqColumnMajor(A: Float64Array, m: number, n: number, b: Float64Array): { x: Float64Array; rank: number } {
  const rhs = Float64Array.from(b);
  const perm = new Int32Array(n);
  for (let j = 0; j < n; j++) perm[j] = j;
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    const off = j * m;
    for (let i = 0; i < m; i++) s += A[off + i] * A[off + i];
    norms[j] = s;
  }
  const steps = Math.min(m, n);
  const diag = new Float64Array(steps);
  for (let k = 0; k < steps; k++) {
    // Pivot: the remaining column of largest norm (recomputed exactly for robustness).
    let best = k;
    let bestNorm = -1;
    for (let j = k; j < n; j++) {
      let s = 0;
      const off = j * m;
      for (let i = k; i < m; i++) s += A[off + i] * A[off + i];
      norms[j] = s;
      if (s > bestNorm) {
        bestNorm = s;
        best = j;
      }
    }
    if (best !== k) {
      const ok = k * m;
      const ob = best * m;
      for (let i = 0; i < m; i++) {
        const t = A[ok + i];
        A[ok + i] = A[ob + i];
        A[ob + i] = t;
      }
      const tp = perm[k];
      perm[k] = perm[best];
      perm[best] = tp;
    }
    // Householder reflector zeroing column k below the diagonal.
    const off = k * m;
    const alpha = Math.sqrt(bestNorm);
    if (alpha === 0) {
      diag[k] = 0;
      continue;
    }
    const r = A[off + k] > 0 ? -alpha : alpha;
    A[off + k] -= r;
    let vnorm2 = 0;
    for (let i = k; i < m; i++) vnorm2 += A[off + i] * A[off + i];
    if (vnorm2 > 0) {
      for (let j = k + 1; j < n; j++) {
        const oj = j * m;
        let s = 0;
        for (let i = k; i < m; i++) s += A[off + i] * A[oj + i];
        const f = (2 * s) / vnorm2;
        for (let i = k; i < m; i++) A[oj + i] -= f * A[off + i];
      }
      let s = 0;
      for (let i = k; i < m; i++) s += A[off + i] * rhs[i];
      const f = (2 * s) / vnorm2;
      for (let i = k; i < m; i++) rhs[i] -= f * A[off + i];
    }
    diag[k] = r;
  }
  const tol = Number.EPSILON * Math.max(m, n) * Math.abs(diag[0] ?? 0);
  let rank = 0;
  while (rank < steps && Math.abs(diag[rank]) > tol) rank++;
  // R[i][j] (i < j) lives in A[j * m + i]; R[k][k] in diag[k].
  const R = (i: number, j: number) => (i === j ? diag[i] : A[j * m + i]);
  const z = new Float64Array(n);
  if (rank === n) {
    for (let i = n - 1; i >= 0; i--) {
      let s = rhs[i];
      for (let j = i + 1; j < n; j++) s -= R(i, j) * z[j];
      z[i] = s / diag[i];
    }
  } else if (rank > 0) {
    // Complete orthogonal decomposition: [R11 R12]ᵀ = Q2 T (n × rank), then
    // x = Q2 · T⁻ᵀ · (Qᵀb)[0..rank) is the minimum-norm solution.
    const Bt = new Float64Array(n * rank); // column-major n × rank: column i is row i of [R11 R12]
    for (let i = 0; i < rank; i++) for (let j = i; j < n; j++) Bt[i * n + j] = R(i, j);
    const vs: Float64Array[] = [];
    const tdiag = new Float64Array(rank);
    for (let k = 0; k < rank; k++) {
      const off = k * n;
      let s = 0;
      for (let i = k; i < n; i++) s += Bt[off + i] * Bt[off + i];
      const a = Math.sqrt(s);
      const r = Bt[off + k] > 0 ? -a : a;
      const v = new Float64Array(n);
      for (let i = k; i < n; i++) v[i] = Bt[off + i];
      v[k] -= r;
      let vn = 0;
      for (let i = k; i < n; i++) vn += v[i] * v[i];
      for (let j = k + 1; j < rank; j++) {
        const oj = j * n;
        let t = 0;
        for (let i = k; i < n; i++) t += v[i] * Bt[oj + i];
        const f = vn > 0 ? (2 * t) / vn : 0;
        for (let i = k; i < n; i++) Bt[oj + i] -= f * v[i];
      }
      tdiag[k] = r;
      vs.push(vn > 0 ? v.map((x) => x / Math.sqrt(vn)) : v.fill(0));
    }
    // Solve Tᵀ u = c with T upper-triangular (T[i][j] = Bt[j * n + i] for i < j).
    const u = new Float64Array(n);
    for (let i = 0; i < rank; i++) {
      let s = rhs[i];
      for (let j = 0; j < i; j++) s -= Bt[i * n + j] * u[j];
      u[i] = s / tdiag[i];
    }
    // z = Q2 u, with Q2 = H_0 H_1 … H_{rank−1}: apply reflectors in reverse order.
    z.set(u);
    for (let k = rank - 1; k >= 0; k--) {
      const v = vs[k];
      let t = 0;
      for (let i = k; i < n; i++) t += v[i] * z[i];
      for (let i = k; i < n; i++) z[i] -= 2 * t * v[i];
    }
  }
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) x[perm[j]] = z[j];
  return { x, rank };
}

/** Centred Gram matrix XcᵀXc (row-major p × p) and Xcᵀ(y − ȳ). */
function centredGram(X: Design, y: Float64Array, mean: Float64Array, yMean: number, center: boolean): { G: Float64Array; c: Float64Array } {
  const p = X.cols;
  const n = X.rows;
  const G = new Float64Array(p * p);
  const c = new Float64Array(p);
  if (isSparseDesign(X)) {
    // Raw XᵀX from the sparse rows, then the rank-one centring correction.
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const lo = indptr[i];
      const hi = indptr[i + 1];
      const yi = y[i];
      for (let a = lo; a < hi; a++) {
        const ja = indices[a];
        const va = values[a];
        c[ja] += va * yi;
        const row = ja * p;
        for (let b = lo; b < hi; b++) G[row + indices[b]] += va * values[b];
      }
    }
    if (center) {
      for (let a = 0; a < p; a++) {
        c[a] -= n * mean[a] * yMean;
        for (let b = 0; b < p; b++) G[a * p + b] -= n * mean[a] * mean[b];
      }
    }
    return { G, c };
  }
  const { data } = X;
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const base = i * p;
    for (let j = 0; j < p; j++) row[j] = center ? data[base + j] - mean[j] : data[base + j];
    const yi = center ? y[i] - yMean : y[i];
    for (let a = 0; a < p; a++) {
      const va = row[a];
      if (va === 0) continue;
      c[a] += va * yi;
      const off = a * p;
      for (let b = a; b < p; b++) G[off + b] += va * row[b];
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) G[a * p + b] = G[b * p + a];
  return { G, c };
}

/**
 * Cholesky solve of S x = c (S row-major, symmetric); null when S is not positive definite.
 * @example choleskySolve(Float64Array.of(4, 2, 2, 3), 2, Float64Array.of(2, 1)) // Float64Array [0.5, 0]
 */
export function choleskySolve(S: Float64Array, p: number, c: Float64Array): Float64Array | null {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * p + i] = Math.sqrt(s);
      } else {
        L[i * p + j] = s / L[j * p + j];
      }
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = c[i];
    for (let k = 0; k < i; k++) s -= L[i * p + k] * z[k];
    z[i] = s / L[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < p; k++) s -= L[k * p + i] * x[k];
    x[i] = s / L[i * p + i];
  }
  return x;
}

function meanOf(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return s / y.length;
}

/**
 * Ordinary least squares. Dense designs are solved by pivoted QR of the centred data (stable,
 * minimum-norm when columns are collinear); sparse designs through the centred Gram matrix, never
 * densifying X.
 * @example
 * const X = { data: Float64Array.of(0, 1, 2, 3), rows: 4, cols: 1 };
 * solveLinearRegression(X, Float64Array.of(1, 3, 5, 7), true); // { coef: [2], intercept: 1, rank: 1 }
 */
export function solveLinearRegression(X: Design, y: Float64Array, fitIntercept: boolean): LinearSolution {
  const n = X.rows;
  const p = X.cols;
  const mean = fitIntercept ? columnMeans(X, null) : new Float64Array(p);
  const yMean = fitIntercept ? meanOf(y) : 0;
  if (isSparseDesign(X)) {
    const { G, c } = centredGram(X, y, mean, yMean, fitIntercept);
    const { x, rank } = lstsqColumnMajor(G, p, p, c);
    return { coef: x, intercept: fitIntercept ? yMean - dotArr(mean, x) : 0, rank };
  }
  const A = new Float64Array(n * p);
  const { data } = X;
  for (let i = 0; i < n; i++) {
    const base = i * p;
    for (let j = 0; j < p; j++) A[j * n + i] = data[base + j] - mean[j];
  }
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = y[i] - yMean;
  const { x, rank } = lstsqColumnMajor(A, n, p, b);
  return { coef: x, intercept: fitIntercept ? yMean - dotArr(mean, x) : 0, rank };
}

/**
 * Ridge regression: minimises ‖y − Xw − b‖² + α‖w‖² with b unpenalised (centring), by Cholesky on
 * XcᵀXc + αI as scikit-learn's "cholesky" solver; falls back to least squares when α = 0 and the
 * Gram matrix is singular.
 * @example
 * const X = { data: Float64Array.of(0, 1, 2, 3), rows: 4, cols: 1 };
 * solveRidge(X, Float64Array.of(1, 3, 5, 7), 1, true).coef[0]; // 10 / (5 + 1) ≈ 1.667
 */
export function solveRidge(X: Design, y: Float64Array, alpha: number, fitIntercept: boolean): LinearSolution {
  const p = X.cols;
  const mean = fitIntercept ? columnMeans(X, null) : new Float64Array(p);
  const yMean = fitIntercept ? meanOf(y) : 0;
  const { G, c } = centredGram(X, y, mean, yMean, fitIntercept);
  for (let j = 0; j < p; j++) G[j * p + j] += alpha;
  let coef = choleskySolve(G, p, c);
  let rank = p;
  if (coef === null) {
    const sol = lstsqColumnMajor(G, p, p, c);
    coef = sol.x;
    rank = sol.rank;
  }
  return { coef, intercept: fitIntercept ? yMean - dotArr(mean, coef) : 0, rank };
}

function dotArr(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
