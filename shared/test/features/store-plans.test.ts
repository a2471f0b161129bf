import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Warehouse } from "@trellis/shared";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { findPointInTimeIndex, pointInTimeIndexName } from "../../src/features/point-in-time-index";
import { sqlQuery, warehouseTable } from "../../src/features/sources";
import { FeatureStore } from "../../src/features/store";
import { uniqueName, useWarehouses } from "../helpers/warehouses";
import { TTL_HOURS, entities, entityTable, featureTable, features, reference, type FeatureRow } from "./pit-reference-data";

const targets = useWarehouses();

// SQL leaves the order of fully tied rows (same key, time and created time) open, so the warehouse
// case keeps the first row of each such group; every other tie and edge of the shared case stays.
const rows: FeatureRow[] = (() => {
  const seen = new Set<string>();
  return features.filter((f) => {
    const k = `${f.id}|${f.ts}|${f.created}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
})();

const one = entity({ name: "thing", joinKey: "id", type: z.number().int() });
const composite = entity({ name: "site", joinKeys: { id: z.number().int(), region: z.string() } });
const schema = { value: z.number().nullable(), label: z.string().nullable(), flag: z.boolean().nullable() };

function views(table: string) {
  const source = warehouseTable({ table, timestamp: "event_ts", createdTimestamp: "created_ts" });
  return [
    featureView({ name: "one_ttl", version: 1, entity: one, ttl: { hours: TTL_HOURS }, source, schema }),
    featureView({ name: "composite_all", version: 1, entity: composite, source, schema }),
    featureView({ name: "one_all", version: 1, entity: one, source, schema }),
    featureView({ name: "composite_ttl", version: 1, entity: composite, ttl: { hours: TTL_HOURS }, source, schema }),
  ] as const;
}

/** The expected [value, label, flag] per entity row for one view shape. */
function expected(isComposite: boolean, ttl: number | null, byCreated: boolean): unknown[][] {
  return reference(rows, isComposite, ttl, byCreated).map((f) => (f === null ? [null, null, null] : [f.value, f.label, f.flag]));
}

function cells(table: arrow.Table, prefix: string): unknown[][] {
  const cols = ["value", "label", "flag"].map((c) => table.getChild(`${prefix}_${c}`)!);
  return Array.from({ length: table.numRows }, (_, i) => cols.map((c) => c.get(i)));
}

describe.each(targets)("point-in-time plans against the brute-force reference ($name)", (target) => {
  let wh: Warehouse;
  let ns: string;
  const stores: FeatureStore[] = [];
  beforeAll(async () => {
    wh = await target.open();
    ns = target.schema ?? uniqueName("plans");
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS "${ns}"`);
    for (const t of ["plain", "indexed"]) await wh.load(featureTable(rows, 1), `${ns}.${t}`);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
  });
  const open = async (table: string) => {
    const vs = views(`${ns}.${table}`);
    const store = await FeatureStore.open({ warehouse: wh, views: vs, schema: ns });
    stores.push(store);
    return { store, vs };
  };

  for (const plan of ["range-join", "lateral"] as const) {
    for (const byCreated of [false, true]) {
      it(`matches the reference with the ${plan} plan, two views per statement, filterByCreatedTimestamp ${byCreated}`, async () => {
        const { store, vs } = await open(plan === "lateral" ? "indexed" : "plain");
        if (plan === "lateral") await store.prepare();
        const [oneTtl, compositeAll, oneAll, compositeTtl] = vs;
        const first = await store.getHistoricalFeatures({
          entityRows: entityTable(),
          features: [oneTtl.f.value.as("a_value"), oneTtl.f.label.as("a_label"), oneTtl.f.flag.as("a_flag"), compositeAll.f.value.as("b_value"), compositeAll.f.label.as("b_label"), compositeAll.f.flag.as("b_flag")],
          filterByCreatedTimestamp: byCreated,
        });
        expect(first.engine).toBe("warehouse");
        expect(first.plans).toEqual({ one_ttl: plan, composite_all: plan });
        expect(first.numRows).toBe(entities.length);
        expect(cells(first.table, "a")).toEqual(expected(false, TTL_HOURS, byCreated));
        expect(cells(first.table, "b")).toEqual(expected(true, null, byCreated));
        const second = await store.getHistoricalFeatures({
          entityRows: entityTable(),
          features: [oneAll.f.value.as("a_value"), oneAll.f.label.as("a_label"), oneAll.f.flag.as("a_flag"), compositeTtl.f.value.as("b_value"), compositeTtl.f.label.as("b_label"), compositeTtl.f.flag.as("b_flag")],
          filterByCreatedTimestamp: byCreated,
        });
        expect(second.plans).toEqual({ one_all: plan, composite_ttl: plan });
        expect(cells(second.table, "a")).toEqual(expected(false, null, byCreated));
        expect(cells(second.table, "b")).toEqual(expected(true, TTL_HOURS, byCreated));
      });
    }
  }

  it("covers ties broken by created time, null feature values and the inclusive TTL edge", () => {
    const want = reference(rows, false, TTL_HOURS, false);
    const tieBroken = want.some((f, i) => f !== null && rows.some((o) => o !== f && o.id === f.id && o.ts === f.ts && f.ts! <= entities[i].ts));
    expect(tieBroken).toBe(true);
    expect(want.some((f) => f !== null && f.value === null)).toBe(true);
    expect(want.some((f, i) => f !== null && f.ts === entities[i].ts - TTL_HOURS * 3_600_000)).toBe(true);
  });

  it("mixes plans in one statement: a prepared table probed, a SQL-query source range-joined", async () => {
    const source = sqlQuery({ sql: `SELECT * FROM "${ns}".plain`, timestamp: "event_ts", createdTimestamp: "created_ts" });
    const fromQuery = featureView({ name: "query_all", version: 1, entity: composite, source, schema });
    const [oneTtl] = views(`${ns}.indexed`);
    const store = await FeatureStore.open({ warehouse: wh, views: [oneTtl, fromQuery], schema: ns });
    stores.push(store);
    const prepared = await store.prepare();
    expect(prepared.skipped).toEqual([{ view: "query_all", reason: "its source is a SQL query, not a table the store may index" }]);
    const frame = await store.getHistoricalFeatures({
      entityRows: entityTable(),
      features: [oneTtl.f.value.as("a_value"), oneTtl.f.label.as("a_label"), oneTtl.f.flag.as("a_flag"), fromQuery.f.value.as("b_value"), fromQuery.f.label.as("b_label"), fromQuery.f.flag.as("b_flag")],
    });
    expect(frame.plans).toEqual({ one_ttl: "lateral", query_all: "range-join" });
    expect(cells(frame.table, "a")).toEqual(expected(false, TTL_HOURS, false));
    expect(cells(frame.table, "b")).toEqual(expected(true, null, false));
  });
});

