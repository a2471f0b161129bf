/**
 * Threshold curves of a binary classifier, as scikit-learn computes them: `rocCurve`
 * (`roc_curve`), `precisionRecallCurve` (`precision_recall_curve`) and `calibrationCurve`
 * (`sklearn.calibration.calibration_curve`). Each returns plain typed arrays, ready for a chart.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { quantileSorted } from "../monitor/profile";
import {
  checkNotEmpty,
  checkSameLength,
  describeValue,
  formatLabels,
  readLabels,
  readNumbers,
  readSampleWeight,
  uniqueSorted,
} from "./inputs";
import type { Label, LabelsLike, NumbersLike } from "./inputs";

/** Options shared by {@link rocCurve} and {@link precisionRecallCurve}. */
export interface CurveOptions {
  /**
   * The positive class. Default: 1 when the labels are a subset of {0, 1} or {-1, 1} (as
   * scikit-learn); other labels (e.g. strings) need it.
   */
  posLabel?: Label;
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
  /**
   * Drop thresholds that do not change the curve's shape (scikit-learn's `drop_intermediate`):
   * default true for {@link rocCurve}, false for {@link precisionRecallCurve}.
   */
  dropIntermediate?: boolean;
}

/** What {@link rocCurve} returns. */
export interface RocCurve {
  /** False positive rate at each threshold (increasing, from 0 to 1). */
  fpr: Float64Array;
  /** True positive rate at each threshold (increasing, from 0 to 1). */
  tpr: Float64Array;
  /** Decreasing score thresholds; the first is Infinity (no sample predicted positive). */
  thresholds: Float64Array;
}

/** What {@link precisionRecallCurve} returns. */
export interface PrecisionRecallCurve {
  /** Precision at each threshold, then 1 (one more value than `thresholds`). */
  precision: Float64Array;
  /** Recall at each threshold (decreasing), then 0. */
  recall: Float64Array;
  /** Increasing score thresholds. */
  thresholds: Float64Array;
}

/** The positive class by scikit-learn's rule (`_check_pos_label_consistency`). */
function resolvePosLabel(fn: string, labels: Label[], posLabel: Label | undefined): Label {
  const classes = uniqueSorted(fn, labels);
  if (classes.length > 2) {
    throw new InvalidArgumentError(
      `${fn}: yTrue has ${classes.length} classes ${formatLabels(classes)}; curves need a binary target (one class against the rest: map yTrue to 0/1 first).`,
    );
  }
  if (posLabel !== undefined) return posLabel;
  const binaryNumbers = classes.every((c) => c === 0 || c === 1) || classes.every((c) => c === -1 || c === 1);
  if (!binaryNumbers) {
    throw new InvalidArgumentError(
      `${fn}: yTrue takes the values ${formatLabels(classes)} and posLabel is not given; pass posLabel (the positive class).`,
    );
  }
  return 1;
}

