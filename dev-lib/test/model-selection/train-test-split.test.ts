import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { Matrix } from "@trellis/prod";
import { trainTestIndices, trainTestSplit } from "../../src/model-selection/train-test-split";
import { expectPermutation, splitFixtures } from "../helpers/fixtures";

describe("trainTestSplit", () => {
  it("gives scikit-learn's train_test_split rows for the same seed (sizes up to 70,000 rows)", () => {
    // dev-lib/test/fixtures/make_splits.py: train_test_split(np.arange(n), random_state=seed, ...), exact.
    expect(splitFixtures.train_test_split.length).toBe(64);
    for (const c of splitFixtures.train_test_split) {
      const { train, test } = trainTestIndices(c.n, { testSize: c.test_size ?? undefined, trainSize: c.train_size ?? undefined, randomState: c.seed });
      expectPermutation(test, c.test);
      expectPermutation(train, c.train);
    }
  });

  it("splits 25% into the test set by default, with disjoint rows covering the input", () => {
    const { train, test } = trainTestIndices(10);
    expect(test.length).toBe(3); // ceil(0.25 * 10), as scikit-learn
    expect(train.length).toBe(7);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("splits every input by the same rows and keeps each input's kind", () => {
    const X = Matrix.fromArray([[0, 0], [1, 10], [2, 20], [3, 30], [4, 40], [5, 50]], ["a", "b"]);
    const y = new Float64Array([0, 1, 2, 3, 4, 5]);
    const names = ["r0", "r1", "r2", "r3", "r4", "r5"];
    const table = tableFromArrays({ id: new Int32Array([0, 1, 2, 3, 4, 5]), s: names });
    const [[XTr, XTe], [yTr, yTe], [nTr, nTe], [tTr, tTe]] = trainTestSplit([X, y, names, table], { testSize: 2, randomState: 5 });
    expect(XTr).toBeInstanceOf(Matrix);
    expect(yTr).toBeInstanceOf(Float64Array);
    expect(XTe.rows).toBe(2);
    expect(XTr.columns).toEqual(["a", "b"]);
    for (let i = 0; i < XTe.rows; i++) {
      expect(XTe.get(i, 1)).toBe(yTe[i] * 10);
      expect(nTe[i]).toBe(`r${yTe[i]}`);
      expect(tTe.getChild("id")!.get(i)).toBe(yTe[i]);
    }
    expect(tTr.numRows).toBe(4);
    expect(nTr.length).toBe(4);
    expect([...yTr, ...yTe].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("is reproducible with the same randomState and differs with another", () => {
    const a = trainTestIndices(50, { randomState: 1 });
    expect(trainTestIndices(50, { randomState: 1 })).toEqual(a);
    expect(trainTestIndices(50, { randomState: 2 }).test).not.toEqual(a.test);
  });

  it("keeps the last rows as the test set without shuffling", () => {
    expect(trainTestIndices(5, { testSize: 2, shuffle: false })).toEqual({
      train: new Int32Array([0, 1, 2]),
      test: new Int32Array([3, 4]),
    });
  });

  it("keeps class proportions with stratify", () => {
    const labels = [...Array(80).fill("a"), ...Array(20).fill("b")];
    const { train, test } = trainTestIndices(100, { testSize: 0.3, stratify: labels, randomState: 9 });
    expect(test.length).toBe(30);
    expect(train.length).toBe(70);
    expect([...test].filter((i) => labels[i] === "b").length).toBe(6);
    expect([...train].filter((i) => labels[i] === "b").length).toBe(14);
  });

  it("explains bad sizes, mismatched lengths and impossible stratification", () => {
    expect(() => trainTestSplit([[1, 2, 3], [1, 2]])).toThrow(
      "trainTestSplit: inputs have different numbers of rows (3, 2); they must be equal.",
    );
    expect(() => trainTestIndices(10, { testSize: 1.5 })).toThrow(/neither a fraction in \(0, 1\) nor a whole row count/);
    expect(() => trainTestIndices(10, { testSize: 20 })).toThrow("trainTestSplit: testSize 20 is larger than the 10 rows available.");
    expect(() => trainTestIndices(10, { testSize: 5, trainSize: 6 })).toThrow(/exceed the 10 rows available/);
    expect(() => trainTestIndices(4, { stratify: ["a", "a", "a", "b"] })).toThrow(/class "b" has only one row/);
    expect(() => trainTestIndices(4, { stratify: ["a", "b"], shuffle: false })).toThrow("trainTestSplit: stratify needs shuffle: true.");
  });
});
