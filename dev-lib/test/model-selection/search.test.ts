import { describe, expect, it } from "vitest";
import {
  ColumnTransformer,
  LogisticRegression,
  Matrix,
  OneHotEncoder,
  Pipeline,
  Ridge,
  SimpleImputer,
  StandardScaler,
} from "@trellis/prod";
import { GridSearchCV, RandomizedSearchCV, type CandidateReport } from "../../src/model-selection/search";
import { loguniform } from "../../src/model-selection/param-grid";
import { KFold, StratifiedKFold } from "../../src/model-selection/splitters";
import { expectAllClose, readReferenceCsv, searchFixtures as fx } from "../helpers/fixtures";

// scikit-learn 1.9.1's results from dev-lib/test/fixtures/make_search.py. Mean test scores within
// 1e-6 (both sides solve the logistic regressions to tight tolerances), ranks and best parameters exactly.
const TOL = 1e-6;

function matrixOf(file: string, label: string) {
  const rows = readReferenceCsv(file);
  const names = Object.keys(rows[0]).filter((n) => n !== label);
  return { X: Matrix.fromArray(rows.map((r) => names.map((n) => r[n] as number)), names), y: rows.map((r) => r[label] as number | string) };
}
const bc = matrixOf("breast_cancer.csv", "target");
const diabetes = matrixOf("diabetes.csv", "target");

const scaledLogreg = () =>
  new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression({ tol: 1e-10, maxIter: 1000 })]] });

function expectLikeSklearn(search: GridSearchCV | RandomizedSearchCV, want: Record<string, unknown>, scorers: string[], nSplits: number) {
  const r = search.cvResults_;
  for (const name of scorers) {
    expectAllClose(r[`mean_test_${name}`], want[`mean_test_${name}`] as number[], TOL, `mean_test_${name}`);
    expectAllClose(r[`std_test_${name}`], want[`std_test_${name}`] as number[], TOL, `std_test_${name}`);
    for (let k = 0; k < nSplits; k++) expectAllClose(r[`split${k}_test_${name}`], want[`split${k}_test_${name}`] as number[], TOL, `split${k}_test_${name}`);
    expect(Array.from(r[`rank_test_${name}`]), `rank_test_${name}`).toEqual(want[`rank_test_${name}`]);
    if (want[`mean_train_${name}`]) expectAllClose(r[`mean_train_${name}`], want[`mean_train_${name}`] as number[], TOL, `mean_train_${name}`);
  }
  expect(search.bestIndex_).toBe(want.best_index_);
  expect(Math.abs(search.bestScore_ - (want.best_score_ as number))).toBeLessThan(TOL);
}

