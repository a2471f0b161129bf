/**
 * Regression metrics with scikit-learn semantics (single output).
 */
import { checkNotEmpty, checkSameLength, readNumbers, readSampleWeight } from "./inputs";
import type { NumbersLike } from "./inputs";

/** Options shared by the regression metrics. */
export interface RegressionMetricOptions {
  /** One non-negative weight per sample. */
  sampleWeight?: NumbersLike;
}

function read(fn: string, yTrue: NumbersLike, yPred: NumbersLike, options: RegressionMetricOptions) {
  const t = readNumbers(fn, "yTrue", yTrue);
  const p = readNumbers(fn, "yPred", yPred);
  checkSameLength(fn, ["yTrue", "yPred"], t.length, p.length);
  checkNotEmpty(fn, t.length);
  const w = readSampleWeight(fn, options.sampleWeight, t.length);
  return { t, p, w };
}

/**
 * Mean of the squared errors (yTrue − yPred)².
 * @example
 * meanSquaredError([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.375
 */
export function meanSquaredError(yTrue: NumbersLike, yPred: NumbersLike, options: RegressionMetricOptions = {}): number {
  const { t, p, w } = read("meanSquaredError", yTrue, yPred, options);
  let num = 0;
  let den = 0;
  for (let i = 0; i < t.length; i++) {
    const d = t[i] - p[i];
    const wi = w ? w[i] : 1;
    num += wi * d * d;
    den += wi;
  }
  return num / den;
}

/**
 * Mean of the absolute errors |yTrue − yPred|.
 * @example
 * meanAbsoluteError([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.5
 */
export function meanAbsoluteError(yTrue: NumbersLike, yPred: NumbersLike, options: RegressionMetricOptions = {}): number {
  const { t, p, w } = read("meanAbsoluteError", yTrue, yPred, options);
  let num = 0;
  let den = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    num += wi * Math.abs(t[i] - p[i]);
    den += wi;
  }
  return num / den;
}

/**
 * Coefficient of determination R² = 1 − SS_res / SS_tot. Like scikit-learn (`force_finite`), a
 * constant yTrue gives 1 for a perfect prediction and 0 otherwise instead of NaN / −∞.
 * @example
 * r2Score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]); // 0.9486…
 */
export function r2Score(yTrue: NumbersLike, yPred: NumbersLike, options: RegressionMetricOptions = {}): number {
  const { t, p, w } = read("r2Score", yTrue, yPred, options);
  let wsum = 0;
  let mean = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    wsum += wi;
    mean += wi * t[i];
  }
  mean /= wsum;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < t.length; i++) {
    const wi = w ? w[i] : 1;
    const r = t[i] - p[i];
    const c = t[i] - mean;
    ssRes += wi * r * r;
    ssTot += wi * c * c;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
