import { readFileSync } from "node:fs";
import { findPython, runPython, type PythonProbe } from "../../../test/helpers/python";

/** The sklearn fixture folder, (`test/fixtures/reference/sklearn`). */
export const SKLEARN_DIR = new URL("../../../test/fixtures/reference/sklearn/", import.meta.url);

/** Reads a fixture CSV into row objects: numeric-looking columns as numbers, empty cells as null. */
export function readCsvRows(file: string): Record<string, number | string | null>[] {
  const text = readFileSync(new URL(file, SKLEARN_DIR), "utf8").trim();
  const [head, ...lines] = text.split(/\r?\n/);
  const names = head.split(",");
  const cells = lines.map((l) => l.split(","));
  const numeric = names.map((_, j) => cells.every((r) => r[j] === "" || !Number.isNaN(Number(r[j]))));
  return cells.map((r) => {
    const row: Record<string, number | string | null> = {};
    names.forEach((n, j) => {
      const v = r[j];
      row[n] = v === "" ? null : numeric[j] ? Number(v) : v;
    });
    return row;
  });
}

/** One case of golden.json. */
export function goldenCase(name: string): Record<string, unknown> {
  const g = JSON.parse(readFileSync(new URL("golden.json", SKLEARN_DIR), "utf8")) as { cases: Record<string, Record<string, unknown>> };
  return g.cases[name];
}

/** Asserts |a - b| <= rtol * max(|b|, tiny) elementwise, with a helpful message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} !== ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const tol = Math.max(atol, rtol * Math.abs(e));
    if (!(Math.abs(a - e) <= tol)) throw new Error(`index ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
  }
}

/** The Python that scikit-learn cross-checks run with (test/helpers/python.ts): `missing` says why there is none. */
export function sklearnPython(): PythonProbe {
  return findPython(["pyarrow", "pandas", "sklearn"]);
}

/** Runs a python snippet with that Python and parses its JSON stdout. */
export function runPythonJson(code: string): unknown {
  return JSON.parse(runPython(sklearnPython(), code));
}
