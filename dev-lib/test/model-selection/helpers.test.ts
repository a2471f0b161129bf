import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { LogisticRegression, Matrix, Pipeline, Ridge, StandardScaler } from "@trellis/prod";
import { checkCv } from "../../src/model-selection/cv-core";
import { isClassifierLike, resolveScoring } from "../../src/model-selection/scoring";
import { GroupKFold, KFold, StratifiedKFold, numSamples, shuffleSplitSizes } from "../../src/model-selection/splitters";

describe("checkCv", () => {
  it("picks StratifiedKFold for a classifier with class targets and KFold otherwise, as scikit-learn's check_cv", () => {
    const clf = new Pipeline({ steps: [["s", new StandardScaler()], ["c", new LogisticRegression()]] });
    const strat = checkCv(4, clf, Float64Array.of(0, 1, 1, 0));
    expect(strat).toBeInstanceOf(StratifiedKFold);
    expect(strat.getNSplits()).toBe(4);
    expect(checkCv(undefined, clf, ["a", "b"])).toBeInstanceOf(StratifiedKFold);
    expect(checkCv(3, new Ridge(), Float64Array.of(0, 1, 2))).toBeInstanceOf(KFold);
    expect(checkCv(3, clf, Float64Array.of(0.5, 1.5))).toBeInstanceOf(KFold);
    const given = new GroupKFold({ nSplits: 2 });
    expect(checkCv(given, clf, undefined)).toBe(given);
    expect(() => checkCv({} as never, clf, undefined)).toThrow(
      "cv must be a number of folds or a splitter with split() and getNSplits() (KFold, StratifiedKFold, GroupKFold, …).",
    );
  });

  it("knows classifiers inside pipelines", () => {
    expect(isClassifierLike(new LogisticRegression())).toBe(true);
    expect(isClassifierLike(new Pipeline({ steps: [["s", new StandardScaler()], ["r", new Ridge()]] }))).toBe(false);
    expect(isClassifierLike(new StandardScaler())).toBe(false);
  });
});

describe("resolveScoring", () => {
  it("names one scorer 'score' and several by their names, as scikit-learn's result keys", () => {
    expect(resolveScoring(undefined)).toMatchObject({ names: ["score"], multi: false, portable: [null] });
    expect(resolveScoring("roc_auc")).toMatchObject({ names: ["score"], multi: false, portable: ["roc_auc"] });
    expect(resolveScoring(() => 1)).toMatchObject({ names: ["score"], portable: null });
    expect(resolveScoring(["accuracy", "f1"])).toMatchObject({ names: ["accuracy", "f1"], multi: true, portable: ["accuracy", "f1"] });
    expect(resolveScoring({ auc: "roc_auc", mine: () => 0 })).toMatchObject({ names: ["auc", "mine"], multi: true, portable: null });
    expect(() => resolveScoring(["f1", "f1"])).toThrow('scoring: the list ["f1","f1"] names a scorer twice.');
  });
});

describe("numSamples and shuffleSplitSizes", () => {
  it("count rows of every input kind", () => {
    expect(numSamples(Matrix.fromArray([[1], [2], [3]]))).toBe(3);
    expect(numSamples(tableFromArrays({ a: Float64Array.of(1, 2) }))).toBe(2);
    expect(numSamples([{ a: 1 }])).toBe(1);
    expect(numSamples(Int32Array.of(1, 2, 3, 4))).toBe(4);
    expect(numSamples(7)).toBe(7);
    expect(() => numSamples(-1)).toThrow("split: a row count must be a non-negative integer, got -1.");
  });

  it("size train and test as scikit-learn (test rounded up, train rounded down)", () => {
    expect(shuffleSplitSizes(10, 0.25, undefined, 0.1, "x")).toEqual({ nTrain: 7, nTest: 3 });
    expect(shuffleSplitSizes(10, undefined, undefined, 0.1, "x")).toEqual({ nTrain: 9, nTest: 1 });
    expect(shuffleSplitSizes(11, 0.3, 0.5, 0.1, "x")).toEqual({ nTrain: 5, nTest: 4 });
    expect(shuffleSplitSizes(10, undefined, 4, 0.1, "x")).toEqual({ nTrain: 4, nTest: 6 });
  });
});
