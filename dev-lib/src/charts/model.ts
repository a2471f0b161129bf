/**
 * Charts of a model: ROC, precision-recall and calibration curves, the confusion matrix and the
 * coefficients of a linear model.
 */
import { formatValue, InvalidArgumentError } from "@trellis/shared";
import { calibrationCurve, confusionMatrix, isTransformer, precisionRecallCurve, rocCurve, Pipeline } from "@trellis/prod";
import type { CalibrationCurveOptions, ConfusionMatrixOptions, CurveOptions, Label, LabelsLike, NumbersLike } from "@trellis/prod";
import { Chart } from "./chart";
import type { ChartOptions } from "./chart";
import { drawBars, drawLines } from "./basic";
import { Frame, PALETTE, linearScale, px, xml } from "./svg";

/** The diagonal of a unit square: chance level for ROC, perfect calibration for calibration. */
function diagonal(frame: Frame, sx: (v: number) => number, sy: (v: number) => number): void {
  frame.add(
    `<line class="diagonal" x1="${px(sx(0))}" y1="${px(sy(0))}" x2="${px(sx(1))}" y2="${px(sy(1))}" stroke="#999" stroke-dasharray="4 4"/>`,
  );
}

/** Trapezoidal area under a curve (scikit-learn's `auc`). */
function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return Math.abs(area);
}

/** Options of {@link rocChart}. */
export interface RocChartOptions extends ChartOptions, CurveOptions {
  /** The legend name of the curve (default "model"). */
  name?: string;
}

/**
 * The ROC curve of a binary classifier's scores ({@link rocCurve} of @trellis/prod), with the
 * area under it in the legend and the chance diagonal.
 * @example rocChart(yTest, model.predictProba(XTest).column(1)).save("roc.svg")
 */
export function rocChart(yTrue: LabelsLike, yScore: NumbersLike, options: RocChartOptions = {}): Chart {
  const { fpr, tpr } = rocCurve(yTrue, yScore, options);
  if (fpr.some(Number.isNaN) || tpr.some(Number.isNaN)) {
    throw new InvalidArgumentError("rocChart: yTrue holds only one class, so the ROC curve is not defined; pass both classes.");
  }
  const auc = trapezoid(fpr, tpr);
  const name = `${options.name ?? "model"} (AUC = ${auc.toFixed(3)})`;
  const description = `ROC curve: ${fpr.length} points, AUC ${formatValue(auc, 4)}`;
  return drawLines("roc", [...fpr], [{ name, values: [...tpr] }], {
    title: "ROC curve",
    width: 500,
    height: 500,
    xLabel: "false positive rate",
    yLabel: "true positive rate",
    markers: false,
    ...options,
    domainX: [0, 1],
    domainY: [0, 1],
    description,
    extra: diagonal,
    legend: [{ label: name, color: PALETTE[0]! }, { label: "chance", color: "#999", dashed: true }],
    legendCorner: "bottom-right",
  });
}

/** Options of {@link precisionRecallChart}. */
export interface PrecisionRecallChartOptions extends ChartOptions, CurveOptions {
  /** The legend name of the curve (default "model"). */
  name?: string;
}

/**
 * The precision-recall curve of a binary classifier's scores ({@link precisionRecallCurve} of
 * @trellis/prod), drawn as steps like scikit-learn's display, with the average precision
 * (Σ (R_n − R_{n−1})·P_n, scikit-learn's `average_precision_score`) in the legend.
 * @example precisionRecallChart(yTest, scores).save("pr.svg")
 */
export function precisionRecallChart(yTrue: LabelsLike, yScore: NumbersLike, options: PrecisionRecallChartOptions = {}): Chart {
  const { precision, recall } = precisionRecallCurve(yTrue, yScore, options);
  let ap = 0;
  for (let i = 0; i < recall.length - 1; i++) ap -= (recall[i + 1]! - recall[i]!) * precision[i]!;
  // Steps: precision holds until the next recall value (matplotlib's "steps-post").
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < recall.length; i++) {
    if (i > 0) {
      xs.push(recall[i]!);
      ys.push(precision[i - 1]!);
    }
    xs.push(recall[i]!);
    ys.push(precision[i]!);
  }
  const name = `${options.name ?? "model"} (AP = ${ap.toFixed(3)})`;
  const description = `precision-recall curve: ${recall.length} points, average precision ${formatValue(ap, 4)}`;
  return drawLines("precision-recall", xs, [{ name, values: ys }], {
    title: "Precision-recall curve",
    width: 500,
    height: 500,
    xLabel: "recall",
    yLabel: "precision",
    markers: false,
    ...options,
    domainX: [0, 1],
    domainY: [0, 1],
    description,
    legend: [{ label: name, color: PALETTE[0]! }],
    legendCorner: "bottom-left",
  });
}

