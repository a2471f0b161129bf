/**
 * The two products every linear solver needs, over a dense row-major matrix or a CSR sparse matrix,
 * so the solvers never densify one-hot columns.
 */

/** A dense row-major design matrix (`Matrix` satisfies it). */
export interface DenseDesign {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A compressed-sparse-row design matrix (`SparseMatrix` satisfies it). */
export interface SparseDesign {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A design matrix the linear solvers accept. */
export type Design = DenseDesign | SparseDesign;

/**
 * True when the design is stored in CSR form.
 * @example isSparseDesign({ data: Float64Array.of(1), rows: 1, cols: 1 }) // false
 */
export function isSparseDesign(X: Design): X is SparseDesign {
  return (X as SparseDesign).indptr !== undefined;
}

/**
 * `Z[i, k] = sum_j X[i, j] * W[k, j] + b[k]` for the K rows of `W` (row-major K × p), `Z` row-major n × K.
 * @example
 * const Z = new Float64Array(2);
 * linearPredict({ data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 }, Float64Array.of(1, 1), Float64Array.of(0.5), 1, Z); // Z = [3.5, 7.5]
 */
export function linearPredict(X: Design, W: Float64Array, b: Float64Array | null, K: number, Z: Float64Array): void {
  const n = X.rows;
  const p = X.cols;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const lo = indptr[i];
      const hi = indptr[i + 1];
      for (let k = 0; k < K; k++) {
        const off = k * p;
        // Summed from 0 in column order, then the intercept added: bit-identical to the dense path.
        let s = 0;
        for (let t = lo; t < hi; t++) s += values[t] * W[off + indices[t]];
        Z[i * K + k] = s + (b ? b[k] : 0);
      }
    }
    return;
  }
  const { data } = X;
  if (K === 1) {
    const b0 = b ? b[0] : 0;
    for (let i = 0; i < n; i++) {
      const base = i * p;
      let s = 0;
      for (let j = 0; j < p; j++) s += data[base + j] * W[j];
      Z[i] = s + b0;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const base = i * p;
    for (let k = 0; k < K; k++) {
      const off = k * p;
      let s = 0;
      for (let j = 0; j < p; j++) s += data[base + j] * W[off + j];
      Z[i * K + k] = s + (b ? b[k] : 0);
    }
  }
}

/**
 * `G[k, j] += sum_i R[i, k] * X[i, j]` (G row-major K × p) and, when `gb` is given,
 * `gb[k] += sum_i R[i, k]`.
 * @example
 * const G = new Float64Array(2);
 * linearGradient({ data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 }, Float64Array.of(1, -1), 1, G, null); // G = [-2, -2]
 */
export function linearGradient(X: Design, R: Float64Array, K: number, G: Float64Array, gb: Float64Array | null): void {
  const n = X.rows;
  const p = X.cols;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const lo = indptr[i];
      const hi = indptr[i + 1];
      for (let k = 0; k < K; k++) {
        const r = R[i * K + k];
        if (r === 0) continue;
        const off = k * p;
        for (let t = lo; t < hi; t++) G[off + indices[t]] += r * values[t];
        if (gb) gb[k] += r;
      }
    }
    return;
  }
  const { data } = X;
  for (let i = 0; i < n; i++) {
    const base = i * p;
    for (let k = 0; k < K; k++) {
      const r = R[i * K + k];
      if (r === 0) continue;
      const off = k * p;
      for (let j = 0; j < p; j++) G[off + j] += r * data[base + j];
      if (gb) gb[k] += r;
    }
  }
}

/**
 * Weighted column means of the design (weights may be null for uniform).
 * @example columnMeans({ data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 }, null) // Float64Array [2, 3]
 */
export function columnMeans(X: Design, weights: Float64Array | null): Float64Array {
  const p = X.cols;
  const n = X.rows;
  const mean = new Float64Array(p);
  let wsum = 0;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      wsum += w;
      for (let t = indptr[i]; t < indptr[i + 1]; t++) mean[indices[t]] += w * values[t];
    }
  } else {
    const { data } = X;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      wsum += w;
      const base = i * p;
      for (let j = 0; j < p; j++) mean[j] += w * data[base + j];
    }
  }
  for (let j = 0; j < p; j++) mean[j] /= wsum;
  return mean;
}

/**
 * `D[k, j] += sum_i Wt[i, k] * X[i, j]²` (D row-major K × p) and, when `db` is given,
 * `db[k] += sum_i Wt[i, k]`: the diagonal of a weighted Gram matrix (Newton preconditioner).
 * @example
 * const D = new Float64Array(1);
 * weightedColumnSquares({ data: Float64Array.of(1, 2), rows: 2, cols: 1 }, Float64Array.of(1, 0.5), 1, D, null); // D = [3]
 */
