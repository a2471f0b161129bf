/**
 * Cross-validation splitters on scikit-learn's semantics: each yields `[trainIdx, testIdx]` pairs
 * of Int32Array row indices. Unshuffled folds equal scikit-learn's; shuffled `KFold`,
 * `StratifiedKFold`, `GroupKFold`, `StratifiedGroupKFold` and `ShuffleSplit` with an integer
 * `randomState` equal scikit-learn's too, through {@link RandomState} (numpy's legacy generator).
 */
import { InvalidArgumentError } from "@trellis/shared";
import { Frame, Matrix, SparseMatrix, isArrowTable, isArrowVector } from "@trellis/prod";
import type { Table, Vector } from "apache-arrow";
import { RandomState } from "../random/mt19937";
import { npSum } from "./numpy-sum";

/** Anything with rows: a Matrix, a Frame, an Arrow table, an array, a typed array, or a row count. */
export type SplitInput = Matrix | SparseMatrix | Frame | Table | readonly unknown[] | ArrayLike<unknown> | number;

/** Labels or group ids, one per row: an array, a typed array or an Arrow vector. */
export type LabelInput = readonly unknown[] | ArrayLike<unknown> | Vector;

/** One split: train and test row indices. */
export type SplitIndices = [train: Int32Array, test: Int32Array];

/**
 * The contract of every splitter: `split` yields `[train, test]` index pairs, `getNSplits` their
 * number. Pass any object with these two methods as `cv` to {@link crossValidate} and the searches.
 */
export interface Splitter {
  split(X: SplitInput, y?: LabelInput, groups?: LabelInput): Iterable<SplitIndices>;
  getNSplits(X?: SplitInput, y?: LabelInput, groups?: LabelInput): number;
}

/**
 * Number of rows of any split input.
 * @example numSamples(Matrix.fromArray([[1], [2]])) // 2
 */
export function numSamples(X: SplitInput, owner = "split"): number {
  if (typeof X === "number") {
    if (!Number.isInteger(X) || X < 0) throw new InvalidArgumentError(`${owner}: a row count must be a non-negative integer, got ${X}.`);
    return X;
  }
  if (X instanceof Matrix || X instanceof SparseMatrix || X instanceof Frame) return X.rows;
  if (isArrowTable(X)) return (X as Table).numRows;
  if (X !== null && typeof X === "object" && typeof (X as ArrayLike<unknown>).length === "number") return (X as ArrayLike<unknown>).length;
  throw new InvalidArgumentError(`${owner}: X is ${X === null ? "null" : typeof X}; pass a Matrix, an Arrow table, an array of rows or a row count.`);
}

/** Reads labels or groups into a plain array, checking the length. */
export function readLabels(values: LabelInput | undefined, name: string, n: number, owner: string): unknown[] {
  if (values === undefined || values === null) {
    throw new InvalidArgumentError(`${owner}: ${name} is required; pass one ${name === "groups" ? "group id" : "label"} per row.`);
  }
  let out: unknown[];
  if (isArrowVector(values)) {
    const v = values as Vector;
    out = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v.get(i) as unknown;
      out[i] = typeof x === "bigint" ? Number(x) : x;
    }
  } else out = Array.from(values as ArrayLike<unknown>);
  if (out.length !== n) {
    throw new InvalidArgumentError(`${owner}: ${name} has ${out.length} values but X has ${n} rows; pass one per row.`);
  }
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    if (x === null || x === undefined || (typeof x === "number" && Number.isNaN(x))) {
      throw new InvalidArgumentError(`${owner}: ${name}[${i}] is missing (${String(x)}); every row needs a value.`);
    }
  }
  return out;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * numpy's `unique(values, return_inverse=True)`: the sorted distinct values and each row's
 * position among them (numbers numerically, strings by code unit).
 */
