/**
 * @trellis/prod — fixed, validated pipelines on scikit-learn's conventions, for production services.
 */
export const PROD_VERSION = "0.1.0";

// --- base (estimator contract, Matrix, input checking, JSON registry) ---
export { Matrix, SparseMatrix, defaultColumnNames } from "./base/matrix";
export { Frame, toFrame, nRows } from "./base/frame";
export type { ColumnKind, FrameColumn, NumberColumn, CategoryColumn, RowObject, XInput, InputSpec } from "./base/frame";
export { toLabels, sortLabels, encodeLabels, toNumericTarget } from "./base/labels";
export type { Label, YInput, NumericTypedArray } from "./base/labels";
export {
  BaseEstimator,
  clone,
  registerEstimator,
  registeredEstimators,
  estimatorFromJSON,
  encodeValue,
  decodeValue,
  extractRow,
} from "./base/estimator";
export type { EstimatorJSON, JSONValue, GetParamsOptions, EstimatorClass } from "./base/estimator";
export {
  BaseTransformer,
  BaseClassifier,
  BaseRegressor,
  isTransformer,
  isClassifier,
  isRegressor,
  hasRowTransform,
  hasRowPredictProba,
  hasRowPredict,
  toTransformOutput,
  argmaxLabels,
} from "./base/mixins";
export type {
  Transformer,
  Classifier,
  Regressor,
  RowTransformer,
  RowClassifier,
  RowRegressor,
  TransformOutput,
  TransformData,
} from "./base/mixins";

// --- linear models and metrics ---
export { LinearRegression, Ridge, LogisticRegression } from "./linear-model";
export type { LinearRegressionOptions, RidgeOptions, LogisticRegressionOptions } from "./linear-model";
export {
  accuracyScore,
  precisionScore,
  recallScore,
  f1Score,
  rocAucScore,
  logLoss,
  confusionMatrix,
  meanSquaredError,
  meanAbsoluteError,
  r2Score,
} from "./metrics";
export type {
  AccuracyOptions,
  Average,
  ZeroDivision,
  PrfOptions,
  PrfOptionsPerLabel,
  ConfusionMatrixOptions,
  LogLossOptions,
  RocAucOptions,
  RegressionMetricOptions,
  LabelsLike,
  NumbersLike,
  ProbabilitiesLike,
  MatrixLike,
  VectorLike,
} from "./metrics";
