/**
 * @trellis/prod — fixed, validated pipelines on scikit-learn's conventions, for production services.
 */
export { PROD_VERSION, libraryVersions } from "./version";

// --- errors: the deployment layer's, and the shared ones estimators and deployed models throw ---
export { IntegrityError, IncompatibleArtifactError, RegistryError, InvalidRowsError, INVALID_ROWS_LISTED } from "./errors";
export type { InvalidRowDetail } from "./errors";
export {
  TrellisError,
  NotFittedError,
  ValidationError,
  SchemaMismatchError,
  InvalidArgumentError,
  ArtifactIntegrityError,
  DataIoError,
  WarehouseError,
} from "@trellis/shared";
export type { TrellisErrorCode, ValidationIssue, MistypedColumn } from "@trellis/shared";

// --- base (estimator contract, Matrix, input checking, JSON registry) ---
export { Matrix, SparseMatrix, defaultColumnNames, isArrowTable, isArrowVector } from "./base/matrix";
export { Frame, toFrame, nRows } from "./base/frame";
export type { ColumnKind, FrameColumn, NumberColumn, CategoryColumn, RowObject, XInput, InputSpec, ColumnSelection } from "./base/frame";
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
  rocCurve,
  precisionRecallCurve,
  calibrationCurve,
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
  CurveOptions,
  RocCurve,
  PrecisionRecallCurve,
  CalibrationCurveOptions,
  CalibrationCurve,
} from "./metrics";

// --- preprocessing, impute, compose, pipeline ---
export { StandardScaler } from "./preprocessing/standard-scaler";
export type { StandardScalerOptions } from "./preprocessing/standard-scaler";
export { MinMaxScaler } from "./preprocessing/min-max-scaler";
export type { MinMaxScalerOptions } from "./preprocessing/min-max-scaler";
export { OneHotEncoder } from "./preprocessing/one-hot-encoder";
export type { OneHotEncoderOptions } from "./preprocessing/one-hot-encoder";
export { OrdinalEncoder } from "./preprocessing/ordinal-encoder";
export type { OrdinalEncoderOptions } from "./preprocessing/ordinal-encoder";
export type { Category } from "./preprocessing/categories";
export { SimpleImputer } from "./impute/simple-imputer";
export type { SimpleImputerOptions } from "./impute/simple-imputer";
export { ColumnTransformer, makeColumnTransformer, hstackDense, hstackSparse } from "./compose/column-transformer";
export type { ColumnTransformerOptions, ColumnTransformerEntry } from "./compose/column-transformer";
export { Pipeline, makePipeline } from "./pipeline";
export type { PipelineOptions, PipelineStep, PredictOneResult } from "./pipeline";

// --- monitoring: reference profiles (what drift reports compare against) ---
export {
  buildReferenceProfile,
  quantileSorted,
  binIndex,
  profileKind,
  REFERENCE_FORMAT,
  DECILES,
  MAX_CATEGORIES,
} from "./monitor/profile";
export type {
  ReferenceProfile,
  ReferenceProfileOptions,
  ColumnProfile,
  NumericColumnProfile,
  CategoricalColumnProfile,
  CategoryFrequency,
} from "./monitor/profile";

// --- artifacts: saveModel / loadModel (see ARCHITECTURE.md, "Model artifacts") ---
export {
  saveModel,
  packModel,
  writeArtifactFiles,
  loadModel,
  loadModelFromFiles,
  readArtifactFiles,
  verifyArtifact,
  manifestDigest,
  isCompatibleVersion,
  checkCompatibility,
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  MANIFEST_FILE,
  DIGEST_FILE,
  MODEL_FILE,
  REFERENCE_FILE,
  INCOMPATIBLE_WARNING_CODE,
  canonicalJson,
  sha256Hex,
  describeInputSchema,
  inputSchemaFromDescriptor,
  inputJsonSchema,
  trainingDataDigest,
  gitState,
  TRAINING_DIGEST_METHOD,
  outputColumnsOf,
} from "./artifact";
export type {
  SaveModelOptions,
  SavedModel,
  PackedModel,
  ArtifactFiles,
  LoadModelOptions,
  LoadedModel,
  ArtifactVerification,
  ArtifactProblem,
  ModelManifest,
  ArtifactFileEntry,
  ModelLineage,
  LineageFeatureView,
  TrainingDataLineage,
  VersionPolicy,
  CompatibilityCheck,
  InputField,
  InputFieldType,
  InputSchemaDescriptor,
  NumberBound,
  LineageInput,
  TrainingRows,
} from "./artifact";

// --- deployed models: validated scoring of a verified artifact ---
export { DeployedModel, PredictionResult, modelHandler, serve, ServiceMetrics, DEFAULT_BODY_LIMIT, LATENCY_BUCKETS, PredictionLog, PREDICTIONS_SCHEMA, writeBundle, BUNDLE_PACKAGES } from "./serve";
export type {
  ModelSource,
  ModelRows,
  PredictOptions,
  DeployedModelLoadOptions,
  OnePrediction,
  ExtraField,
  PredictionResultJSON,
  ValidationReport,
  RowError,
  RowErrorCode,
  ModelHandler,
  ModelHandlerOptions,
  ServedModel,
  ServiceLogger,
  ServeOptions,
  RunningService,
  LogPredictionsOptions,
  LoggedModel,
  BundleOptions,
  WrittenBundle,
} from "./serve";

// --- model registry (in the warehouse) and its command line ---
export { ModelRegistry, parseModelRef, REGISTRY_SCHEMA, REGISTRY_LAYOUT_VERSION } from "./registry/registry";
export type {
  ModelRegistryOptions,
  ModelVersion,
  RegisteredModel,
  AliasMove,
  VersionLineage,
  RegistrableModel,
  RegisterOptions,
  ModelRef,
  ResolvedModelFiles,
} from "./registry/registry";
export { runRegistryCommand, REGISTRY_COMMANDS } from "./cli/registry-commands";
export type { CommandIo } from "./cli/registry-commands";

// --- batch scoring ---
export { scoreBatch, scoringRuns, scoreColumns, SCORING_SCHEMA } from "./scoring/score-batch";
export type { ScoreBatchOptions, ScoreBatchResult, ScoreProgress, ScoreSource } from "./scoring/score-batch";
// --- monitoring: drift reports, PSI, and their history in the warehouse ---
export {
  driftReport,
  DriftReport,
  DRIFT_REPORT_FORMAT,
  DEFAULT_DRIFT_THRESHOLDS,
  DEFAULT_MIN_ROWS,
  MAX_TRACKED_UNSEEN,
  UNSEEN_LISTED,
} from "./monitor/drift";
export type {
  DriftReportOptions,
  DriftReportJSON,
  DriftSummary,
  DriftThresholds,
  DriftStatus,
  DriftOverallStatus,
  DriftBin,
  ColumnDrift,
  NumericColumnDrift,
  CategoricalColumnDrift,
  UnseenCategory,
} from "./monitor/drift";
export { psi, psiTerm, PSI_FLOOR } from "./monitor/psi";
export { sourceBatches, describeSource } from "./monitor/source";
export type { DriftSource, SourceBatchesOptions } from "./monitor/source";
export { monitor, driftHistory, loadDriftReport, MONITORING_SCHEMA, MONITORING_SCHEMA_VERSION } from "./monitor/store";
export type { MonitoredModel, MonitorOptions, MonitorResult, DriftHistoryOptions } from "./monitor/store";

// --- command line: `trellis model drift` ---
export { runDriftCommand, DRIFT_HELP } from "./cli/drift";
export type { DriftCommandOptions, ModelResolveContext } from "./cli/drift";
