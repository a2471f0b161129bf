import type { Vector, DataType } from "apache-arrow";
import { isArrowVector } from "./matrix";
import { InvalidArgumentError, ValidationError } from "@trellis/shared";

/** A class label: a number or a string. */
export type Label = number | string;

/** Any typed array that can hold targets. */
export type NumericTypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** Targets: an array of labels or numbers, a typed array, or an Arrow vector. */
export type YInput = readonly (Label | null | undefined)[] | NumericTypedArray | Vector<DataType>;

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
}

/**
 * Reads targets into a plain array of labels, refusing missing values and a wrong length.
 * @example toLabels(["a", "b"], "LogisticRegression", 2) // ["a", "b"]
 */
export function toLabels(y: YInput, owner: string, expectedLength?: number): Label[] {
  let out: Label[];
  if (isArrowVector(y)) {
    out = new Array<Label>(y.length);
    for (let i = 0; i < y.length; i++) {
      const v = y.get(i) as unknown;
      out[i] = (typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? (v ? 1 : 0) : v) as Label;
    }
  } else if (ArrayBuffer.isView(y)) {
    out = Array.from(y as ArrayLike<number>);
  } else if (Array.isArray(y)) {
    out = y as Label[];
  } else {
    throw new InvalidArgumentError(`${owner}: y is ${typeof y}; pass an array, a typed array or an Arrow vector of targets.`);
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new InvalidArgumentError(
      `${owner}: y has ${out.length} value(s) but X has ${expectedLength} row(s); pass one target per row.`,
    );
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (isMissing(v)) {
      throw new ValidationError(`${owner} targets`, [{ path: [i], message: `missing target (${String(v)})`, value: v }], "Drop rows without a target before fit.");
    }
    if (typeof v !== "number" && typeof v !== "string") {
      throw new ValidationError(`${owner} targets`, [{ path: [i], message: `target must be a number or a string, got ${typeof v}` }]);
    }
  }
  return out;
}

/**
 * Sorts class labels the way numpy's `unique` does: numbers ascending, strings by code point.
 * Mixing numbers and strings is refused.
 * @example sortLabels(["b", "a"]) // ["a", "b"]
 */
export function sortLabels(labels: readonly Label[], owner = "classes"): Label[] {
  const out = [...labels];
  const nNum = out.filter((v) => typeof v === "number").length;
  if (nNum !== 0 && nNum !== out.length) {
    throw new InvalidArgumentError(`${owner}: labels mix numbers and strings (${out.slice(0, 4).map((v) => JSON.stringify(v)).join(", ")}); use one type.`);
  }
  if (nNum) (out as number[]).sort((a, b) => a - b);
  else out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/**
 * Encodes class labels as indices into the sorted `classes` (scikit-learn's `classes_` order).
 * @example encodeLabels(["b", "a", "b"], "LogisticRegression") // { classes: ["a", "b"], codes: Int32Array [1, 0, 1] }
 */
export function encodeLabels(y: YInput, owner: string, expectedLength?: number): { classes: Label[]; codes: Int32Array } {
  const labels = toLabels(y, owner, expectedLength);
  const unique = new Map<Label, number>();
  for (const v of labels) if (!unique.has(v)) unique.set(v, 0);
  const classes = sortLabels([...unique.keys()], owner);
  classes.forEach((c, k) => unique.set(c, k));
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) codes[i] = unique.get(labels[i]) as number;
  return { classes, codes };
}

/**
 * Reads regression targets as a Float64Array (strings and missing values are refused).
 * @example toNumericTarget([1.5, 2], "LinearRegression") // Float64Array [1.5, 2]
 */
export function toNumericTarget(y: YInput, owner: string, expectedLength?: number): Float64Array {
  const labels = toLabels(y, owner, expectedLength);
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (typeof v !== "number") {
      throw new ValidationError(`${owner} targets`, [{ path: [i], message: `expected a number, got string ${JSON.stringify(v)}`, value: v }], "Regression targets must be numeric.");
    }
    out[i] = v;
  }
  return out;
}