function uniqueInverse(values: readonly unknown[], owner: string, name: string): { uniques: unknown[]; inverse: Int32Array; counts: Int32Array } {
  const seen = new Map<unknown, number>();
  const kinds = new Set<string>();
  for (const v of values) {
    if (!seen.has(v)) {
      seen.set(v, 0);
      kinds.add(typeof v);
    }
  }
  if (kinds.size > 1) {
    throw new InvalidArgumentError(`${owner}: ${name} mix ${[...kinds].join(" and ")} values; use one type.`);
  }
  const uniques = [...seen.keys()].sort(compareValues);
  uniques.forEach((u, k) => seen.set(u, k));
  const inverse = new Int32Array(values.length);
  const counts = new Int32Array(uniques.length);
  for (let i = 0; i < values.length; i++) {
    const k = seen.get(values[i]) as number;
    inverse[i] = k;
    counts[k]++;
  }
  return { uniques, inverse, counts };
}

function checkNSplits(owner: string, nSplits: unknown, min = 2): number {
  if (typeof nSplits !== "number" || !Number.isInteger(nSplits) || nSplits < min) {
    throw new InvalidArgumentError(`${owner}: nSplits must be an integer of at least ${min}, got ${String(nSplits)}.`);
  }
  return nSplits;
}

function checkSeed(owner: string, shuffle: boolean, randomState: number | undefined): void {
  if (randomState !== undefined && !shuffle) {
    throw new InvalidArgumentError(
      `${owner}: randomState only has an effect with shuffle: true; set shuffle: true or leave randomState out.`,
    );
  }
}

function rngFor(randomState: number | undefined): RandomState {
  return new RandomState(randomState ?? 0);
}

