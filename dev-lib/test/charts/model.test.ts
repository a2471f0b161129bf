import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { LogisticRegression, Pipeline, StandardScaler, calibrationCurve, precisionRecallCurve } from "@trellis/prod";
import { calibrationChart, coefficientsChart, confusionMatrixChart, precisionRecallChart, rocChart } from "../../src/charts/model";
import { validationCurveChart } from "../../src/charts/validation";
import { GridSearchCV } from "../../src/model-selection/search";
import { invert, marks, num, parseSvg, pathPoints } from "./svg-helpers";

// scikit-learn's roc_curve / precision_recall_curve outputs, made by prod-lib/test/fixtures/make_curves.py.
type Num = number | null | "inf";
const curves = JSON.parse(readFileSync(new URL("../../../prod-lib/test/fixtures/curves.json", import.meta.url), "utf8")) as {
  cases: Record<string, { input: { y_true: number[]; y_score: number[] }; [k: string]: unknown }>;
};
const c = curves.cases.continuous!;
/** Half a hundredth of a pixel over the plot width, as a share of the unit axis. */
const PIXEL = 0.01 / 500;

describe("rocChart", () => {
  it("draws a path whose vertices are scikit-learn's roc_curve points, with the chance diagonal", () => {
    const ref = c.roc_drop_True as { fpr: Num[]; tpr: Num[] };
    const chart = rocChart(c.input.y_true, c.input.y_score);
    const root = parseSvg(chart.svg);
    const [line] = marks(root, "path", "line");
    const points = pathPoints(line!.getAttribute("d")!).map((p) => invert(chart, p));
    expect(points).toHaveLength(ref.fpr.length);
    points.forEach(([x, y], i) => {
      expect(Math.abs(x - (ref.fpr[i] as number))).toBeLessThan(PIXEL * 2);
      expect(Math.abs(y - (ref.tpr[i] as number))).toBeLessThan(PIXEL * 2);
    });
    expect(marks(root, "line", "diagonal")).toHaveLength(1);
    expect(String(chart)).toMatch(/^ROC curve: \d+ points, AUC 0\.\d+$/);
    expect(() => rocChart([1, 1], [0.2, 0.4])).toThrow("rocChart: yTrue holds only one class, so the ROC curve is not defined; pass both classes.");
  });
});

describe("precisionRecallChart", () => {
  it("draws precision as steps through every point of precision_recall_curve", () => {
    const ref = c.pr_drop_False as { precision: Num[]; recall: Num[] };
    const chart = precisionRecallChart(c.input.y_true, c.input.y_score);
    const [line] = marks(parseSvg(chart.svg), "path", "line");
    const points = pathPoints(line!.getAttribute("d")!).map((p) => invert(chart, p));
    // point i of the curve is vertex 2i of the step path
    expect(points).toHaveLength(2 * ref.recall.length - 1);
    ref.recall.forEach((r, i) => {
      expect(Math.abs(points[2 * i]![0] - (r as number))).toBeLessThan(PIXEL * 2);
      expect(Math.abs(points[2 * i]![1] - (ref.precision[i] as number))).toBeLessThan(PIXEL * 2);
    });
    const { precision, recall } = precisionRecallCurve(c.input.y_true, c.input.y_score);
    let ap = 0;
    for (let i = 0; i < recall.length - 1; i++) ap += (recall[i]! - recall[i + 1]!) * precision[i]!;
    expect(chart.svg).toContain(`model (AP = ${ap.toFixed(3)})`);
  });
});

describe("calibrationChart", () => {
  it("marks one point per non-empty bin at (mean predicted, fraction positive)", () => {
    const chart = calibrationChart(c.input.y_true, c.input.y_score, { nBins: 10, strategy: "quantile" });
    const ref = c.calibration_quantile_10 as { prob_true: number[]; prob_pred: number[] };
    const [line] = marks(parseSvg(chart.svg), "path", "line");
    const points = pathPoints(line!.getAttribute("d")!).map((p) => invert(chart, p));
    expect(points).toHaveLength(ref.prob_true.length);
    points.forEach(([x, y], i) => {
      expect(Math.abs(x - ref.prob_pred[i]!)).toBeLessThan(PIXEL * 2);
      expect(Math.abs(y - ref.prob_true[i]!)).toBeLessThan(PIXEL * 2);
    });
    expect(String(chart)).toBe(`calibration curve: ${calibrationCurve(c.input.y_true, c.input.y_score, { nBins: 10, strategy: "quantile" }).probTrue.length} bins (quantile), 300 samples`);
  });
});

