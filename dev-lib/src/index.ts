/**
 * @trellis/dev — the experimentation side of Trellis: seeded randomness, data splits, exploration
 * reports, charts rendered to SVG, and notebook display.
 */
export { seededRandom, permutation } from "./random/seeded";
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
export type { CvResults, ValidationCurveOptions } from "./charts/validation";

// --- notebook display ---
export { display, setDisplayBackend, resolveNotebookDisplay } from "./notebook/display";
export type { DisplayBackend, DisplayOptions } from "./notebook/display";
