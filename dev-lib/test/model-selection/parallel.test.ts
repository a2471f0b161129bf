import { describe, expect, it } from "vitest";
import { LogisticRegression, Matrix, OneHotEncoder, ColumnTransformer, Pipeline, SimpleImputer, StandardScaler } from "@trellis/prod";
import { crossValidate } from "../../src/model-selection/cross-validate";
import { GridSearchCV } from "../../src/model-selection/search";
import { KFold, StratifiedKFold } from "../../src/model-selection/splitters";
import { readReferenceCsv } from "../helpers/fixtures";

// nJobs > 1 from source: the worker script is loaded through tsx. Results must equal nJobs: 1
// exactly (the same fits on the same rows); only the times differ.

const rows = readReferenceCsv("breast_cancer.csv");
const names = Object.keys(rows[0]).filter((n) => n !== "target");
const X = Matrix.fromArray(rows.map((r) => names.map((n) => r[n] as number)), names);
const y = rows.map((r) => r.target as number);
const scaledLogreg = () => new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression()] ] });

describe("nJobs > 1", () => {
  it("gives GridSearchCV the same cvResults_ and best candidate as nJobs: 1", async () => {
    const opts = { paramGrid: { clf__C: [0.01, 0.1, 1, 10] }, scoring: ["accuracy", "roc_auc", "neg_log_loss"] as const, refit: "roc_auc", cv: new StratifiedKFold({ nSplits: 5, shuffle: true, randomState: 3 }), returnTrainScore: true };
    const one = await new GridSearchCV({ estimator: scaledLogreg(), ...opts, scoring: [...opts.scoring] }).fit(X, y);
    const two = await new GridSearchCV({ estimator: scaledLogreg(), ...opts, scoring: [...opts.scoring], nJobs: 2 }).fit(X, y);
    for (const key of Object.keys(one.cvResults_)) {
      if (key.includes("_time")) continue;
      expect((two.cvResults_ as unknown as Record<string, unknown>)[key], key).toEqual((one.cvResults_ as unknown as Record<string, unknown>)[key]);
    }
    expect(two.bestParams_).toEqual(one.bestParams_);
    expect(Array.from((two.predictProba(X)).data)).toEqual(Array.from(one.predictProba(X).data));
  });

  it("gives crossValidate the same scores and fitted estimators on row objects with string categories", async () => {
    const mixed = readReferenceCsv("mixed_train.csv");
    const yy = mixed.map((r) => r.churned as number);
    const pipe = new Pipeline({
      steps: [
        ["prep", new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), ["tenure_months", "monthly_spend", "support_calls", "discount_rate"]],
            ["cat", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }), ["plan", "region", "channel"]],
          ],
        })],
        ["clf", new LogisticRegression()],
      ],
    });
    const opts = { cv: new KFold({ nSplits: 4 }), scoring: ["roc_auc", "accuracy"] as ("roc_auc" | "accuracy")[], returnEstimator: true };
    const one = await crossValidate(pipe, mixed, yy, opts);
    const two = await crossValidate(pipe, mixed, yy, { ...opts, nJobs: 2 });
    expect(Array.from(two.test_roc_auc)).toEqual(Array.from(one.test_roc_auc));
    expect(Array.from(two.test_accuracy)).toEqual(Array.from(one.test_accuracy));
    expect(two.estimator!.map((e) => JSON.stringify(e.toJSON()))).toEqual(one.estimator!.map((e) => JSON.stringify(e.toJSON())));
  });

  it("reports a failing fit from a worker with its message, and refuses scorer functions", async () => {
    const bad = new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression({ C: -1 })]] });
    await expect(crossValidate(bad, X, y, { cv: 2, nJobs: 2 })).rejects.toThrow(/C.*\(in a worker thread, nJobs > 1\)/);
    await expect(crossValidate(scaledLogreg(), X, y, { cv: 2, nJobs: 2, scoring: () => 1 })).rejects.toThrow(
      'nJobs > 1 runs scorers in worker threads, which cannot receive functions; use scorer names (e.g. "roc_auc") or nJobs: 1.',
    );
  });
});