describe("confusionMatrixChart", () => {
  it("draws one cell per (true, predicted) pair with its count as text", () => {
    const chart = confusionMatrixChart([0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 1]);
    const root = parseSvg(chart.svg);
    const cells = marks(root, "rect", "cell");
    expect(cells.map((e) => [e.getAttribute("data-true"), e.getAttribute("data-pred"), num(e, "data-value")])).toEqual([
      ["0", "0", 2],
      ["0", "1", 0],
      ["1", "0", 1],
      ["1", "1", 3],
    ]);
    expect(marks(root, "text", "cell-value").map((t) => t.textContent)).toEqual(["2", "0", "1", "3"]);
    // the largest count is the darkest cell
    expect(cells[3]!.getAttribute("fill")).toBe("rgb(31,78,140)");
    expect(String(chart)).toBe("confusion matrix of 2 labels: 5 of 6 on the diagonal");
  });

  it("shows shares when normalised and string labels in order", () => {
    const chart = confusionMatrixChart(["no", "yes", "yes"], ["no", "no", "yes"], { normalize: "true" });
    expect(marks(parseSvg(chart.svg), "text", "cell-value").map((t) => t.textContent)).toEqual(["1", "0", "0.5", "0.5"]);
  });
});

describe("coefficientsChart", () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ a: (i % 7) - 3, b: ((i * 5) % 11) - 5, c: (i % 3) * 0.1 }));
  const y = rows.map((r) => (r.a + 0.3 * r.b - r.c > 0 ? 1 : 0));
  const X = tableFromRows(rows);

  it("names the bars with the pipeline's getFeatureNamesOut, largest absolute coefficient first", () => {
    const pipe = new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression()]] }).fit(X, y);
    const coef = (pipe.finalEstimator as LogisticRegression).coef_;
    const chart = coefficientsChart(pipe);
    const bars = marks(parseSvg(chart.svg), "rect", "bar");
    const values = bars.map((b) => num(b, "data-value"));
    const expected = [...coef.data].sort((p, q) => Math.abs(q) - Math.abs(p));
    expect(values).toEqual(expected);
    const names = pipe.getFeatureNamesOut();
    const labels = bars.map((b) => b.getElementsByTagName("title")[0]!.textContent!.split(":")[0]);
    expect(labels).toEqual(expected.map((v) => names[[...coef.data].indexOf(v)]));
    // widths proportional to |coefficient|
    expect(num(bars[1]!, "width") / num(bars[0]!, "width")).toBeCloseTo(Math.abs(expected[1]! / expected[0]!), 2);
  });

  it("takes explicit names, keeps the top ones and refuses a model without coef_", () => {
    const model = new LogisticRegression().fit(X, y);
    const chart = coefficientsChart(model, { featureNames: ["alpha", "beta", "gamma"], top: 2 });
    expect(marks(parseSvg(chart.svg), "rect", "bar")).toHaveLength(2);
    expect(String(chart)).toBe("coefficients: the 2 largest of 3 by absolute value");
    expect(() => coefficientsChart(new StandardScaler().fit(X))).toThrow("coefficientsChart: StandardScaler has no coef_; pass a fitted linear model or a pipeline ending in one.");
    expect(() => coefficientsChart(model, { featureNames: ["a"] })).toThrow("coefficientsChart: 1 feature names for 3 coefficients; pass featureNames with one name per coefficient.");
  });
});

