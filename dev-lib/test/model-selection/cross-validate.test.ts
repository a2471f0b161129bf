import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { LinearRegression, LogisticRegression, Matrix, Pipeline, Ridge, StandardScaler, type BaseEstimator, type XInput, type YInput } from "@trellis/prod";
import { crossValidate, crossValScore, type SplitReport } from "../../src/model-selection/cross-validate";
import { getScorer, scorerNames } from "../../src/model-selection/scoring";
import { GroupKFold, KFold } from "../../src/model-selection/splitters";
import { GroupTimeSplit } from "../../src/model-selection/group-time-split";
import { ColumnTransformer } from "@trellis/prod";
import { expectAllClose, readReferenceCsv, searchFixtures as fx } from "../helpers/fixtures";

// scikit-learn 1.9.1's cross_validate / cross_val_score from dev-lib/test/fixtures/make_search.py,
// compared within 1e-6 (classification counts are exact in practice).

function load(file: string, label: string) {
  const rows = readReferenceCsv(file);
  const names = Object.keys(rows[0]).filter((n) => n !== label);
  return { rows, names, X: Matrix.fromArray(rows.map((r) => names.map((n) => r[n] as number)), names), y: rows.map((r) => r[label] as number | string) };
}
const bc = load("breast_cancer.csv", "target");
const scaledLogreg = () => new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression({ tol: 1e-10, maxIter: 1000 })]] });