export function weightedColumnSquares(X: Design, Wt: Float64Array, K: number, D: Float64Array, db: Float64Array | null): void {
  const n = X.rows;
  const p = X.cols;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const lo = indptr[i];
      const hi = indptr[i + 1];
      for (let k = 0; k < K; k++) {
        const w = Wt[i * K + k];
        if (w === 0) continue;
        const off = k * p;
        for (let t = lo; t < hi; t++) D[off + indices[t]] += w * values[t] * values[t];
        if (db) db[k] += w;
      }
    }
    return;
  }
  const { data } = X;
  for (let i = 0; i < n; i++) {
    const base = i * p;
    for (let k = 0; k < K; k++) {
      const w = Wt[i * K + k];
      if (w === 0) continue;
      const off = k * p;
      for (let j = 0; j < p; j++) D[off + j] += w * data[base + j] * data[base + j];
      if (db) db[k] += w;
    }
  }
}

/**
 * One fused pass for single-output models: for every row i, `z = x_i · w + b`, `r = rowFn(i, z)`,
 * then `out += r · x_i` and `outB += r` (when given). Reads X once instead of twice. With `diag`,
 * also `diag.out += h_i · x_i²` and `diag.outB += h_i`, where `rowFn` writes `h_i` to `diag.h[i]`.
 * @example
 * const g = new Float64Array(1);
 * rowScatter({ data: Float64Array.of(1, 2), rows: 2, cols: 1 }, Float64Array.of(1), 0, (i, z) => z, g, null); // g = [5]
 */
export function rowScatter(
  X: Design,
  w: Float64Array,
  b: number,
  rowFn: (i: number, z: number) => number,
  out: Float64Array,
  outB: Float64Array | null,
  diag?: { h: Float64Array; out: Float64Array; outB: Float64Array | null },
): void {
  const n = X.rows;
  let rb = 0;
  let hb = 0;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    for (let i = 0; i < n; i++) {
      const lo = indptr[i];
      const hi = indptr[i + 1];
      let s = 0;
      for (let t = lo; t < hi; t++) s += values[t] * w[indices[t]];
      const r = rowFn(i, s + b);
      if (diag) {
        // Also accumulate sum_i h_i x_ij² (rowFn has just written h_i) in the same pass.
        const h = diag.h[i];
        const d = diag.out;
        hb += h;
        for (let t = lo; t < hi; t++) {
          const v = values[t];
          out[indices[t]] += r * v;
          d[indices[t]] += h * v * v;
        }
        rb += r;
        continue;
      }
      if (r === 0) continue;
      rb += r;
      for (let t = lo; t < hi; t++) out[indices[t]] += r * values[t];
    }
  } else {
    const { data } = X;
    const p = X.cols;
    for (let i = 0; i < n; i++) {
      const base = i * p;
      let s = 0;
      for (let j = 0; j < p; j++) s += data[base + j] * w[j];
      const r = rowFn(i, s + b);
      if (diag) {
        const h = diag.h[i];
        const d = diag.out;
        hb += h;
        for (let j = 0; j < p; j++) {
          const v = data[base + j];
          out[j] += r * v;
          d[j] += h * v * v;
        }
        rb += r;
        continue;
      }
      if (r === 0) continue;
      rb += r;
      for (let j = 0; j < p; j++) out[j] += r * data[base + j];
    }
  }
  if (outB) outB[0] += rb;
  if (diag && diag.outB) diag.outB[0] += hb;
}

/**
 * Every `stride`-th row of a design (rows 0, stride, 2·stride, …), copied.
 * @example takeEvery({ data: Float64Array.of(1, 2, 3, 4), rows: 4, cols: 1 }, 2).data // Float64Array [1, 3]
 */
export function takeEvery(X: Design, stride: number): Design {
  const m = Math.ceil(X.rows / stride);
  const p = X.cols;
  if (isSparseDesign(X)) {
    const { indptr, indices, values } = X;
    let nnz = 0;
    for (let i = 0; i < X.rows; i += stride) nnz += indptr[i + 1] - indptr[i];
    const ip = new Int32Array(m + 1);
    const ix = new Int32Array(nnz);
    const vs = new Float64Array(nnz);
    let k = 0;
    for (let i = 0, r = 0; i < X.rows; i += stride, r++) {
      for (let t = indptr[i]; t < indptr[i + 1]; t++, k++) {
        ix[k] = indices[t];
        vs[k] = values[t];
      }
      ip[r + 1] = k;
    }
    return { indptr: ip, indices: ix, values: vs, rows: m, cols: p };
  }
  const data = new Float64Array(m * p);
  for (let i = 0, r = 0; i < X.rows; i += stride, r++) data.set(X.data.subarray(i * p, (i + 1) * p), r * p);
  return { data, rows: m, cols: p };
}
