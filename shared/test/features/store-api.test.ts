import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { FeatureStoreError, SchemaMismatchError, ValidationError, Warehouse } from "@trellis/shared";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { type FeatureSource, lakeDataset, warehouseTable } from "../../src/features/sources";
import { FeatureStore } from "../../src/features/store";
import { writeParquet } from "../../src/io/parquet";
import { uniqueName, useWarehouses } from "../helpers/warehouses";
import { entityObjects, featureTable, pitCase, readCsv } from "./pit-fixture";

const targets = useWarehouses();
const lakeDir = mkdtempSync(join(tmpdir(), "trellis-fs-api-"));
afterAll(() => rmSync(lakeDir, { recursive: true, force: true }));

const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const schema = {
  orders_30d: z.number().int().nullable(),
  avg_basket: z.number().nullable(),
  segment: z.enum(["bronze", "silver", "gold"]).nullable(),
};
const makeView = (source: FeatureSource, version = 1) =>
  featureView({
    name: "customer_stats",
    version,
    entity: customer,
    ttl: { days: pitCase.ttl_days },
    source,
    schema,
    expectations: { avg_basket: { min: 0, maxNullRate: 0.01 }, orders_30d: { max: 100 } },
  });

/** The fixture's feature rows as plain values, for computing expected answers independently. */
const fixtureRows = readCsv("customer_features.csv").rows.map((r) => ({
  customer_id: Number(r[0]),
  ts: Date.parse(r[1]!),
  created: Date.parse(r[2]!),
  orders_30d: r[3] === null ? null : Number(r[3]),
  avg_basket: r[4] === null ? null : Number(r[4]),
  segment: r[5],
}));
function latestRow(customerId: number, endMs = Infinity) {
  let best: (typeof fixtureRows)[number] | null = null;
  for (const r of fixtureRows) {
    if (r.customer_id !== customerId || r.ts >= endMs) continue;
    if (!best || r.ts > best.ts || (r.ts === best.ts && r.created > best.created)) best = r;
  }
  return best;
}
const START = new Date("2024-01-01T00:00:00Z");
const END = new Date("2027-01-01T00:00:00Z");
const DAY = 86_400_000;

