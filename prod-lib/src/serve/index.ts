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
export { modelHandler, DEFAULT_BODY_LIMIT } from "./handler";
export type { ModelHandler, ModelHandlerOptions, ServedModel, ServiceLogger } from "./handler";
export { serve } from "./serve";
export type { ServeOptions, RunningService } from "./serve";
export { ServiceMetrics, LATENCY_BUCKETS } from "./metrics";
export { PredictionLog, PREDICTIONS_SCHEMA } from "./prediction-log";
export type { LogPredictionsOptions, LoggedModel } from "./prediction-log";
export { writeBundle, BUNDLE_PACKAGES } from "./bundle";
export type { BundleOptions, WrittenBundle } from "./bundle";
