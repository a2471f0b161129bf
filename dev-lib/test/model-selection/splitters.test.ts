import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Matrix } from "@trellis/prod";
import { tableFromArrays } from "apache-arrow";
import {
  GroupKFold,
  KFold,
  ShuffleSplit,
  StratifiedGroupKFold,
  StratifiedKFold,
  StratifiedShuffleSplit,
  TimeSeriesSplit,
  type SplitIndices,
} from "../../src/model-selection/splitters";
import { splitFixtures as fx } from "../helpers/fixtures";

// scikit-learn 1.9.1's folds, from dev-lib/test/fixtures/make_splits.py (exact) and the shared golden file.
const golden = JSON.parse(readFileSync(new URL("../../../test/fixtures/reference/sklearn/golden.json", import.meta.url), "utf8")).cases;

const asArrays = (splits: Iterable<SplitIndices>) => [...splits].map(([tr, te]) => [Array.from(tr), Array.from(te)]);
const seedOpts = (c: { shuffle: boolean; seed: number | null }) => (c.shuffle ? { shuffle: true, randomState: c.seed as number } : {});

describe("KFold", () => {
  it("equals scikit-learn's unshuffled folds in the golden file", () => {
    const c = golden.kfold;
    const tests = [...new KFold({ nSplits: c.n_splits }).split(c.n_samples)].map(([, te]) => Array.from(te));
    expect(tests).toEqual(c.test_folds);
  });

  it("equals scikit-learn's folds with and without shuffle for every seed and size", () => {
    expect(fx.kfold.length).toBeGreaterThan(40);
    for (const c of fx.kfold) {
      expect(asArrays(new KFold({ nSplits: c.n_splits, ...seedOpts(c) }).split(c.n)), JSON.stringify([c.n, c.n_splits, c.seed])).toEqual(c.folds);
    }
  });

  it("counts rows of matrices, tables and arrays", () => {
    const X = Matrix.fromArray([[1], [2], [3], [4]]);
    const t = tableFromArrays({ a: Float64Array.of(1, 2, 3, 4) });
    const want = asArrays(new KFold({ nSplits: 2 }).split(4));
    expect(asArrays(new KFold({ nSplits: 2 }).split(X))).toEqual(want);
    expect(asArrays(new KFold({ nSplits: 2 }).split(t))).toEqual(want);
    expect(asArrays(new KFold({ nSplits: 2 }).split([{}, {}, {}, {}]))).toEqual(want);
    expect(want).toEqual([[[2, 3], [0, 1]], [[0, 1], [2, 3]]]);
  });

  it("explains bad options", () => {
    expect(() => new KFold({ nSplits: 1 })).toThrow("KFold: nSplits must be an integer of at least 2, got 1.");
    expect(() => new KFold({ randomState: 3 })).toThrow(
      "KFold: randomState only has an effect with shuffle: true; set shuffle: true or leave randomState out.",
    );
    expect(() => [...new KFold({ nSplits: 5 }).split(3)]).toThrow(
      "KFold: cannot have nSplits=5 greater than the number of samples: n_samples=3.",
    );
    expect(new KFold({ nSplits: 7 }).getNSplits()).toBe(7);
  });
});

describe("StratifiedKFold", () => {
  it("equals scikit-learn's unshuffled folds in the golden file", () => {
    const c = golden.stratified_kfold;
    const tests = [...new StratifiedKFold({ nSplits: c.n_splits }).split(c.y.length, c.y)].map(([, te]) => Array.from(te));
    expect(tests).toEqual(c.test_folds);
  });

  it("equals scikit-learn's folds, shuffled or not, for binary, string and tiny targets", () => {
    expect(fx.stratified_kfold.length).toBe(45);
    for (const c of fx.stratified_kfold) {
      const y = fx.y_cases[c.y];
      expect(asArrays(new StratifiedKFold({ nSplits: c.n_splits, ...seedOpts(c) }).split(y.length, y)), JSON.stringify([c.y, c.n_splits, c.seed])).toEqual(c.folds);
    }
  });

  it("needs y and enough members per class", () => {
    expect(() => [...new StratifiedKFold().split(4)]).toThrow("StratifiedKFold: y is required; pass the class labels, one per row.");
    expect(() => [...new StratifiedKFold({ nSplits: 3 }).split(4, [0, 0, 1, 1])]).toThrow(
      "StratifiedKFold: nSplits=3 cannot be greater than the number of members in each class (largest class: 2 rows).",
    );
    expect(() => [...new StratifiedKFold({ nSplits: 2 }).split(4, [0, 1])]).toThrow("StratifiedKFold: y has 2 values but X has 4 rows; pass one per row.");
  });
});