/** Train/test pairs from a fold number per row (test rows ascending, train rows ascending). */
function* foldsFromAssignment(fold: Int32Array | Float64Array, nSplits: number): Generator<SplitIndices> {
  const n = fold.length;
  const sizes = new Int32Array(nSplits);
  for (let i = 0; i < n; i++) if (fold[i] >= 0) sizes[fold[i]]++;
  for (let f = 0; f < nSplits; f++) {
    const test = new Int32Array(sizes[f]);
    const train = new Int32Array(n - sizes[f]);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (fold[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    yield [train, test];
  }
}

/** Options of {@link KFold}. */
export interface KFoldOptions {
  /** Number of folds, at least 2 (default 5). */
  nSplits?: number;
  /** Shuffle the rows before cutting folds (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle; equals scikit-learn's `random_state` (default 0 when shuffling). */
  randomState?: number;
}

/**
 * K consecutive folds (scikit-learn's `KFold`): the first `n % k` folds get one extra row. With
 * `shuffle` and `randomState`, the same folds as scikit-learn for the same seed.
 * @example
 * for (const [train, test] of new KFold({ nSplits: 5 }).split(X)) { ... }
 */
export class KFold implements Splitter {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly randomState: number | undefined;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkNSplits("KFold", options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.randomState = options.randomState;
    checkSeed("KFold", this.shuffle, this.randomState);
  }

  /**
   * Yields `[train, test]` for each fold.
   * @example [...new KFold({ nSplits: 2 }).split(4)] // [[[2, 3], [0, 1]], [[0, 1], [2, 3]]]
   */
  *split(X: SplitInput): Generator<SplitIndices> {
    const n = numSamples(X, "KFold");
    if (this.nSplits > n) {
      throw new InvalidArgumentError(`KFold: cannot have nSplits=${this.nSplits} greater than the number of samples: n_samples=${n}.`);
    }
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) rngFor(this.randomState).shuffle(order);
    const fold = new Int32Array(n);
    const base = Math.floor(n / this.nSplits);
    let pos = 0;
    for (let f = 0; f < this.nSplits; f++) {
      const size = base + (f < n % this.nSplits ? 1 : 0);
      for (let k = 0; k < size; k++) fold[order[pos++]] = f;
    }
    yield* foldsFromAssignment(fold, this.nSplits);
  }

  /**
   * The number of folds.
   * @example new KFold({ nSplits: 3 }).getNSplits() // 3
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

/**
 * Folds that keep each class's share of rows (scikit-learn's `StratifiedKFold`, same folds with
 * and without shuffling; classes are taken in order of first appearance as scikit-learn does).
 * @example
 * const cv = new StratifiedKFold({ nSplits: 5, shuffle: true, randomState: 42 });
 * for (const [train, test] of cv.split(X, y)) { ... }
 */
export class StratifiedKFold implements Splitter {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly randomState: number | undefined;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkNSplits("StratifiedKFold", options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.randomState = options.randomState;
    checkSeed("StratifiedKFold", this.shuffle, this.randomState);
  }

  /**
   * The fold number of every row.
   * @example new StratifiedKFold({ nSplits: 2 }).testFolds(4, [0, 0, 1, 1]) // Int32Array [0, 1, 0, 1]
   */
  testFolds(X: SplitInput, y: LabelInput): Int32Array {
    const owner = "StratifiedKFold";
    const n = numSamples(X, owner);
    const labels = readLabels(y, "y", n, owner);
    if (this.nSplits > n) {
      throw new InvalidArgumentError(`${owner}: cannot have nSplits=${this.nSplits} greater than the number of samples: n_samples=${n}.`);
    }
    // Encode classes by order of first appearance, as scikit-learn.
    const codeOf = new Map<unknown, number>();
    const encoded = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let c = codeOf.get(labels[i]);
      if (c === undefined) codeOf.set(labels[i], (c = codeOf.size));
      encoded[i] = c;
    }
    uniqueInverse(labels, owner, "labels"); // refuses mixed types
    const nClasses = codeOf.size;
    const counts = new Int32Array(nClasses);
    for (let i = 0; i < n; i++) counts[encoded[i]]++;
    if (counts.every((c) => this.nSplits > c)) {
      throw new InvalidArgumentError(`${owner}: nSplits=${this.nSplits} cannot be greater than the number of members in each class (largest class: ${Math.max(...counts)} rows).`);
    }
    // Round robin over the sorted codes: allocation[f][k] rows of class k go to fold f.
    const allocation = Array.from({ length: this.nSplits }, () => new Int32Array(nClasses));
    let pos = 0;
    for (let k = 0; k < nClasses; k++) {
      for (let c = 0; c < counts[k]; c++, pos++) allocation[pos % this.nSplits][k]++;
    }
    const rng = this.shuffle ? rngFor(this.randomState) : null;
    const folds = new Int32Array(n);
    const rowsOf: number[][] = Array.from({ length: nClasses }, () => []);
    for (let i = 0; i < n; i++) rowsOf[encoded[i]].push(i);
    for (let k = 0; k < nClasses; k++) {
      const forClass = new Int32Array(counts[k]);
      let p = 0;
      for (let f = 0; f < this.nSplits; f++) for (let c = 0; c < allocation[f][k]; c++) forClass[p++] = f;
      if (rng) rng.shuffle(forClass);
      const rows = rowsOf[k];
      for (let r = 0; r < rows.length; r++) folds[rows[r]] = forClass[r];
    }
    return folds;
  }

  /**
   * Yields `[train, test]` for each fold; `y` is required.
   * @example [...new StratifiedKFold({ nSplits: 2 }).split(4, ["a", "a", "b", "b"])].length // 2
   */
  *split(X: SplitInput, y?: LabelInput): Generator<SplitIndices> {
    if (y === undefined) throw new InvalidArgumentError("StratifiedKFold: y is required; pass the class labels, one per row.");
    yield* foldsFromAssignment(this.testFolds(X, y), this.nSplits);
  }

  /**
   * The number of folds.
   * @example new StratifiedKFold().getNSplits() // 5
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

/**
 * Folds by group (scikit-learn's `GroupKFold`): no group is on both sides of a split. Without
 * shuffling, the largest groups go first, each to the fold with the fewest rows; with shuffling,
 * the groups are permuted and cut into near-equal counts of groups (scikit-learn ≥ 1.6).
 * @example
 * for (const [train, test] of new GroupKFold({ nSplits: 3 }).split(X, y, customerIds)) { ... }
 */
export class GroupKFold implements Splitter {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly randomState: number | undefined;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkNSplits("GroupKFold", options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.randomState = options.randomState;
    checkSeed("GroupKFold", this.shuffle, this.randomState);
  }

  /**
   * Yields `[train, test]` for each fold; `groups` is required.
   * @example [...new GroupKFold({ nSplits: 2 }).split(4, undefined, ["a", "a", "b", "c"])].length // 2
   */
  *split(X: SplitInput, _y?: LabelInput, groups?: LabelInput): Generator<SplitIndices> {
    const owner = "GroupKFold";
    const n = numSamples(X, owner);
    const g = readLabels(groups, "groups", n, owner);
    const { uniques, inverse, counts } = uniqueInverse(g, owner, "groups");
    const nGroups = uniques.length;
    if (this.nSplits > nGroups) {
      throw new InvalidArgumentError(`${owner}: cannot have nSplits=${this.nSplits} greater than the number of groups: ${nGroups}.`);
    }
    const groupFold = new Int32Array(nGroups);
    if (this.shuffle) {
      const perm = rngFor(this.randomState).permutation(nGroups);
      // np.array_split: the first nGroups % k pieces are one longer.
      const base = Math.floor(nGroups / this.nSplits);
      let pos = 0;
      for (let f = 0; f < this.nSplits; f++) {
        const size = base + (f < nGroups % this.nSplits ? 1 : 0);
        for (let k = 0; k < size; k++) groupFold[perm[pos++]] = f;
      }
    } else {
      // Stable ascending argsort of the counts, reversed: ties put the later group first.
      const order = Array.from({ length: nGroups }, (_, k) => k).sort((a, b) => counts[a] - counts[b] || a - b).reverse();
      const load = new Float64Array(this.nSplits);
      for (const k of order) {
        let lightest = 0;
        for (let f = 1; f < this.nSplits; f++) if (load[f] < load[lightest]) lightest = f;
        load[lightest] += counts[k];
        groupFold[k] = lightest;
      }
    }
    const fold = new Int32Array(n);
    for (let i = 0; i < n; i++) fold[i] = groupFold[inverse[i]];
    yield* foldsFromAssignment(fold, this.nSplits);
  }

  /**
   * The number of folds.
   * @example new GroupKFold({ nSplits: 4 }).getNSplits() // 4
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

function npStd(a: ArrayLike<number>): number {
  const n = a.length;
  const mean = npSum(a) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) sq[i] = (a[i] - mean) * (a[i] - mean);
  return Math.sqrt(npSum(sq) / n);
}

/**
 * Group folds that also keep class shares as even as possible (scikit-learn's
 * `StratifiedGroupKFold`, the same greedy assignment and the same folds for the same seed).
 * @example
 * for (const [train, test] of new StratifiedGroupKFold({ nSplits: 3 }).split(X, y, patientIds)) { ... }
 */
export class StratifiedGroupKFold implements Splitter {
  readonly nSplits: number;
  readonly shuffle: boolean;
  readonly randomState: number | undefined;

  constructor(options: KFoldOptions = {}) {
    this.nSplits = checkNSplits("StratifiedGroupKFold", options.nSplits ?? 5);
    this.shuffle = options.shuffle ?? false;
    this.randomState = options.randomState;
    checkSeed("StratifiedGroupKFold", this.shuffle, this.randomState);
  }

  /**
   * Yields `[train, test]` for each fold; `y` and `groups` are required.
   * @example [...new StratifiedGroupKFold({ nSplits: 2 }).split(4, [0, 1, 0, 1], ["a", "a", "b", "b"])].length // 2
   */
  *split(X: SplitInput, y?: LabelInput, groups?: LabelInput): Generator<SplitIndices> {
    const owner = "StratifiedGroupKFold";
    const n = numSamples(X, owner);
    const labels = readLabels(y, "y", n, owner);
    const g = readLabels(groups, "groups", n, owner);
    const yu = uniqueInverse(labels, owner, "labels");
    const k = this.nSplits;
    if (Array.from(yu.counts).every((c) => k > c)) {
      throw new InvalidArgumentError(`${owner}: nSplits=${k} cannot be greater than the number of members in each class.`);
    }
    const nClasses = yu.uniques.length;
    const gu = uniqueInverse(g, owner, "groups");
    const nGroups = gu.uniques.length;
    if (k > nGroups) throw new InvalidArgumentError(`${owner}: cannot have nSplits=${k} greater than the number of groups: ${nGroups}.`);
    let perGroup = Array.from({ length: nGroups }, () => new Float64Array(nClasses));
    for (let i = 0; i < n; i++) perGroup[gu.inverse[i]][yu.inverse[i]]++;
    let groupsInv = gu.inverse;
    if (this.shuffle) {
      const perm = new Int32Array(nGroups);
      for (let i = 0; i < nGroups; i++) perm[i] = i;
      rngFor(this.randomState).shuffle(perm);
      perGroup = Array.from(perm, (p) => perGroup[p]);
      const inv = new Int32Array(nGroups);
      for (let i = 0; i < nGroups; i++) inv[perm[i]] = i;
      groupsInv = Int32Array.from(gu.inverse, (x) => inv[x]);
    }
    const stds = perGroup.map((row) => -npStd(row));
    const order = Array.from({ length: nGroups }, (_, i) => i).sort((a, b) => stds[a] - stds[b] || a - b);
    const perFold = Array.from({ length: k }, () => new Float64Array(nClasses));
    const foldOfGroup = new Int32Array(nGroups);
    const yCnt = yu.counts;
    const col = new Float64Array(k);
    const stdPerClass = new Float64Array(nClasses);
    for (const gi of order) {
      const counts = perGroup[gi];
      let best = -1;
      let minEval = Infinity;
      let minSamples = Infinity;
      for (let f = 0; f < k; f++) {
        for (let c = 0; c < nClasses; c++) perFold[f][c] += counts[c];
        for (let c = 0; c < nClasses; c++) {
          // Reductions along axis 0 add row after row.
          let s = -0;
          for (let r = 0; r < k; r++) s += (col[r] = perFold[r][c] / yCnt[c]);
          const mean = s / k;
          let v = -0;
          for (let r = 0; r < k; r++) v += (col[r] - mean) * (col[r] - mean);
          stdPerClass[c] = Math.sqrt(v / k);
        }
        for (let c = 0; c < nClasses; c++) perFold[f][c] -= counts[c];
        const evalF = npSum(stdPerClass) / nClasses;
        let samples = -0;
        for (let c = 0; c < nClasses; c++) samples += perFold[f][c];
        const close = Math.abs(evalF - minEval) <= 1e-8 + 1e-5 * Math.abs(minEval);
        if (evalF < minEval || (close && samples < minSamples)) {
          minEval = evalF;
          minSamples = samples;
          best = f;
        }
      }
      for (let c = 0; c < nClasses; c++) perFold[best][c] += counts[c];
      foldOfGroup[gi] = best;
    }
    const fold = new Int32Array(n);
    for (let i = 0; i < n; i++) fold[i] = foldOfGroup[groupsInv[i]];
    yield* foldsFromAssignment(fold, k);
  }

  /**
   * The number of folds.
   * @example new StratifiedGroupKFold({ nSplits: 3 }).getNSplits() // 3
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

/** Options of {@link TimeSeriesSplit}. */
export interface TimeSeriesSplitOptions {
  /** Number of splits (default 5). */
  nSplits?: number;
  /** Keep at most this many of the latest rows in each training set. */
  maxTrainSize?: number;
  /** Rows in each test set (default `floor(n / (nSplits + 1))`). */
  testSize?: number;
  /** Rows left out between the end of training and the start of the test set (default 0). */
  gap?: number;
}

/**
 * Expanding-window splits of time-ordered rows (scikit-learn's `TimeSeriesSplit`): each test set
 * follows its training set, optionally after a `gap`.
 * @example
 * for (const [train, test] of new TimeSeriesSplit({ nSplits: 3, gap: 2 }).split(X)) { ... }
 */
export class TimeSeriesSplit implements Splitter {
  readonly nSplits: number;
  readonly maxTrainSize: number | undefined;
  readonly testSize: number | undefined;
  readonly gap: number;

  constructor(options: TimeSeriesSplitOptions = {}) {
    this.nSplits = checkNSplits("TimeSeriesSplit", options.nSplits ?? 5);
    for (const key of ["maxTrainSize", "testSize", "gap"] as const) {
      const v = options[key];
      if (v !== undefined && (!Number.isInteger(v) || v < (key === "gap" ? 0 : 1))) {
        throw new InvalidArgumentError(`TimeSeriesSplit: ${key} must be an integer ${key === "gap" ? "≥ 0" : "≥ 1"}, got ${String(v)}.`);
      }
    }
    this.maxTrainSize = options.maxTrainSize;
    this.testSize = options.testSize;
    this.gap = options.gap ?? 0;
  }

  /**
   * Yields `[train, test]` for each split.
   * @example [...new TimeSeriesSplit({ nSplits: 2 }).split(6)][0] // [[0, 1], [2, 3]]
   */
  *split(X: SplitInput): Generator<SplitIndices> {
    const n = numSamples(X, "TimeSeriesSplit");
    const nFolds = this.nSplits + 1;
    const testSize = this.testSize ?? Math.floor(n / nFolds);
    if (nFolds > n) throw new InvalidArgumentError(`TimeSeriesSplit: cannot have number of folds=${nFolds} greater than the number of samples=${n}.`);
    if (n - this.gap - testSize * this.nSplits <= 0) {
      throw new InvalidArgumentError(`TimeSeriesSplit: too many splits=${this.nSplits} for number of samples=${n} with testSize=${testSize} and gap=${this.gap}.`);
    }
    for (let start = n - this.nSplits * testSize; start < n; start += testSize) {
      const trainEnd = start - this.gap;
      const trainStart = this.maxTrainSize && this.maxTrainSize < trainEnd ? trainEnd - this.maxTrainSize : 0;
      yield [range(trainStart, trainEnd), range(start, start + testSize)];
    }
  }

  /**
   * The number of splits.
   * @example new TimeSeriesSplit().getNSplits() // 5
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

function range(a: number, b: number): Int32Array {
  const out = new Int32Array(Math.max(0, b - a));
  for (let i = 0; i < out.length; i++) out[i] = a + i;
  return out;
}

/** Options of {@link ShuffleSplit}. */
export interface ShuffleSplitOptions {
  /** Number of re-shuffled splits (default 10). */
  nSplits?: number;
  /** A fraction in (0, 1) or a row count (default 0.1, or the complement of `trainSize`). */
  testSize?: number;
  /** A fraction in (0, 1) or a row count (default: every row not in the test set). */
  trainSize?: number;
  /** Seed; the same seed as scikit-learn's `random_state` gives the same splits (default 0). */
  randomState?: number;
}

/**
 * The test and train row counts of a shuffled split, as scikit-learn's `_validate_shuffle_split`.
 * @example shuffleSplitSizes(10, 0.25, undefined, 0.25, "trainTestSplit") // { nTrain: 7, nTest: 3 }
 */
export function shuffleSplitSizes(
  n: number,
  testSize: number | undefined,
  trainSize: number | undefined,
  defaultTest: number,
  owner: string,
): { nTrain: number; nTest: number } {
  const test = testSize === undefined && trainSize === undefined ? defaultTest : testSize;
  const check = (name: string, v: number | undefined) => {
    if (v === undefined) return;
    const isFrac = !Number.isInteger(v) || (v > 0 && v < 1);
    if (!Number.isFinite(v) || (isFrac ? v <= 0 || v >= 1 : v <= 0 || v >= n)) {
      throw new InvalidArgumentError(`${owner}: ${name}=${v} should be a positive row count smaller than the number of samples ${n} or a fraction in (0, 1).`);
    }
  };
  check("testSize", test);
  check("trainSize", trainSize);
  const frac = (v: number) => !Number.isInteger(v);
  if (test !== undefined && trainSize !== undefined && frac(test) && frac(trainSize) && test + trainSize > 1) {
    throw new InvalidArgumentError(`${owner}: testSize + trainSize = ${test + trainSize} exceeds 1; reduce testSize or trainSize.`);
  }
  let nTest = test === undefined ? NaN : frac(test) ? Math.ceil(test * n) : test;
  let nTrain = trainSize === undefined ? NaN : frac(trainSize) ? Math.floor(trainSize * n) : trainSize;
  if (trainSize === undefined) nTrain = n - nTest;
  else if (test === undefined) nTest = n - nTrain;
  if (nTrain + nTest > n) {
    throw new InvalidArgumentError(`${owner}: trainSize + testSize = ${nTrain + nTest} rows exceed the ${n} rows available; reduce testSize or trainSize.`);
  }
  if (nTrain === 0) {
    throw new InvalidArgumentError(`${owner}: with ${n} rows, testSize=${String(testSize)} and trainSize=${String(trainSize)} the train set is empty; adjust them.`);
  }
  return { nTrain, nTest };
}

/**
 * Independent random train/test splits (scikit-learn's `ShuffleSplit`): for each split, one
 * permutation of the rows; the first `nTest` rows are the test set, the next `nTrain` the train
 * set — the same indices as scikit-learn for the same `randomState`.
 * @example
 * for (const [train, test] of new ShuffleSplit({ nSplits: 3, testSize: 0.2, randomState: 0 }).split(X)) { ... }
 */
export class ShuffleSplit implements Splitter {
  readonly nSplits: number;
  readonly testSize: number | undefined;
  readonly trainSize: number | undefined;
  readonly randomState: number;

  constructor(options: ShuffleSplitOptions = {}) {
    this.nSplits = checkNSplits("ShuffleSplit", options.nSplits ?? 10, 1);
    this.testSize = options.testSize;
    this.trainSize = options.trainSize;
    this.randomState = options.randomState ?? 0;
    new RandomState(this.randomState); // validates the seed now
  }

  /**
   * Yields `[train, test]` for each split (in permutation order, as scikit-learn).
   * @example [...new ShuffleSplit({ nSplits: 1, testSize: 2, randomState: 0 }).split(5)][0][1] // Int32Array [2, 0]
   */
  *split(X: SplitInput): Generator<SplitIndices> {
    const n = numSamples(X, "ShuffleSplit");
    const { nTrain, nTest } = shuffleSplitSizes(n, this.testSize, this.trainSize, 0.1, "ShuffleSplit");
    const rng = new RandomState(this.randomState);
    for (let s = 0; s < this.nSplits; s++) {
      const perm = rng.permutation(n);
      yield [perm.slice(nTest, nTest + nTrain), perm.slice(0, nTest)];
    }
  }

  /**
   * The number of splits.
   * @example new ShuffleSplit({ nSplits: 4 }).getNSplits() // 4
   */
  getNSplits(): number {
    return this.nSplits;
  }
}

/** scikit-learn's `_approximate_mode`: per-class draws near the hypergeometric mode, ties broken by the generator. */
function approximateMode(counts: Int32Array, nDraws: number, rng: RandomState): Int32Array {
  let total = 0;
  for (const c of counts) total += c;
  const continuous = Float64Array.from(counts, (c) => (c / total) * nDraws);
  const floored = Float64Array.from(continuous, Math.floor);
  let sum = 0;
  for (const f of floored) sum += f;
  let need = Math.trunc(nDraws - sum);
  if (need > 0) {
    const remainder = Float64Array.from(continuous, (c, i) => c - floored[i]);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds: number[] = [];
      remainder.forEach((r, i) => r === value && inds.push(i));
      const addNow = Math.min(inds.length, need);
      // RandomState.choice(inds, addNow, replace=False): the first addNow of a permutation.
      const perm = rng.permutation(inds.length);
      for (let k = 0; k < addNow; k++) floored[inds[perm[k]]] += 1;
      need -= addNow;
      if (need === 0) break;
    }
  }
  return Int32Array.from(floored);
}

/**
 * Random splits that keep each class's share in train and test (scikit-learn's
 * `StratifiedShuffleSplit`), the same indices as scikit-learn for the same `randomState`.
 * @example
 * for (const [train, test] of new StratifiedShuffleSplit({ nSplits: 5, testSize: 0.2, randomState: 0 }).split(X, y)) { ... }
 */
export class StratifiedShuffleSplit implements Splitter {
  readonly nSplits: number;
  readonly testSize: number | undefined;
  readonly trainSize: number | undefined;
  readonly randomState: number;

  constructor(options: ShuffleSplitOptions = {}) {
    this.nSplits = checkNSplits("StratifiedShuffleSplit", options.nSplits ?? 10, 1);
    this.testSize = options.testSize;
    this.trainSize = options.trainSize;
    this.randomState = options.randomState ?? 0;
    new RandomState(this.randomState);
  }

  /**
   * Yields `[train, test]` for each split (in scikit-learn's shuffled order); `y` is required.
   * @example [...new StratifiedShuffleSplit({ nSplits: 1, testSize: 2 }).split(4, [0, 0, 1, 1])][0][1].length // 2
   */
  *split(X: SplitInput, y?: LabelInput): Generator<SplitIndices> {
    const owner = "StratifiedShuffleSplit";
    const n = numSamples(X, owner);
    const labels = readLabels(y, "y", n, owner);
    const { nTrain, nTest } = shuffleSplitSizes(n, this.testSize, this.trainSize, 0.1, owner);
    const { uniques, inverse, counts } = uniqueInverse(labels, owner, "labels");
    const nClasses = uniques.length;
    const single = uniques.filter((_, k) => counts[k] < 2);
    if (single.length) {
      throw new InvalidArgumentError(`${owner}: classes ${JSON.stringify(single)} have only 1 member; every class needs at least 2.`);
    }
    if (nTrain < nClasses) throw new InvalidArgumentError(`${owner}: trainSize = ${nTrain} rows should be at least the number of classes = ${nClasses}.`);
    if (nTest < nClasses) throw new InvalidArgumentError(`${owner}: testSize = ${nTest} rows should be at least the number of classes = ${nClasses}.`);
    const rowsOf: number[][] = Array.from({ length: nClasses }, () => []);
    for (let i = 0; i < n; i++) rowsOf[inverse[i]].push(i);
    const rng = new RandomState(this.randomState);
    for (let s = 0; s < this.nSplits; s++) {
      const nI = approximateMode(counts, nTrain, rng);
      const remaining = Int32Array.from(counts, (c, k) => c - nI[k]);
      const tI = approximateMode(remaining, nTest, rng);
      const train: number[] = [];
      const test: number[] = [];
      for (let k = 0; k < nClasses; k++) {
        const perm = rng.permutation(counts[k]);
        const rows = rowsOf[k];
        for (let j = 0; j < nI[k]; j++) train.push(rows[perm[j]]);
        for (let j = nI[k]; j < nI[k] + tI[k]; j++) test.push(rows[perm[j]]);
      }
      const tr = Int32Array.from(train);
      const te = Int32Array.from(test);
      rng.shuffle(tr);
      rng.shuffle(te);
      yield [tr, te];
    }
  }

  /**
   * The number of splits.
   * @example new StratifiedShuffleSplit({ nSplits: 3 }).getNSplits() // 3
   */
  getNSplits(): number {
    return this.nSplits;
  }
}
