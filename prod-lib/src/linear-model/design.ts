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

/**
 * The columns of a design holding a nonzero in at least a quarter of the rows (every column of a
 * dense design), ascending: {@link weightedGram} treats them as dense blocks.
 * @example denseColumns({ indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 1, 0), values: Float64Array.of(1, 1, 1), rows: 2, cols: 3 }) // Int32Array [0, 1]
 */
export function denseColumns(X: Design): Int32Array {
  if (!isSparseDesign(X)) return Int32Array.from({ length: X.cols }, (_, j) => j);
  const counts = new Int32Array(X.cols);
  const { indices } = X;
  const nnz = X.indptr[X.rows];
  for (let t = 0; t < nnz; t++) counts[indices[t]]++;
  const out: number[] = [];
  for (let j = 0; j < X.cols; j++) if (4 * counts[j] >= X.rows && counts[j] > 0) out.push(j);
  return Int32Array.from(out);
}

/** Rows per block of {@link weightedGram}'s column products. */
const GRAM_BLOCK = 1024;

/**
 * The weighted Gram matrix `out = Σ_i h_i · x̃_i x̃_iᵀ` over the extended rows `x̃_i = (x_i, 1)`
 * when `intercept` (else `x_i`), as a full symmetric row-major `m × m` matrix
 * (`m = cols + (intercept ? 1 : 0)`, overwritten). Rows are processed in blocks: the `dense`
 * columns (see {@link denseColumns}) are transposed into column buffers and multiplied as dot
 * products; every other nonzero is paired row by row. Each unordered pair of columns is summed
 * once, so the cost is ≈ n·d²/2 + nnz_sparse·(d + r) for d dense columns and r sparse nonzeros per row.
 * @example
 * const G = new Float64Array(4);
 * weightedGram({ data: Float64Array.of(1, 2), rows: 2, cols: 1 }, Float64Array.of(1, 1), true, Int32Array.of(0), G); // G = [5, 3, 3, 2]
 */
export function weightedGram(X: Design, h: Float64Array, intercept: boolean, dense: Int32Array, out: Float64Array): void {
  const n = X.rows;
  const p = X.cols;
  const m = p + (intercept ? 1 : 0);
  const B = GRAM_BLOCK;
  out.fill(0);
  const ws: GramWork = {
    slot: new Int32Array(p).fill(-1),
    dense,
    cols: new Float64Array(dense.length * B),
    hcol: new Float64Array(B),
    wcol: new Float64Array(B),
    rowDense: new Float64Array(dense.length),
    sIdx: new Int32Array(Math.max(1, p)),
    sVal: new Float64Array(Math.max(1, p)),
  };
  for (let k = 0; k < dense.length; k++) ws.slot[dense[k]] = k;
  let hSum = 0;
  for (let b0 = 0; b0 < n; b0 += B) {
    const bn = Math.min(B, n - b0);
    hSum += isSparseDesign(X) ? gramSparseRows(X, h, b0, bn, ws, out, m, intercept) : gramDenseRows(X, h, b0, bn, ws);
    gramBlockDots(ws, bn, out, m, p, intercept);
  }
  if (intercept) out[p * m + p] += hSum;
  // Each pair was summed into one of its two triangle positions: fold and mirror.
  for (let a = 0; a < m; a++) {
    for (let c = a + 1; c < m; c++) {
      const v = out[a * m + c] + out[c * m + a];
      out[a * m + c] = v;
      out[c * m + a] = v;
    }
  }
}

/** Scratch buffers of {@link weightedGram}. */
interface GramWork {
  /** Column → its dense slot, or −1. */
  slot: Int32Array;
  dense: Int32Array;
  /** The block's dense columns, column-major (slot · GRAM_BLOCK + row). */
  cols: Float64Array;
  hcol: Float64Array;
  wcol: Float64Array;
  rowDense: Float64Array;
  sIdx: Int32Array;
  sVal: Float64Array;
}

/** Copies a block of dense rows into the column buffers; returns the block's Σ h. */
function gramDenseRows(X: DenseDesign, h: Float64Array, b0: number, bn: number, ws: GramWork): number {
  const { data } = X;
  const p = X.cols;
  const { cols, hcol } = ws;
  const B = GRAM_BLOCK;
  let hSum = 0;
  for (let r = 0; r < bn; r++) {
    const i = b0 + r;
    hcol[r] = h[i];
    hSum += h[i];
    const base = i * p;
    for (let k = 0; k < p; k++) cols[k * B + r] = data[base + k];
  }
  return hSum;
}

/**
 * Splits a block of CSR rows into the dense column buffers and the sparse nonzeros, and adds the
 * sparse pairs (sparse × dense, sparse × sparse, sparse × intercept) to `out`; returns Σ h.
 */
