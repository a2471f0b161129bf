/**
 * @trellis/dev — the experimentation side of Trellis: seeded randomness, data splits and experiment
 * tracking in the warehouse (more in later releases: sampling in the warehouse, cross-validation,
 * search, exploration).
 */
export { seededRandom, permutation } from "./random/seeded";
export { trainTestSplit, trainTestIndices } from "./model-selection/train-test-split";
export type { Splittable, SplitResult, TrainTestSplitOptions } from "./model-selection/train-test-split";

// --- experiment tracking ---
export { Tracker, ActiveRun } from "./tracking/tracker";
export type {
  RunStatus,
  ParamValue,
  TrackerOpenOptions,
  StartRunOptions,
  RunInfo,
  MetricPoint,
  ArtifactInfo,
  DatasetFeatures,
  DatasetInfo,
  RunSummary,
  RunRecord,
  ExperimentInfo,
  SearchRunsOptions,
  FeatureRequestSource,
  DatasetSource,
  LogDatasetOptions,
  LoggedDataset,
  LogMetricOptions,
  LoggedModelInfo,
  LogModelOptions,
} from "./tracking/tracker";
export { RunComparison, metricChartSvg, niceTicks } from "./tracking/compare";
export type { MetricChartOptions, MetricSeries } from "./tracking/compare";
export { ChildRunLogger, logSearchCandidates, logCrossValidation, paramToText } from "./tracking/search-runs";
export type { CandidateResult, FittedSearchLike, SearchRunOptions, CrossValidationLike } from "./tracking/search-runs";
export { TrackingError, FilterSyntaxError } from "./tracking/errors";
export { parseSearchFilter, parseSearchOrder } from "./tracking/filter";
export type { SearchComparison, SearchEntity, SearchOperator, SearchOrder } from "./tracking/filter";
export { schemaInfo } from "./tracking/dataset";
export type { SchemaFieldInfo } from "./tracking/dataset";
export { DEV_VERSION, trellisVersions, captureEnvironment } from "./tracking/environment";
export type { RunEnvironment } from "./tracking/environment";
export { TRACKING_SCHEMA_VERSION, DEFAULT_TRACKING_SCHEMA } from "./tracking/schema";