describe.each(targets)("FeatureStore.prepare ($name)", (target) => {
  let wh: Warehouse;
  let ns: string;
  beforeAll(async () => {
    wh = await target.open();
    ns = target.schema ?? uniqueName("prep");
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS "${ns}"`);
    for (const t of ["fresh", "user_indexed", "partial"]) await wh.load(featureTable(rows.slice(0, 50), 1), `${ns}.${t}`);
  });

  it("creates one index on keys, event time and created time, and finds it again instead of creating another", async () => {
    const vs = views(`${ns}.fresh`);
    const store = await FeatureStore.open({ warehouse: wh, views: vs, schema: ns });
    const oneName = pointInTimeIndexName(`${ns}.fresh`, ["id", "event_ts", "created_ts"]);
    const compositeName = pointInTimeIndexName(`${ns}.fresh`, ["id", "region", "event_ts", "created_ts"]);
    expect(oneName).toMatch(/^trellis_pit_[0-9a-f]{16}$/);
    const first = await store.prepare();
    expect(first).toEqual({
      indexes: [
        { view: "one_ttl", table: `${ns}.fresh`, index: oneName, created: true, covering: false },
        { view: "composite_all", table: `${ns}.fresh`, index: compositeName, created: true, covering: false },
        { view: "one_all", table: `${ns}.fresh`, index: oneName, created: false, covering: false },
        { view: "composite_ttl", table: `${ns}.fresh`, index: compositeName, created: false, covering: false },
      ],
      skipped: [],
    });
    const cols = await wh.query(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = to_regclass($1) ORDER BY 1`,
      [`"${ns}"."fresh"`],
    );
    expect(Array.from({ length: cols.numRows }, (_, i) => String(cols.getChild("def")!.get(i)).replace(/^.* USING /, "")).sort()).toEqual([
      "btree (id, event_ts, created_ts)",
      "btree (id, region, event_ts, created_ts)",
    ]);
    const again = await store.prepare({ views: ["one_ttl"] });
    expect(again.indexes).toEqual([{ view: "one_ttl", table: `${ns}.fresh`, index: oneName, created: false, covering: false }]);
    await store.close();
  });

  it("uses a suitable index of the user's (keys in any order, no created column) and ignores a partial one", async () => {
    await wh.exec(`CREATE INDEX user_pit ON "${ns}".user_indexed (region, id, event_ts)`);
    await wh.exec(`CREATE INDEX part_pit ON "${ns}".partial (id, region, event_ts) WHERE value IS NOT NULL`);
    expect(await findPointInTimeIndex(wh, `${ns}.user_indexed`, ["id", "region"], "event_ts")).toBe("user_pit");
    expect(await findPointInTimeIndex(wh, `${ns}.user_indexed`, ["id"], "event_ts")).toBe(null);
    expect(await findPointInTimeIndex(wh, `${ns}.partial`, ["id", "region"], "event_ts")).toBe(null);
    expect(await findPointInTimeIndex(wh, `${ns}.no_such_table`, ["id"], "event_ts")).toBe(null);
    const [, compositeAll] = views(`${ns}.user_indexed`);
    const store = await FeatureStore.open({ warehouse: wh, views: [compositeAll], schema: ns });
    const frame = await store.getHistoricalFeatures({ entityRows: entityTable(), features: [compositeAll.f.value] });
    expect(frame.plans).toEqual({ composite_all: "lateral" });
    expect(await store.prepare()).toEqual({ indexes: [{ view: "composite_all", table: `${ns}.user_indexed`, index: "user_pit", created: false, covering: false }], skipped: [] });
    await store.close();
  });

  it("builds a covering index holding the features, keeps the plain one, and joins through it with the reference results", async () => {
    await wh.load(featureTable(rows, 1), `${ns}.covered`);
    const vs = views(`${ns}.covered`);
    const store = await FeatureStore.open({ warehouse: wh, views: vs, schema: ns });
    const plain = await store.prepare({ views: ["one_ttl"] });
    expect(plain.indexes[0]).toMatchObject({ index: pointInTimeIndexName(`${ns}.covered`, ["id", "event_ts", "created_ts"]), created: true, covering: false });
    const coveredName = pointInTimeIndexName(`${ns}.covered`, ["id", "event_ts", "created_ts", "INCLUDE", "value", "label", "flag"]);
    const first = await store.prepare({ views: ["one_ttl", "one_all"], covering: true });
    expect(first.indexes).toEqual([
      { view: "one_ttl", table: `${ns}.covered`, index: coveredName, created: true, covering: true },
      { view: "one_all", table: `${ns}.covered`, index: coveredName, created: false, covering: true },
    ]);
    expect((await store.prepare({ views: ["one_ttl"], covering: true })).indexes[0]).toMatchObject({ index: coveredName, created: false });
    expect(await findPointInTimeIndex(wh, `${ns}.covered`, ["id"], "event_ts", ["value", "label", "flag"])).toBe(coveredName);
    expect(await findPointInTimeIndex(wh, `${ns}.covered`, ["id"], "event_ts", ["value", "nope"])).toBe(null);
    const defs = await wh.query(`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = to_regclass($1) ORDER BY 1`, [`"${ns}"."covered"`]);
    expect(Array.from({ length: defs.numRows }, (_, i) => String(defs.getChild("def")!.get(i)).replace(/^.* USING /, "")).sort()).toEqual([
      "btree (id, event_ts, created_ts)",
      "btree (id, event_ts, created_ts) INCLUDE (value, label, flag)",
    ]);
    const [oneTtl] = vs;
    for (const byCreated of [false, true]) {
      const frame = await store.getHistoricalFeatures({
        entityRows: entityTable(),
        features: [oneTtl.f.value.as("a_value"), oneTtl.f.label.as("a_label"), oneTtl.f.flag.as("a_flag")],
        filterByCreatedTimestamp: byCreated,
      });
      expect(frame.plans).toEqual({ one_ttl: "lateral" });
      expect(cells(frame.table, "a")).toEqual(expected(false, TTL_HOURS, byCreated));
    }
    await store.close();
  });

  it("refuses a covering index over PostgreSQL's 32 columns, naming the count and the fix", async () => {
    const wide = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, z.number().nullable()]));
    const view = featureView({ name: "wide", version: 1, entity: one, source: warehouseTable({ table: `${ns}.fresh`, timestamp: "event_ts", createdTimestamp: "created_ts" }), schema: wide });
    const store = await FeatureStore.open({ warehouse: wh, views: [view], schema: ns });
    await expect(store.prepare({ covering: true })).rejects.toThrow(
      'prepare: a covering index of view "wide" would hold 33 columns, over PostgreSQL\'s limit of 32; call prepare() without covering, or split the view.',
    );
    await store.close();
  });

  it("rejects options that are not an object", async () => {
    const store = await FeatureStore.open({ warehouse: wh, views: views(`${ns}.fresh`), schema: ns });
    await expect(store.prepare({ covering: "yes" as never })).rejects.toThrow('prepare: covering must be true or false, got "yes".');
    await expect(store.prepare(null as never)).rejects.toThrow("prepare: expected { views?, covering? } or nothing.");
    await expect(store.prepare({ views: ["nope"] })).rejects.toThrow('unknown feature view "nope"');
    await store.close();
  });
});