function gramSparseRows(X: SparseDesign, h: Float64Array, b0: number, bn: number, ws: GramWork, out: Float64Array, m: number, intercept: boolean): number {
  const { indptr, indices, values } = X;
  const p = X.cols;
  const { slot, dense, cols, hcol, rowDense, sIdx, sVal } = ws;
  const d = dense.length;
  const B = GRAM_BLOCK;
  // The usual layout puts the dense columns first and contiguous: then out[row + d0 + k].
  const d0 = d > 0 ? dense[0] : 0;
  const contiguous = d === 0 || dense[d - 1] - d0 === d - 1;
  cols.fill(0);
  let hSum = 0;
  for (let r = 0; r < bn; r++) {
    const i = b0 + r;
    const hi = h[i];
    hcol[r] = hi;
    hSum += hi;
    let ns = 0;
    const end = indptr[i + 1];
    for (let t = indptr[i]; t < end; t++) {
      const j = indices[t];
      const k = slot[j];
      if (k >= 0) {
        cols[k * B + r] = values[t];
      } else {
        sIdx[ns] = j;
        sVal[ns++] = values[t];
      }
    }
    if (hi === 0 || ns === 0) continue;
    for (let k = 0; k < d; k++) rowDense[k] = cols[k * B + r];
    for (let a = 0; a < ns; a++) {
      const hv = hi * sVal[a];
      const row = sIdx[a] * m;
      if (contiguous) {
        const o = row + d0;
        for (let k = 0; k < d; k++) out[o + k] += hv * rowDense[k];
      } else for (let k = 0; k < d; k++) out[row + dense[k]] += hv * rowDense[k];
      for (let c = a; c < ns; c++) out[row + sIdx[c]] += hv * sVal[c];
      if (intercept) out[row + p] += hv;
    }
  }
  return hSum;
}

/** Dense × dense and dense × intercept pairs of one block, as dot products of its column buffers. */
function gramBlockDots(ws: GramWork, bn: number, out: Float64Array, m: number, p: number, intercept: boolean): void {
  const { dense, cols, hcol, wcol } = ws;
  const d = dense.length;
  const B = GRAM_BLOCK;
  for (let k = 0; k < d; k++) {
    const ok = k * B;
    const row = dense[k] * m;
    let sw = 0;
    for (let r = 0; r < bn; r++) {
      const w = hcol[r] * cols[ok + r];
      wcol[r] = w;
      sw += w;
    }
    if (intercept) out[row + p] += sw;
    // Four columns per sweep: four independent sums and one read of the weighted column.
    let c = k;
    for (; c + 3 < d; c += 4) {
      const o0 = c * B;
      const o1 = o0 + B;
      const o2 = o1 + B;
      const o3 = o2 + B;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < bn; r++) {
        const w = wcol[r];
        s0 += w * cols[o0 + r];
        s1 += w * cols[o1 + r];
        s2 += w * cols[o2 + r];
        s3 += w * cols[o3 + r];
      }
      out[row + dense[c]] += s0;
      out[row + dense[c + 1]] += s1;
      out[row + dense[c + 2]] += s2;
      out[row + dense[c + 3]] += s3;
    }
    for (; c < d; c++) {
      const oc = c * B;
      let s = 0;
      for (let r = 0; r < bn; r++) s += wcol[r] * cols[oc + r];
      out[row + dense[c]] += s;
    }
  }
}

/**
 * Designs side by side, read block by block without building the stacked matrix: block `b` holds
 * columns `Σ_{c<b} blocks[c].cols` onwards. A ColumnTransformer's parts, scored by a linear model.
 */
export interface StackedDesign {
  readonly blocks: readonly Design[];
  readonly rows: number;
  readonly cols: number;
}

/**
 * {@link linearPredict} over a stacked design: each row's products are summed block by block in
 * column order from 0 and the intercept added last, the same sequence of additions as on the
 * stacked CSR matrix, so the scores are the same numbers.
 * @example
 * const Z = new Float64Array(1);
 * linearPredictStacked({ blocks: [{ data: Float64Array.of(1), rows: 1, cols: 1 }, { data: Float64Array.of(2), rows: 1, cols: 1 }], rows: 1, cols: 2 }, Float64Array.of(1, 1), Float64Array.of(0.5), 1, Z); // Z = [3.5]
 */
export function linearPredictStacked(X: StackedDesign, W: Float64Array, b: Float64Array | null, K: number, Z: Float64Array): void {
  Z.fill(0);
  let off = 0;
  for (const block of X.blocks) {
    if (isSparseDesign(block)) accumulateSparse(block, W, off, X.cols, K, Z);
    else accumulateDense(block, W, off, X.cols, K, Z);
    off += block.cols;
  }
  if (b) for (let i = 0; i < X.rows; i++) for (let k = 0; k < K; k++) Z[i * K + k] += b[k];
}

function accumulateSparse(X: SparseDesign, W: Float64Array, colOffset: number, p: number, K: number, Z: Float64Array): void {
  const { indptr, indices, values } = X;
  for (let i = 0; i < X.rows; i++) {
    const lo = indptr[i];
    const hi = indptr[i + 1];
    for (let k = 0; k < K; k++) {
      const off = k * p + colOffset;
      let s = Z[i * K + k];
      for (let t = lo; t < hi; t++) s += values[t] * W[off + indices[t]];
      Z[i * K + k] = s;
    }
  }
}

function accumulateDense(X: DenseDesign, W: Float64Array, colOffset: number, p: number, K: number, Z: Float64Array): void {
  const { data } = X;
  const w = X.cols;
  for (let i = 0; i < X.rows; i++) {
    const base = i * w;
    for (let k = 0; k < K; k++) {
      const off = k * p + colOffset;
      let s = Z[i * K + k];
      // Zeros are skipped as the stacked CSR matrix skips them.
      for (let j = 0; j < w; j++) {
        const x = data[base + j];
        if (x !== 0) s += x * W[off + j];
      }
      Z[i * K + k] = s;
    }
  }
}