/** Options of {@link calibrationChart}. */
export interface CalibrationChartOptions extends ChartOptions, CalibrationCurveOptions {
  /** The legend name of the curve (default "model"). */
  name?: string;
}

/**
 * The calibration (reliability) curve ({@link calibrationCurve} of @trellis/prod): the share of
 * positives against the mean predicted probability per bin, with the perfectly calibrated diagonal.
 * @example calibrationChart(yTest, probabilities, { nBins: 10, strategy: "quantile" })
 */
export function calibrationChart(yTrue: LabelsLike, yProb: NumbersLike, options: CalibrationChartOptions = {}): Chart {
  const { probTrue, probPred, counts } = calibrationCurve(yTrue, yProb, options);
  const name = options.name ?? "model";
  const description = `calibration curve: ${probTrue.length} bins (${options.strategy ?? "uniform"}), ${counts.reduce((s, c) => s + c, 0)} samples`;
  return drawLines("calibration", [...probPred], [{ name, values: [...probTrue] }], {
    title: "Calibration curve",
    width: 500,
    height: 500,
    xLabel: "mean predicted probability",
    yLabel: "fraction of positives",
    markers: true,
    ...options,
    domainX: [0, 1],
    domainY: [0, 1],
    description,
    extra: diagonal,
    legend: [{ label: name, color: PALETTE[0]! }, { label: "perfectly calibrated", color: "#999", dashed: true }],
    legendCorner: "top-left",
  });
}

/** Options of {@link confusionMatrixChart}. */
export interface ConfusionMatrixChartOptions extends ChartOptions, ConfusionMatrixOptions {}

/**
 * The confusion matrix as a heatmap: one cell per (true, predicted) pair, shaded by its value, the
 * value written inside; rows are true labels, columns predicted labels (scikit-learn's layout).
 * @example confusionMatrixChart(yTest, model.predict(XTest), { normalize: "true" })
 */
export function confusionMatrixChart(yTrue: LabelsLike, yPred: LabelsLike, options: ConfusionMatrixChartOptions = {}): Chart {
  const matrix = confusionMatrix(yTrue, yPred, options);
  const labels: Label[] = options.labels ? [...options.labels] : sortedLabels(yTrue, yPred);
  const k = labels.length;
  const names = labels.map((l) => String(l));
  const longest = Math.max(...names.map((n) => n.length));
  const size = Math.min(90, Math.max(36, 360 / k));
  const marginLeft = 70 + Math.min(40, longest) * 6.5;
  const width = options.width ?? Math.max(320, marginLeft + size * k + 30);
  const height = options.height ?? 36 + size * k + 70;
  const frame = new Frame({ title: "Confusion matrix", xLabel: "predicted label", yLabel: "true label", ...options, width, height, marginLeft });
  const cell = Math.min((frame.right - frame.left) / k, (frame.bottom - frame.top) / k);
  let max = 0;
  for (const row of matrix) for (const v of row) max = Math.max(max, v);
  const out = ['<g class="cells" font-size="12" text-anchor="middle">'];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = matrix[i]![j]!;
      const t = max > 0 ? v / max : 0;
      const fill = shade(t);
      const x = frame.left + j * cell;
      const y = frame.top + i * cell;
      const text = options.normalize ? formatValue(v, 3) : String(v);
      out.push(
        `<rect class="cell" x="${px(x)}" y="${px(y)}" width="${px(cell)}" height="${px(cell)}" fill="${fill}" stroke="white" data-true="${xml(names[i]!)}" data-pred="${xml(names[j]!)}" data-value="${v}"><title>${xml(`true ${names[i]}, predicted ${names[j]}: ${text}`)}</title></rect>`,
        `<text class="cell-value" x="${px(x + cell / 2)}" y="${px(y + cell / 2)}" dy="0.35em" fill="${t > 0.55 ? "white" : "#222"}">${xml(text)}</text>`,
      );
    }
  }
  out.push("</g>");
  frame.add(out.join(""));
  frame.xBandAxis(names, names.map((_, j) => frame.left + (j + 0.5) * cell));
  frame.yBandAxis(names, names.map((_, i) => frame.top + (i + 0.5) * cell));
  const total = matrix.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const diag = matrix.reduce((s, row, i) => s + row[i]!, 0);
  const description = options.normalize
    ? `confusion matrix of ${k} labels (normalised over ${options.normalize === "all" ? "all cells" : options.normalize === "true" ? "true labels" : "predicted labels"})`
    : `confusion matrix of ${k} labels: ${diag} of ${total} on the diagonal`;
  return new Chart("confusion-matrix", frame.render(description), description);
}

