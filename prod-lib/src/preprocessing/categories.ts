import { InvalidArgumentError, ValidationError } from "@trellis/shared";
import type { FrameColumn } from "../base/frame";

/** A category value: a string (categorical columns) or a number (numeric columns). */
export type Category = string | number;

/**
 * The sorted distinct non-missing values of a column (numbers ascending, strings by code point,
 * like numpy's `unique`) and whether a missing value occurred.
 * @example uniqueCategories({ kind: "category", codes: Int32Array.of(1, 0, -1), levels: ["b", "a"] }) // { values: ["a", "b"], hasMissing: true }
 */
export function uniqueCategories(col: FrameColumn): { values: Category[]; hasMissing: boolean } {
  if (col.kind === "category") {
    const used = new Uint8Array(col.levels.length);
    let hasMissing = false;
    const codes = col.codes;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c < 0) hasMissing = true;
      else used[c] = 1;
    }
    const values = col.levels.filter((_, k) => used[k] === 1);
    values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { values, hasMissing };
  }
  const seen = new Set<number>();
  let hasMissing = false;
  const v = col.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) hasMissing = true;
    else seen.add(x === 0 ? 0 : x);
  }
  return { values: [...seen].sort((a, b) => a - b), hasMissing };
}

/**
 * Maps each value of a column to the index of its category in `cats`; missing values get
 * `missingIndex`, unknown values -1. Categorical columns are translated once per level.
 * @example categoryIndices(col, lookupOf(["a", "b"]), -2)
 */
export function categoryIndices(col: FrameColumn, lookup: Map<Category, number>, missingIndex: number): Int32Array {
  if (col.kind === "category") {
    const translate = new Int32Array(col.levels.length);
    for (let k = 0; k < col.levels.length; k++) translate[k] = lookup.get(col.levels[k]) ?? -1;
    const codes = col.codes;
    const out = new Int32Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      out[i] = c < 0 ? missingIndex : translate[c];
    }
    return out;
  }
  const v = col.values;
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    out[i] = x !== x ? missingIndex : (lookup.get(x === 0 ? 0 : x) ?? -1);
  }
  return out;
}

/**
 * Checks user-given `categories` against the fit columns: one array per column, values of the
 * column's type, unique.
 * @example checkGivenCategories("OneHotEncoder", [["a", "b"]], ["plan"], ["category"]) // [["a", "b"]]
 */
export function checkGivenCategories(
  owner: string,
  given: readonly (readonly Category[])[],
  names: readonly string[],
  kinds: readonly ("number" | "category")[],
): Category[][] {
  if (given.length !== names.length) {
    throw new InvalidArgumentError(
      `${owner}: categories has ${given.length} list(s) but X has ${names.length} column(s) (${names.join(", ")}); pass one list per column or "auto".`,
    );
  }
  return given.map((list, j) => {
    const want = kinds[j] === "number" ? "number" : "string";
    for (const v of list) {
      if (typeof v !== want) {
        throw new ValidationError(`${owner} categories`, [
          { path: ["categories", j], message: `column ${JSON.stringify(names[j])} holds ${want}s but its categories include ${JSON.stringify(v)}`, value: v },
        ]);
      }
    }
    if (new Set(list).size !== list.length) {
      throw new ValidationError(`${owner} categories`, [{ path: ["categories", j], message: `categories of column ${JSON.stringify(names[j])} are not unique` }]);
    }
    return [...list];
  });
}

/**
 * Builds the value → index lookup of a category list.
 * @example lookupOf(["a", "b"]).get("b") // 1
 */
export function lookupOf(cats: readonly Category[]): Map<Category, number> {
  return new Map(cats.map((c, k) => [c, k]));
}

/**
 * Throws the "unknown category" error of an encoder (a ValidationError naming column and value).
 * @example unknownCategoryError("OneHotEncoder", "plan", "gold", 3, 'Set handleUnknown: "ignore".')
 */
export function unknownCategoryError(owner: string, column: string, value: unknown, row: number, fix: string): never {
  throw new ValidationError(
    `${owner} input`,
    [{ path: [row, column], message: `unknown category ${JSON.stringify(value)} in column ${JSON.stringify(column)} (not seen at fit)`, value }],
    fix,
  );
}

/**
 * The value of row `i` of a column, for error messages.
 * @example valueAt({ kind: "category", codes: Int32Array.of(0), levels: ["x"] }, 0) // "x"
 */
export function valueAt(col: FrameColumn, i: number): unknown {
  if (col.kind === "category") return col.codes[i] < 0 ? null : col.levels[col.codes[i]];
  return col.values[i];
}
