import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { calibrationCurve, precisionRecallCurve, rocCurve } from "../../src/metrics";

// scikit-learn's roc_curve, precision_recall_curve and calibration_curve on the same inputs, made by
// prod-lib/test/fixtures/make_curves.py. Tolerance: 1e-9 relative (the fixture README's bar for metrics).
type Num = number | null | "inf";
interface Case {
  input: { y_true: (number | string)[]; y_score: number[]; sample_weight?: number[]; pos_label?: string };
  [key: string]: unknown;
}
const golden = JSON.parse(readFileSync(new URL("../fixtures/curves.json", import.meta.url), "utf8")) as {
  cases: Record<string, Case>;
};

function decode(values: Num[]): number[] {
  return values.map((v) => (v === null ? NaN : v === "inf" ? Infinity : v));
}
function expectArray(actual: ArrayLike<number>, expected: Num[]): void {
  const e = decode(expected);
  expect(actual.length).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const a = actual[i]!;
    if (!Number.isFinite(e[i]!)) expect(a).toBe(e[i]);
    else expect(Math.abs(a - e[i]!), `index ${i}: ${a} vs ${e[i]}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(e[i]!), 1e-300));
  }
}

describe("rocCurve", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    for (const drop of [true, false]) {
      it(`equals roc_curve(drop_intermediate=${drop}) on ${name}`, () => {
        const ref = c[`roc_drop_${drop ? "True" : "False"}`] as { fpr: Num[]; tpr: Num[]; thresholds: Num[] };
        const r = rocCurve(c.input.y_true, c.input.y_score, {
          dropIntermediate: drop,
          sampleWeight: c.input.sample_weight,
          posLabel: c.input.pos_label,
        });
        expectArray(r.fpr, ref.fpr);
        expectArray(r.tpr, ref.tpr);
        expectArray(r.thresholds, ref.thresholds);
      });
    }
  }

  it("drops intermediate points by default", () => {
    const c = golden.cases.tied!;
    expect(rocCurve(c.input.y_true, c.input.y_score).fpr.length).toBe((c.roc_drop_True as { fpr: Num[] }).fpr.length);
  });

  it("gives NaN rates when a class is absent, as scikit-learn", () => {
    const r = rocCurve([1, 1, 1], [0.2, 0.5, 0.9]);
    expect([...r.fpr].every(Number.isNaN)).toBe(true);
    expect([...r.tpr]).toEqual([0, 1 / 3, 1]);
  });

  it("asks for posLabel when the labels are not 0/1 or -1/1", () => {
    expect(() => rocCurve(["a", "b"], [0.1, 0.9])).toThrow(
      'rocCurve: yTrue takes the values ["a", "b"] and posLabel is not given; pass posLabel (the positive class).',
    );
    expect(() => rocCurve([0, 1, 2], [0.1, 0.5, 0.9])).toThrow("rocCurve: yTrue has 3 classes [0, 1, 2]; curves need a binary target");
  });
});

describe("precisionRecallCurve", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    for (const drop of [true, false]) {
      it(`equals precision_recall_curve(drop_intermediate=${drop}) on ${name}`, () => {
        const ref = c[`pr_drop_${drop ? "True" : "False"}`] as { precision: Num[]; recall: Num[]; thresholds: Num[] };
        const r = precisionRecallCurve(c.input.y_true, c.input.y_score, {
          dropIntermediate: drop,
          sampleWeight: c.input.sample_weight,
          posLabel: c.input.pos_label,
        });
        expectArray(r.precision, ref.precision);
        expectArray(r.recall, ref.recall);
        expectArray(r.thresholds, ref.thresholds);
      });
    }
  }

  it("sets recall to 1 when yTrue has no positive", () => {
    const r = precisionRecallCurve([0, 0], [0.3, 0.7]);
    expect([...r.recall]).toEqual([1, 1, 0]);
    expect([...r.precision]).toEqual([0, 0, 1]);
  });
});

describe("calibrationCurve", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    if (c.input.sample_weight) continue;
    for (const strategy of ["uniform", "quantile"] as const) {
      for (const nBins of [5, 10]) {
        it(`equals calibration_curve(strategy=${strategy}, n_bins=${nBins}) on ${name}`, () => {
          const ref = c[`calibration_${strategy}_${nBins}`] as { prob_true: Num[]; prob_pred: Num[] };
          const r = calibrationCurve(c.input.y_true, c.input.y_score, { nBins, strategy, posLabel: c.input.pos_label });
          expectArray(r.probTrue, ref.prob_true);
          expectArray(r.probPred, ref.prob_pred);
          expect(r.counts.reduce((s, v) => s + v, 0)).toBe(c.input.y_true.length);
        });
      }
    }
  }

  it("refuses probabilities outside [0, 1] and a bad strategy", () => {
    expect(() => calibrationCurve([0, 1], [-0.1, 0.5])).toThrow(
      "calibrationCurve: yProb has values outside [0, 1] (min -0.1, max 0.5); pass probabilities, e.g. a column of predictProba.",
    );
    expect(() => calibrationCurve([0, 1], [0.1, 0.5], { strategy: "kmeans" as "uniform" })).toThrow(
      'calibrationCurve: strategy is "kmeans"; use "uniform" or "quantile".',
    );
  });
});
