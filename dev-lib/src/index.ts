/**
 * @trellis/dev — the experimentation side of Trellis: seeded randomness, data splits, exploration
 * reports, charts rendered to SVG, and notebook display.
 * @trellis/dev — the experimentation side of Trellis: seeded randomness, data splits and experiment
 * tracking in the warehouse (more in later releases: sampling in the warehouse, cross-validation,
 * search, exploration).
 */
export { seededRandom, permutation } from "./random/seeded";
export { RandomState } from "./random/mt19937";
export { trainTestSplit, trainTestIndices } from "./model-selection/train-test-split";
export type { Splittable, SplitResult, TrainTestSplitOptions } from "./model-selection/train-test-split";
export { sample, sampleEntities, keyDigest, keyText, escapeKeyPart, inFraction, stratumQuotas } from "./sampling/sample";
export type { SampleSource, SampleOptions, SampleResult, StratumSize, SampleEntitiesOptions } from "./sampling/sample";

// --- exploration: report objects (Arrow table, aligned text, HTML) ---
export { describe } from "./explore/describe";
export type { DescribeOptions } from "./explore/describe";
export { valueCounts } from "./explore/value-counts";
export type { ValueCountsOptions, ValuesInput } from "./explore/value-counts";
export { missingReport } from "./explore/missing";
export { correlation } from "./explore/correlation";
export type { CorrelationOptions } from "./explore/correlation";
export { compareDistributions, populationStabilityIndex, ksStatistic, PSI_EPSILON } from "./explore/compare";
export type { CompareDistributionsOptions } from "./explore/compare";
export { ExploreReport } from "./explore/report";
export type { ExploreInput, ColumnKind } from "./explore/input";

// --- charts: standalone SVG rendered in Node ---
export { Chart } from "./charts/chart";
export type { ChartOptions, ScaleInfo } from "./charts/chart";
export { histogram, histogramBins, barChart, scatterChart, lineChart } from "./charts/basic";
export type { HistogramOptions, HistogramBinsOptions, HistogramBins, BarChartOptions, ScatterOptions, LineChartOptions } from "./charts/basic";
export { rocChart, precisionRecallChart, calibrationChart, confusionMatrixChart, coefficientsChart } from "./charts/model";
export type {
  RocChartOptions,
  PrecisionRecallChartOptions,
  CalibrationChartOptions,
  ConfusionMatrixChartOptions,
  CoefficientsChartOptions,
} from "./charts/model";
export { validationCurveChart } from "./charts/validation";
export type { CvResults as CvResultsLike, ValidationCurveOptions } from "./charts/validation";

// --- notebook display ---
export { display, setDisplayBackend, resolveNotebookDisplay } from "./notebook/display";
export type { DisplayBackend, DisplayOptions } from "./notebook/display";
export {
  KFold,
  StratifiedKFold,
  GroupKFold,
  StratifiedGroupKFold,
  TimeSeriesSplit,
  ShuffleSplit,
  StratifiedShuffleSplit,
  numSamples,
  shuffleSplitSizes,
} from "./model-selection/splitters";
export { GroupTimeSplit } from "./model-selection/group-time-split";
export type { GroupTimeSplitOptions } from "./model-selection/group-time-split";
export type {
  Splitter,
  SplitIndices,
  SplitInput,
  LabelInput,
  KFoldOptions,
  TimeSeriesSplitOptions,
  ShuffleSplitOptions,
} from "./model-selection/splitters";
export { crossValidate, crossValScore } from "./model-selection/cross-validate";
export type { CrossValidateOptions, CrossValidateResult, CrossValScoreOptions, SplitReport } from "./model-selection/cross-validate";
export { GridSearchCV, RandomizedSearchCV, SearchReport } from "./model-selection/search";
export type {
  SearchOptions,
  GridSearchOptions,
  RandomizedSearchOptions,
  SearchFitOptions,
  CvResults,
  CandidateReport,
} from "./model-selection/search";
export { parameterGrid, parameterSampler, uniform, loguniform, randint } from "./model-selection/param-grid";
export type { ParamGrid, ParamDistributions, Distribution } from "./model-selection/param-grid";
export { getScorer, scorerNames, resolveScoring, isClassifierLike } from "./model-selection/scoring";
export type { Scoring, ScorerFn, ScorerName, ResolvedScoring } from "./model-selection/scoring";
export { checkCv } from "./model-selection/cv-core";
export type { CvOption } from "./model-selection/cv-core";
export { progress, progressHtml, loadTslab } from "./progress/progress";
export type { ProgressEvent, ProgressCallback, ProgressOption, ProgressReporter, ProgressOptions, NotebookDisplay } from "./progress/progress";

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
