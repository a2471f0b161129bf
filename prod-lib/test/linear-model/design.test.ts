import { describe, expect, it } from "vitest";
import { denseColumns, linearPredict, linearPredictStacked, weightedGram } from "../../src/linear-model/design";
import { choleskyFactor, choleskySolve } from "../../src/linear-model/logistic-solver";
import { toCsr } from "./fixtures";

/** Σ h_i x̃_i x̃_iᵀ computed the obvious way. */
function naiveGram(rows: number[][], h: number[], intercept: boolean): number[] {
  const m = rows[0].length + (intercept ? 1 : 0);
  const out = new Array<number>(m * m).fill(0);
  rows.forEach((r, i) => {
    const x = intercept ? [...r, 1] : r;
    for (let a = 0; a < m; a++) for (let c = 0; c < m; c++) out[a * m + c] += h[i] * x[a] * x[c];
  });
  return out;
}

/** Seeded rows: two dense columns, then one-hot columns of two categoricals (3 and 4 levels). */
function mixedRows(n: number): number[][] {
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, () => {
    const oneHotA = [0, 0, 0];
    oneHotA[Math.floor(rand() * 3)] = 1;
    const oneHotB = [0, 0, 0, 0];
    oneHotB[Math.floor(rand() * 4)] = rand() < 0.9 ? 1 : 0;
    return [rand() * 4 - 2, rand() < 0.5 ? 0 : rand(), ...oneHotA, ...oneHotB];
  });
}

describe("weightedGram", () => {
  // Spans several row blocks of 1024 so that block boundaries are exercised.
  const rows = mixedRows(2500);
  const h = rows.map((_, i) => 0.05 + ((i * 37) % 11) / 10);

  it.each([true, false])("equals the naive weighted Gram matrix on CSR and dense designs (intercept %s)", (intercept) => {
    const expected = naiveGram(rows, h, intercept);
    const m = rows[0].length + (intercept ? 1 : 0);
    const csr = toCsr(rows);
    const dense = { data: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0].length };
    for (const [X, cols] of [
      [csr, denseColumns(csr)],
      [csr, new Int32Array(0)], // every column paired row by row
      [dense, denseColumns(dense)],
    ] as const) {
      const out = new Float64Array(m * m);
      weightedGram(X, Float64Array.from(h), intercept, cols, out);
      out.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 9));
    }
  });

  it("treats the columns present in at least a quarter of the rows as dense", () => {
    // Columns 0 and 1 in all or half the rows, levels of the first categorical in a third, of the second in under a quarter.
    expect(Array.from(denseColumns(toCsr(rows)))).toEqual([0, 1, 2, 3, 4]);
    const sparse = toCsr([[1, 0, 0, 0, 5], [2, 0, 0, 0, 0], [3, 1, 0, 0, 0], [4, 0, 0, 0, 0], [5, 0, 0, 0, 0]]);
    expect(Array.from(denseColumns(sparse))).toEqual([0]);
  });
});

describe("linearPredictStacked", () => {
  it("gives the scores of the stacked CSR matrix bit for bit (dense and sparse blocks, K = 1 and 3)", () => {
    const rows = mixedRows(300);
    const left = rows.map((r) => r.slice(0, 2));
    const right = rows.map((r) => r.slice(2));
    const blocks = [{ data: Float64Array.from(left.flat()), rows: rows.length, cols: 2 }, toCsr(right)];
    for (const K of [1, 3]) {
      const W = Float64Array.from({ length: K * 9 }, (_, j) => Math.sin(j + 1) * 3);
      const b = Float64Array.from({ length: K }, (_, k) => 0.25 * (k + 1));
      const expected = new Float64Array(rows.length * K);
      linearPredict(toCsr(rows), W, b, K, expected);
      const got = new Float64Array(rows.length * K);
      linearPredictStacked({ blocks, rows: rows.length, cols: 9 }, W, b, K, got);
      expect(got).toEqual(expected);
    }
  });
});

describe("choleskyFactor / choleskySolve", () => {
  it("solves a symmetric positive definite system", () => {
    const A = Float64Array.of(4, 2, 0.4, 2, 5, 1, 0.4, 1, 3);
    const x = [1, -2, 0.5];
    const b = Float64Array.from([0, 1, 2].map((i) => A[i * 3] * x[0] + A[i * 3 + 1] * x[1] + A[i * 3 + 2] * x[2]));
    expect(choleskyFactor(A, 3)).toBe(true);
    choleskySolve(A, b, 3);
    Array.from(b).forEach((v, i) => expect(v).toBeCloseTo(x[i], 12));
  });

  it("refuses a singular or indefinite matrix", () => {
    expect(choleskyFactor(Float64Array.of(1, 1, 1, 1), 2)).toBe(false);
    expect(choleskyFactor(Float64Array.of(1, 2, 2, 1), 2)).toBe(false);
  });
});
