import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ArtifactIntegrityError, IntegrityError, ColumnTransformer, LogisticRegression, OneHotEncoder, Pipeline, StandardScaler, loadModelFromFiles, trainingDataDigest } from "@trellis/prod";
import { TrackingError } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";

const Row = z.object({ orders: z.number(), basket: z.number(), segment: z.enum(["a", "b", "c"]) });
type RowT = z.infer<typeof Row>;
const rows: RowT[] = Array.from({ length: 120 }, (_, i) => ({ orders: (i * 37) % 11, basket: 10 + ((i * 13) % 50), segment: (["a", "b", "c"] as const)[i % 3] }));
const y = rows.map((r, i) => (r.orders + ((i * 7919) % 13) / 4 < 7 ? 1 : 0));

function fitted(): Pipeline<LogisticRegression> {
  return new Pipeline({
    steps: [
      ["prep", new ColumnTransformer({ transformers: [["num", new StandardScaler(), ["orders", "basket"]], ["cat", new OneHotEncoder({ handleUnknown: "ignore" }), ["segment"]]] })],
      ["clf", new LogisticRegression({ C: 0.5 })],
    ],
  }).fit(rows, y);
}

describe.each(useTrackers())("logModel on $name", (ctx) => {
  it("stores the @trellis/prod artifact's files under model/ and loads them back, verified, with identical predictions", async () => {
    const model = fitted();
    const run = await ctx.tracker.startRun({ experiment: uniqueName("model") });
    const training = await run.logDataset("train", arrow.tableFromArrays({ orders: Float64Array.from(rows.map((r) => r.orders)), basket: Float64Array.from(rows.map((r) => r.basket)), segment: rows.map((r) => r.segment) }));
    const logged = await run.logModel(model, { inputSchema: Row, name: "churn", reference: rows, trainingRows: training.table, metrics: { auc: 0.9 } });
    await run.end();
    expect(logged.artifacts.map((a) => a.name).sort()).toEqual(["model/manifest.json", "model/manifest.sha256", "model/model.json", "model/reference.json"]);
    expect([logged.path, logged.name, logged.estimator]).toEqual(["model", "churn", "Pipeline"]);
    expect(logged.digest).toMatch(/^[0-9a-f]{64}$/);

    const r = await ctx.tracker.getRun(run.id);
    expect(r.models.map((m) => [m.path, m.digest, m.name, m.estimator])).toEqual([["model", logged.digest, "churn", "Pipeline"]]);
    expect(await ctx.tracker.runsForModel(logged.digest)).toEqual([run.id]);

    const loaded = await ctx.tracker.loadModel(run.id);
    expect(loaded.digest).toBe(logged.digest);
    expect(loaded.manifest.lineage.runId).toBe(run.id);
    // The lineage's training digest is the one the run recorded for its dataset.
    expect(loaded.manifest.lineage.trainingData?.digest).toBe(training.digest);
    expect(training.digest).toBe(trainingDataDigest(rows).digest);
    expect(loaded.manifest.metrics).toEqual({ auc: 0.9 });
    expect(Array.from((loaded.model as Pipeline<LogisticRegression>).predictProba(rows).data)).toEqual(Array.from(model.predictProba(rows).data));
    // The stored files are exactly an artifact: they load with @trellis/prod alone.
    const files = new Map<string, Uint8Array>();
    for (const a of await ctx.tracker.listArtifacts(run.id, "model")) files.set(a.name.slice("model/".length), await ctx.tracker.getArtifact(run.id, a.name));
    expect((await loadModelFromFiles(files)).digest).toBe(logged.digest);
  });

  it("refuses a second model under the same path and logs nothing of it", async () => {
    const run = await ctx.tracker.startRun({ experiment: uniqueName("model") });
    await run.logModel(fitted(), { inputSchema: Row });
    const err = await run.logModel(fitted(), { inputSchema: Row, name: "other" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as Error).message).toMatch(/already (holds other bytes|has a model under "model")/);
    const second = await run.logModel(fitted(), { inputSchema: Row, path: "models/v2" });
    await run.end();
    expect((await ctx.tracker.getRun(run.id)).models.map((m) => m.path)).toEqual(["model", "models/v2"]);
    expect((await ctx.tracker.loadModel(run.id, { path: "models/v2" })).digest).toBe(second.digest);
    expect((await ctx.tracker.listArtifacts(run.id, "model")).length).toBe(3);
  });

  it("refuses a tampered model file", async () => {
    const run = await ctx.tracker.startRun({ experiment: uniqueName("model") });
    await run.logModel(fitted(), { inputSchema: Row });
    await run.end();
    await ctx.warehouse.exec(`UPDATE "${ctx.schema}".artifacts SET bytes = $1, sha256 = $2, size = 2 WHERE run_id = $3 AND name = 'model/model.json'`, [
      Buffer.from("{}"),
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      run.id,
    ]);
    const err = await ctx.tracker.loadModel(run.id).catch((e: Error) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/model\.json/);
    await ctx.warehouse.exec(`UPDATE "${ctx.schema}".artifacts SET sha256 = repeat('0', 64) WHERE run_id = $1 AND name = 'model/model.json'`, [run.id]);
    expect(await ctx.tracker.loadModel(run.id).catch((e: Error) => e)).toBeInstanceOf(ArtifactIntegrityError);
    expect((await ctx.tracker.loadModel(run.id, { path: "nope" }).catch((e: Error) => e) as Error).message).toBe(
      `loadModel: run "${run.id}" has no model under "nope"; log one with run.logModel().`,
    );
  });
});
