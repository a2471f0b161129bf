import { afterEach, describe, expect, it, vi } from "vitest";
import { NotFittedError, ValidationError } from "@trellis/shared";
import { vectorFromArray } from "apache-arrow";
import { Matrix, SparseMatrix, estimatorFromJSON } from "../../src/index";
import { LinearRegression, LogisticRegression, Ridge } from "../../src/linear-model";
import { StandardScaler } from "../../src/preprocessing/standard-scaler";
import { accuracyScore, logLoss, r2Score, rocAucScore, meanSquaredError, meanAbsoluteError } from "../../src/metrics";
import { goldenCases, readCsv } from "./fixtures";

const g = goldenCases();
/** Fixture README: coefficients within 1e-4 relative (1e-5 absolute); probabilities 1e-5 absolute; metrics 1e-9 relative. */
function expectCoefs(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, j) => expect(Math.abs(actual[j] - e)).toBeLessThanOrEqual(Math.max(1e-4 * Math.abs(e), 1e-5)));
}
function expectProba(actual: Matrix, expected: number[][]): void {
  expected.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(actual.get(i, j) - v)).toBeLessThanOrEqual(1e-5)));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LogisticRegression", () => {
  it("matches logreg_binary_C1.0 after StandardScaler (breast_cancer)", () => {
    const c = g["logreg_binary_C1.0"];
    const d = readCsv("breast_cancer.csv", "target");
    const X = new StandardScaler().fitTransform(Matrix.fromArray(d.rows, d.columns)) as Matrix;
    const clf = new LogisticRegression({ C: c.C as number }).fit(X, d.y);
    expect(clf.classes_).toEqual([0, 1]);
    expect(clf.coef_.rows).toBe(1);
    expect(clf.coef_.columns).toEqual(d.columns);
    expectCoefs(clf.coef_.data, (c.coef_ as number[][])[0]);
    expectCoefs(clf.intercept_, c.intercept_ as number[]);
    const proba = clf.predictProba(X);
    expectProba(proba, c.proba_first5 as number[][]);
    expect(clf.score(X, d.y)).toBeCloseTo(c.accuracy as number, 12);
    expect(accuracyScore(d.y, clf.predict(X))).toBeCloseTo(c.accuracy as number, 12);
    // Derived metrics inherit the coefficient tolerance, so they are checked at 1e-6 relative.
    expect(Math.abs(logLoss(d.y, proba) / (c.log_loss as number) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(rocAucScore(d.y, proba.column(1)) / (c.roc_auc as number) - 1)).toBeLessThan(1e-6);
    expect(clf.nIter_).toBeGreaterThan(3);
    for (const solver of ["lbfgs", "newton-cg", "newton-cholesky"] as const) {
      const other = new LogisticRegression({ solver }).fit(X, d.y);
      expectCoefs(other.coef_.data, (c.coef_ as number[][])[0]);
      expectCoefs(other.intercept_, c.intercept_ as number[]);
    }
  });

  it("refuses a missing value at predict time, naming its row and column (dense, sparse and row input)", () => {
    const X = Matrix.fromArray([[0, 1], [1, 0], [2, 1], [3, 0]], ["a", "b"]);
    const clf = new LogisticRegression().fit(X, [0, 0, 1, 1]);
    const reg = new LinearRegression().fit(X, [0, 1, 2, 3]);
    const bad = Matrix.fromArray([[0, 1], [1, NaN]], ["a", "b"]);
    const badSparse = new SparseMatrix(Int32Array.of(0, 1, 2), Int32Array.of(1, 0), Float64Array.of(1, NaN), 2, 2, ["a", "b"]);
    for (const input of [bad, badSparse, [{ a: 0, b: 1 }, { a: null, b: 0 }]]) {
      const col = input === bad ? "b" : "a";
      for (const f of [() => clf.predictProba(input), () => clf.decisionFunction(input), () => reg.predict(input)]) {
        expect(f).toThrow(new RegExp(`missing value \\(null/NaN\\) in column "${col}" at row 1[\\s\\S]*impute them first`));
      }
    }
    // Clean rows still score.
    expect(clf.predictProba(Matrix.fromArray([[1, 1]], ["a", "b"])).rows).toBe(1);
  });

  it("refuses solver newton-cholesky for more than two classes, naming the option", () => {
    const X = [{ a: 0 }, { a: 1 }, { a: 2 }, { a: 3 }];
    expect(() => new LogisticRegression({ solver: "newton-cholesky" }).fit(X, ["x", "y", "z", "x"])).toThrow(
      /solver.*"newton-cholesky" solves two-class problems; y has 3 classes[\s\S]*Use solver "auto", "newton-cg" or "lbfgs"/,
    );
  });

  it("matches logreg_multinomial with string labels (iris)", () => {
    const c = g.logreg_multinomial;
    const d = readCsv("iris.csv", "species");
    const rows = d.rows.map((r) => Object.fromEntries(d.columns.map((name, j) => [name, r[j]])));
    const X = new StandardScaler().fitTransform(rows) as Matrix;
    const clf = new LogisticRegression().fit(X, vectorFromArray(d.y as string[]));
    expect(clf.classes_).toEqual(c.classes_);
    expect(clf.coef_.rows).toBe(3);
    expectCoefs(clf.coef_.data, (c.coef_ as number[][]).flat());
    expectCoefs(clf.intercept_, c.intercept_ as number[]);
    const proba = clf.predictProba(X);
    expect(proba.columns).toEqual(["setosa", "versicolor", "virginica"]);
    expectProba(proba, c.proba_first5 as number[][]);
    expect(clf.score(X, d.y)).toBeCloseTo(c.accuracy as number, 12);
    expect(clf.predict(X.sliceRows(0, 2))).toEqual(["setosa", "setosa"]);
  });

  it("gives the same model from a sparse (CSR) design", () => {
    const d = readCsv("iris.csv", "species");
    const X = new StandardScaler().fitTransform(Matrix.fromArray(d.rows, d.columns)) as Matrix;
    const dense = new LogisticRegression().fit(X, d.y);
    const sparse = new LogisticRegression().fit(SparseMatrix.fromDense(X), d.y);
    expectCoefs(sparse.coef_.data, Array.from(dense.coef_.data));
    expect(sparse.predictProba(SparseMatrix.fromDense(X)).data).toEqual(sparse.predictProba(X).data);
  });

  it("weights classes with classWeight balanced as scikit-learn", () => {
    // Reference: sklearn LogisticRegression(class_weight="balanced", tol=1e-12).fit(X, y) on this data.
    const X = Matrix.fromArray([[0.2], [1.1], [-0.7], [2.3], [0.9], [-1.4], [0.4], [1.8]], ["x"]);
    const y = [0, 1, 0, 1, 1, 0, 0, 0];
    const clf = new LogisticRegression({ classWeight: "balanced", tol: 1e-12, maxIter: 1000 }).fit(X, y);
    expectCoefs(clf.coef_.data, [BALANCED.coef]);
    expectCoefs(clf.intercept_, [BALANCED.intercept]);
  });

  it("fits without penalty when penalty is null (matches the closed-form odds on one binary feature)", () => {
    // One 0/1 feature: the unpenalised optimum reproduces the empirical log-odds per group.
    const X = Matrix.fromArray([[0], [0], [0], [0], [1], [1], [1], [1], [1]], ["f"]);
    const y = [0, 0, 0, 1, 1, 1, 1, 0, 1];
    const clf = new LogisticRegression({ penalty: null, tol: 1e-12, maxIter: 1000 }).fit(X, y);
    expect(clf.intercept_[0]).toBeCloseTo(Math.log(1 / 3), 6);
    expect(clf.coef_.get(0, 0)).toBeCloseTo(Math.log(4 / 1) - Math.log(1 / 3), 6);
  });

  it("warns naming maxIter when it stops early, and records nIter_", () => {
    const spy = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const d = readCsv("breast_cancer.csv", "target");
    const clf = new LogisticRegression({ maxIter: 2 }).fit(Matrix.fromArray(d.rows, d.columns), d.y);
    expect(clf.nIter_).toBe(2);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0][0])).toContain("did not converge in maxIter = 2 iterations");
    expect(String(spy.mock.calls[0][0])).toContain("raise maxIter");
  });

  it("has a single-row path identical to the batch path", () => {
    const d = readCsv("iris.csv", "species");
    const X = Matrix.fromArray(d.rows, d.columns);
    const clf = new LogisticRegression({ maxIter: 1000 }).fit(X, d.y);
    const batch = clf.predictProba(X);
    const out = new Float64Array(3);
    for (const i of [0, 60, 149]) {
      clf.predictProbaRow(X.data.subarray(i * 4, i * 4 + 4), out);
      expect(Array.from(out)).toEqual(Array.from(batch.data.subarray(i * 3, i * 3 + 3)));
    }
  });

  it("returns K decision columns and round-trips through JSON bit for bit", () => {
    const d = readCsv("iris.csv", "species");
    const X = Matrix.fromArray(d.rows, d.columns);
    const clf = new LogisticRegression({ C: 0.5, maxIter: 1000 }).fit(X, d.y);
    const dec = clf.decisionFunction(X);
    expect([dec.rows, dec.cols]).toEqual([150, 3]);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(clf.toJSON()))) as LogisticRegression;
    expect(back).toBeInstanceOf(LogisticRegression);
    expect(back.predictProba(X).data).toEqual(clf.predictProba(X).data);
    expect(back.getParams()).toEqual(clf.getParams());
  });

  it("reports bad options, one class and reading before fit clearly", () => {
    expect(() => new LogisticRegression().coef_).toThrow(NotFittedError);
    expect(() => new LogisticRegression().coef_).toThrow("LogisticRegression is not fitted yet");
    const X = Matrix.fromArray([[1], [2]], ["a"]);
    expect(() => new LogisticRegression({ C: -1 }).fit(X, [0, 1])).toThrow(ValidationError);
    expect(() => new LogisticRegression({ C: -1 }).fit(X, [0, 1])).toThrow(/C/);
    expect(() => new LogisticRegression({ penalty: "l1" as never }).fit(X, [0, 1])).toThrow(/penalty/);
    expect(() => new LogisticRegression().fit(X, [1, 1])).toThrow("only one class (1) is present");
    expect(() => new LogisticRegression().fit(X, [0, 1, 1])).toThrow(/y has 3 value\(s\) but X has 2 row\(s\)/);
    expect(() => new LogisticRegression().fit(Matrix.fromArray([[1], [NaN]], ["a"]), [0, 1])).toThrow(/missing value/);
  });
});

