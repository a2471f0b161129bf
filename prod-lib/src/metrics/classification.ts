/**
 * Classification metrics with scikit-learn 1.9 semantics: accuracy, precision / recall / F1 with
 * binary, macro, micro and weighted averaging, the confusion matrix and the log loss.
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

/** Options of {@link accuracyScore}. */
export interface AccuracyOptions {
  /** Return the fraction of correct predictions (default `true`) or their (weighted) count. */
  normalize?: boolean;
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
}

/**
 * Fraction (or count) of samples whose predicted label equals the true label.
 * @example
 * accuracyScore([0, 1, 1, 0], [0, 1, 0, 0]); // 0.75
 */
export function accuracyScore(yTrue: LabelsLike, yPred: LabelsLike, options: AccuracyOptions = {}): number {
  const fn = "accuracyScore";
  const t = readLabels(fn, "yTrue", yTrue);
  const p = readLabels(fn, "yPred", yPred);
  checkSameLength(fn, ["yTrue", "yPred"], t.length, p.length);
  checkNotEmpty(fn, t.length);
  uniqueSorted(fn, t, p);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    total += wi;
    if (t[i] === p[i]) correct += wi;
  }
  if (options.normalize === false) return correct;
  return correct / total;
}

/** How per-class scores are combined; `null` returns one score per label. */
export type Average = "binary" | "macro" | "micro" | "weighted";

/** The value a score takes when it divides by zero; `"warn"` gives 0 and emits a warning. */
export type ZeroDivision = "warn" | 0 | 1 | number;

/** Options of {@link precisionScore}, {@link recallScore} and {@link f1Score}. */
export interface PrfOptions {
  /**
   * `"binary"` (default): the score of `posLabel`; `"macro"`: unweighted mean over labels;
   * `"micro"`: from the pooled counts; `"weighted"`: mean weighted by each label's support;
   * `null`: one score per label, in `labels` order (sorted labels by default).
   */
  average?: Average | null;
  /** The positive class for `average: "binary"` (default 1). */
  posLabel?: Label;
  /** The labels to score (and their order for `average: null`); default: all labels present, sorted. */
  labels?: readonly Label[];
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
  /** Value when a ratio is 0/0: `"warn"` (0 with a warning, the default), 0, 1 or NaN. */
  zeroDivision?: ZeroDivision;
}

/** Options of {@link precisionScore} etc. that return one score per label. */
export type PrfOptionsPerLabel = PrfOptions & { average: null };

interface PrfResult {
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

const AVERAGES: readonly (Average | null)[] = ["binary", "macro", "micro", "weighted", null];

function zeroDivisionValue(fn: string, z: ZeroDivision | undefined): number {
  if (z === undefined || z === "warn") return 0;
  if (z === 0 || z === 1 || Number.isNaN(z)) return z;
  throw new InvalidArgumentError(
    `${fn}: zeroDivision is ${describeValue(z)}; use "warn", 0, 1 or NaN.`,
  );
}

function precisionRecallFscore(
  fn: string,
  yTrue: LabelsLike,
  yPred: LabelsLike,
  options: PrfOptions,
  beta: number,
  warnFor: "precision" | "recall" | "f-score",
): PrfResult {
  const average = options.average === undefined ? "binary" : options.average;
  if (!AVERAGES.includes(average)) {
    throw new InvalidArgumentError(
      `${fn}: average is ${describeValue(average)}; use one of "binary", "macro", "micro", "weighted" or null.`,
    );
  }
  const zd = zeroDivisionValue(fn, options.zeroDivision);
  const warn = options.zeroDivision === undefined || options.zeroDivision === "warn";
  const t = readLabels(fn, "yTrue", yTrue);
  const p = readLabels(fn, "yPred", yPred);
  checkSameLength(fn, ["yTrue", "yPred"], t.length, p.length);
  checkNotEmpty(fn, t.length);
  const present = uniqueSorted(fn, t, p);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);

