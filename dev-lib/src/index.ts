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
export { progress, progressHtml, loadTslab } from "./progress/progress";
export type { ProgressEvent, ProgressCallback, ProgressOption, ProgressReporter, ProgressOptions, NotebookDisplay } from "./progress/progress";