describe("LinearRegression and Ridge on diabetes", () => {
  const d = readCsv("diabetes.csv", "target");
  const X = Matrix.fromArray(d.rows, d.columns);
  const y = Float64Array.from(d.y as number[]);

  it("matches linear_regression", () => {
    const c = g.linear_regression;
    const reg = new LinearRegression().fit(X, y);
    expectCoefs(reg.coef_, c.coef_ as number[]);
    expectCoefs([reg.intercept_], [c.intercept_ as number]);
    expect(reg.rank_).toBe(10);
    expect(Math.abs(reg.score(X, y) / (c.r2 as number) - 1)).toBeLessThan(1e-9);
  });

  it("matches ridge (alpha given, intercept unpenalised)", () => {
    const c = g.ridge;
    const reg = new Ridge({ alpha: c.alpha as number }).fit(X, y);
    expectCoefs(reg.coef_, c.coef_ as number[]);
    expectCoefs([reg.intercept_], [c.intercept_ as number]);
    const pred = reg.predict(X);
    expect(Math.abs(meanSquaredError(y, pred) / (c.mse as number) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(meanAbsoluteError(y, pred) / (c.mae as number) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(r2Score(y, pred) / (c.r2 as number) - 1)).toBeLessThan(1e-9);
  });

  it("fits without an intercept and predicts single rows like batches", () => {
    const reg = new Ridge({ alpha: 0.1, fitIntercept: false }).fit(X, y);
    expect(reg.intercept_).toBe(0);
    const batch = reg.predict(X);
    expect(reg.predictRow(X.data.subarray(10, 20))).toBe(batch[1]);
  });

  it("refuses string targets and a negative alpha", () => {
    expect(() => new LinearRegression().fit(X.sliceRows(0, 2), ["a", "b"])).toThrow(/expected a number/);
    expect(() => new Ridge({ alpha: -1 }).fit(X, y)).toThrow(/alpha/);
  });
});

// sklearn 1.9.1: LogisticRegression(class_weight="balanced", tol=1e-12, max_iter=10000)
const BALANCED = { coef: 0.8791629410992986, intercept: -0.6817717730058077 };