describe("GroupKFold", () => {
  it("equals scikit-learn's folds, shuffled or not, with uneven, string and tied groups", () => {
    expect(fx.group_kfold.length).toBe(45);
    for (const c of fx.group_kfold) {
      const g = fx.group_cases[c.groups];
      expect(asArrays(new GroupKFold({ nSplits: c.n_splits, ...seedOpts(c) }).split(g.length, undefined, g)), JSON.stringify([c.groups, c.n_splits, c.seed])).toEqual(c.folds);
    }
  });

  it("keeps every group on one side of each split (golden groups)", () => {
    const groups: number[] = golden.group_kfold.groups;
    for (const [train, test] of new GroupKFold({ nSplits: golden.group_kfold.n_splits ?? 3 }).split(groups.length, undefined, groups)) {
      const testGroups = new Set(Array.from(test, (i) => groups[i]));
      expect(Array.from(train).some((i) => testGroups.has(groups[i]))).toBe(false);
    }
  });

  it("needs groups and more groups than folds", () => {
    expect(() => [...new GroupKFold().split(4)]).toThrow("GroupKFold: groups is required; pass one group id per row.");
    expect(() => [...new GroupKFold({ nSplits: 3 }).split(4, undefined, ["a", "a", "b", "b"])]).toThrow(
      "GroupKFold: cannot have nSplits=3 greater than the number of groups: 2.",
    );
  });
});

describe("StratifiedGroupKFold", () => {
  it("equals scikit-learn's folds, shuffled or not", () => {
    const { groups, y } = fx.stratified_group_case;
    expect(fx.stratified_group_kfold.length).toBe(15);
    for (const c of fx.stratified_group_kfold) {
      expect(asArrays(new StratifiedGroupKFold({ nSplits: c.n_splits, ...seedOpts(c) }).split(y.length, y, groups)), JSON.stringify([c.n_splits, c.seed])).toEqual(c.folds);
    }
  });
});

describe("TimeSeriesSplit", () => {
  it("equals scikit-learn's splits in the golden file", () => {
    const c = golden.time_series_split;
    const tests = [...new TimeSeriesSplit({ nSplits: c.n_splits }).split(c.n_samples)].map(([, te]) => Array.from(te));
    expect(tests).toEqual(c.test_folds);
  });

  it("equals scikit-learn's splits with maxTrainSize, testSize and gap", () => {
    for (const c of fx.time_series_split) {
      const o = c.options;
      const cv = new TimeSeriesSplit({ nSplits: o.n_splits, maxTrainSize: o.max_train_size, testSize: o.test_size, gap: o.gap });
      expect(asArrays(cv.split(c.n)), JSON.stringify(c.options)).toEqual(c.folds);
    }
  });

  it("explains impossible settings", () => {
    expect(() => [...new TimeSeriesSplit({ nSplits: 4, testSize: 5, gap: 40 }).split(50)]).toThrow(
      "TimeSeriesSplit: too many splits=4 for number of samples=50 with testSize=5 and gap=40.",
    );
    expect(() => new TimeSeriesSplit({ gap: -1 })).toThrow("TimeSeriesSplit: gap must be an integer ≥ 0, got -1.");
  });
});

describe("ShuffleSplit", () => {
  it("equals scikit-learn's splits for every seed and size option", () => {
    expect(fx.shuffle_split.length).toBe(40);
    for (const c of fx.shuffle_split) {
      const cv = new ShuffleSplit({ nSplits: 3, testSize: c.test_size ?? undefined, trainSize: c.train_size ?? undefined, randomState: c.seed });
      expect(asArrays(cv.split(c.n)), JSON.stringify([c.n, c.test_size, c.train_size, c.seed])).toEqual(c.folds);
    }
  });

  it("explains sizes that do not fit", () => {
    expect(() => [...new ShuffleSplit({ testSize: 0.6, trainSize: 0.6 }).split(10)]).toThrow(
      "ShuffleSplit: testSize + trainSize = 1.2 exceeds 1; reduce testSize or trainSize.",
    );
    expect(() => [...new ShuffleSplit({ testSize: 10 }).split(10)]).toThrow(
      "ShuffleSplit: testSize=10 should be a positive row count smaller than the number of samples 10 or a fraction in (0, 1).",
    );
  });
});

describe("StratifiedShuffleSplit", () => {
  it("equals scikit-learn's splits for every seed and size option (ties between classes broken by the generator)", () => {
    expect(fx.stratified_shuffle_split.length).toBe(44);
    for (const c of fx.stratified_shuffle_split) {
      const y = fx.y_cases[c.y];
      const cv = new StratifiedShuffleSplit({ nSplits: 3, testSize: c.test_size ?? undefined, trainSize: c.train_size ?? undefined, randomState: c.seed });
      expect(asArrays(cv.split(y.length, y)), JSON.stringify([c.y, c.test_size, c.train_size, c.seed])).toEqual(c.folds);
    }
  });

  it("explains classes too small to split", () => {
    expect(() => [...new StratifiedShuffleSplit({ testSize: 2 }).split(5, [0, 0, 1, 1, 2])]).toThrow(
      "StratifiedShuffleSplit: classes [2] have only 1 member; every class needs at least 2.",
    );
    expect(() => [...new StratifiedShuffleSplit({ testSize: 2 }).split(6, [0, 0, 1, 1, 2, 2])]).toThrow(
      "StratifiedShuffleSplit: testSize = 2 rows should be at least the number of classes = 3.",
    );
  });
});
