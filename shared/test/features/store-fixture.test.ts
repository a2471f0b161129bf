import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Warehouse } from "@trellis/shared";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { lakeDataset, sqlQuery, warehouseTable } from "../../src/features/sources";
import { FeatureStore } from "../../src/features/store";
import { writeParquet } from "../../src/io/parquet";
import { uniqueName, useWarehouses } from "../helpers/warehouses";
import { entityObjects, entityTable, expectedCells, featureTable, pitCase, tableCells } from "./pit-fixture";

const targets = useWarehouses();
const lakeDir = mkdtempSync(join(tmpdir(), "trellis-fs-lake-"));
afterAll(() => rmSync(lakeDir, { recursive: true, force: true }));

const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const schema = {
  orders_30d: z.number().int().nullable(),
  avg_basket: z.number().nullable(),
  segment: z.enum(["bronze", "silver", "gold"]).nullable(),
};
const ttl = { days: pitCase.ttl_days };

describe.each(targets)("getHistoricalFeatures on the pit fixture ($name)", (target) => {
  let wh: Warehouse;
  let ns: string;
  const stores: FeatureStore[] = [];
  const open = async (source: Parameters<typeof featureView>[0]["source"]) => {
    const view = featureView({ name: "customer_stats", version: 1, entity: customer, ttl, source, schema });
    const store = await FeatureStore.open({ warehouse: wh, lake: lakeDir, views: [view], schema: ns });
    stores.push(store);
    return { store, view };
  };

  beforeAll(async () => {
    wh = await target.open();
    ns = target.schema ?? uniqueName("fs");
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS "${ns}"`);
    await wh.load(featureTable(), `${ns}.customer_features`);
    await wh.load(entityTable(), `${ns}.entity_rows`);
    await writeParquet(featureTable(), join(lakeDir, "customer_features.parquet"));
  });

  const expectFixture = (table: arrow.Table) => {
    expect(table.numRows).toBe(pitCase.entity_rows);
    const got = tableCells(table);
    const want = expectedCells();
    const diffs = want.flatMap((w, i) => (JSON.stringify(w) === JSON.stringify(got[i]) ? [] : [{ row: i, want: w, got: got[i] }]));
    expect(diffs.slice(0, 5)).toEqual([]);
  };

  it("reproduces expected.csv as SQL in the warehouse from row objects", async () => {
    const { store, view } = await open(warehouseTable({ table: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" }));
    const frame = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment") });
    expect(frame.engine).toBe("warehouse");
    expect(frame.plans).toEqual({ customer_stats: "range-join" });
    expectFixture(frame.table);
  });

  it("reproduces expected.csv as SQL in the warehouse from an entity query", async () => {
    const { store, view } = await open(warehouseTable({ table: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" }));
    const frame = await store.getHistoricalFeatures({
      entityRows: { sql: `SELECT customer_id, event_ts, label FROM "${ns}".entity_rows` },
      features: [view.f.orders_30d, view.f.avg_basket, view.f.segment],
    });
    expect(frame.engine).toBe("warehouse");
    expectFixture(frame.table);
  });

  it("reproduces expected.csv in-process from a warehouse table", async () => {
    const { store } = await open(warehouseTable({ table: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" }));
    const frame = await store.getHistoricalFeatures({
      entityRows: entityTable(),
      features: ["customer_stats:orders_30d", "customer_stats:avg_basket", "customer_stats:segment"],
      engine: "in-process",
    });
    expect(frame.engine).toBe("in-process");
    expectFixture(frame.table);
  });

  it("reproduces expected.csv from a SQL-query source", async () => {
    const { store, view } = await open(
      sqlQuery({ sql: `SELECT * FROM "${ns}".customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" }),
    );
    const a = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment") });
    expectFixture(a.table);
    const b = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment"), engine: "in-process" });
    expectFixture(b.table);
  });

  it("reproduces expected.csv with the index-probe plan once prepare() indexed the table, plain and covering", async () => {
    const { store, view } = await open(warehouseTable({ table: `${ns}.customer_features`, timestamp: "event_ts", createdTimestamp: "created_ts" }));
    const prepared = await store.prepare();
    expect(prepared.indexes.map((i) => [i.view, i.table, i.created])).toEqual([["customer_stats", `${ns}.customer_features`, true]]);
    const a = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment") });
    expect(a.plans).toEqual({ customer_stats: "lateral" });
    expectFixture(a.table);
    const b = await store.getHistoricalFeatures({
      entityRows: { sql: `SELECT customer_id, event_ts, label FROM "${ns}".entity_rows` },
      features: [view.f.orders_30d, view.f.avg_basket, view.f.segment],
    });
    expect(b.plans).toEqual({ customer_stats: "lateral" });
    expectFixture(b.table);
    const covering = await store.prepare({ covering: true });
    expect(covering.indexes.map((i) => [i.view, i.created, i.covering])).toEqual([["customer_stats", true, true]]);
    const c = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment") });
    expect(c.plans).toEqual({ customer_stats: "lateral" });
    expectFixture(c.table);
  });

  it("reproduces expected.csv in-process from the Parquet lake copy", async () => {
    const { store, view } = await open(lakeDataset({ path: "customer_features.parquet", timestamp: "event_ts", createdTimestamp: "created_ts" }));
    const frame = await store.getHistoricalFeatures({ entityRows: entityObjects(), features: view.select("orders_30d", "avg_basket", "segment") });
    expect(frame.engine).toBe("in-process");
    expectFixture(frame.table);
    const rows = frame.rows();
    expect(rows[0]).toEqual({ customer_id: 174, event_ts: new Date("2025-07-31T13:38:25Z"), label: 1, orders_30d: 2, avg_basket: 23.4705, segment: "bronze" });
  });
});
