import { describe, expect, it } from "vitest";
import { LogisticRegression, Pipeline, StandardScaler } from "@trellis/prod";
import { GridSearchCV, KFold, crossValidate } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";

// 120 rows, two features, a label that depends on both (so C changes the scores).
const X = Array.from({ length: 120 }, (_, i) => ({ a: (i * 37) % 17, b: (i * 11) % 13 }));
const y = X.map((r, i) => (r.a + 0.5 * r.b + ((i * 7) % 5) > 12 ? 1 : 0));
const pipe = () => new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression()]] });

describe.each(useTrackers())("search and cross-validation with a tracker on $name", (ctx) => {
  it("logs every GridSearchCV candidate as a child run with its scores and rank, and the best on the parent", async () => {
    const experiment = uniqueName("tracked");
    const search = new GridSearchCV({
      estimator: pipe(),
      paramGrid: { clf__C: [0.01, 1, 100] },
      cv: new KFold({ nSplits: 3 }),
      scoring: "roc_auc",
      tracker: { tracker: ctx.tracker, experiment },
    });
    await search.fit(X, y);
    const { parentRunId, childRunIds } = search.trackedRuns_!;
    expect(childRunIds).toHaveLength(3);
    for (let c = 0; c < 3; c++) {
      const run = await ctx.tracker.getRun(childRunIds[c]!);
      expect(run.params.clf__C).toBe(String([0.01, 1, 100][c]));
      expect(run.metrics.mean_test_score).toBeCloseTo(search.cvResults_.mean_test_score[c]!, 12);
      expect(run.metrics.rank_test_score).toBe(search.cvResults_.rank_test_score[c]);
      expect(run.info.parentRunId).toBe(parentRunId);
    }
    const children = await ctx.tracker.searchRuns({ experiment, filter: `attributes.parent_run_id = '${parentRunId}'` });
    expect(children).toHaveLength(3);
    expect((await ctx.tracker.getRun(parentRunId)).info.status).toBe("FINISHED");
  });

  it("logs a crossValidate as one run with a step per split", async () => {
    const experiment = uniqueName("tracked_cv");
    const result = await crossValidate(pipe(), X, y, { cv: new KFold({ nSplits: 4 }), scoring: "accuracy", tracker: { tracker: ctx.tracker, experiment } });
    const [run] = await ctx.tracker.searchRuns({ experiment });
    expect(run!.info.name).toBe("crossValidate");
    const history = await ctx.tracker.getMetricHistory(run!.info.runId, "test_score");
    expect(history.map((h) => h.value)).toEqual(Array.from(result.test_score as Float64Array));
    expect(history.map((h) => h.step)).toEqual([0, 1, 2, 3]);
    expect(run!.params.clf__C).toBe("1");
  });
});
