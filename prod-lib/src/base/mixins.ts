import type { Table } from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";
import { BaseEstimator } from "./estimator";
import { Frame, type XInput } from "./frame";
import { Matrix, SparseMatrix } from "./matrix";
import { toLabels, toNumericTarget, type Label, type YInput } from "./labels";

/** What `transform` returns: a Matrix (numbers), a SparseMatrix (one-hot), or a Table (strings). */
export type TransformOutput = Matrix | SparseMatrix | Table;

/**
 * What the internal transform returns: like {@link TransformOutput}, but string columns stay as a
 * dictionary-coded {@link Frame} so chained steps do not round-trip through Arrow.
 */
export type TransformData = Frame | Matrix | SparseMatrix;

/**
 * A transformer (scikit-learn's TransformerMixin): `fit`, `transform`, `fitTransform`,
 * `getFeatureNamesOut`. `transformData`/`fitTransformData` are the same operations without the
 * final conversion to public types; Pipeline and ColumnTransformer chain them.
 */
export interface Transformer extends BaseEstimator {
  transform(X: XInput): TransformOutput;
  fitTransform(X: XInput, y?: YInput): TransformOutput;
  transformData(X: XInput): TransformData;
  fitTransformData(X: XInput, y?: YInput): TransformData;
  getFeatureNamesOut(): string[];
}

/**
 * The single-row fast path of a transformer, used by `Pipeline.predictOne`. `input` holds one
 * row's values in `featureNamesIn_` order — numbers (NaN = missing) for numeric columns, strings
 * or null for categorical ones; the transformer writes `rowOutputSize()` values into `out` from
 * `offset` (numbers, or strings/null for string outputs such as a most-frequent imputer's). No
 * validation is repeated: the pipeline checked the row once. Must allocate nothing per call.
 */
export interface RowTransformer {
  rowOutputSize(): number;
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void;
}

/** A classifier (ClassifierMixin): labels from `predict`, probabilities per class, accuracy. */
export interface Classifier extends BaseEstimator {
  readonly classes_: Label[];
  predict(X: XInput): Label[];
  predictProba(X: XInput): Matrix;
  score(X: XInput, y: YInput): number;
}

/** A regressor (RegressorMixin): a Float64Array from `predict`, R² from `score`. */
export interface Regressor extends BaseEstimator {
  predict(X: XInput): Float64Array;
  score(X: XInput, y: YInput): number;
}

/**
 * The single-row fast path of a final classifier: `x` holds one row of the model's numeric
 * input in `featureNamesIn_` order; class probabilities go to `out` in `classes_` order.
 */
export interface RowClassifier {
  readonly classes_: Label[];
  predictProbaRow(x: ArrayLike<number>, out: Float64Array): void;
}

/** The single-row fast path of a final regressor. */
export interface RowRegressor {
  predictRow(x: ArrayLike<number>): number;
}

/**
 * True when `est` is a transformer.
 * @example isTransformer(new StandardScaler()) // true
 */
export function isTransformer(est: unknown): est is Transformer {
  const e = est as { transformData?: unknown; getFeatureNamesOut?: unknown };
  return est instanceof BaseEstimator && typeof e.transformData === "function" && typeof e.getFeatureNamesOut === "function";
}

/**
 * True when `est` predicts class probabilities.
 * @example isClassifier(new LogisticRegression()) // true
 */
export function isClassifier(est: unknown): est is Classifier {
  return est instanceof BaseEstimator && typeof (est as { predictProba?: unknown }).predictProba === "function";
}

/**
 * True when `est` is a regressor (predicts numbers, has no predictProba).
 * @example isRegressor(new Ridge()) // true
 */
export function isRegressor(est: unknown): est is Regressor {
  return est instanceof BaseRegressor;
}

/**
 * True when `est` implements the single-row transform path.
 * @example hasRowTransform(new StandardScaler()) // true
 */
export function hasRowTransform(est: unknown): est is RowTransformer {
  return typeof (est as Partial<RowTransformer>)?.transformRowInto === "function";
}

/**
 * True when `est` implements the single-row probability path.
 * @example hasRowPredictProba(new LogisticRegression()) // true
 */
export function hasRowPredictProba(est: unknown): est is RowClassifier {
  return typeof (est as Partial<RowClassifier>)?.predictProbaRow === "function";
}

/**
 * True when `est` implements the single-row regression path.
 * @example hasRowPredict(new Ridge()) // true
 */
export function hasRowPredict(est: unknown): est is RowRegressor {
  return typeof (est as Partial<RowRegressor>)?.predictRow === "function";
}

