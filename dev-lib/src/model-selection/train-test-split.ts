/**
 * Splitting data into train and test subsets, as scikit-learn's `train_test_split`.
 */
import { type Table, vectorFromArray, Table as ArrowTable, type Vector } from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { Matrix } from "@trellis/prod";
import { RandomState } from "../random/mt19937";

type TypedArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | BigInt64Array;

/** What {@link trainTestSplit} can split: Arrow tables, matrices, arrays and typed arrays. */
export type Splittable = Table | Matrix | readonly unknown[] | TypedArray;

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions {
  /** A fraction in (0, 1) or a row count; default 0.25 (or the complement of `trainSize`). */
  testSize?: number;
  /** A fraction in (0, 1) or a row count; default: every row not in the test set. */
  trainSize?: number;
  /**
   * Seed of the shuffle (default 0); the same seed gives the same split on every machine and, without
   * `stratify`, the same rows as scikit-learn's `train_test_split(..., random_state=seed)`.
   */
  randomState?: number;
  /** Shuffle before splitting (default true); without it the last rows are the test set. */
  shuffle?: boolean;
  /** Class labels, one per row: each class keeps its share of rows in both subsets. */
  stratify?: readonly unknown[] | TypedArray | Vector;
}

/** The `[train, test]` pair of each input, in the order given. */
export type SplitResult<A extends readonly Splittable[]> = { -readonly [K in keyof A]: [A[K], A[K]] };

function lengthOf(x: Splittable, i: number): number {
  if (x instanceof Matrix) return x.rows;
  if (x instanceof ArrowTable) return x.numRows;
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return (x as { length: number }).length;
  throw new InvalidArgumentError(
    `trainTestSplit: input ${i} is not an Arrow Table, a Matrix, an array or a typed array (got ${typeof x}).`,
  );
}

function resolveCount(name: string, v: number, n: number): number {
  if (!Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(`trainTestSplit: ${name} must be a fraction in (0, 1) or a row count ≥ 1, got ${v}.`);
  }
  if (v < 1) return name === "testSize" ? Math.ceil(v * n) : Math.floor(v * n);
  if (!Number.isInteger(v)) {
    throw new InvalidArgumentError(`trainTestSplit: ${name} ${v} is neither a fraction in (0, 1) nor a whole row count.`);
  }
  if (v > n) throw new InvalidArgumentError(`trainTestSplit: ${name} ${v} is larger than the ${n} rows available.`);
  return v;
}

/**
 * The row indices of a train/test split of `n` rows (see {@link trainTestSplit}).
 * @example
 * const { train, test } = trainTestIndices(100, { testSize: 0.2, randomState: 1 }); // 80 and 20 indices
 */