describe("GridSearchCV", () => {
  const cvs = {
    kfold5: new KFold({ nSplits: 5 }),
    stratified5: new StratifiedKFold({ nSplits: 5 }),
    kfold5_shuffle42: new KFold({ nSplits: 5, shuffle: true, randomState: 42 }),
    stratified4_shuffle7: new StratifiedKFold({ nSplits: 4, shuffle: true, randomState: 7 }),
  };
  for (const [name, cv] of Object.entries(cvs)) {
    it(`equals scikit-learn on breast_cancer, scaled logistic C grid, ${name}, three scorers with train scores`, async () => {
      const search = new GridSearchCV({
        estimator: scaledLogreg(),
        paramGrid: { clf__C: [0.01, 0.1, 1.0, 10.0] },
        scoring: ["accuracy", "roc_auc", "neg_log_loss"],
        refit: "roc_auc",
        cv,
        returnTrainScore: true,
      });
      await search.fit(bc.X, bc.y);
      const want = fx.breast_cancer_grid[name];
      expectLikeSklearn(search, want, ["accuracy", "roc_auc", "neg_log_loss"], cv.getNSplits());
      expect(search.bestParams_).toEqual(want.best_params_);
      expect(search.cvResults_.params).toEqual(want.params);
      expect(search.cvResults_.param_clf__C).toEqual([0.01, 0.1, 1, 10]);
      expect(search.cvResults_.mean_fit_time.length).toBe(4);
      // The refitted best estimator scores with the refit scorer (roc_auc) and predicts.
      expect(search.score(bc.X, bc.y)).toBeGreaterThan(0.99);
      expect(search.predict(bc.X).length).toBe(569);
      expect(search.predictProba(bc.X).cols).toBe(2);
    });
  }

  it("uses the estimator's score and StratifiedKFold for cv: 5 with a classifier, as scikit-learn", async () => {
    const search = await new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [0.01, 0.1, 1.0, 10.0] }, cv: 5 }).fit(bc.X, bc.y);
    expectLikeSklearn(search, fx.breast_cancer_default_scoring, ["score"], 5);
  });

  it("equals scikit-learn on the mixed pipeline grid over row objects (nested step__param names, ties ranked min)", async () => {
    const rows = readReferenceCsv("mixed_train.csv");
    const y = rows.map((r) => r.churned as number);
    const num = ["tenure_months", "monthly_spend", "support_calls", "discount_rate"];
    const cat = ["plan", "region", "channel"];
    const pipe = new Pipeline({
      steps: [
        ["prep", new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), num],
            ["cat", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }), cat],
          ],
        })],
        ["clf", new LogisticRegression({ tol: 1e-10, maxIter: 1000 })],
      ],
    });
    const search = new GridSearchCV({
      estimator: pipe,
      paramGrid: { clf__C: [0.1, 1.0], prep__num__impute__strategy: ["mean", "median"], prep__num__scale__withMean: [true, false] },
      scoring: "roc_auc",
      cv: new StratifiedKFold({ nSplits: 3 }),
    });
    await search.fit(rows, y);
    const want = fx.mixed_grid;
    expectLikeSklearn(search, want, ["score"], 3);
    const rename = (p: Record<string, unknown>) => ({ clf__C: p.clf__C, prep__num__impute__strategy: p.prep__num__impute__strategy, prep__num__scale__withMean: p.prep__num__scale__with_mean });
    expect(search.bestParams_).toEqual(rename(want.best_params_));
    expect(search.cvResults_.params).toEqual(want.params.map(rename));
  });

  it("equals scikit-learn on a Ridge alpha grid with three regression scorers, refit by neg_mean_squared_error", async () => {
    const search = await new GridSearchCV({
      estimator: new Ridge(),
      paramGrid: { alpha: [0.01, 0.1, 1.0, 10.0, 100.0] },
      scoring: ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"],
      refit: "neg_mean_squared_error",
      cv: 5,
    }).fit(diabetes.X, diabetes.y as number[]);
    expectLikeSklearn(search, fx.diabetes_ridge_grid, ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"], 5);
    expect(search.bestParams_).toEqual(fx.diabetes_ridge_grid.best_params_);
  });

  it("reports each candidate once, in order, through onCandidate", async () => {
    const seen: CandidateReport[] = [];
    const ticks: number[] = [];
    const search = new GridSearchCV({
      onProgress: (e) => void ticks.push(e.done),
      estimator: scaledLogreg(),
      paramGrid: { clf__C: [0.1, 1] },
      scoring: { acc: "accuracy" },
      refit: "acc",
      cv: 3,
      onCandidate: (c) => void seen.push(c),
    });
    await search.fit(bc.X, bc.y);
    expect(seen.map((c) => c.index)).toEqual([0, 1]);
    expect(ticks).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen[1].params).toEqual({ clf__C: 1 });
    expect(seen[1].testScores.acc).toEqual(Array.from([0, 1, 2], (k) => search.cvResults_[`split${k}_test_acc`][1]));
    expect(seen[1].meanTestScore.acc).toBe(search.cvResults_.mean_test_acc[1]);
  });

  it("renders cvResults_ as an Arrow table and a ranked report", async () => {
    const search = await new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [0.01, 1] }, scoring: "accuracy", cv: 3 }).fit(bc.X, bc.y);
    const t = search.cvResultsTable();
    expect(t.numRows).toBe(2);
    expect(t.schema.fields.map((f) => f.name).slice(0, 4)).toEqual(["param_clf__C", "rank_test_score", "mean_test_score", "std_test_score"]);
    const report = search.report();
    const text = report.toString();
    expect(text).toContain("GridSearchCV: 2 candidates × 3 splits, ranked by score");
    expect(text).toMatch(/param_clf__C\s+rank_test_score\s+mean_test_score/);
    expect(report.table.getChild("rank_test_score")!.get(0)).toBe(1);
    expect(report.toHTML()).toContain("<table");
  });

  it("explains bad settings before fitting anything", async () => {
    expect(() => new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [] } })).toThrow('parameterGrid: values of "clf__C" are an empty array; give at least one value.');
    await expect(new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__Cee: [1] } }).fit(bc.X, bc.y)).rejects.toThrow(/clf__Cee|Cee/);
    await expect(new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [1] }, scoring: ["accuracy", "roc_auc"] }).fit(bc.X, bc.y)).rejects.toThrow(
      'GridSearchCV: with several scorers, refit must name the one that picks the best candidate (one of accuracy, roc_auc) or be false; got true.',
    );
    const s = new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [1] } });
    expect(() => s.cvResults_).toThrow("GridSearchCV is not fitted yet: call await fit(X, y) before reading cvResults_.");
    const noRefit = await new GridSearchCV({ estimator: scaledLogreg(), paramGrid: { clf__C: [1] }, refit: false, cv: 2 }).fit(bc.X, bc.y);
    expect(noRefit.bestIndex_).toBe(0);
    expect(() => noRefit.bestEstimator_).toThrow("GridSearchCV: refit is false, so there is no bestEstimator_; pass refit: true.");
  });
});

describe("RandomizedSearchCV", () => {
  it("draws scikit-learn's candidates from loguniform and matches its scores", async () => {
    const search = await new RandomizedSearchCV({
      estimator: scaledLogreg(),
      paramDistributions: { clf__C: loguniform(1e-2, 1e2) },
      nIter: 6,
      randomState: 0,
      scoring: "neg_log_loss",
      cv: new KFold({ nSplits: 4 }),
    }).fit(bc.X, bc.y);
    const want = fx.breast_cancer_random;
    expectAllClose(search.cvResults_.params.map((p) => p.clf__C as number), want.params.map((p: { clf__C: number }) => p.clf__C), 1e-12, "C");
    expectLikeSklearn(search, want, ["score"], 4);
  });
});
