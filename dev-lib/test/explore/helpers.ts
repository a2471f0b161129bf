import { readFileSync } from "node:fs";
import type * as arrow from "apache-arrow";
import { tableFromRows } from "@trellis/shared";

/** The reference folder of scikit-learn fixtures, inside the repository. */
const SKLEARN_DIR = new URL("../../../test/fixtures/reference/sklearn/", import.meta.url);

/** pandas' and scipy's outputs on the fixture tables, made by dev-lib/test/fixtures/make_explore.py. */
export const golden = JSON.parse(readFileSync(new URL("../fixtures/explore.json", import.meta.url), "utf8")) as Record<
  string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  any
>;

/** Reads a fixture CSV as pandas' read_csv does: numeric-looking columns as numbers, empty cells as null. */
export function readFixture(file: string): arrow.Table {
  const text = readFileSync(new URL(file, SKLEARN_DIR), "utf8").trim();
  const [head, ...lines] = text.split(/\r?\n/);
  const names = head!.split(",");
  const cells = lines.map((l) => l.split(","));
  const numeric = names.map((_, j) => cells.every((r) => r[j] === "" || !Number.isNaN(Number(r[j]))));
  const rows = cells.map((r) => {
    const row: Record<string, number | string | null> = {};
    names.forEach((n, j) => {
      const v = r[j]!;
      row[n] = v === "" ? null : numeric[j] ? Number(v) : v;
    });
    return row;
  });
  return tableFromRows(rows);
}

/** The small table of ties of make_explore.py. */
export function tiesTable(): arrow.Table {
  const word = ["b", "a", "c", "a", "b", "c", "d", null];
  const x = [3.0, 1.0, 3.0, 1.0, 2.0, null, 2.0, 5.0];
  return tableFromRows(word.map((w, i) => ({ word: w, x: x[i] })));
}

/** |actual − expected| ≤ 1e-9·|expected| (exact for zero), or both null. */
export function expectRel(actual: unknown, expected: number | null, label = ""): void {
  if (expected === null) {
    if (actual !== null && !(typeof actual === "number" && Number.isNaN(actual))) {
      throw new Error(`${label}: expected null, got ${String(actual)}`);
    }
    return;
  }
  if (typeof actual !== "number" || !(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected))) {
    throw new Error(`${label}: expected ${expected}, got ${String(actual)} (tolerance 1e-9 relative)`);
  }
}