describe("validationCurveChart", () => {
  // A 5 × 2 grid keyed as scikit-learn's cv_results_.
  const Cs = [0.01, 0.1, 1, 10, 100];
  const params = Cs.flatMap((C) => [true, false].map((fitIntercept) => ({ clf__C: C, clf__fitIntercept: fitIntercept })));
  const meanTest = params.map((p, i) => (p.clf__fitIntercept ? [0.6, 0.7, 0.8, 0.78, 0.75][Math.floor(i / 2)]! : 0.5));
  const cvResults = {
    params,
    param_clf__C: params.map((p) => p.clf__C),
    param_clf__fitIntercept: params.map((p) => p.clf__fitIntercept),
    mean_test_score: meanTest,
    std_test_score: params.map(() => 0.02),
    rank_test_score: meanTest.map((m) => 1 + meanTest.filter((o) => o > m).length),
    mean_train_score: meanTest.map((m) => m + 0.05),
    std_train_score: params.map(() => 0.01),
  };

  it("draws mean test and train scores against the parameter on a log axis, with ± std bands, other parameters at the best candidate's", () => {
    const chart = validationCurveChart(cvResults, "clf__C");
    expect(chart.scales.x!.kind).toBe("log");
    const root = parseSvg(chart.svg);
    const lines = marks(root, "path", "line");
    expect(lines.map((l) => l.getAttribute("data-series"))).toEqual(["train score", "validation score"]);
    const validation = pathPoints(lines[1]!.getAttribute("d")!).map((p) => invert(chart, p));
    expect(validation.map(([x]) => Number(x.toPrecision(3)))).toEqual(Cs);
    validation.forEach(([, yv], i) => expect(yv).toBeCloseTo([0.6, 0.7, 0.8, 0.78, 0.75][i]!, 3));
    const bands = marks(root, "path", "band");
    expect(bands).toHaveLength(2);
    // the band's upper edge is mean + std
    const upper = pathPoints(bands[1]!.getAttribute("d")!).slice(0, 5).map((p) => invert(chart, p)[1]);
    upper.forEach((u, i) => expect(u).toBeCloseTo([0.62, 0.72, 0.82, 0.8, 0.77][i]!, 3));
    expect(String(chart)).toBe("validation curve of clf__C: 5 values, score ± 1 std over folds");
  });

  it("leaves out candidates that do not set the parameter (a list of grids)", () => {
    const results = {
      params: [{ a: 1 }, { a: 10 }, { b: "x" }],
      param_a: [1, 10, null],
      param_b: [null, null, "x"],
      mean_test_score: [0.5, 0.7, 0.9],
      std_test_score: [0, 0, 0],
      rank_test_score: [3, 2, 1],
    };
    const chart = validationCurveChart(results, "a");
    expect(pathPoints(marks(parseSvg(chart.svg), "path", "line")[0]!.getAttribute("d")!)).toHaveLength(2);
  });

  it("takes a fitted GridSearchCV's cvResults_ as it is (its interface type included)", async () => {
    const X = Array.from({ length: 40 }, (_, i) => ({ x: (i % 10) + (i < 20 ? 0 : 3) }));
    const y = X.map((_, i) => (i < 20 ? 0 : 1));
    const search = new GridSearchCV({ estimator: new LogisticRegression(), paramGrid: { C: [0.01, 1, 100] }, cv: 4, scoring: "roc_auc" });
    await search.fit(X, y);
    const chart = validationCurveChart(search.cvResults_, "C");
    const line = marks(parseSvg(chart.svg), "path", "line")[0]!;
    const points = pathPoints(line.getAttribute("d")!).map((p) => invert(chart, p));
    expect(points.map(([x]) => Number(x.toPrecision(3)))).toEqual([0.01, 1, 100]);
    points.forEach(([, yv], i) => expect(yv).toBeCloseTo(search.cvResults_.mean_test_score[i]!, 3));
  });

  it("places non-numeric values evenly, and explains a missing parameter or metric", () => {
    const chart = validationCurveChart(cvResults, "clf__fitIntercept", { fixed: { clf__C: 1 } });
    const root = parseSvg(chart.svg);
    const validation = pathPoints(marks(root, "path", "line")[1]!.getAttribute("d")!);
    expect(validation).toHaveLength(2);
    const ticks = Array.from(root.getElementsByTagName("text")).map((t) => t.textContent);
    expect(ticks).toEqual(expect.arrayContaining(["true", "false"]));
    expect(() => validationCurveChart(cvResults, "clf__penalty")).toThrow("validationCurveChart: cvResults has no param_clf__penalty; searched parameters: clf__C, clf__fitIntercept.");
    expect(() => validationCurveChart(cvResults, "clf__C", { metric: "roc_auc" })).toThrow(
      "validationCurveChart: cvResults has no mean_test_roc_auc/std_test_roc_auc; metrics: score.",
    );
  });
});
