import { SchemaMismatchError } from "@trellis/shared";
import type { Frame } from "../base/frame";

/**
 * The numeric columns of a frame; a categorical column is refused with its name.
 * @example numericColumns(frame, "StandardScaler") // [Float64Array, ...]
 */
export function numericColumns(frame: Frame, owner: string): Float64Array[] {
  const out: Float64Array[] = [];
  const bad: string[] = [];
  frame.columns.forEach((c, j) => {
    if (c.kind === "number") out.push(c.values);
    else bad.push(frame.names[j]);
  });
  if (bad.length) {
    throw new SchemaMismatchError(
      `${owner} input`,
      { mistyped: bad.map((column) => ({ column, expected: "number", actual: "string" })) },
      `${owner} takes numeric columns only; encode categorical columns first (OneHotEncoder or OrdinalEncoder).`,
    );
  }
  return out;
}
