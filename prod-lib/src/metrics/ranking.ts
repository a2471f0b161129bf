/**
 * Area under the ROC curve, with scikit-learn's handling of tied scores (a tie is one threshold,
 * integrated with the trapezoidal rule).
 */
import { InvalidArgumentError } from "@trellis/shared";
import {
  checkNotEmpty,
  checkSameLength,
  compareLabels,
  describeValue,
  formatLabels,
  readLabels,
  readProbabilities,
  readSampleWeight,
  uniqueSorted,
} from "./inputs";
import type { Label, LabelsLike, NumbersLike, ProbabilitiesLike } from "./inputs";

/** Options of {@link rocAucScore}. */
export interface RocAucOptions {
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
  /**
   * Multiclass only (yScore a matrix with one column per class): combine the one-vs-rest scores by
   * their unweighted mean (`"macro"`, the default) or weighted by class prevalence (`"weighted"`).
   */
  average?: "macro" | "weighted";
  /** Multiclass only: the classes in the column order of yScore; default: labels of yTrue, sorted. */
  labels?: readonly Label[];
}

/**
 * Area under the ROC curve of `positive` against the rest, for scores in `score` (stride-accessed so
 * a matrix column can be used without copying).
 */
function binaryAuc(
  positive: Uint8Array,
  score: Float64Array,
  stride: number,
  offset: number,
  weight: Float64Array | undefined,
): number {
  const n = positive.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Descending scores; ties keep input order (a stable sort, like scikit-learn's mergesort).
  order.sort((a, b) => score[b * stride + offset] - score[a * stride + offset] || a - b);
  let tps = 0;
  let fps = 0;
  let prevTps = 0;
  let prevFps = 0;
  let area = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    const wi = weight ? weight[i] : 1;
    if (positive[i]) tps += wi;
    else fps += wi;
    const last = r === n - 1;
    if (last || score[order[r + 1] * stride + offset] !== score[i * stride + offset]) {
      area += (fps - prevFps) * (tps + prevTps);
      prevFps = fps;
      prevTps = tps;
    }
  }
  return area / 2 / (tps * fps);
}

/**
 * Area under the receiver operating characteristic curve. Binary targets take one score per
 * sample (higher means the greater label, e.g. 1 or "yes") or a two-column probability matrix
 * (its second column is used); multiclass targets take a matrix of class probabilities and give
 * the one-vs-rest AUC averaged over classes. Tied scores form one threshold (trapezoidal rule),
 * as in scikit-learn.
 * @example
 * rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 */
export function rocAucScore(yTrue: LabelsLike, yScore: ProbabilitiesLike, options: RocAucOptions = {}): number {
  const fn = "rocAucScore";
  const t = readLabels(fn, "yTrue", yTrue);
  const s = readProbabilities(fn, "yScore", yScore);
  checkSameLength(fn, ["yTrue", "yScore"], t.length, s.rows);
  checkNotEmpty(fn, t.length);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  const present = uniqueSorted(fn, t);
  const n = t.length;

  if (s.cols === 1) {
    if (present.length === 1) {
      throw new InvalidArgumentError(
        `${fn}: only one class (${formatLabels(present)}) is present in yTrue; ROC AUC is not defined in that case.`,
      );
    }
    if (present.length > 2) {
      throw new InvalidArgumentError(
        `${fn}: yTrue has ${present.length} classes ${formatLabels(present)} but yScore has one column; pass one probability column per class for a multiclass ROC AUC.`,
      );
    }
    const positive = new Uint8Array(n);
    for (let i = 0; i < n; i++) positive[i] = t[i] === present[1] ? 1 : 0;
    return binaryAuc(positive, s.data, 1, 0, w);
  }

  const average = options.average ?? "macro";
  if (average !== "macro" && average !== "weighted") {
    throw new InvalidArgumentError(`${fn}: average is ${describeValue(average)}; use "macro" or "weighted".`);
  }
  const classes = options.labels !== undefined ? [...options.labels] : present;
  for (let j = 1; j < classes.length; j++) {
    if (compareLabels(classes[j - 1], classes[j]) >= 0) {
      throw new InvalidArgumentError(
        `${fn}: labels ${formatLabels(classes)} must be distinct and sorted, matching the column order of predictProba.`,
      );
    }
  }
  if (classes.length !== s.cols) {
    throw new InvalidArgumentError(
      `${fn}: yScore has ${s.cols} columns but there are ${classes.length} classes ${formatLabels(classes)}; pass one column per class (or the labels option).`,
    );
  }
  if (s.cols === 2) {
    // Binary target given as a two-column probability matrix: the second column is the score.
    const positive = new Uint8Array(n);
    for (let i = 0; i < n; i++) positive[i] = t[i] === classes[1] ? 1 : 0;
    if (present.length < 2) {
      throw new InvalidArgumentError(
        `${fn}: only one class (${formatLabels(present)}) is present in yTrue; ROC AUC is not defined in that case.`,
      );
    }
    return binaryAuc(positive, s.data, 2, 1, w);
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < s.cols; j++) sum += s.data[i * s.cols + j];
    if (Math.abs(sum - 1) > 1e-8 + Math.sqrt(Number.EPSILON)) {
      throw new InvalidArgumentError(
        `${fn}: row ${i} of yScore sums to ${sum}; multiclass ROC AUC needs class probabilities that sum to 1.`,
      );
    }
  }
  const index = new Map<Label, number>();
  classes.forEach((l, i) => index.set(l, i));
  for (let i = 0; i < n; i++) {
    if (!index.has(t[i])) {
      throw new InvalidArgumentError(
        `${fn}: yTrue[${i}] is ${describeValue(t[i])}, which is not among the classes ${formatLabels(classes)}.`,
      );
    }
  }
  let num = 0;
  let den = 0;
  const positive = new Uint8Array(n);
  for (let c = 0; c < classes.length; c++) {
    let support = 0;
    for (let i = 0; i < n; i++) {
      positive[i] = t[i] === classes[c] ? 1 : 0;
      if (positive[i]) support += w ? w[i] : 1;
    }
    if (support === 0) {
      throw new InvalidArgumentError(
        `${fn}: class ${describeValue(classes[c])} has no sample in yTrue; its one-vs-rest ROC AUC is not defined.`,
      );
    }
    const auc = binaryAuc(positive, s.data, s.cols, c, w);
    const weight = average === "weighted" ? support : 1;
    num += auc * weight;
    den += weight;
  }
  return num / den;
}