  let labels: Label[];
  if (average === "binary") {
    if (present.length > 2) {
      throw new InvalidArgumentError(
        `${fn}: the target is multiclass (labels ${formatLabels(present)}) but average is "binary"; choose average "macro", "micro" or "weighted".`,
      );
    }
    const pos = options.posLabel === undefined ? 1 : options.posLabel;
    if (!present.includes(pos) && present.length >= 2) {
      throw new InvalidArgumentError(
        `${fn}: posLabel ${describeValue(pos)} is not a valid label; it should be one of ${formatLabels(present)}. Pass posLabel explicitly.`,
      );
    }
    labels = [pos];
  } else if (options.labels !== undefined) {
    labels = [...options.labels];
    if (labels.length === 0) {
      throw new InvalidArgumentError(`${fn}: labels is empty; pass at least one label or leave it undefined.`);
    }
  } else {
    labels = present;
  }

  const index = new Map<Label, number>();
  labels.forEach((l, i) => {
    if (!index.has(l)) index.set(l, i);
  });
  const k = labels.length;
  const tp = new Float64Array(k);
  const predSum = new Float64Array(k);
  const trueSum = new Float64Array(k);
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    const ti = index.get(t[i]);
    const pi = index.get(p[i]);
    if (ti !== undefined) trueSum[ti] += wi;
    if (pi !== undefined) predSum[pi] += wi;
    if (ti !== undefined && ti === pi) tp[ti] += wi;
  }

  let tpS: number[] = Array.from(tp);
  let predS: number[] = Array.from(predSum);
  let trueS: number[] = Array.from(trueSum);
  if (average === "micro") {
    const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
    tpS = [sum(tpS)];
    predS = [sum(predS)];
    trueS = [sum(trueS)];
  }
  const beta2 = beta * beta;
  let warned = false;
  const divide = (num: number, den: number, metric: "precision" | "recall" | "f-score"): number => {
    if (den === 0) {
      if (warn && metric === warnFor && !warned) {
        warned = true;
        const what =
          metric === "precision" ? "no predicted samples" : metric === "recall" ? "no true samples" : "no true nor predicted samples";
        process.emitWarning(
          `${fn}: the ${metric} is ill-defined and set to 0.0 for label(s) with ${what}; pass zeroDivision to choose the value and silence this warning.`,
          "UndefinedMetricWarning",
        );
      }
      return zd;
    }
    return num / den;
  };
  const precision = tpS.map((v, i) => divide(v, predS[i], "precision"));
  const recall = tpS.map((v, i) => divide(v, trueS[i], "recall"));
  const fScore = tpS.map((v, i) => divide((1 + beta2) * v, beta2 * trueS[i] + predS[i], "f-score"));
  return { precision, recall, fScore, support: trueS };
}

/** The weighted mean ignoring NaN entries, as scikit-learn's `_nanaverage`. */
function nanAverage(values: number[], weights: number[] | undefined): number {
  let num = 0;
  let den = 0;
  let count = 0;
  let plain = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    count++;
    plain += values[i];
    const wi = weights ? weights[i] : 1;
    num += wi * values[i];
    den += wi;
  }
  if (count === 0) return NaN;
  if (den === 0) return plain / count;
  return num / den;
}

function reduce(r: PrfResult, which: "precision" | "recall" | "fScore", average: Average | null | undefined): number | number[] {
  if (average === null) return r[which];
  return nanAverage(r[which], average === "weighted" ? r.support : undefined);
}

/**
 * Precision: tp / (tp + fp), for one positive class or averaged over classes.
 * @example
 * precisionScore([0, 1, 1, 0], [1, 1, 1, 0]); // 0.6666…
 * precisionScore(["a", "b", "c"], ["a", "c", "c"], { average: "macro" }); // 0.5
 */
export function precisionScore(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptionsPerLabel): number[];
export function precisionScore(yTrue: LabelsLike, yPred: LabelsLike, options?: PrfOptions): number;
export function precisionScore(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptions = {}): number | number[] {
  return reduce(precisionRecallFscore("precisionScore", yTrue, yPred, options, 1, "precision"), "precision", options.average);
}

