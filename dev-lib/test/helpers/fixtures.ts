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
