/**
 * Metrics with scikit-learn semantics.
 */
export { accuracyScore, precisionScore, recallScore, f1Score, confusionMatrix, logLoss } from "./classification";
export type {
  AccuracyOptions,
  Average,
  ZeroDivision,
  PrfOptions,
  PrfOptionsPerLabel,
  ConfusionMatrixOptions,
  LogLossOptions,
} from "./classification";
export { rocAucScore } from "./ranking";
export type { RocAucOptions } from "./ranking";
export { meanSquaredError, meanAbsoluteError, r2Score } from "./regression";
export type { RegressionMetricOptions } from "./regression";
export type { Label, LabelsLike, NumbersLike, MatrixLike, ProbabilitiesLike, VectorLike } from "./inputs";
export { rocCurve, precisionRecallCurve, calibrationCurve } from "./curves";
export type { CurveOptions, RocCurve, PrecisionRecallCurve, CalibrationCurveOptions, CalibrationCurve } from "./curves";