/**
 * Recall: tp / (tp + fn), for one positive class or averaged over classes.
 * @example
 * recallScore([0, 1, 1, 0], [0, 1, 0, 0]); // 0.5
 */
export function recallScore(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptionsPerLabel): number[];
export function recallScore(yTrue: LabelsLike, yPred: LabelsLike, options?: PrfOptions): number;
export function recallScore(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptions = {}): number | number[] {
  return reduce(precisionRecallFscore("recallScore", yTrue, yPred, options, 1, "recall"), "recall", options.average);
}

/**
 * F1 score: 2·tp / (2·tp + fp + fn), for one positive class or averaged over classes.
 * @example
 * f1Score([0, 1, 1, 0], [0, 1, 0, 0]); // 0.6666…
 * f1Score(["cat", "dog", "dog"], ["cat", "dog", "cat"], { average: "weighted" });
 */
export function f1Score(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptionsPerLabel): number[];
export function f1Score(yTrue: LabelsLike, yPred: LabelsLike, options?: PrfOptions): number;
export function f1Score(yTrue: LabelsLike, yPred: LabelsLike, options: PrfOptions = {}): number | number[] {
  return reduce(precisionRecallFscore("f1Score", yTrue, yPred, options, 1, "f-score"), "fScore", options.average);
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Row / column order; default: every label present in either input, sorted. */
  labels?: readonly Label[];
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
  /** Normalise over true labels (rows), predicted labels (columns) or all cells. */
  normalize?: "true" | "pred" | "all" | null;
}

/**
 * The confusion matrix C: C[i][j] counts samples of true label i predicted as label j.
 * @example
 * confusionMatrix([0, 1, 1, 0], [0, 1, 0, 0]); // [[2, 0], [1, 1]]
 */
export function confusionMatrix(yTrue: LabelsLike, yPred: LabelsLike, options: ConfusionMatrixOptions = {}): number[][] {
  const fn = "confusionMatrix";
  const t = readLabels(fn, "yTrue", yTrue);
  const p = readLabels(fn, "yPred", yPred);
  checkSameLength(fn, ["yTrue", "yPred"], t.length, p.length);
  checkNotEmpty(fn, t.length);
  const present = uniqueSorted(fn, t, p);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  const normalize = options.normalize ?? null;
  if (normalize !== null && normalize !== "true" && normalize !== "pred" && normalize !== "all") {
    throw new InvalidArgumentError(
      `${fn}: normalize is ${describeValue(normalize)}; use "true", "pred", "all" or null.`,
    );
  }
  let labels: Label[];
  if (options.labels !== undefined) {
    labels = [...options.labels];
    if (labels.length === 0) throw new InvalidArgumentError(`${fn}: labels is empty; pass at least one label.`);
    if (!labels.some((l) => present.includes(l))) {
      throw new InvalidArgumentError(
        `${fn}: none of labels ${formatLabels(labels)} occurs in yTrue or yPred (labels there: ${formatLabels(present)}).`,
      );
    }
  } else {
    labels = present;
  }
  const index = new Map<Label, number>();
  labels.forEach((l, i) => index.set(l, i));
  const k = labels.length;
  const cm: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) {
    const ti = index.get(t[i]);
    const pi = index.get(p[i]);
    if (ti === undefined || pi === undefined) continue;
    cm[ti][pi] += w ? w[i] : 1;
  }
  if (normalize === "true") {
    for (const row of cm) {
      const s = row.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) row[j] = s === 0 ? 0 : row[j] / s;
    }
  } else if (normalize === "pred") {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += cm[i][j];
      for (let i = 0; i < k; i++) cm[i][j] = s === 0 ? 0 : cm[i][j] / s;
    }
  } else if (normalize === "all") {
    let s = 0;
    for (const row of cm) for (const v of row) s += v;
    for (const row of cm) for (let j = 0; j < k; j++) row[j] = s === 0 ? 0 : row[j] / s;
  }
  return cm;
}