/** White to the palette's blue. */
function shade(t: number): string {
  const from = [255, 255, 255];
  const to = [31, 78, 140];
  const c = from.map((f, i) => Math.round(f + (to[i]! - f) * t));
  return `rgb(${c.join(",")})`;
}

function sortedLabels(yTrue: LabelsLike, yPred: LabelsLike): Label[] {
  const seen = new Set<Label>();
  for (const input of [yTrue, yPred]) {
    const n = input.length;
    for (let i = 0; i < n; i++) {
      let v = (typeof (input as { get?: unknown }).get === "function" ? (input as { get(i: number): unknown }).get(i) : (input as ArrayLike<unknown>)[i]) as unknown;
      if (typeof v === "boolean") v = v ? 1 : 0;
      if (typeof v === "bigint") v = Number(v);
      seen.add(v as Label);
    }
  }
  return [...seen].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/** Options of {@link coefficientsChart}. */
export interface CoefficientsChartOptions extends ChartOptions {
  /** Feature names (default: the pipeline's `getFeatureNamesOut()`, else the model's `featureNamesIn_`). */
  featureNames?: readonly string[];
  /** Show the `top` largest coefficients by absolute value (default 20). */
  top?: number;
  /** For a multiclass model, the class whose coefficients are shown (default: the first row). */
  classIndex?: number;
}

interface CoefMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

function readCoefficients(model: unknown): Float64Array[] {
  const coef = (model as { coef_?: unknown }).coef_;
  if (coef instanceof Float64Array) return [coef];
  if (coef && typeof coef === "object" && "rows" in coef && "cols" in coef && "data" in coef) {
    const m = coef as CoefMatrix;
    return Array.from({ length: m.rows }, (_, r) => m.data.subarray(r * m.cols, (r + 1) * m.cols));
  }
  throw new InvalidArgumentError(
    `coefficientsChart: ${(model as { constructor?: { name?: string } })?.constructor?.name ?? "the model"} has no coef_; pass a fitted linear model or a pipeline ending in one.`,
  );
}

/**
 * The coefficients of a fitted linear model (or of a pipeline's final linear step) as horizontal
 * bars, largest absolute values first, negative ones in another colour; names come from the
 * pipeline's `getFeatureNamesOut()` (e.g. `cat__plan_pro`) so each bar names its encoded feature.
 * Coefficients compare as importances only when the features share a scale (standardise first).
 * @example coefficientsChart(pipeline, { top: 15 }).save("coefficients.svg")
 */
export function coefficientsChart(model: unknown, options: CoefficientsChartOptions = {}): Chart {
  const fn = "coefficientsChart";
  let estimator: unknown = model;
  let names: readonly string[] | undefined = options.featureNames;
  if (model instanceof Pipeline) {
    estimator = model.finalEstimator;
    if (!names) {
      const transformers = model.steps.filter(([, e]) => e !== "passthrough" && isTransformer(e));
      names = transformers.length ? model.getFeatureNamesOut() : undefined;
    }
  }
  const rows = readCoefficients(estimator);
  const classIndex = options.classIndex ?? 0;
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= rows.length) {
    throw new InvalidArgumentError(`${fn}: classIndex ${String(classIndex)} is out of range; the model has ${rows.length} row(s) of coefficients.`);
  }
  const coef = rows[classIndex]!;
  if (!names) {
    try {
      names = (estimator as { featureNamesIn_?: string[] }).featureNamesIn_;
    } catch {
      names = undefined;
    }
  }
  names ??= Array.from({ length: coef.length }, (_, i) => `x${i}`);
  if (names.length !== coef.length) {
    throw new InvalidArgumentError(`${fn}: ${names.length} feature names for ${coef.length} coefficients; pass featureNames with one name per coefficient.`);
  }
  const top = options.top ?? 20;
  if (!Number.isInteger(top) || top < 1) throw new InvalidArgumentError(`${fn}: top must be a whole number ≥ 1, got ${String(top)}.`);
  const order = Array.from(coef.keys()).sort((a, b) => Math.abs(coef[b]!) - Math.abs(coef[a]!) || a - b).slice(0, top);
  const labels = order.map((i) => names![i]!);
  const values = order.map((i) => coef[i]!);
  const description = `coefficients: the ${order.length} largest of ${coef.length} by absolute value`;
  const cls = rows.length > 1 ? ` (class ${classIndex})` : "";
  return drawBars("coefficients", labels, values, {
    title: `Coefficients${cls}`,
    xLabel: "coefficient",
    ...options,
    horizontal: true,
    signed: true,
    description,
  });
}
