import { describe, expect, it } from "vitest";
import { LogisticRegression, StandardScaler } from "@trellis/prod";
import { ChildRunLogger, logCrossValidation, logSearchCandidates, paramToText } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";

/** A fitted search as scikit-learn keys it (two candidates, three splits, one scorer). */
class GridSearchCV {
  readonly cvResults_ = {
    params: [{ clf__C: 0.1, prep: new StandardScaler() }, { clf__C: 1, prep: "passthrough" }],
    param_clf__C: [0.1, 1],
    split0_test_score: Float64Array.from([0.8, 0.7]),
    split1_test_score: Float64Array.from([0.9, 0.75]),
    split2_test_score: Float64Array.from([1.0, 0.8]),
    mean_test_score: Float64Array.from([0.9, 0.75]),
    std_test_score: Float64Array.from([Math.sqrt(0.02 / 3), Math.sqrt(0.005 / 3)]),
    rank_test_score: Int32Array.from([1, 2]),
    mean_fit_time: Float64Array.from([0.01, 0.02]),
  };
  readonly bestIndex_ = 0;
  readonly bestScore_ = 0.9;
  get bestParams_() {
    return this.cvResults_.params[0];
  }
}

describe("paramToText", () => {
  it("names estimators by class and writes other values as text or JSON", () => {
    expect([paramToText(new LogisticRegression()), paramToText(0.1), paramToText("l2"), paramToText(true), paramToText([1, 2]), paramToText(null)]).toEqual([
      "LogisticRegression", "0.1", "l2", "true", "[1,2]", "null",
    ]);
  });
});

describe.each(useTrackers())("search runs on $name", (ctx) => {
  it("logs a fitted search as a parent run with one child run per candidate", async () => {
    const experiment = uniqueName("grid");
    const search = new GridSearchCV();
    const { parentRunId, childRunIds } = await logSearchCandidates(ctx.tracker, search, { experiment });
    expect(childRunIds.length).toBe(2);
    const parent = await ctx.tracker.getRun(parentRunId);
    expect([parent.info.name, parent.info.status, parent.params, parent.metrics]).toEqual([
      "GridSearchCV", "FINISHED", { clf__C: "0.1", prep: "StandardScaler" }, { best_cv_score: 0.9 },
    ]);
    expect(parent.tags).toEqual({ "trellis.search": "parent", "trellis.search.best_candidate": "0", "trellis.search.best_run_id": childRunIds[0] });
    const children = await ctx.tracker.searchRuns({ experiment, filter: `attributes.parent_run_id = '${parentRunId}'`, orderBy: ["metrics.rank_test_score"] });
    expect(children.map((c) => [c.info.name, c.params, c.metrics])).toEqual([
      ["candidate 0", { clf__C: "0.1", prep: "StandardScaler" }, { mean_fit_time: 0.01, mean_test_score: 0.9, rank_test_score: 1, split0_test_score: 0.8, split1_test_score: 0.9, split2_test_score: 1, std_test_score: Math.sqrt(0.02 / 3) }],
      ["candidate 1", { clf__C: "1", prep: "passthrough" }, { mean_fit_time: 0.02, mean_test_score: 0.75, rank_test_score: 2, split0_test_score: 0.7, split1_test_score: 0.75, split2_test_score: 0.8, std_test_score: Math.sqrt(0.005 / 3) }],
    ]);
    expect(children.every((c) => c.tags["trellis.search.candidate"] === c.info.name.slice("candidate ".length))).toBe(true);
  });

  it("logs candidates as a search reports them through its onCandidate hook, then ranks and the best on finish", async () => {
    const experiment = uniqueName("hook");
    const outer = await ctx.tracker.startRun({ experiment, name: "tuning" });
    const logger = new ChildRunLogger(ctx.tracker, { parentRunId: outer.id, tags: { sweep: "C" } });
    await logger.onCandidate({ index: 0, params: { clf__C: 0.1 }, testScores: { score: [0.8, 0.9, 1.0] }, trainScores: { score: [1, 1, 1] }, fitTimes: [0.1, 0.3], scoreTimes: [0.01, 0.01] });
    await logger.onCandidate({ index: 1, params: { clf__C: 1 }, testScores: { score: [0.7, 0.75, 0.8] }, fitTimes: [0.2, 0.2], scoreTimes: [0.02, 0.02] });
    const { parentRunId, childRunIds } = await logger.finish(new GridSearchCV());
    expect(parentRunId).toBe(outer.id);
    const first = await ctx.tracker.getRun(childRunIds[0]);
    expect(first.info.parentRunId).toBe(outer.id);
    expect(first.info.experiment).toBe(experiment);
    expect(first.tags).toEqual({ sweep: "C", "trellis.search.candidate": "0" });
    expect(first.metrics.mean_test_score).toBeCloseTo(0.9, 15);
    expect(first.metrics.std_test_score).toBeCloseTo(0.0816496580927726, 15); // numpy.std([0.8, 0.9, 1.0])
    expect([first.metrics.mean_train_score, first.metrics.std_train_score, first.metrics.mean_fit_time, first.metrics.rank_test_score]).toEqual([1, 0, 0.2, 1]);
    expect(first.metrics.split2_test_score).toBe(1);
    expect((await ctx.tracker.getRun(childRunIds[1])).metrics.rank_test_score).toBe(2);
    // The parent was given: it stays running (its owner ends it) and carries the best candidate.
    const parent = await ctx.tracker.getRun(outer.id);
    expect([parent.info.status, parent.params.clf__C, parent.metrics.best_cv_score, parent.tags["trellis.search.best_run_id"]]).toEqual(["RUNNING", "0.1", 0.9, childRunIds[0]]);
    await outer.end();
    await expect(logger.onCandidate({ index: 2, params: {}, testScores: {}, fitTimes: [], scoreTimes: [] })).rejects.toThrow(
      "ChildRunLogger: finish() was already called; use a new logger for another search.",
    );
  });

  it("logs a cross-validation as one run with a score per split as steps", async () => {
    const experiment = uniqueName("cv");
    const runId = await logCrossValidation(
      ctx.tracker,
      { fitTime: Float64Array.from([0.1, 0.2, 0.3]), scoreTime: Float64Array.from([0.01, 0.02, 0.03]), test_roc_auc: Float64Array.from([0.8, 0.85, 0.9]), train_roc_auc: Float64Array.from([0.95, 0.96, 0.97]) },
      { experiment, params: { C: 1, estimator: new LogisticRegression() } },
    );
    const r = await ctx.tracker.getRun(runId);
    expect(r.params).toEqual({ C: "1", estimator: "LogisticRegression" });
    expect((await ctx.tracker.getMetricHistory(runId, "test_roc_auc")).map((p) => [p.step, p.value])).toEqual([[0, 0.8], [1, 0.85], [2, 0.9]]);
    expect(r.metrics.mean_test_roc_auc).toBeCloseTo(0.85, 15);
    expect(r.metrics.std_test_roc_auc).toBeCloseTo(Math.sqrt(0.005 / 3), 15);
    expect(r.metrics.mean_fit_time).toBeCloseTo(0.2, 15);
    expect(r.info.name).toBe("cross-validation");
  });
});