describe("crossValidate", () => {
  it("equals scikit-learn's cross_validate with four scorers and train scores (cv: 5 → StratifiedKFold)", async () => {
    const r = await crossValidate(scaledLogreg(), bc.X, bc.y, { cv: 5, scoring: ["accuracy", "f1", "precision", "recall"], returnTrainScore: true });
    for (const [key, want] of Object.entries(fx.breast_cancer_cross_validate as Record<string, number[]>)) {
      expectAllClose(r[key as `test_${string}`], want, 1e-6, key);
    }
    expect(r.fitTime.length).toBe(5);
    expect(r.scoreTime.every((t) => t >= 0)).toBe(true);
    expect(r.estimator).toBeUndefined();
  });

  it("takes Arrow tables and row objects as well as matrices, with the same scores", async () => {
    const cols: Record<string, Float64Array> = {};
    bc.names.forEach((n, j) => (cols[n] = Float64Array.from(bc.rows, (r) => r[n] as number)));
    const table = tableFromArrays(cols);
    const opts = { cv: new KFold({ nSplits: 3 }), scoring: "roc_auc" as const };
    const a = await crossValidate(scaledLogreg(), bc.X, bc.y, opts);
    const b = await crossValidate(scaledLogreg(), table, bc.y, opts);
    const features = bc.rows.map(({ target, ...rest }) => (void target, rest));
    const c = await crossValidate(scaledLogreg(), features, bc.y, opts);
    expect(Array.from(b.test_score)).toEqual(Array.from(a.test_score));
    expect(Array.from(c.test_score)).toEqual(Array.from(a.test_score));
  });

  it("returns the fitted estimators and reports splits in order through onSplit", async () => {
    const seen: SplitReport[] = [];
    const r = await crossValidate(scaledLogreg(), bc.X, bc.y, { cv: 3, returnEstimator: true, onSplit: (s) => void seen.push(s) });
    expect(r.estimator!.length).toBe(3);
    expect(r.estimator!.every((e) => e.isFitted())).toBe(true);
    expect(seen.map((s) => s.split)).toEqual([0, 1, 2]);
    expect(seen.map((s) => s.test.score)).toEqual(Array.from(r.test_score));
  });

  it("passes groups to group splitters", async () => {
    const groups = bc.y.map((_, i) => i % 7);
    const r = await crossValidate(scaledLogreg(), bc.X, bc.y, { cv: new GroupKFold({ nSplits: 7 }), groups, scoring: "accuracy" });
    expect(r.test_score.length).toBe(7);
  });

  it("lets GroupTimeSplit read its time column from the rows as given (Dates), while the model uses other columns", async () => {
    const rows = bc.rows.map((r, i) => ({ ...r, day: new Date(Date.UTC(2024, 0, 1 + Math.floor(i / 20))), customer: `c${i % 40}` }));
    const model = new Pipeline({
      steps: [
        ["prep", new ColumnTransformer({ transformers: [["scale", new StandardScaler(), bc.names.slice(0, 10)]] })],
        ["clf", new LogisticRegression()],
      ],
    });
    const cv = new GroupTimeSplit({ timeColumn: "day", nSplits: 3, testSize: 4, gap: 1, testEntityFraction: 0.25, randomState: 1 });
    const seen: [number[], number[]][] = [...cv.split(rows, undefined, rows.map((r) => r.customer))].map(([tr, te]) => [Array.from(tr), Array.from(te)]);
    const r = await crossValidate(model, rows, bc.y, { cv, groups: rows.map((r) => r.customer), scoring: "accuracy", returnEstimator: true });
    expect(r.test_score.length).toBe(3);
    expect(r.test_score.every((v) => v > 0.8)).toBe(true);
    // The same windows as the splitter gives directly: the last training day is a day before the gap.
    expect(seen[0][1].length).toBeGreaterThan(0);
    expect(Math.max(...seen[0][0].map((i) => rows[i].day.getTime()))).toBeLessThan(Math.min(...seen[0][1].map((i) => rows[i].day.getTime())) - 86_400_000);
  });

  it("accepts a scorer function", async () => {
    const fn = (est: BaseEstimator, X: XInput, y: YInput) => getScorer("accuracy")(est, X, y) * 100;
    const a = await crossValidate(scaledLogreg(), bc.X, bc.y, { cv: 3, scoring: fn });
    const b = await crossValidate(scaledLogreg(), bc.X, bc.y, { cv: 3, scoring: "accuracy" });
    expectAllClose(a.test_score, Array.from(b.test_score, (v) => v * 100), 1e-12);
  });

  it("explains a bad estimator, cv and scorer", async () => {
    await expect(crossValidate({} as BaseEstimator, bc.X, bc.y)).rejects.toThrow("crossValidate: the first argument must be an estimator (with fit).");
    await expect(crossValidate(scaledLogreg(), bc.X, bc.y, { cv: 1 })).rejects.toThrow("cv must be a number of folds of at least 2 or a splitter, got 1.");
    await expect(crossValidate(scaledLogreg(), bc.X, bc.y, { scoring: "auc" as never })).rejects.toThrow(/unknown scorer "auc"; known: accuracy, roc_auc/);
    await expect(crossValidate(new Ridge(), bc.X, bc.y, { cv: 3, scoring: "roc_auc" })).rejects.toThrow(
      'scorer "roc_auc" needs class probabilities; Ridge has no predictProba. Use a classifier or a scorer such as "r2".',
    );
  });
});

describe("crossValScore", () => {
  it("equals scikit-learn's cross_val_score on iris (string labels, StratifiedKFold, accuracy)", async () => {
    const iris = load("iris.csv", "species");
    const scores = await crossValScore(new LogisticRegression({ tol: 1e-10, maxIter: 1000 }), iris.X, iris.y, { cv: 5 });
    expectAllClose(scores, fx.iris_cross_val_score, 1e-9);
  });

  it("equals scikit-learn's negated mean absolute error with a shuffled KFold", async () => {
    const d = load("diabetes.csv", "target");
    const scores = await crossValScore(new Ridge({ alpha: 0.5 }), d.X, d.y, { cv: new KFold({ nSplits: 3, shuffle: true, randomState: 1 }), scoring: "neg_mean_absolute_error" });
    expectAllClose(scores, fx.diabetes_cross_val_score_mae, 1e-9);
    expect(scores.every((s) => s < 0)).toBe(true);
  });

  it("knows scikit-learn's scorer names", () => {
    expect(scorerNames()).toEqual(["accuracy", "roc_auc", "neg_log_loss", "f1", "precision", "recall", "r2", "neg_mean_squared_error", "neg_mean_absolute_error"]);
    expect(new LinearRegression()).toBeDefined();
  });
});
