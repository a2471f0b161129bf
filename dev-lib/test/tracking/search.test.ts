import { beforeAll, describe, expect, it } from "vitest";
import { FilterSyntaxError, TrackingError } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";

const EVIL_KEY = "x'; DROP TABLE runs; --";
const EVIL_VALUE = "'; DELETE FROM params; --";
const ODD_TAG = "we`ird\"key'";

describe.each(useTrackers())("searchRuns on $name", (ctx) => {
  const experiment = uniqueName("search");
  const other = uniqueName("search_other");
  const ids: Record<string, string> = {};
  const starts: Record<string, number> = {};

  beforeAll(async () => {
    const t = ctx.tracker;
    ids.a = await t.run({ experiment, name: "a", tags: { team: "growth" } }, async (run) => {
      await run.logParams({ C: 1, solver: "lbfgs" });
      await run.logMetric("auc", 0.5, { step: 1 });
      await run.logMetric("auc", 0.9, { step: 2 });
      await run.logMetric("val loss", 0.3);
      return run.id;
    });
    ids.b = await t.run({ experiment, name: "b", tags: { team: "Growth-EU" } }, async (run) => {
      await run.logParams({ C: 0.1, solver: "newton-cg" });
      await run.logMetric("auc", 0.7);
      return run.id;
    });
    ids.c = await t
      .run({ experiment, name: "c" }, async (run) => {
        ids.c = run.id;
        await run.logParams({ C: 10 });
        await run.logMetric("auc", 0.95, { step: 0 });
        await run.logMetric("auc", 0.6, { step: 3 });
        throw new Error("boom");
      })
      .catch(() => ids.c);
    const d = await t.startRun({ experiment, name: "d" });
    await d.logParams({ C: "1" });
    ids.d = d.id; // left RUNNING, no auc
    ids.e = await t.run({ experiment, name: "e", tags: { [ODD_TAG]: "v'1" } }, async (run) => {
      await run.logParams({ [EVIL_KEY]: EVIL_VALUE });
      await run.logMetric("auc", 0.65);
      return run.id;
    });
    ids.o = await t.run({ experiment: other, name: "o" }, async (run) => {
      await run.logParams({ C: 1 });
      await run.logMetric("auc", 0.99);
      return run.id;
    });
    for (const k of Object.keys(ids)) starts[k] = (await t.getRun(ids[k])).info.startTime.getTime();
  });

  const names = async (opts: Parameters<typeof ctx.tracker.searchRuns>[0]) => (await ctx.tracker.searchRuns({ experiment, ...opts })).map((r) => r.info.name);

  it("compares metrics on their latest value", async () => {
    expect(await names({ filter: "metrics.auc > 0.8" })).toEqual(["a"]); // c once had 0.95, its latest is 0.6
    expect(await names({ filter: "metrics.auc >= 0.6", orderBy: ["metrics.auc DESC"] })).toEqual(["a", "b", "e", "c"]);
    expect(await names({ filter: "metrics.auc = 0.7" })).toEqual(["b"]);
    expect(await names({ filter: "metrics.auc != 0.7", orderBy: ["attributes.run_name"] })).toEqual(["a", "c", "e"]); // d has no auc
    expect(await names({ filter: "metrics.`val loss` < 0.5" })).toEqual(["a"]);
  });

  it("compares params and tags as strings with =, !=, LIKE, ILIKE, IN and NOT IN", async () => {
    expect(await names({ filter: "params.C = '1'", orderBy: ["attributes.run_name ASC"] })).toEqual(["a", "d"]);
    expect(await names({ filter: "params.solver IN ('lbfgs', 'newton-cg')", orderBy: ["attributes.run_name"] })).toEqual(["a", "b"]);
    expect(await names({ filter: "params.solver != 'lbfgs'" })).toEqual(["b"]); // c has no solver
    expect(await names({ filter: "params.solver NOT IN ('lbfgs')" })).toEqual(["b"]);
    expect(await names({ filter: "tags.team LIKE 'Growth%'" })).toEqual(["b"]);
    expect(await names({ filter: "tags.team ILIKE 'growth%'", orderBy: ["tags.team"] })).toEqual(["b", "a"]);
    expect(await names({ filter: "params.C = '1' and metrics.auc > 0.8" })).toEqual(["a"]);
  });

  it("filters and orders on attributes and by the status option", async () => {
    expect(await names({ filter: "attributes.status = 'FAILED'" })).toEqual(["c"]);
    expect(await names({ filter: "attributes.status IN ('RUNNING', 'FAILED')", orderBy: ["attributes.run_name"] })).toEqual(["c", "d"]);
    expect(await names({ status: "RUNNING" })).toEqual(["d"]);
    expect(await names({ status: ["FINISHED", "FAILED"], orderBy: ["attributes.run_name"] })).toEqual(["a", "b", "c", "e"]);
    expect(await names({ filter: `attributes.run_id = '${ids.b}'` })).toEqual(["b"]);
    expect(await names({ filter: "attributes.name LIKE '_'", orderBy: ["attributes.run_name DESC"] })).toEqual(["e", "d", "c", "b", "a"]);
    expect(await names({ filter: `attributes.start_time >= ${starts.d}`, orderBy: ["attributes.start_time"] })).toEqual(["d", "e"]);
    expect(await names({ filter: `attributes.end_time < ${starts.b}` })).toEqual(["a"]); // d is still running: no end time
  });

  it("orders newest first by default, puts runs without the ordering key last, and limits", async () => {
    expect(await names({})).toEqual(["e", "d", "c", "b", "a"]);
    expect(await names({ orderBy: ["metrics.auc ASC"] })).toEqual(["c", "e", "b", "a", "d"]);
    expect(await names({ orderBy: ["metrics.auc DESC"], limit: 2 })).toEqual(["a", "b"]);
    expect(await names({ orderBy: ["params.solver DESC", "attributes.run_name"] })).toEqual(["b", "a", "c", "d", "e"]);
  });

  it("returns info, params, latest metrics and tags", async () => {
    const [a] = await ctx.tracker.searchRuns({ experiment, filter: "attributes.run_name = 'a'" });
    expect(a.info.runId).toBe(ids.a);
    expect([a.params, a.metrics, a.tags]).toEqual([{ C: "1", solver: "lbfgs" }, { auc: 0.9, "val loss": 0.3 }, { team: "growth" }]);
  });

  it("searches one, several or all experiments and names unknown ones", async () => {
    expect(await names({ experiment: other })).toEqual(["o"]);
    const both = await ctx.tracker.searchRuns({ experiments: [experiment, other], filter: "params.C = '1'", orderBy: ["attributes.run_name"] });
    expect(both.map((r) => r.info.name)).toEqual(["a", "d", "o"]);
    const all = await ctx.tracker.searchRuns({ filter: `attributes.run_id IN ('${ids.a}', '${ids.o}')`, orderBy: ["attributes.run_name"] });
    expect(all.map((r) => r.info.name)).toEqual(["a", "o"]);
    const err = await ctx.tracker.searchRuns({ experiment: "nope_xyz" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TrackingError);
    expect((err as Error).message).toMatch(/^searchRuns: unknown experiment\(s\) "nope_xyz"; experiments are .*"search_/);
  });

  it("refuses malformed filters and options with precise messages", async () => {
    const bad = await ctx.tracker.searchRuns({ experiment, filter: "metrics.auc > 0.8 or metrics.auc < 0.1" }).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(FilterSyntaxError);
    expect((bad as FilterSyntaxError).position).toBe(18);
    expect(((await ctx.tracker.searchRuns({ limit: 0 }).catch((e: Error) => e)) as Error).message).toBe("searchRuns: limit must be a positive integer, got 0.");
    expect(((await ctx.tracker.searchRuns({ status: "DONE" as "FINISHED" }).catch((e: Error) => e)) as Error).message).toBe(
      'searchRuns: status must be one or more of RUNNING, FINISHED, FAILED, KILLED, got "DONE".',
    );
  });

  it("treats keys and values as data: injection attempts match literally and the tables survive", async () => {
    const before = await ctx.warehouse.query(`SELECT (SELECT count(*) FROM "${ctx.schema}".runs)::int4 AS runs, (SELECT count(*) FROM "${ctx.schema}".params)::int4 AS params`);
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const tick = (s: string) => `\`${s.replace(/`/g, "``")}\``;
    expect(await names({ filter: `params.${tick(EVIL_KEY)} = ${quote(EVIL_VALUE)}` })).toEqual(["e"]);
    expect(await names({ filter: `params.${tick(EVIL_KEY)} LIKE '%DELETE%'` })).toEqual(["e"]);
    expect(await names({ filter: `tags.${tick(ODD_TAG)} = ${quote("v'1")}` })).toEqual(["e"]);
    expect(await names({ filter: `params.C = ${quote("1' OR '1'='1")}` })).toEqual([]);
    expect(await names({ filter: `attributes.run_id = ${quote("' OR 1=1 --")}` })).toEqual([]);
    expect(await names({ filter: `metrics.${tick("auc) OR (1=1")} > 0` })).toEqual([]);
    expect(await names({ orderBy: [`params.${tick(EVIL_KEY)} DESC`], limit: 1 })).toEqual(["e"]);
    const err = await ctx.tracker.searchRuns({ filter: "params.C = '1'; DROP TABLE runs; --'" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(FilterSyntaxError);
    const after = await ctx.warehouse.query(`SELECT (SELECT count(*) FROM "${ctx.schema}".runs)::int4 AS runs, (SELECT count(*) FROM "${ctx.schema}".params)::int4 AS params`);
    expect(after.toArray().map((r) => [r.runs, r.params])).toEqual(before.toArray().map((r) => [r.runs, r.params]));
    expect((await ctx.tracker.getRun(ids.e)).params).toEqual({ [EVIL_KEY]: EVIL_VALUE });
    expect((await ctx.tracker.getRun(ids.e)).tags).toEqual({ [ODD_TAG]: "v'1" });
  });
});
