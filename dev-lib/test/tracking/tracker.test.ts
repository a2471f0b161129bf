import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ArtifactIntegrityError, FeatureStore, InvalidArgumentError, entity, featureView, warehouseTable } from "@trellis/shared";
import { trainingDataDigest } from "@trellis/prod";
import { TRACKING_SCHEMA_VERSION, Tracker, TrackingError } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const devVersion = (JSON.parse(readFileSync(join(repoRoot, "dev-lib/package.json"), "utf8")) as { version: string }).version;
const scratch = mkdtempSync(join(tmpdir(), "trellis-tracking-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function gitHead(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the promise to reject");
}

describe.each(useTrackers())("Tracker on $name", (ctx) => {
  const exp = () => uniqueName("exp");

  it("creates its tables with a version row, idempotently, also when opened twice at once", async () => {
    const schema = uniqueName("trk_open");
    const [a, b] = await Promise.all([Tracker.open(ctx.warehouse, { schema }), Tracker.open(ctx.warehouse, { schema })]);
    const c = await Tracker.open(ctx.warehouse, { schema });
    const v = await ctx.warehouse.query(`SELECT version, singleton FROM "${schema}".schema_version`);
    expect(v.toArray().map((r) => [r.version, r.singleton])).toEqual([[TRACKING_SCHEMA_VERSION, true]]);
    const tables = await ctx.warehouse.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    expect(tables.toArray().map((r) => r.table_name)).toEqual([
      "artifacts", "datasets", "experiments", "latest_metrics", "metrics", "models", "params", "runs", "schema_version", "tags",
    ]);
    await Promise.all([a.close(), b.close(), c.close()]); // the warehouse was passed in: it stays open
    expect((await ctx.warehouse.query("SELECT 1 AS one")).get(0)?.one).toBe(1);
    await ctx.warehouse.exec(`DROP SCHEMA "${schema}" CASCADE`);
  });

  it("refuses tables written by a newer layout version", async () => {
    const schema = uniqueName("trk_newer");
    await Tracker.open(ctx.warehouse, { schema });
    await ctx.warehouse.exec(`UPDATE "${schema}".schema_version SET version = 99`);
    const err = await rejection(Tracker.open(ctx.warehouse, { schema }));
    expect(err).toBeInstanceOf(TrackingError);
    expect(err.message).toBe(
      `the tracking tables in schema "${schema}" have layout version 99, newer than this release of @trellis/dev understands (${TRACKING_SCHEMA_VERSION}); upgrade @trellis/dev.`,
    );
    await ctx.warehouse.exec(`DROP SCHEMA "${schema}" CASCADE`);
  });

  it("marks a run FINISHED and records when, where and with what it ran", async () => {
    const experiment = exp();
    const before = Date.now();
    const id = await ctx.tracker.run({ experiment, name: "baseline", tags: { team: "growth" } }, async (run) => {
      expect(run.name).toBe("baseline");
      const live = await ctx.tracker.getRun(run.id);
      expect([live.info.status, live.info.endTime]).toEqual(["RUNNING", null]);
      return run.id;
    });
    const r = await ctx.tracker.getRun(id);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(r.info).toMatchObject({ runId: id, experiment, name: "baseline", status: "FINISHED", parentRunId: null, error: null, nodeVersion: process.version });
    expect(r.info.startTime.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(r.info.endTime!.getTime()).toBeGreaterThanOrEqual(r.info.startTime.getTime());
    expect(r.info.trellisVersions["@trellis/dev"]).toBe(devVersion);
    expect(r.info.trellisVersions["@trellis/shared"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.info.gitCommit).toBe(gitHead());
    expect(typeof r.info.gitDirty).toBe(gitHead() === null ? "object" : "boolean");
    expect(r.tags).toEqual({ team: "growth" });
  });

  it("records no git state outside a repository or when asked not to", async () => {
    const outside = await Tracker.open(ctx.warehouse, { schema: ctx.schema, cwd: tmpdir() });
    const run = await outside.startRun({ experiment: exp() });
    await run.end();
    const r = await outside.getRun(run.id);
    expect([r.info.gitCommit, r.info.gitDirty]).toEqual([null, null]);
    const off = await Tracker.open(ctx.warehouse, { schema: ctx.schema, git: false });
    const run2 = await off.startRun({ experiment: exp() });
    await run2.end();
    expect((await off.getRun(run2.id)).info.gitCommit).toBeNull();
  });

  it("marks a run FAILED with the error's text and rethrows the error", async () => {
    const experiment = exp();
    let id = "";
    const err = await rejection(
      ctx.tracker.run({ experiment }, async (run) => {
        id = run.id;
        await run.logMetric("loss", 1);
        throw new RangeError("diverged at step 7");
      }),
    );
    expect(err).toBeInstanceOf(RangeError);
    const r = await ctx.tracker.getRun(id);
    expect([r.info.status, r.info.error, r.metrics]).toEqual(["FAILED", "RangeError: diverged at step 7", { loss: 1 }]);
    expect(r.info.endTime).toBeInstanceOf(Date);
  });

  it("runs startRun / end for notebooks; logging after end fails; resumeRun reopens", async () => {
    const experiment = exp();
    const run = await ctx.tracker.startRun({ experiment });
    expect(run.name).toBe(`run-${run.id.slice(0, 8)}`);
    await run.logMetric("a", 1);
    await run.end("KILLED");
    expect((await ctx.tracker.getRun(run.id)).info.status).toBe("KILLED");
    const after = await rejection(run.logMetric("a", 2));
    expect(after).toBeInstanceOf(TrackingError);
    expect(after.message).toBe(`logMetrics: run ${run.id} (${run.name}) has ended; start a new run or reopen it with tracker.resumeRun("${run.id}").`);
    // Another handle of the same run (another process) is refused by the warehouse itself.
    const other = await ctx.tracker.resumeRun(run.id);
    await other.end();
    const stale = await ctx.tracker.resumeRun(run.id);
    await ctx.warehouse.exec(`UPDATE "${ctx.schema}".runs SET status = 'FINISHED' WHERE id = $1`, [run.id]);
    const refused = await rejection(stale.logMetric("a", 3));
    expect(refused.message).toBe(`logMetrics: run ${run.id} (${run.name}) is FINISHED, not RUNNING; reopen it with tracker.resumeRun("${run.id}") to log more.`);
    expect(await rejection(stale.logParams({ x: 1 }))).toBeInstanceOf(TrackingError);
    expect(await rejection(stale.logArtifact(Buffer.from("x"), "x"))).toBeInstanceOf(TrackingError);
    const resumed = await ctx.tracker.resumeRun(run.id);
    await resumed.logMetric("a", 4, { step: 1 });
    await resumed.end();
    const r = await ctx.tracker.getRun(run.id);
    expect([r.info.status, r.metrics.a]).toEqual(["FINISHED", 4]);
    expect((await rejection(ctx.tracker.resumeRun("nope"))).message).toBe('resumeRun: run "nope" does not exist.');
  });

  it("keeps params immutable: same value again is fine, another value logs nothing of the call", async () => {
    const run = await ctx.tracker.startRun({ experiment: exp() });
    await run.logParams({ C: 1, penalty: "l2", fitIntercept: true, big: 12345678901234567890n });
    await run.logParam("C", "1");
    const err = await rejection(run.logParams({ newKey: "x", penalty: "l1" }));
    expect(err).toBeInstanceOf(TrackingError);
    expect(err.message).toBe(
      `logParams: param "penalty" of run ${run.id} was already logged as "l2"; it cannot change to "l1" (params are immutable: log a new run, or use a tag for values that change). Nothing of this call was logged.`,
    );
    await run.end();
    expect((await ctx.tracker.getRun(run.id)).params).toEqual({ C: "1", penalty: "l2", fitIntercept: "true", big: "12345678901234567890" });
    const bad = await rejection(run.logParams({ x: null as unknown as string }));
    expect(bad).toBeInstanceOf(TrackingError); // ended handle
    const run2 = await ctx.tracker.startRun({ experiment: exp() });
    expect((await rejection(run2.logParams({ x: { a: 1 } as unknown as string }))).message).toBe(
      'logParam: value of "x" must be a string, number, boolean or bigint, got object; convert it to text first.',
    );
    expect(await rejection(run2.logParam("", 1))).toBeInstanceOf(InvalidArgumentError);
    await run2.end();
  });

  it("keeps every metric value and compares on the latest step, then the latest timestamp", async () => {
    const run = await ctx.tracker.startRun({ experiment: exp() });
    await run.logMetric("loss", 0.9, { step: 0, timestamp: 1000 });
    await run.logMetric("loss", 0.5, { step: 2, timestamp: 2000 });
    await run.logMetric("loss", 0.7, { step: 1, timestamp: 3000 }); // logged later, earlier step
    await run.logMetrics({ acc: 0.6, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: Number.NEGATIVE_INFINITY }, { step: 5, timestamp: new Date(4000) });
    await run.logMetric("acc", 0.65, { step: 5, timestamp: 5000 }); // same step, later time
    await run.logMetric("acc", 0.1, { step: 5, timestamp: 4500 }); // same step, earlier time
    const history = await ctx.tracker.getMetricHistory(run.id, "loss");
    expect(history.map((p) => [p.step, p.value, p.timestamp.getTime()])).toEqual([
      [0, 0.9, 1000],
      [1, 0.7, 3000],
      [2, 0.5, 2000],
    ]);
    const r = await ctx.tracker.getRun(run.id);
    expect(r.metrics.loss).toBe(0.5);
    expect(r.metrics.acc).toBe(0.65);
    expect(r.metrics.nan).toBeNaN();
    expect([r.metrics.inf, r.metrics.neg]).toEqual([Infinity, -Infinity]);
    expect(r.latestMetrics.loss).toEqual({ key: "loss", value: 0.5, step: 2, timestamp: new Date(2000) });
    expect((await ctx.tracker.getMetricHistory(run.id, "acc")).length).toBe(3);
    expect((await rejection(run.logMetric("x", "1" as unknown as number))).message).toBe('logMetric: value of "x" must be a number, got string.');
    expect((await rejection(run.logMetric("x", 1, { step: 1.5 }))).message).toBe("logMetrics: step must be an integer, got 1.5.");
    await run.end();
  });

  it("keeps tags mutable, also on ended runs", async () => {
    const run = await ctx.tracker.startRun({ experiment: exp(), tags: { stage: "dev" } });
    await run.setTag("stage", "review");
    await run.end();
    await ctx.tracker.setTags(run.id, { stage: "prod", owner: "ana" });
    expect((await ctx.tracker.getRun(run.id)).tags).toEqual({ stage: "prod", owner: "ana" });
    expect((await rejection(ctx.tracker.setTags("missing", { a: "b" }))).message).toBe('setTag: run "missing" does not exist.');
  });

  it("links child runs to their parent and refuses an unknown parent", async () => {
    const experiment = exp();
    const parent = await ctx.tracker.startRun({ experiment, name: "search" });
    const child = await ctx.tracker.startRun({ experiment, name: "candidate 0", parentRunId: parent.id });
    await child.end();
    await parent.end();
    expect((await ctx.tracker.getRun(child.id)).info.parentRunId).toBe(parent.id);
    const found = await ctx.tracker.searchRuns({ experiment, filter: `attributes.parent_run_id = '${parent.id}'` });
    expect(found.map((r) => r.info.name)).toEqual(["candidate 0"]);
    expect((await rejection(ctx.tracker.startRun({ experiment, parentRunId: "nope" }))).message).toBe(
      'startRun: parent run "nope" does not exist; pass the id of an existing run.',
    );
  });

  it("stores artifacts with their SHA-256 and returns verified bytes", async () => {
    const dir = join(scratch, uniqueName("art"));
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "a.txt"), "alpha");
    writeFileSync(join(dir, "sub", "b.bin"), Buffer.from([0, 1, 2, 255]));
    const run = await ctx.tracker.startRun({ experiment: exp() });
    const single = await run.logArtifact(join(dir, "a.txt"));
    expect(single.map((a) => [a.name, a.sha256, a.size])).toEqual([["a.txt", "8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8", 5]]);
    const folder = await run.logArtifact(dir, "bundle");
    expect(folder.map((a) => a.name)).toEqual(["bundle/a.txt", "bundle/sub/b.bin"]);
    await run.logArtifact(new Uint8Array([9, 8, 7]), "raw/bytes.dat");
    await run.logArtifact(Buffer.from("alpha"), "a.txt"); // same bytes: no-op
    const clash = await rejection(run.logArtifact(Buffer.from("beta"), "a.txt"));
    expect(clash.message).toMatch(/^logArtifact: artifact "a\.txt" of run [0-9a-f]{32} already holds other bytes \(sha256 8ed3f6ad.*\); artifacts are immutable, log it under another name\.$/);
    for (const bad of ["", "/abs", "a/../b", "a//b", "a\\b"]) {
      expect(await rejection(run.logArtifact(Buffer.from("x"), bad))).toBeInstanceOf(InvalidArgumentError);
    }
    expect((await rejection(run.logArtifact(Buffer.from("x")))).message).toBe('logArtifact: bytes need a name, e.g. run.logArtifact(bytes, "data/sample.csv").');
    await run.end();

    expect(Buffer.from(await ctx.tracker.getArtifact(run.id, "bundle/sub/b.bin"))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(Array.from(await ctx.tracker.getArtifact(run.id, "raw/bytes.dat"))).toEqual([9, 8, 7]);
    expect((await ctx.tracker.listArtifacts(run.id, "bundle")).map((a) => [a.name, a.size])).toEqual([
      ["bundle/a.txt", 5],
      ["bundle/sub/b.bin", 4],
    ]);
    expect((await ctx.tracker.getRun(run.id)).artifacts.map((a) => a.name)).toEqual(["a.txt", "bundle/a.txt", "bundle/sub/b.bin", "raw/bytes.dat"]);
    const out = join(scratch, uniqueName("download"));
    const written = await ctx.tracker.downloadArtifacts(run.id, "bundle", out);
    expect(written.length).toBe(2);
    expect(readFileSync(join(out, "sub", "b.bin"))).toEqual(Buffer.from([0, 1, 2, 255]));

    // One changed byte in the warehouse is caught.
    await ctx.warehouse.exec(`UPDATE "${ctx.schema}".artifacts SET bytes = $1 WHERE run_id = $2 AND name = 'a.txt'`, [Buffer.from("alphb"), run.id]);
    const tampered = await rejection(ctx.tracker.getArtifact(run.id, "a.txt"));
    expect(tampered).toBeInstanceOf(ArtifactIntegrityError);
    expect(tampered.message).toMatch(/^artifact "a\.txt" of run [0-9a-f]{32} is corrupt: stored sha256 8ed3f6ad\w+ \(5 bytes\), the bytes hash to \w{64} \(5 bytes\)\.$/);
    expect((await rejection(ctx.tracker.getArtifact(run.id, "nope.txt"))).message).toBe(
      `getArtifact: run "${run.id}" has no artifact "nope.txt"; it has "a.txt", "bundle/a.txt", "bundle/sub/b.bin", "raw/bytes.dat".`,
    );
  });

  it("records datasets: rows, schema, digest, and the feature views and versions of a feature-store request", async () => {
    const table = uniqueName("features");
    await ctx.warehouse.exec(`CREATE TABLE ${table} (customer_id integer, event_ts timestamptz, orders_30d integer, segment text)`);
    await ctx.warehouse.exec(`INSERT INTO ${table} VALUES (1, '2025-05-01Z', 2, 'gold'), (1, '2025-05-20Z', 7, 'gold'), (2, '2025-05-25Z', 1, 'bronze')`);
    const customer = entity({ name: "customer", joinKey: "customer_id", type: z.int32() });
    const stats = featureView({
      name: "customer_stats",
      version: 3,
      entity: customer,
      source: warehouseTable({ table, timestamp: "event_ts" }),
      schema: { orders_30d: z.int32().nullable(), segment: z.string().nullable() },
    });
    const store = await FeatureStore.open({ warehouse: ctx.warehouse, views: [stats], schema: ctx.target.schema ?? "trellis" });
    const request = {
      entityRows: [
        { customer_id: 1, event_ts: new Date("2025-06-01Z") },
        { customer_id: 2, event_ts: new Date("2025-06-01Z") },
      ],
      features: [stats.f.orders_30d, "customer_stats:segment"] as const,
    };
    const run = await ctx.tracker.startRun({ experiment: exp() });
    const logged = await run.logDataset("train", { store, request });
    expect(logged.rows).toBe(2);
    expect(logged.features).toEqual([{ view: "customer_stats", version: 3, features: ["orders_30d", "segment"] }]);
    // The digest model lineage records for training rows, so a registered model can be traced to this dataset.
    expect([logged.digest, logged.digestMethod]).toEqual([trainingDataDigest(logged.table).digest, "trellis-rows/1"]);
    expect(logged.schema.map((f) => f.name)).toEqual(["customer_id", "event_ts", "orders_30d", "segment"]);

    const frame = await store.getHistoricalFeatures(request);
    const fromFrame = await run.logDataset("train_again", frame, { features: request.features, store });
    expect([fromFrame.digest, fromFrame.features]).toEqual([logged.digest, logged.features]);
    const plain = arrow.tableFromArrays({ x: Float64Array.from([1, 2, 3]), s: ["a", "b", "c"] });
    const p = await run.logDataset("plain", plain);
    expect([p.rows, p.features, p.schema]).toEqual([3, null, [{ name: "x", type: "Float64", nullable: false }, { name: "s", type: "Dictionary<Int32, Utf8>", nullable: true }]]);
    expect(p.digest).toBe(trainingDataDigest([{ x: 1, s: "a" }, { x: 2, s: "b" }, { x: 3, s: "c" }]).digest); // values, not layout
    await run.logDataset("plain", plain); // same content again: no-op
    const changed = await rejection(run.logDataset("plain", arrow.tableFromArrays({ x: Float64Array.from([1, 2, 4]), s: ["a", "b", "c"] })));
    expect(changed.message).toMatch(/^logDataset: dataset "plain" of run \w+ was already logged with digest \w{64}; this one has \w{64}\. Log it under another name\.$/);
    expect((await rejection(run.logDataset("x", frame, { features: ["customer_stats:segment"] }))).message).toBe(
      'logDataset: cannot resolve feature "customer_stats:segment"; pass the store ({ store }) whose views include "customer_stats".',
    );
    await run.end();
    const r = await ctx.tracker.getRun(run.id);
    expect(r.datasets.map((d) => [d.name, d.rows, d.digest, d.features])).toEqual([
      ["plain", 3, p.digest, null],
      ["train", 2, logged.digest, logged.features],
      ["train_again", 2, logged.digest, logged.features],
    ]);
    expect(r.datasets[0].schema).toEqual(p.schema);
  });

  it("lists experiments with their run counts", async () => {
    const a = exp();
    await (await ctx.tracker.startRun({ experiment: a })).end();
    await (await ctx.tracker.startRun({ experiment: a })).end();
    const list = await ctx.tracker.listExperiments();
    const mine = list.find((e) => e.name === a)!;
    expect([mine.runs, typeof mine.id, mine.created instanceof Date]).toEqual([2, "number", true]);
    expect(list.map((e) => e.name)).toEqual([...list.map((e) => e.name)].sort());
  });
});

describe("Tracker.open", () => {
  it("opens a URL itself and closes that warehouse on close; refuses anything else", async () => {
    const tracker = await Tracker.open("embedded:memory", { schema: "my_tracking" });
    expect([tracker.schema, tracker.warehouse.kind]).toEqual(["my_tracking", "embedded"]);
    await (await tracker.startRun()).end();
    expect((await tracker.listExperiments()).map((e) => [e.name, e.runs])).toEqual([["Default", 1]]);
    await tracker.close();
    await expect(tracker.listExperiments()).rejects.toThrow("warehouse embedded:memory is closed; open it again with Warehouse.open().");
    await expect(Tracker.open(42 as unknown as string)).rejects.toThrow(
      'Tracker.open: expected a Warehouse or a URL ("embedded:memory", "embedded:<folder>", "postgres://…"), got number.',
    );
    await expect(Tracker.open("mysql://x")).rejects.toThrow(/unsupported URL/);
  });
});
