/**
 * The pieces shared by cross-validation, the searches and their worker threads: inputs converted
 * once to a form whose rows can be taken cheaply, one fit-and-score of a split, `cv` resolution,
 * and numpy-ordered means for the summaries.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { Frame, Matrix, SparseMatrix, isArrowTable, toFrame, toLabels, type BaseEstimator, type FrameColumn, type Label, type XInput, type YInput } from "@trellis/prod";
import { KFold, StratifiedKFold, type LabelInput, type SplitIndices, type Splitter } from "./splitters";
import type { ScorerFn } from "./scoring";
import { isClassifierLike } from "./scoring";
export { npSum, meanStd } from "./numpy-sum";

/** Features converted once: a dense Matrix, a sparse CSR matrix, or a column Frame. */
export type PreparedX = Matrix | SparseMatrix | Frame;
/** Targets converted once: numbers as a Float64Array, string labels as an array. */
export type PreparedY = Float64Array | Label[];

/**
 * Converts features once for repeated row subsets: Matrices and Frames stay as they are, Arrow
 * tables and row objects become a Frame (numbers as Float64Array, strings dictionary coded).
 * Columns estimators cannot take (timestamps, dates, nested values) are left out of the
 * features; splitters still see them in X as given (a time column for `GroupTimeSplit`).
 */
export function prepareX(X: XInput, owner: string): PreparedX {
  if (X instanceof Matrix || X instanceof SparseMatrix || X instanceof Frame) return X;
  if (isArrowTable(X)) {
    const names = X.schema.fields
      .filter((f) => {
        const id = f.type.typeId;
        if (id === 5 || id === 20 || id === 2 || id === 3 || id === 6) return true;
        const dict = (f.type as unknown as { dictionary?: { typeId: number } }).dictionary;
        return id === -1 && dict !== undefined && (dict.typeId === 5 || dict.typeId === 20);
      })
      .map((f) => f.name);
    return toFrame(X, owner, { names });
  }
  if (Array.isArray(X) && X.length > 0 && typeof X[0] === "object" && X[0] !== null) {
    const first = X[0] as Record<string, unknown>;
    const names = Object.keys(first).filter((k) => {
      const v = first[k];
      return v === null || v === undefined || typeof v === "number" || typeof v === "string" || typeof v === "boolean";
    });
    return toFrame(X, owner, { names });
  }
  return toFrame(X, owner);
}

/** Converts targets once (numbers → Float64Array, strings stay labels). */
export function prepareY(y: YInput | undefined, n: number, owner: string): PreparedY | undefined {
  if (y === undefined || y === null) return undefined;
  const labels = toLabels(y, owner, n);
  if (labels.every((v) => typeof v === "number")) return Float64Array.from(labels as number[]);
  return labels;
}

/**
 * The rows at `idx` of prepared features (a Frame keeps its category levels; nothing is shared
 * with the input, so a step may not write into it by mistake).
 */
export function takePrepared(X: PreparedX, idx: Int32Array): PreparedX {
  if (X instanceof Matrix) {
    const c = X.cols;
    const out = new Float64Array(idx.length * c);
    for (let k = 0; k < idx.length; k++) out.set(X.data.subarray(idx[k] * c, idx[k] * c + c), k * c);
    return new Matrix(out, idx.length, c, X.columns);
  }
  if (X instanceof SparseMatrix) {
    let nnz = 0;
    for (let k = 0; k < idx.length; k++) nnz += X.indptr[idx[k] + 1] - X.indptr[idx[k]];
    const indptr = new Int32Array(idx.length + 1);
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let p = 0;
    for (let k = 0; k < idx.length; k++) {
      const a = X.indptr[idx[k]];
      const b = X.indptr[idx[k] + 1];
      indices.set(X.indices.subarray(a, b), p);
      values.set(X.values.subarray(a, b), p);
      p += b - a;
      indptr[k + 1] = p;
    }
    return new SparseMatrix(indptr, indices, values, idx.length, X.cols, X.columns);
  }
  const cols = X.columns.map((c): FrameColumn => {
    if (c.kind === "number") {
      const v = new Float64Array(idx.length);
      const src = c.values;
      for (let k = 0; k < idx.length; k++) v[k] = src[idx[k]];
      return { kind: "number", values: v };
    }
    const codes = new Int32Array(idx.length);
    const src = c.codes;
    for (let k = 0; k < idx.length; k++) codes[k] = src[idx[k]];
    return { kind: "category", codes, levels: c.levels };
  });
  return new Frame(X.names, cols, idx.length);
}