interface Counts {
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

/**
 * Cumulative false and true positives at each distinct score, scores descending (scikit-learn's
 * `_binary_clf_curve`).
 */
function binaryClfCurve(fn: string, yTrue: LabelsLike, yScore: NumbersLike, options: CurveOptions): Counts {
  const t = readLabels(fn, "yTrue", yTrue);
  const s = readNumbers(fn, "yScore", yScore, true);
  checkSameLength(fn, ["yTrue", "yScore"], t.length, s.length);
  checkNotEmpty(fn, t.length);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  const pos = resolvePosLabel(fn, t, options.posLabel);
  const n = t.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[b]! - s[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    const wi = w ? w[i]! : 1;
    if (t[i] === pos) tp += wi;
    else fp += wi;
    if (r === n - 1 || s[order[r + 1]!] !== s[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(s[i]!);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}

function take(values: Float64Array, keep: number[]): Float64Array {
  const out = new Float64Array(keep.length);
  keep.forEach((k, i) => (out[i] = values[k]!));
  return out;
}

/**
 * The receiver operating characteristic curve of a binary classifier, equal to scikit-learn's
 * `roc_curve`: one point per distinct score (collinear points dropped unless
 * `dropIntermediate: false`), starting at (0, 0) with threshold Infinity. Without negatives (or
 * positives) in yTrue, fpr (or tpr) is all NaN, as in scikit-learn.
 * @example
 * const { fpr, tpr, thresholds } = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [Infinity, 0.8, 0.4, 0.35, 0.1]
 */
export function rocCurve(yTrue: LabelsLike, yScore: NumbersLike, options: CurveOptions = {}): RocCurve {
  const fn = "rocCurve";
  let { fps, tps, thresholds } = binaryClfCurve(fn, yTrue, yScore, options);
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    // Keep the ends and every point where the curve bends (a non-zero second difference).
    const keep = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      // numpy's diff(x, 2), evaluated the same way so weighted sums agree to the bit.
      const d2f = fps[i + 1]! - fps[i]! - (fps[i]! - fps[i - 1]!);
      const d2t = tps[i + 1]! - tps[i]! - (tps[i]! - tps[i - 1]!);
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = take(fps, keep);
    tps = take(tps, keep);
    thresholds = take(thresholds, keep);
  }
  const m = fps.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const th = new Float64Array(m);
  th[0] = Infinity;
  const fTotal = fps[fps.length - 1]!;
  const tTotal = tps[tps.length - 1]!;
  for (let i = 1; i < m; i++) {
    fpr[i] = fTotal <= 0 ? NaN : fps[i - 1]! / fTotal;
    tpr[i] = tTotal <= 0 ? NaN : tps[i - 1]! / tTotal;
    th[i] = thresholds[i - 1]!;
  }
  if (fTotal <= 0) fpr[0] = NaN;
  if (tTotal <= 0) tpr[0] = NaN;
  return { fpr, tpr, thresholds: th };
}

/**
 * Precision and recall at every distinct score threshold, equal to scikit-learn's
 * `precision_recall_curve`: thresholds increasing, recall decreasing, a last point (recall 0,
 * precision 1) with no threshold. Precision with no predicted positive is 0; without positives in
 * yTrue, recall is 1 everywhere (scikit-learn warns; here it is documented).
 * @example
 * const { precision, recall, thresholds } = precisionRecallCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // precision [0.5, 2/3, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0], thresholds [0.1, 0.35, 0.4, 0.8]
 */
export function precisionRecallCurve(
  yTrue: LabelsLike,
  yScore: NumbersLike,
  options: CurveOptions = {},
): PrecisionRecallCurve {
  const fn = "precisionRecallCurve";
  let { fps, tps, thresholds } = binaryClfCurve(fn, yTrue, yScore, options);
  if ((options.dropIntermediate ?? false) && fps.length > 2) {
    // Keep the ends and every point next to a change of tps (drops runs of equal recall).
    const keep = [0];
    for (let i = 1; i < tps.length - 1; i++) {
      if (tps[i]! !== tps[i - 1]! || tps[i + 1]! !== tps[i]!) keep.push(i);
    }
    keep.push(tps.length - 1);
    fps = take(fps, keep);
    tps = take(tps, keep);
    thresholds = take(thresholds, keep);
  }
  const m = tps.length;
  const tTotal = tps[m - 1]!;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const th = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const j = m - 1 - i;
    const ps = tps[j]! + fps[j]!;
    precision[i] = ps !== 0 ? tps[j]! / ps : 0;
    recall[i] = tTotal === 0 ? 1 : tps[j]! / tTotal;
    th[i] = thresholds[j]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: th };
}

/** Options of {@link calibrationCurve}. */
export interface CalibrationCurveOptions {
  /** Number of bins (default 5, as scikit-learn). */
  nBins?: number;
  /** `"uniform"` (equal-width bins on [0, 1], default) or `"quantile"` (equal-count bins). */
  strategy?: "uniform" | "quantile";
  /** The positive class (scikit-learn's rule when undefined; see {@link CurveOptions.posLabel}). */
  posLabel?: Label;
}

/** What {@link calibrationCurve} returns (one entry per non-empty bin). */
export interface CalibrationCurve {
  /** The share of positives in each bin. */
  probTrue: Float64Array;
  /** The mean predicted probability in each bin. */
  probPred: Float64Array;
  /** Samples in each bin. */
  counts: Int32Array;
}

/**
 * The calibration (reliability) curve of a binary classifier, equal to scikit-learn's
 * `calibration_curve`: predicted probabilities are binned (`uniform` widths on [0, 1], or
 * `quantile` edges at numpy's linear percentiles), each value going to the bin found by
 * `searchsorted(inner_edges, p, side="left")`; empty bins are left out.
 * @example
 * const { probTrue, probPred } = calibrationCurve([0, 0, 1, 1], [0.1, 0.4, 0.6, 0.9], { nBins: 2 });
 * // probTrue [0, 1], probPred [0.25, 0.75]
 */
export function calibrationCurve(
  yTrue: LabelsLike,
  yProb: NumbersLike,
  options: CalibrationCurveOptions = {},
): CalibrationCurve {
  const fn = "calibrationCurve";
  const nBins = options.nBins ?? 5;
  const strategy = options.strategy ?? "uniform";
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new InvalidArgumentError(`${fn}: nBins must be a whole number ≥ 1, got ${describeValue(nBins)}.`);
  }
  if (strategy !== "uniform" && strategy !== "quantile") {
    throw new InvalidArgumentError(`${fn}: strategy is ${describeValue(strategy)}; use "uniform" or "quantile".`);
  }
  const t = readLabels(fn, "yTrue", yTrue);
  const p = readNumbers(fn, "yProb", yProb);
  checkSameLength(fn, ["yTrue", "yProb"], t.length, p.length);
  checkNotEmpty(fn, t.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of p) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < 0 || hi > 1) {
    throw new InvalidArgumentError(
      `${fn}: yProb has values outside [0, 1] (min ${lo}, max ${hi}); pass probabilities, e.g. a column of predictProba.`,
    );
  }
  const pos = resolvePosLabel(fn, t, options.posLabel);
  // numpy's linspace(0, 1, nBins + 1): i·step, the last edge exactly 1.
  const step = 1 / nBins;
  const grid = Array.from({ length: nBins + 1 }, (_, i) => (i === nBins ? 1 : i * step));
  let edges: number[];
  if (strategy === "uniform") edges = grid;
  else {
    const sorted = Float64Array.from(p).sort();
    // np.percentile(p, grid * 100) divides q by 100 again, so round-trip the same way.
    edges = grid.map((q) => quantileSorted(sorted, (q * 100) / 100));
  }
  const inner = edges.slice(1, -1);
  const sums = new Float64Array(nBins);
  const trues = new Float64Array(nBins);
  const totals = new Int32Array(nBins);
  for (let i = 0; i < p.length; i++) {
    // searchsorted side="left": the number of inner edges strictly below the value.
    let a = 0;
    let b = inner.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (inner[mid]! < p[i]!) a = mid + 1;
      else b = mid;
    }
    sums[a] += p[i]!;
    if (t[i] === pos) trues[a] += 1;
    totals[a]++;
  }
  const probTrue: number[] = [];
  const probPred: number[] = [];
  const counts: number[] = [];
  for (let k = 0; k < nBins; k++) {
    if (totals[k] === 0) continue;
    probTrue.push(trues[k]! / totals[k]!);
    probPred.push(sums[k]! / totals[k]!);
    counts.push(totals[k]!);
  }
  return { probTrue: Float64Array.from(probTrue), probPred: Float64Array.from(probPred), counts: Int32Array.from(counts) };
}
