/** Readers of the scikit-learn reference fixtures (test/fixtures/reference/sklearn). */
import { readFileSync } from "node:fs";

const root = new URL("../../../test/fixtures/reference/sklearn/", import.meta.url);

/** Parsed golden.json cases. */
export function goldenCases(): Record<string, Record<string, unknown>> {
  return (JSON.parse(readFileSync(new URL("golden.json", root), "utf8")) as { cases: Record<string, Record<string, unknown>> }).cases;
}

/** A CSV fixture with a header row: feature columns as rows of numbers, plus one target column. */
export function readCsv(file: string, target: string): { columns: string[]; rows: number[][]; y: (string | number)[] } {
  const lines = readFileSync(new URL(file, root), "utf8").trim().split(/\r?\n/);
  const header = lines[0].split(",");
  const ti = header.indexOf(target);
  const columns = header.filter((_, j) => j !== ti);
  const rows: number[][] = [];
  const y: (string | number)[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(",");
    rows.push(cells.filter((_, j) => j !== ti).map(Number));
    const t = cells[ti];
    y.push(t !== "" && !Number.isNaN(Number(t)) ? Number(t) : t);
  }
  return { columns, rows, y };
}

/** Standardises columns with the population standard deviation (what StandardScaler does). */
export function standardize(rows: number[][]): number[][] {
  const n = rows.length;
  const p = rows[0].length;
  const mean = new Array<number>(p).fill(0);
  const sd = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) mean[j] += r[j] / n;
  for (const r of rows) for (let j = 0; j < p; j++) sd[j] += (r[j] - mean[j]) ** 2 / n;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  return rows.map((r) => r.map((v, j) => (v - mean[j]) / sd[j]));
}

/**
 * Dense rows as a CSR design (zeros left out).
 * @example toCsr([[1, 0], [0, 2]]).indices // Int32Array [0, 1]
 */
export function toCsr(rows: number[][]): { indptr: Int32Array; indices: Int32Array; values: Float64Array; rows: number; cols: number } {
  const indptr = new Int32Array(rows.length + 1);
  const idx: number[] = [];
  const val: number[] = [];
  rows.forEach((r, i) => {
    r.forEach((v, j) => {
      if (v !== 0) {
        idx.push(j);
        val.push(v);
      }
    });
    indptr[i + 1] = idx.length;
  });
  return { indptr, indices: Int32Array.from(idx), values: Float64Array.from(val), rows: rows.length, cols: rows[0].length };
}