/** Options of {@link logLoss}. */
export interface LogLossOptions {
  /** The classes in column order of the probabilities; default: labels of yTrue, sorted. */
  labels?: readonly Label[];
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
  /** Return the mean loss (default `true`) or the sum. */
  normalize?: boolean;
}

/**
 * Logistic loss (cross-entropy) of predicted probabilities. Probabilities are clipped to
 * [eps, 1 − eps] with eps the float64 machine epsilon, as scikit-learn 1.9 does.
 * `yProba` is either the probability of the greater (positive) class per sample, or a matrix with
 * one column per class in sorted label order (what `predictProba` returns).
 * @example
 * logLoss(["spam", "ham", "ham", "spam"], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]); // 0.21616…
 */
export function logLoss(yTrue: LabelsLike, yProba: ProbabilitiesLike, options: LogLossOptions = {}): number {
  const fn = "logLoss";
  const t = readLabels(fn, "yTrue", yTrue);
  const prob = readProbabilities(fn, "yProba", yProba);
  checkSameLength(fn, ["yTrue", "yProba"], t.length, prob.rows);
  checkNotEmpty(fn, t.length);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < prob.data.length; i++) {
    if (prob.data[i] > max) max = prob.data[i];
    if (prob.data[i] < min) min = prob.data[i];
  }
  if (max > 1) throw new InvalidArgumentError(`${fn}: yProba contains values greater than 1 (${max}); pass probabilities.`);
  if (min < 0) throw new InvalidArgumentError(`${fn}: yProba contains values lower than 0 (${min}); pass probabilities.`);

  const classes = options.labels !== undefined ? [...options.labels].sort(compareLabels) : uniqueSorted(fn, t);
  if (classes.length < 2) {
    throw new InvalidArgumentError(
      `${fn}: yTrue contains only one label (${formatLabels(classes)}); pass all the classes with the labels option.`,
    );
  }
  const index = new Map<Label, number>();
  classes.forEach((l, i) => index.set(l, i));
  const cols = prob.cols === 1 ? 2 : prob.cols;
  if (cols !== classes.length) {
    throw new InvalidArgumentError(
      options.labels === undefined
        ? `${fn}: yTrue and yProba contain different numbers of classes (${classes.length} vs ${cols}); pass the true labels explicitly with the labels option. Classes found in yTrue: ${formatLabels(classes)}.`
        : `${fn}: the number of classes in labels (${classes.length}) differs from the columns of yProba (${cols}). Classes in labels: ${formatLabels(classes)}.`,
    );
  }
  const eps = Number.EPSILON;
  const tol = Math.sqrt(eps);
  let warnedSum = false;
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < t.length; i++) {
    const c = index.get(t[i]);
    if (c === undefined) {
      throw new InvalidArgumentError(
        `${fn}: yTrue[${i}] is ${describeValue(t[i])}, which is not among labels ${formatLabels(classes)}; add it to labels.`,
      );
    }
    let pc: number;
    if (prob.cols === 1) {
      const p1 = prob.data[i];
      pc = c === 1 ? p1 : 1 - p1;
    } else {
      pc = prob.data[i * cols + c];
      if (!warnedSum) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += prob.data[i * cols + j];
        if (!(Math.abs(s - 1) <= 1e-8 + tol)) {
          warnedSum = true;
          process.emitWarning(
            `${fn}: the yProba values of row ${i} do not sum to one (${s}); make sure to pass probabilities.`,
            "UserWarning",
          );
        }
      }
    }
    if (pc < eps) pc = eps;
    else if (pc > 1 - eps) pc = 1 - eps;
    const wi = w ? w[i] : 1;
    total += -Math.log(pc) * wi;
    wsum += wi;
  }
  if (options.normalize === false) return total;
  return total / wsum;
}
