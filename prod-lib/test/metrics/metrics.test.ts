import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@trellis/shared";
import { vectorFromArray } from "apache-arrow";
import {
  accuracyScore,
  confusionMatrix,
  f1Score,
  logLoss,
  meanAbsoluteError,
  meanSquaredError,
  precisionScore,
  r2Score,
  recallScore,
  rocAucScore,
} from "../../src/metrics";

interface MetricsCase {
  y_true: number[];
  y_score: number[];
  y_pred: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
  log_loss: number;
  confusion_matrix: number[][];
}
const golden = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/reference/sklearn/golden.json", import.meta.url), "utf8"),
) as { cases: { metrics_binary: MetricsCase } };
const mb = golden.cases.metrics_binary;

/** Relative tolerance of the fixture README for metrics. */
const REL = 1e-9;
function expectRel(actual: number, expected: number, rel = REL): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));
}

describe("metrics on golden.json metrics_binary (1e-9 relative)", () => {
  it("matches accuracy, precision, recall and F1", () => {
    expectRel(accuracyScore(mb.y_true, mb.y_pred), mb.accuracy);
    expectRel(precisionScore(mb.y_true, mb.y_pred), mb.precision);
    expectRel(recallScore(mb.y_true, mb.y_pred), mb.recall);
    expectRel(f1Score(mb.y_true, mb.y_pred), mb.f1);
  });

  it("matches ROC AUC and log loss", () => {
    expectRel(rocAucScore(mb.y_true, mb.y_score), mb.roc_auc);
    expectRel(logLoss(mb.y_true, mb.y_score), mb.log_loss);
    // A two-column probability matrix (what predictProba returns) gives the same values.
    const proba = mb.y_score.map((p) => [1 - p, p]);
    expectRel(rocAucScore(mb.y_true, proba), mb.roc_auc);
    expectRel(logLoss(mb.y_true, proba), mb.log_loss);
  });

  it("matches the confusion matrix", () => {
    expect(confusionMatrix(mb.y_true, mb.y_pred)).toEqual(mb.confusion_matrix);
  });

  it("accepts typed arrays and Arrow vectors", () => {
    const yt = Int32Array.from(mb.y_true);
    const ys = vectorFromArray(Float64Array.from(mb.y_score));
    expectRel(rocAucScore(yt, ys), mb.roc_auc);
    expectRel(f1Score(vectorFromArray(mb.y_true.map(String)), mb.y_pred.map(String), { posLabel: "1" }), mb.f1);
  });
});

describe("classification metrics on multi-class labels (values from scikit-learn 1.9.1)", () => {
  const yt = ["cat", "dog", "bird", "cat", "dog", "dog", "bird", "cat"];
  const yp = ["cat", "cat", "bird", "dog", "dog", "dog", "cat", "cat"];

  it("averages precision, recall and F1 per label, macro, micro and weighted", () => {
    const per = precisionScore(yt, yp, { average: null });
    expect(per.length).toBe(3);
    [1, 0.5, 2 / 3].forEach((v, i) => expectRel(per[i], v));
    expectRel(precisionScore(yt, yp, { average: "macro" }), 0.7222222222222222);
    expectRel(recallScore(yt, yp, { average: "macro" }), 0.611111111111111);
    expectRel(f1Score(yt, yp, { average: "macro" }), 0.6349206349206349);
    expectRel(f1Score(yt, yp, { average: "micro" }), 0.625);
    expectRel(precisionScore(yt, yp, { average: "weighted" }), 0.6875);
    expectRel(f1Score(yt, yp, { average: "weighted" }), 0.6309523809523809);
  });

  it("honours sample weights", () => {
    const w = [1, 2, 1, 0.5, 1, 1, 3, 1];
    expectRel(accuracyScore(yt, yp, { sampleWeight: w }), 0.47619047619047616);
    expectRel(f1Score(yt, yp, { average: "weighted", sampleWeight: w }), 0.4870638133796029);
    expect(accuracyScore(yt, yp, { normalize: false })).toBe(5);
  });

  it("orders the confusion matrix by sorted labels or by the labels given", () => {
    expect(confusionMatrix(yt, yp)).toEqual([
      [1, 1, 0],
      [0, 2, 1],
      [0, 1, 2],
    ]);
    expect(confusionMatrix(yt, yp, { labels: ["dog", "cat"] })).toEqual([
      [2, 1],
      [1, 2],
    ]);
    expect(confusionMatrix(yt, yp, { normalize: "true" })[1]).toEqual([0, 2 / 3, 1 / 3]);
  });

  it("uses zeroDivision for labels never predicted", () => {
    expectRel(precisionScore([0, 1, 2, 0], [1, 1, 1, 0], { average: "macro", zeroDivision: 0 }), 0.4444444444444444);
    const per = precisionScore([0, 1, 2, 0], [1, 1, 1, 0], { average: null, zeroDivision: 1 });
    expect(per[0]).toBe(1);
    expectRel(per[1], 1 / 3);
    expect(per[2]).toBe(1);
  });

  it("takes string labels with an explicit posLabel", () => {
    expect(precisionScore(["n", "y", "y", "n"], ["y", "y", "n", "n"], { posLabel: "y" })).toBe(0.5);
  });

  it("computes the one-vs-rest multiclass ROC AUC and the multiclass log loss", () => {
    const P = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.3, 0.4, 0.3],
      [0.5, 0.25, 0.25],
      [0.1, 0.1, 0.8],
      [0.2, 0.3, 0.5],
      [0.4, 0.4, 0.2],
    ];
    const y = ["a", "b", "c", "b", "a", "c", "b", "a"];
    expectRel(rocAucScore(y, P), 0.9555555555555556);
    expectRel(rocAucScore(y, P, { average: "weighted" }), 0.95);
    expectRel(
      logLoss(["spam", "ham", "ham", "spam"], [
        [0.1, 0.9],
        [0.9, 0.1],
        [0.8, 0.2],
        [0.35, 0.65],
      ]),
      0.21616187468057912,
    );
  });

  it("handles tied scores in ROC AUC as scikit-learn", () => {
    expectRel(rocAucScore([0, 0, 1, 1, 1, 0], [0.2, 0.5, 0.5, 0.9, 0.5, 0.1]), 0.888888888888889);
    expectRel(rocAucScore([0, 0, 1, 1, 1, 0], [0.2, 0.5, 0.5, 0.9, 0.5, 0.1], { sampleWeight: [1, 2, 1, 1, 3, 1] }), 0.8);
  });

  it("clips probabilities to the float64 machine epsilon in log loss", () => {
    expectRel(logLoss([1, 0], [1e-20, 0.5]), 18.36840028483855);
    expectRel(logLoss([1, 0], [0, 0.5]), (-Math.log(Number.EPSILON) + Math.log(2)) / 2);
  });
});