describe.each(targets)("FeatureStore API ($name)", (target) => {
  let wh: Warehouse;
  let ns: string;
  let whSource: FeatureSource;
  const lakeSource = lakeDataset({ path: "customer_features.parquet", timestamp: "event_ts", createdTimestamp: "created_ts" });

  beforeAll(async () => {
    wh = await target.open();
    ns = target.schema ?? uniqueName("fs");
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS "${ns}"`);
    await wh.load(featureTable(), `${ns}.customer_features`);
    await writeParquet(featureTable(), join(lakeDir, "customer_features.parquet"));
    whSource = warehouseTable({ table: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" });
  });
  const open = (view = makeView(whSource), storeSchema = ns) => FeatureStore.open({ warehouse: wh, lake: lakeDir, views: [view], schema: storeSchema });

  describe("errors", () => {
    it("names an unknown view and lists the known ones", async () => {
      const store = await open();
      const err = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: ["customer_statz:orders_30d" as "customer_stats:orders_30d"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FeatureStoreError);
      expect((err as Error).message).toBe(
        'unknown feature view "customer_statz" in "customer_statz:orders_30d"; the store\'s views are: customer_stats.',
      );
    });

    it("names an unknown feature and lists the view's features", async () => {
      const store = await open();
      await expect(store.getHistoricalFeatures({ entityRows: entityObjects(), features: ["customer_stats:orders_31d" as "customer_stats:orders_30d"] })).rejects.toThrow(
        'unknown feature "orders_31d" in view "customer_stats"; its features are: orders_30d, avg_basket, segment.',
      );
    });

    it("rejects entity keys of another type than the source's, on both engines", async () => {
      const store = await open();
      const rows = entityObjects().map((r) => ({ ...r, customer_id: String(r.customer_id) }));
      await expect(store.getHistoricalFeatures({ entityRows: rows as never, features: ["customer_stats:orders_30d"] })).rejects.toThrow(
        /key type mismatch on "customer_id": entity row 0 holds string "174" but the entity declares integers/,
      );
      const table = new arrow.Table({
        customer_id: arrow.vectorFromArray(rows.map((r) => r.customer_id), new arrow.Utf8()),
        event_ts: arrow.vectorFromArray(rows.map((r) => new Date(r.event_ts)), new arrow.TimestampMicrosecond("UTC")),
      });
      for (const engine of ["in-process", "warehouse"] as const) {
        await expect(store.getHistoricalFeatures({ entityRows: table, features: ["customer_stats:orders_30d"], engine })).rejects.toThrow(
          /key type mismatch on "customer_id": the entity rows hold string values .*holds number values/,
        );
      }
    });

    it("reports a missing timestamp column", async () => {
      const store = await open();
      const rows = entityObjects().map(({ customer_id, label }) => ({ customer_id, label }));
      const err = await store.getHistoricalFeatures({ entityRows: rows, features: ["customer_stats:orders_30d"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaMismatchError);
      expect((err as SchemaMismatchError).missing).toEqual(["event_ts"]);
    });

    it("returns an empty result for empty entity rows", async () => {
      const store = await open();
      for (const engine of ["warehouse", "in-process"] as const) {
        const frame = await store.getHistoricalFeatures({ entityRows: [], features: [store.getView("customer_stats").f.segment], engine });
        expect(frame.numRows).toBe(0);
        expect(frame.columns).toEqual(["customer_id", "event_ts", "segment"]);
      }
    });

    it("reads timezone-less timestamp strings as UTC", async () => {
      const store = await open(makeView(lakeSource));
      const withZ = entityObjects().slice(0, 200);
      const naive = withZ.map((r) => ({ ...r, event_ts: r.event_ts.replace("T", " ").replace("Z", "") }));
      const a = await store.getHistoricalFeatures({ entityRows: withZ, features: ["customer_stats:orders_30d", "customer_stats:segment"] });
      const b = await store.getHistoricalFeatures({ entityRows: naive, features: ["customer_stats:orders_30d", "customer_stats:segment"] });
      expect(b.rows()).toEqual(a.rows());
      expect(b.rows()[0].event_ts).toEqual(new Date("2025-07-31T13:38:25Z"));
    });

    it("reports source values that break the schema with view, key, column and value", async () => {
      const bad = featureTable();
      const seg = bad.getChild("segment")!.toArray() as (string | null)[];
      seg[5] = "platinum";
      const table = new arrow.Table({ ...Object.fromEntries(bad.schema.fields.map((f) => [f.name, bad.getChild(f.name)!])), segment: arrow.vectorFromArray(seg, new arrow.Utf8()) });
      await wh.load(table, `${ns}.bad_features`, { mode: "replace" });
      const store = await open(makeView(warehouseTable({ table: `${ns}.bad_features`, timestamp: "event_ts", createdTimestamp: "created_ts" })), uniqueName("fsbad"));
      const customerId = Number(bad.getChild("customer_id")!.get(5));
      const at = new Date(Number(bad.getChild("event_ts")!.get(5)));
      for (const engine of ["warehouse", "in-process"] as const) {
        const err = await store
          .getHistoricalFeatures({ entityRows: [{ customer_id: customerId, event_ts: at }], features: ["customer_stats:segment"], engine })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).issues).toEqual([
          { path: ["customer_stats", `customer_id=${customerId}`, "segment"], message: "not one of bronze, silver, gold", value: "platinum" },
        ]);
      }
      await wh.exec(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    });
  });

  describe("registry", () => {
    it("records views and refuses a changed schema without a new version", async () => {
      const reg = uniqueName("fsreg");
      const v1 = makeView(whSource, 1);
      await (await open(v1, reg)).close();
      const changed = featureView({ ...v1, schema: { ...schema, orders_30d: z.number().nullable() } } as never);
      await expect(open(changed as unknown as typeof v1, reg)).rejects.toThrow(
        /^feature view "customer_stats" version 1 changed its schema since it was registered \(registered hash [0-9a-f]{12}…, now [0-9a-f]{12}…\): give the view a new version \(version: 2\) or restore the registered schema\.$/,
      );
      const v2 = featureView({ ...v1, version: 2, schema: { ...schema, orders_30d: z.number().nullable() } } as never) as unknown as typeof v1;
      const store = await open(v2, reg);
      const listed = await store.listViews();
      expect(listed.map((v) => [v.name, v.version, v.schemaHash])).toEqual([
        ["customer_stats", 1, v1.schemaHash],
        ["customer_stats", 2, v2.schemaHash],
      ]);
      expect(listed[0].features).toEqual([
        { name: "orders_30d", type: "Int64", nullable: true },
        { name: "avg_basket", type: "Float64", nullable: true },
        { name: "segment", type: "Utf8", nullable: true, values: ["bronze", "silver", "gold"] },
      ]);
      expect(listed[0].source).toEqual({ kind: "warehouseTable", location: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" });
      expect(listed[0].ttlMicros).toBe(30 * 86_400_000_000);
      await wh.exec(`DROP SCHEMA IF EXISTS "${reg}" CASCADE`);
    });
  });

  describe.each([
    ["warehouse table", () => whSource],
    ["lake dataset", () => lakeSource],
  ] as const)("online features from a %s", (_label, source) => {
    it("materialises idempotently and serves typed rows with TTL, missing and expired keys", async () => {
      const storeSchema = uniqueName("fson");
      const view = makeView(source());
      const store = await open(view, storeSchema);
      const customers = new Set(fixtureRows.map((r) => r.customer_id));
      const first = await store.materialize({ start: START, end: END });
      expect(first.views).toEqual([
        { view: "customer_stats", version: 1, start: START, end: END, candidates: customers.size, written: customers.size, table: `${storeSchema}.online_customer_stats_v1` },
      ]);
      const again = await store.materialize({ start: START, end: END });
      expect(again.views[0].written).toBe(0);
      const count = await wh.query(`SELECT count(*)::int AS n FROM "${storeSchema}".online_customer_stats_v1`);
      expect(count.getChild("n")!.get(0)).toBe(customers.size);

      // A fresh key and a stale one, relative to `now`.
      const ids = [...customers].sort((a, b) => a - b);
      const latest = ids.map((id) => latestRow(id)!);
      const now = new Date(Math.max(...latest.map((r) => r.ts)) + DAY);
      const fresh = latest.find((r) => r.ts >= now.getTime() - 30 * DAY)!;
      const stale = latest.find((r) => r.ts < now.getTime() - 30 * DAY)!;
      const res = await store.getOnlineFeatures({
        features: [view.f.orders_30d, view.f.segment.as("tier")],
        entityKeys: [{ customer_id: fresh.customer_id }, { customer_id: 1_000_000_000 }, { customer_id: stale.customer_id }, { customer_id: fresh.customer_id }],
        now,
      });
      const freshRow = { customer_id: fresh.customer_id, orders_30d: fresh.orders_30d, tier: fresh.segment };
      expect(res.rows).toEqual([
        freshRow,
        { customer_id: 1_000_000_000, orders_30d: null, tier: null },
        { customer_id: stale.customer_id, orders_30d: null, tier: null },
        freshRow,
      ]);
      expect(res.missing).toEqual([{ view: "customer_stats", index: 1, key: { customer_id: 1_000_000_000 } }]);
      expect(res.expired).toEqual([{ view: "customer_stats", index: 2, key: { customer_id: stale.customer_id } }]);
      await wh.exec(`DROP SCHEMA IF EXISTS "${storeSchema}" CASCADE`);
    });

    it("materialises incrementally from where the last run ended", async () => {
      const storeSchema = uniqueName("fsinc");
      const view = makeView(source());
      const store = await open(view, storeSchema);
      const mid = new Date("2025-06-01T00:00:00Z");
      const a = await store.materializeIncremental({ end: mid });
      expect(a.views[0].start).toBeNull();
      const b = await store.materializeIncremental({ end: END });
      expect(b.views[0].start).toEqual(mid);
      const ids = [...new Set(fixtureRows.map((r) => r.customer_id))];
      const res = await store.getOnlineFeatures({ features: view.select("orders_30d", "avg_basket"), entityKeys: ids.map((customer_id) => ({ customer_id })), now: END });
      expect(res.rows.length).toBe(ids.length);
      // Everything is older than the TTL at END, so every key is expired; the stored rows are the latest ones.
      expect(res.expired.length).toBe(ids.length);
      const stored = await wh.query(`SELECT customer_id, orders_30d, avg_basket FROM "${storeSchema}".online_customer_stats_v1 ORDER BY customer_id`);
      const got = stored.toArray().map((r) => ({ id: Number(r.customer_id), o: r.orders_30d === null ? null : Number(r.orders_30d), b: r.avg_basket }));
      expect(got).toEqual(ids.sort((x, y) => x - y).map((id) => ({ id, o: latestRow(id)!.orders_30d, b: latestRow(id)!.avg_basket })));
      await wh.exec(`DROP SCHEMA IF EXISTS "${storeSchema}" CASCADE`);
    });
  });

  describe("validate", () => {
    it("lists every violated expectation with counts and examples", async () => {
      const store = await open();
      const report = await store.validate("customer_stats", { start: START, end: END });
      const nulls = fixtureRows.filter((r) => r.avg_basket === null).length;
      const over = fixtureRows.filter((r) => r.orders_30d !== null && r.orders_30d > 100);
      expect(report.rows).toBe(pitCase.feature_rows);
      expect(report.ok).toBe(false);
      expect(report.violations.map((v) => [v.expectation, v.column, v.count])).toEqual([
        ["max", "orders_30d", over.length],
        ["maxNullRate", "avg_basket", nulls],
      ]);
      expect(over.length).toBeGreaterThan(0);
      expect(report.violations[0].examples[0]).toEqual({
        customer_id: over[0].customer_id,
        event_ts: new Date(over[0].ts),
        orders_30d: over[0].orders_30d,
      });
      expect(report.nullRates.avg_basket).toBeCloseTo(nulls / pitCase.feature_rows, 12);
      // A window keeps only its rows.
      const jan = await store.validate(store.getView("customer_stats"), { start: new Date("2025-01-01Z"), end: new Date("2025-02-01Z") });
      expect(jan.rows).toBe(fixtureRows.filter((r) => r.ts >= Date.parse("2025-01-01Z") && r.ts < Date.parse("2025-02-01Z")).length);
    });

    it("reports duplicated key + timestamp rows", async () => {
      const dup = featureTable([0, 1, 2, 1]);
      expect(dup.numRows).toBe(4);
      await wh.load(dup, `${ns}.dup_features`, { mode: "replace" });
      const store = await open(makeView(warehouseTable({ table: `${ns}.dup_features`, timestamp: "event_ts", createdTimestamp: "created_ts" })), uniqueName("fsdup"));
      const report = await store.validate("customer_stats", { start: START, end: END });
      const unique = report.violations.find((v) => v.expectation === "unique")!;
      expect(unique.count).toBe(1);
      expect(unique.column).toBe("customer_id, event_ts, created_ts");
      await wh.exec(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
    });
  });
});
