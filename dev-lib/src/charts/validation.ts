/**
 * The validation curve of a hyper-parameter search: mean score ± one standard deviation across
 * folds against one parameter's values, read from a search's `cvResults_`.
 */
import { formatValue, InvalidArgumentError } from "@trellis/shared";
import { Chart } from "./chart";
import type { ChartOptions } from "./chart";
import { drawLines } from "./basic";
import type { LineSeries } from "./basic";
import { PALETTE } from "./svg";

/**
 * A search's results keyed as scikit-learn's `cv_results_`: `params` (one object per candidate),
 * `param_<name>`, `mean_test_<metric>`, `std_test_<metric>`, `rank_test_<metric>`, and with
 * train scores `mean_train_<metric>` / `std_train_<metric>` (metric "score" for a single scorer).
 * Only `params` is required by the type, so a search's own `cvResults_` (an interface without an
 * index signature) is accepted as it is; the other keys are read by name.
 */
export type CvResults = { readonly params: readonly Readonly<Record<string, unknown>>[] };

/** Options of {@link validationCurveChart}. */
export interface ValidationCurveOptions extends ChartOptions {
  /** The metric of a multi-metric search (default "score": `mean_test_score`). */
  metric?: string;
  /** Log-scaled x axis (default: when the values are positive and span at least two decades). */
  logX?: boolean;
  /**
   * Values of the other parameters to hold fixed (default: those of the best candidate, rank 1, so
   * the curve passes through the best model).
   */
  fixed?: Readonly<Record<string, unknown>>;
}

function column(results: CvResults, key: string): unknown[] | undefined {
  const v = (results as unknown as Readonly<Record<string, ArrayLike<unknown> | undefined>>)[key];
  return v === undefined ? undefined : Array.from(v as ArrayLike<unknown>);
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The validation curve of one parameter from a search's `cvResults_` (GridSearchCV or
 * RandomizedSearchCV): mean test score (and mean train score when the search kept them) against
 * the parameter's values, with a band of ± one standard deviation across folds. Candidates whose
 * other parameters differ from `fixed` (default: the best candidate's) are left out. Numeric values
 * are placed on a linear or log axis; other values (strings, booleans) at evenly spaced positions.
 * @example
 * const search = new GridSearchCV({ estimator: pipe, paramGrid: { clf__C: [0.01, 0.1, 1, 10] } }).fit(X, y);
 * validationCurveChart(search.cvResults_, "clf__C").save("C.svg");
 */
export function validationCurveChart(cvResults: CvResults, param: string, options: ValidationCurveOptions = {}): Chart {
  const fn = "validationCurveChart";
  if (!cvResults || !Array.isArray(cvResults.params)) {
    throw new InvalidArgumentError(`${fn}: cvResults must be a search's cvResults_ (an object with a params array).`);
  }
  const metric = options.metric ?? "score";
  const values = column(cvResults, `param_${param}`);
  if (!values) {
    const names = Object.keys(cvResults).filter((k) => k.startsWith("param_")).map((k) => k.slice(6));
    throw new InvalidArgumentError(`${fn}: cvResults has no param_${param}; searched parameters: ${names.join(", ") || "none"}.`);
  }
  const meanTest = column(cvResults, `mean_test_${metric}`);
  const stdTest = column(cvResults, `std_test_${metric}`);
  if (!meanTest || !stdTest) {
    const metrics = Object.keys(cvResults).filter((k) => k.startsWith("mean_test_")).map((k) => k.slice(10));
    throw new InvalidArgumentError(`${fn}: cvResults has no mean_test_${metric}/std_test_${metric}; metrics: ${metrics.join(", ") || "none"}.`);
  }
  const meanTrain = column(cvResults, `mean_train_${metric}`);
  const stdTrain = column(cvResults, `std_train_${metric}`);
  const params = cvResults.params;
  const n = params.length;

  let fixed = options.fixed;
  if (!fixed) {
    const ranks = column(cvResults, `rank_test_${metric}`);
    let best = 0;
    for (let i = 1; i < n; i++) {
      const better = ranks ? Number(ranks[i]) < Number(ranks[best]) : Number(meanTest[i]) > Number(meanTest[best]);
      if (better) best = i;
    }
    fixed = params[best] ?? {};
  }
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = params[i]!;
    // A candidate of another sub-grid may not set this parameter at all (a masked value in scikit-learn).
    if (values[i] === null || values[i] === undefined) continue;
    const others = Object.keys(p).filter((k) => k !== param);
    if (others.every((k) => !(k in fixed!) || same(p[k], fixed![k]))) chosen.push(i);
  }
  if (chosen.length === 0) {
    throw new InvalidArgumentError(`${fn}: no candidate has the fixed values ${JSON.stringify(fixed)} of the other parameters.`);
  }
  const numeric = chosen.every((i) => typeof values[i] === "number" && Number.isFinite(values[i] as number));
  chosen.sort((a, b) => (numeric ? (values[a] as number) - (values[b] as number) : 0));
  const categories = numeric ? [] : [...new Set(chosen.map((i) => formatValue(values[i])))];
  const xs = chosen.map((i) => (numeric ? (values[i] as number) : categories.indexOf(formatValue(values[i]))));
  const logX =
    options.logX ?? (numeric && xs.every((v) => v > 0) && Math.max(...xs) / Math.min(...xs) >= 100);
  if (logX && !xs.every((v) => v > 0)) throw new InvalidArgumentError(`${fn}: a log x axis needs positive values of ${param}.`);
  const num = (arr: unknown[] | undefined, i: number) => (arr && arr[i] !== null && arr[i] !== undefined ? Number(arr[i]) : null);
  const series: LineSeries[] = [];
  const band = (mean: unknown[], std: unknown[]) => ({
    lower: chosen.map((i) => (num(mean, i) === null ? null : num(mean, i)! - (num(std, i) ?? 0))),
    upper: chosen.map((i) => (num(mean, i) === null ? null : num(mean, i)! + (num(std, i) ?? 0))),
  });
  if (meanTrain) {
    series.push({ name: `train ${metric}`, values: chosen.map((i) => num(meanTrain, i)), color: PALETTE[1], band: stdTrain ? band(meanTrain, stdTrain) : undefined });
  }
  series.push({ name: `validation ${metric}`, values: chosen.map((i) => num(meanTest, i)), color: PALETTE[0], band: band(meanTest, stdTest) });
  const description = `validation curve of ${param}: ${chosen.length} values, ${metric} ± 1 std over folds`;
  const chart = drawLines("validation-curve", xs, series, {
    title: `Validation curve: ${param}`,
    xLabel: param,
    yLabel: metric,
    markers: true,
    ...options,
    logX,
    domainX: numeric ? undefined : [-0.5, Math.max(0.5, categories.length - 0.5)],
    xCategories: numeric ? undefined : categories,
    description,
    legend: series.map((s) => ({ label: s.name, color: s.color! })),
    legendCorner: "bottom-right",
  });
  return chart;
}
