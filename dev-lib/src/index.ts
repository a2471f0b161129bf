/**
 * @trellis/dev — the experimentation side of Trellis: seeded randomness and data splits (more in
 * later releases: sampling in the warehouse, cross-validation, search, exploration, tracking).
 */
export { seededRandom, permutation } from "./random/seeded";
export { RandomState } from "./random/mt19937";
export { trainTestSplit, trainTestIndices } from "./model-selection/train-test-split";
export type { Splittable, SplitResult, TrainTestSplitOptions } from "./model-selection/train-test-split";
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