/** The targets at `idx`. */
export function takeY(y: PreparedY, idx: Int32Array): PreparedY {
  if (y instanceof Float64Array) {
    const out = new Float64Array(idx.length);
    for (let k = 0; k < idx.length; k++) out[k] = y[idx[k]];
    return out;
  }
  const out = new Array<Label>(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = y[idx[k]];
  return out;
}

/** Rows of prepared features. */
export function preparedRows(X: PreparedX): number {
  return X.rows;
}

/** The outcome of fitting and scoring one split. */
export interface FoldOutcome {
  fitTime: number;
  scoreTime: number;
  test: number[];
  train?: number[];
  estimator?: BaseEstimator;
}

/**
 * Fits `estimator` (unfitted, parameters set) on the train rows and scores the test rows (and the
 * train rows with `returnTrain`). Times are in seconds, as scikit-learn's.
 */
export function runFold(
  estimator: BaseEstimator,
  X: PreparedX,
  y: PreparedY | undefined,
  split: SplitIndices,
  scorers: ScorerFn[],
  returnTrain: boolean,
): FoldOutcome {
  const [trainIdx, testIdx] = split;
  const XTrain = takePrepared(X, trainIdx);
  const yTrain = y === undefined ? undefined : takeY(y, trainIdx);
  const t0 = performance.now();
  estimator.fit(XTrain as XInput, yTrain as YInput | undefined);
  const t1 = performance.now();
  const XTest = takePrepared(X, testIdx);
  const yTest = (y === undefined ? undefined : takeY(y, testIdx)) as YInput;
  const test = scorers.map((s) => s(estimator, XTest as XInput, yTest));
  const t2 = performance.now();
  const out: FoldOutcome = { fitTime: (t1 - t0) / 1000, scoreTime: (t2 - t1) / 1000, test };
  if (returnTrain) out.train = scorers.map((s) => s(estimator, XTrain as XInput, yTrain as YInput));
  return out;
}

/** What `cv` accepts: a number of folds, or any splitter. */
export type CvOption = number | Splitter;

function isMulticlassTarget(y: PreparedY | undefined): boolean {
  if (y === undefined) return false;
  if (!(y instanceof Float64Array)) return true;
  for (let i = 0; i < y.length; i++) if (!Number.isInteger(y[i])) return false;
  return true;
}

/**
 * scikit-learn's `check_cv`: a number gives StratifiedKFold for a classifier with class targets,
 * else KFold (unshuffled); a splitter is used as given. Default 5 folds.
 * @example checkCv(5, new LogisticRegression(), y) // StratifiedKFold
 */
export function checkCv(cv: CvOption | undefined, estimator: BaseEstimator, y: PreparedY | undefined): Splitter {
  const c = cv ?? 5;
  if (typeof c === "number") {
    if (!Number.isInteger(c) || c < 2) throw new InvalidArgumentError(`cv must be a number of folds of at least 2 or a splitter, got ${c}.`);
    return isClassifierLike(estimator) && isMulticlassTarget(y) ? new StratifiedKFold({ nSplits: c }) : new KFold({ nSplits: c });
  }
  if (!c || typeof (c as Splitter).split !== "function" || typeof (c as Splitter).getNSplits !== "function") {
    throw new InvalidArgumentError("cv must be a number of folds or a splitter with split() and getNSplits() (KFold, StratifiedKFold, GroupKFold, …).");
  }
  return c;
}

/**
 * Runs a splitter and checks every split. The splitter sees X as the caller gave it (so a
 * `GroupTimeSplit` reads its time column from the original table or rows).
 */
export function materializeSplits(cv: Splitter, X: XInput, n: number, y: PreparedY | undefined, groups: LabelInput | undefined): SplitIndices[] {
  const splits = [...cv.split(X as never, y as LabelInput | undefined, groups)];
  if (splits.length === 0) throw new InvalidArgumentError("cv produced no splits.");
  for (const [k, [tr, te]] of splits.entries()) {
    if (tr.length === 0 || te.length === 0) throw new InvalidArgumentError(`cv split ${k} has ${tr.length} train and ${te.length} test rows; both need rows.`);
    for (const idx of [tr, te]) for (let i = 0; i < idx.length; i++) if (idx[i] < 0 || idx[i] >= n) throw new InvalidArgumentError(`cv split ${k} holds row ${idx[i]}, outside the ${n} rows of X.`);
  }
  return splits;
}