describe("regression metrics", () => {
  const t = [3, -0.5, 2, 7];
  const p = [2.5, 0.0, 2, 8];
  it("computes MSE, MAE and R² as scikit-learn", () => {
    expectRel(meanSquaredError(t, p), 0.375);
    expectRel(meanAbsoluteError(t, p), 0.5);
    expectRel(r2Score(t, p), 0.9486081370449679);
    expectRel(r2Score(t, p, { sampleWeight: [1, 2, 3, 4] }), 0.9459613196814562);
  });
  it("returns 1 or 0 for R² on a constant target", () => {
    expect(r2Score([2, 2, 2], [2, 2, 2])).toBe(1);
    expect(r2Score([2, 2, 2], [2, 2, 3])).toBe(0);
  });
});

describe("metric input errors", () => {
  it("names both inputs and their lengths on a length mismatch", () => {
    expect(() => accuracyScore([0, 1, 1], [0, 1])).toThrow(
      "accuracyScore: yTrue and yPred have different lengths (3 vs 2); pass one value per sample in both.",
    );
    expect(() => meanSquaredError([1, 2], [1])).toThrow(InvalidArgumentError);
  });
  it("refuses empty input", () => {
    expect(() => f1Score([], [])).toThrow("f1Score: got 0 samples");
  });
  it("refuses missing labels naming the index", () => {
    expect(() => accuracyScore([0, null, 1], [0, 1, 1])).toThrow("yTrue contains a missing value (null) at index 1");
    expect(() => r2Score([1, NaN], [1, 2])).toThrow("yTrue contains a missing value (NaN) at index 1");
  });
  it("refuses mixed label kinds", () => {
    expect(() => accuracyScore([0, 1], ["0", "1"])).toThrow("mix of number and string labels");
  });
  it("refuses average binary on a multiclass target and an absent posLabel", () => {
    expect(() => f1Score([0, 1, 2], [0, 1, 2])).toThrow(
      'the target is multiclass (labels [0, 1, 2]) but average is "binary"',
    );
    expect(() => f1Score(["a", "b"], ["a", "b"])).toThrow('posLabel 1 is not a valid label; it should be one of ["a", "b"]');
    expect(() => f1Score([0, 1], [0, 1], { average: "samples" as never })).toThrow("average is \"samples\"");
  });
  it("refuses a one-class ROC AUC and out-of-range probabilities", () => {
    expect(() => rocAucScore([1, 1], [0.2, 0.3])).toThrow("only one class ([1]) is present in yTrue");
    expect(() => logLoss([0, 1], [0.2, 1.3])).toThrow("yProba contains values greater than 1 (1.3)");
    expect(() => logLoss([0, 1, 2], [0.2, 0.3, 0.4])).toThrow("different numbers of classes (3 vs 2)");
  });
  it("refuses negative sample weights", () => {
    expect(() => meanAbsoluteError([1, 2], [1, 2], { sampleWeight: [1, -1] })).toThrow("sampleWeight[1] is -1");
  });
});
