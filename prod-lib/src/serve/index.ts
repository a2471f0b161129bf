/**
 * Serving: the validated `DeployedModel` and its row validation.
 */
export { DeployedModel, PredictionResult } from "./deployed-model";
export type {
  ModelSource,
  ModelRows,
  PredictOptions,
  DeployedModelLoadOptions,
  OnePrediction,
  ExtraField,
  PredictionResultJSON,
  ValidationReport,
} from "./deployed-model";
export type { RowError, RowErrorCode } from "./validator";
