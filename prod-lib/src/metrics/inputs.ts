/**
 * Conversion of the inputs that metric functions accept (plain arrays, typed arrays, Apache Arrow
 * vectors, matrices) into the flat arrays the metric loops run on.
 */
import { InvalidArgumentError } from "@trellis/shared";

/** A class label: a number or a string (booleans are read as 0 / 1, like Python). */
export type Label = number | string;

/**
 * The part of an Apache Arrow `Vector` that Trellis reads: `length` and `get(i)`.
 * Any Arrow vector satisfies it, so `table.getChild("target")` can be passed directly.
 */
export interface VectorLike {
  readonly length: number;
  get(index: number): unknown;
}

/** Labels: an array, a typed array or an Arrow vector of numbers, strings or booleans. */
export type LabelsLike = ArrayLike<Label | boolean | bigint | null | undefined> | VectorLike;

/** Numbers: an array, a typed array or an Arrow vector. */
export type NumbersLike = ArrayLike<number | bigint | null | undefined> | VectorLike;

/** A row-major dense matrix as produced by `predictProba` (`Matrix` satisfies it). */
export interface MatrixLike {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/** Probabilities: one value per sample (positive class) or one row per sample and one column per class. */
export type ProbabilitiesLike = NumbersLike | MatrixLike | ReadonlyArray<ArrayLike<number>>;

function isVectorLike(x: unknown): x is VectorLike {
  return (
    typeof x === "object" &&
    x !== null &&
    !Array.isArray(x) &&
    !ArrayBuffer.isView(x) &&
    typeof (x as { get?: unknown }).get === "function" &&
    typeof (x as { length?: unknown }).length === "number"
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  return typeof value;
}

function elementAt(input: ArrayLike<unknown> | VectorLike, i: number): unknown {
  return isVectorLike(input) ? input.get(i) : (input as ArrayLike<unknown>)[i];
}

function checkIsSequence(fn: string, name: string, input: unknown): asserts input is ArrayLike<unknown> | VectorLike {
  if (
    input === null ||
    input === undefined ||
    typeof input === "string" ||
    (typeof input !== "object" && typeof input !== "function") ||
    typeof (input as { length?: unknown }).length !== "number"
  ) {
    throw new InvalidArgumentError(
      `${fn}: ${name} must be an array, a typed array or an Arrow vector; got ${describe(input)}.`,
    );
  }
}

/**
 * Reads labels into a plain array, refusing missing values and mixed label kinds.
 * @internal
 */
export function readLabels(fn: string, name: string, input: LabelsLike): Label[] {
  checkIsSequence(fn, name, input);
  const n = input.length;
  const out: Label[] = new Array(n);
  let kind: "number" | "string" | undefined;
  for (let i = 0; i < n; i++) {
    let v = elementAt(input, i);
    if (typeof v === "boolean") v = v ? 1 : 0;
    else if (typeof v === "bigint") v = Number(v);
    if (typeof v === "number") {
      if (Number.isNaN(v)) {
        throw new InvalidArgumentError(
          `${fn}: ${name} contains a missing value (NaN) at index ${i}; drop or fill missing labels before scoring.`,
        );
      }
    } else if (typeof v !== "string") {
      if (v === null || v === undefined) {
        throw new InvalidArgumentError(
          `${fn}: ${name} contains a missing value (${describe(v)}) at index ${i}; drop or fill missing labels before scoring.`,
        );
      }
      throw new InvalidArgumentError(
        `${fn}: ${name}[${i}] is ${describe(v)}; labels must be numbers, strings or booleans.`,
      );
    }
    const k = typeof v as "number" | "string";
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      throw new InvalidArgumentError(
        `${fn}: ${name} mixes number and string labels (index ${i} is ${describe(v)}); use one kind of label.`,
      );
    }
    out[i] = v as Label;
  }
  return out;
}

/**
 * Reads numbers into a Float64Array, refusing missing and non-finite values.
 * @internal
 */
export function readNumbers(fn: string, name: string, input: NumbersLike, allowInfinite = false): Float64Array {
  checkIsSequence(fn, name, input);
  if (input instanceof Float64Array) {
    for (let i = 0; i < input.length; i++) checkNumber(fn, name, input[i], i, allowInfinite);
    return input;
  }
  const n = input.length;
  const out = new Float64Array(n);
  const vector = isVectorLike(input);
  for (let i = 0; i < n; i++) {
    let v = vector ? (input as VectorLike).get(i) : (input as ArrayLike<unknown>)[i];
    if (typeof v === "bigint") v = Number(v);
    else if (typeof v === "boolean") v = v ? 1 : 0;
    if (typeof v !== "number") {
      if (v === null || v === undefined) {
        throw new InvalidArgumentError(
          `${fn}: ${name} contains a missing value (${describe(v)}) at index ${i}; drop or fill missing values before scoring.`,
        );
      }
      throw new InvalidArgumentError(`${fn}: ${name}[${i}] is ${describe(v)}; expected a number.`);
    }
    checkNumber(fn, name, v, i, allowInfinite);
    out[i] = v;
  }
  return out;
}

function checkNumber(fn: string, name: string, v: number, i: number, allowInfinite: boolean): void {
  if (Number.isNaN(v)) {
    throw new InvalidArgumentError(
      `${fn}: ${name} contains a missing value (NaN) at index ${i}; drop or fill missing values before scoring.`,
    );
  }
  if (!allowInfinite && !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${fn}: ${name}[${i}] is ${v}; expected a finite number.`);
  }
}

/**
 * Reads probabilities as a row-major n × k array (k = 1 for a one-dimensional input).
 * @internal
 */
export function readProbabilities(
  fn: string,
  name: string,
  input: ProbabilitiesLike,
): { data: Float64Array; rows: number; cols: number } {
  if (
    typeof input === "object" &&
    input !== null &&
    !Array.isArray(input) &&
    "rows" in input &&
    "cols" in input &&
    "data" in input
  ) {
    const m = input as MatrixLike;
    const data = readNumbers(fn, name, m.data as ArrayLike<number>);
    if (data.length !== m.rows * m.cols) {
      throw new InvalidArgumentError(
        `${fn}: ${name} declares ${m.rows} × ${m.cols} values but holds ${data.length}; pass a consistent matrix.`,
      );
    }
    return { data, rows: m.rows, cols: m.cols };
  }
  if (Array.isArray(input) && input.length > 0 && typeof input[0] === "object" && input[0] !== null) {
    const rowsIn = input as ReadonlyArray<ArrayLike<number>>;
    const rows = rowsIn.length;
    const cols = rowsIn[0].length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = rowsIn[i];
      if (r === null || typeof r !== "object" || r.length !== cols) {
        throw new InvalidArgumentError(
          `${fn}: ${name} row ${i} has ${r && typeof r === "object" ? r.length : describe(r)} values but row 0 has ${cols}; every row needs one probability per class.`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const v = r[j];
        if (typeof v !== "number" || Number.isNaN(v)) {
          throw new InvalidArgumentError(`${fn}: ${name}[${i}][${j}] is ${describe(v)}; expected a probability.`);
        }
        data[i * cols + j] = v;
      }
    }
    return { data, rows, cols };
  }
  const data = readNumbers(fn, name, input as NumbersLike);
  return { data, rows: data.length, cols: 1 };
}

/** Throws when two per-sample inputs differ in length. @internal */
export function checkSameLength(fn: string, names: [string, string], a: number, b: number): void {
  if (a !== b) {
    throw new InvalidArgumentError(
      `${fn}: ${names[0]} and ${names[1]} have different lengths (${a} vs ${b}); pass one value per sample in both.`,
    );
  }
}

/** Throws when there are no samples. @internal */
export function checkNotEmpty(fn: string, n: number): void {
  if (n === 0) {
    throw new InvalidArgumentError(`${fn}: got 0 samples; the metric is undefined on empty input.`);
  }
}

/**
 * Reads optional sample weights (non-negative finite numbers, one per sample).
 * @internal
 */
export function readSampleWeight(fn: string, input: NumbersLike | undefined, n: number): Float64Array | undefined {
  if (input === undefined || input === null) return undefined;
  const w = readNumbers(fn, "sampleWeight", input);
  checkSameLength(fn, ["sampleWeight", "the labels"], w.length, n);
  for (let i = 0; i < w.length; i++) {
    if (w[i] < 0) {
      throw new InvalidArgumentError(`${fn}: sampleWeight[${i}] is ${w[i]}; sample weights must be >= 0.`);
    }
  }
  return w;
}

/** Orders labels as numpy does: numbers ascending, strings by code point. @internal */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Sorted distinct labels of one or more label arrays (which must be of one kind). @internal */
export function uniqueSorted(fn: string, ...arrays: Label[][]): Label[] {
  const seen = new Set<Label>();
  let kind: string | undefined;
  for (const arr of arrays) {
    for (let i = 0; i < arr.length; i++) seen.add(arr[i]);
    if (arr.length) {
      const k = typeof arr[0];
      if (kind === undefined) kind = k;
      else if (kind !== k) {
        throw new InvalidArgumentError(
          `${fn}: mix of number and string labels between the inputs (e.g. ${describe(arrays[0][0])} and ${describe(arr[0])}); use one kind of label.`,
        );
      }
    }
  }
  return [...seen].sort(compareLabels);
}

/** Formats a label list for messages. @internal */
export function formatLabels(labels: readonly Label[]): string {
  const shown = labels.slice(0, 10).map((l) => (typeof l === "string" ? JSON.stringify(l) : String(l)));
  return `[${shown.join(", ")}${labels.length > 10 ? ", …" : ""}]`;
}

/** Formats any value for messages. @internal */
export function describeValue(value: unknown): string {
  return describe(value);
}
