import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** The expectations written by dev-lib/test/fixtures/make_splits.py (numpy and scikit-learn outputs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const splitFixtures: any = JSON.parse(readFileSync(new URL("../fixtures/splits.json", import.meta.url), "utf8"));

/** A permutation as stored by make_splits.py: in full for small n, else head, tail and a weighted sum. */
export interface PermSummary {
  full?: number[];
  head?: number[];
  tail?: number[];
  weighted_sum?: number;
}

/** Asserts that `actual` matches a stored permutation summary exactly. */
export function expectPermutation(actual: Int32Array, expected: PermSummary): void {
  if (expected.full) {
    expect(Array.from(actual)).toEqual(expected.full);
    return;
  }
  expect(actual.length).toBeGreaterThan(200);
  expect(Array.from(actual.subarray(0, 100))).toEqual(expected.head);
  expect(Array.from(actual.subarray(actual.length - 100))).toEqual(expected.tail);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += actual[i] * (i + 1);
  expect(sum).toBe(expected.weighted_sum);
}

/** The expectations written by dev-lib/test/fixtures/make_search.py (scikit-learn's search results). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const searchFixtures: any = JSON.parse(readFileSync(new URL("../fixtures/search.json", import.meta.url), "utf8"));

/** Reads a reference CSV (test/fixtures/reference/sklearn) into row objects: numbers where every cell is numeric, empty cells as null. */
export function readReferenceCsv(file: string): Record<string, number | string | null>[] {
  const text = readFileSync(new URL(`../../../test/fixtures/reference/sklearn/${file}`, import.meta.url), "utf8").trim();
  const [head, ...lines] = text.split(/\r?\n/);
  const names = head.split(",");
  const cells = lines.map((l) => l.split(","));
  const numeric = names.map((_, j) => cells.every((r) => r[j] === "" || !Number.isNaN(Number(r[j]))));
  return cells.map((r) => {
    const row: Record<string, number | string | null> = {};
    names.forEach((n, j) => (row[n] = r[j] === "" ? null : numeric[j] ? Number(r[j]) : r[j]));
    return row;
  });
}

/** Asserts |a - b| <= atol elementwise. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, what = "value"): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= atol)) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (difference ${d} > ${atol})`);
  }
}