/**
 * Converts internal transform data to the public output: a Frame becomes a Matrix when all its
 * columns are numeric, else an Arrow Table.
 * @example toTransformOutput(Frame.from([{ a: 1 }], "x")) // Matrix
 */
export function toTransformOutput(data: TransformData): TransformOutput {
  if (data instanceof Frame) {
    return data.columns.every((c) => c.kind === "number") ? data.toMatrix() : data.toArrow();
  }
  return data;
}

/**
 * Base class for transformers: subclasses implement `fit`, `transformData` and
 * `getFeatureNamesOut`; `transform` and `fitTransform` come from here.
 * @example class MyScaler extends BaseTransformer<{}, {}> { ... }
 */
export abstract class BaseTransformer<P extends object = object, S extends object = object>
  extends BaseEstimator<P, S>
  implements Transformer
{
  abstract transformData(X: XInput): TransformData;
  abstract getFeatureNamesOut(): string[];

  /**
   * Transforms X: a Matrix whose `columns` are `getFeatureNamesOut()` (a SparseMatrix or Table
   * where documented by the transformer).
   * @example new StandardScaler().fit(X).transform(X)
   */
  transform(X: XInput): TransformOutput {
    return toTransformOutput(this.transformData(X));
  }

  /**
   * Fits then transforms (subclasses may do both in one pass).
   * @example new StandardScaler().fitTransform(X)
   */
  fitTransform(X: XInput, y?: YInput): TransformOutput {
    return toTransformOutput(this.fitTransformData(X, y));
  }

  /** Fit then `transformData`, for chaining. */
  fitTransformData(X: XInput, y?: YInput): TransformData {
    this.fit(X, y);
    return this.transformData(X);
  }
}

/**
 * Base class for classifiers: subclasses implement `fit`, `predictProba` and `classes_`;
 * `predict` (arg-max, first class wins ties, like numpy) and `score` (accuracy) come from here.
 * @example class MyClassifier extends BaseClassifier<{}, { classes: Label[] }> { ... }
 */
export abstract class BaseClassifier<P extends object = object, S extends object = object>
  extends BaseEstimator<P, S>
  implements Classifier
{
  abstract get classes_(): Label[];
  abstract predictProba(X: XInput): Matrix;

  /**
   * Class labels with the highest probability.
   * @example clf.predict(X) // ["setosa", ...]
   */
  predict(X: XInput): Label[] {
    return argmaxLabels(this.predictProba(X), this.classes_);
  }

  /**
   * Accuracy of `predict(X)` against `y`.
   * @example clf.score(X, y) // 0.97
   */
  score(X: XInput, y: YInput): number {
    const pred = this.predict(X);
    const truth = toLabels(y, this.estimatorName, pred.length);
    let hit = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) hit++;
    return hit / pred.length;
  }
}

/**
 * Arg-max over each row of a probability matrix, mapped to labels.
 * @example argmaxLabels(Matrix.fromArray([[0.2, 0.8]]), ["a", "b"]) // ["b"]
 */
export function argmaxLabels(proba: Matrix, classes: readonly Label[]): Label[] {
  const { rows, cols, data } = proba;
  if (cols !== classes.length) {
    throw new InvalidArgumentError(`argmaxLabels: ${cols} probability columns for ${classes.length} classes.`);
  }
  const out = new Array<Label>(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let best = 0;
    let bv = data[base];
    for (let j = 1; j < cols; j++) {
      if (data[base + j] > bv) {
        bv = data[base + j];
        best = j;
      }
    }
    out[i] = classes[best];
  }
  return out;
}

/**
 * Base class for regressors: subclasses implement `fit` and `predict`; `score` (R²) comes from here.
 * @example class MyRegressor extends BaseRegressor<{}, { coef: Float64Array }> { ... }
 */
export abstract class BaseRegressor<P extends object = object, S extends object = object>
  extends BaseEstimator<P, S>
  implements Regressor
{
  abstract predict(X: XInput): Float64Array;

  /**
   * Coefficient of determination R² of `predict(X)` against `y` (1 is perfect).
   * @example reg.score(X, y) // 0.52
   */
  score(X: XInput, y: YInput): number {
    const pred = this.predict(X);
    const truth = toNumericTarget(y, this.estimatorName, pred.length);
    return r2(truth, pred);
  }
}

function r2(truth: Float64Array, pred: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i];
  mean /= truth.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    const r = truth[i] - pred[i];
    const d = truth[i] - mean;
    ssRes += r * r;
    ssTot += d * d;
  }
  // scikit-learn: a constant target gives 1 when predicted exactly, else 0.
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