export function trainTestIndices(n: number, options: TrainTestSplitOptions = {}): { train: Int32Array; test: Int32Array } {
  const { shuffle = true, randomState = 0, stratify } = options;
  const nTest =
    options.testSize !== undefined
      ? resolveCount("testSize", options.testSize, n)
      : options.trainSize !== undefined
        ? n - resolveCount("trainSize", options.trainSize, n)
        : Math.ceil(0.25 * n);
  const nTrain = options.trainSize !== undefined ? resolveCount("trainSize", options.trainSize, n) : n - nTest;
  if (nTrain + nTest > n) {
    throw new InvalidArgumentError(
      `trainTestSplit: trainSize (${nTrain} rows) + testSize (${nTest} rows) exceed the ${n} rows available.`,
    );
  }
  if (nTrain === 0 || nTest === 0) {
    throw new InvalidArgumentError(
      `trainTestSplit: with ${n} rows this split leaves ${nTrain} train and ${nTest} test rows; both need at least one — change testSize or trainSize.`,
    );
  }
  if (!shuffle) {
    if (stratify) throw new InvalidArgumentError("trainTestSplit: stratify needs shuffle: true.");
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    return { train: idx.slice(0, nTrain), test: idx.slice(n - nTest) };
  }
  const perm = new RandomState(randomState).permutation(n);
  if (!stratify) return { train: perm.slice(nTest, nTest + nTrain), test: perm.slice(0, nTest) };

  const labels = Array.from(stratify as Iterable<unknown>);
  if (labels.length !== n) {
    throw new InvalidArgumentError(`trainTestSplit: stratify has ${labels.length} labels for ${n} rows; pass one label per row.`);
  }
  // Group the shuffled rows by class, then give each class its share of the test set
  // (largest remainders), so class proportions hold to within one row per class.
  const byClass = new Map<unknown, number[]>();
  for (const i of perm) {
    const key = labels[i];
    let list = byClass.get(key);
    if (!list) byClass.set(key, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  for (const c of classes) {
    if (byClass.get(c)!.length < 2) {
      throw new InvalidArgumentError(
        `trainTestSplit: class ${JSON.stringify(c)} has only one row; stratify needs at least two rows of every class.`,
      );
    }
  }
  const quotas = classes.map((c) => (byClass.get(c)!.length * nTest) / n);
  const take = quotas.map(Math.floor);
  let left = nTest - take.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, k) => [q - Math.floor(q), k] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, k] of order) {
    if (left === 0) break;
    take[k]++;
    left--;
  }
  const test: number[] = [];
  const train: number[] = [];
  classes.forEach((c, k) => {
    const rows = byClass.get(c)!;
    test.push(...rows.slice(0, take[k]));
    train.push(...rows.slice(take[k]));
  });
  // Keep the shuffled order across classes rather than grouping by class.
  const rank = new Int32Array(n);
  perm.forEach((row, pos) => (rank[row] = pos));
  const byRank = (a: number, b: number) => rank[a] - rank[b];
  return { train: Int32Array.from(train.sort(byRank).slice(0, nTrain)), test: Int32Array.from(test.sort(byRank)) };
}

/** Picks the rows at `indices` from any splittable input, keeping its kind. */
export function takeRows<T extends Splittable>(x: T, indices: Int32Array): T {
  if (x instanceof Matrix) {
    const out = new Float64Array(indices.length * x.cols);
    for (let k = 0; k < indices.length; k++) out.set(x.data.subarray(indices[k] * x.cols, (indices[k] + 1) * x.cols), k * x.cols);
    return new Matrix(out, indices.length, x.cols, x.columns) as T;
  }
  if (x instanceof ArrowTable) {
    const columns: Record<string, Vector> = {};
    for (const field of x.schema.fields) {
      const col = x.getChild(field.name)!;
      const values = new Array(indices.length);
      for (let k = 0; k < indices.length; k++) values[k] = col.get(indices[k]);
      columns[field.name] = vectorFromArray(values, field.type);
    }
    return new ArrowTable(columns) as unknown as T;
  }
  if (ArrayBuffer.isView(x)) {
    const src = x as TypedArray;
    const out = new (src.constructor as new (n: number) => TypedArray)(indices.length);
    for (let k = 0; k < indices.length; k++) out[k] = src[indices[k]];
    return out as T;
  }
  const arr = x as readonly unknown[];
  return Array.from(indices, (i) => arr[i]) as unknown as T;
}

/**
 * Splits each input into a train part and a test part by the same rows, as scikit-learn's
 * `train_test_split` (default: 25% test, shuffled). Inputs may be Arrow tables, Matrices, arrays
 * and typed arrays of equal length; each keeps its kind.
 * @example
 * const [[XTrain, XTest], [yTrain, yTest]] = trainTestSplit([X, y], { testSize: 0.2, randomState: 42, stratify: y });
 */
export function trainTestSplit<const A extends readonly Splittable[]>(arrays: A, options: TrainTestSplitOptions = {}): SplitResult<A> {
  if (!Array.isArray(arrays) || arrays.length === 0) {
    throw new InvalidArgumentError("trainTestSplit: pass a non-empty list of inputs, e.g. trainTestSplit([X, y]).");
  }
  const lengths = arrays.map(lengthOf);
  if (lengths.some((l) => l !== lengths[0])) {
    throw new InvalidArgumentError(`trainTestSplit: inputs have different numbers of rows (${lengths.join(", ")}); they must be equal.`);
  }
  const { train, test } = trainTestIndices(lengths[0], options);
  return arrays.map((x) => [takeRows(x, train), takeRows(x, test)]) as unknown as SplitResult<A>;
}
