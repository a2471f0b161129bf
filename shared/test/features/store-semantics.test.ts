import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Warehouse } from "@trellis/shared";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { type FeatureSource, lakeDataset, warehouseTable } from "../../src/features/sources";
import { FeatureStore } from "../../src/features/store";
import { writeParquet } from "../../src/io/parquet";
import { uniqueName, useWarehouses } from "../helpers/warehouses";
import { rng } from "../helpers/random";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const rand = rng(42);
const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

/** Drops rows that tie with an earlier row on every ordering column: which of two full ties wins is not defined. */
function distinctBy<R>(rows: R[], key: (r: R) => string): R[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(key(r)) ? false : (seen.add(key(r)), true)));
}

// View A: customer stats, ttl 10 days, created timestamps with ties on event time, nulls in values.
const rowsA = distinctBy(Array.from({ length: 400 }, () => {
  const ts = T0 + Math.floor(rand() * 90) * DAY + (rand() < 0.5 ? 0 : 3_600_000);
  return {
    customer_id: 1 + Math.floor(rand() * 25),
    event_ts: new Date(ts),
    created_ts: rand() < 0.1 ? null : new Date(ts + Math.floor(rand() * 4) * DAY),
    orders: rand() < 0.15 ? null : Math.floor(rand() * 20),
    score: rand() < 0.15 ? null : Math.round(rand() * 1e4) / 100,
  };
}), (r) => `${r.customer_id}|${r.event_ts.getTime()}|${r.created_ts?.getTime() ?? null}`);
// View B: flags, ttl 2 days, no created timestamp.
const rowsB = distinctBy(Array.from({ length: 150 }, () => ({
  customer_id: 1 + Math.floor(rand() * 25),
  ts: new Date(T0 + Math.floor(rand() * 90 * 24) * 3_600_000),
  flagged: rand() < 0.2 ? null : rand() < 0.5,
  tier: pick(["a", "b", "c"]),
})), (r) => `${r.customer_id}|${r.ts.getTime()}`);
// View C: composite key (store_id, region), no ttl.
const rowsC = distinctBy(Array.from({ length: 200 }, () => ({
  store_id: 1 + Math.floor(rand() * 4),
  region: pick(["north", "south"]),
  event_ts: new Date(T0 + Math.floor(rand() * 90 * 24) * 3_600_000),
  sales: Math.round(rand() * 1e5) / 100,
})), (r) => `${r.store_id}|${r.region}|${r.event_ts.getTime()}`);
const entityRows = Array.from({ length: 300 }, (_, i) => ({
  customer_id: 1 + Math.floor(rand() * 28), // 26..28 never appear in the sources
  store_id: 1 + Math.floor(rand() * 5),
  region: pick(["north", "south"]),
  event_ts: new Date(T0 + Math.floor(rand() * 100 * 24) * 3_600_000).toISOString(),
  label: i % 2,
}));
entityRows.push({ ...entityRows[3] }, { ...entityRows[3] }); // duplicates stay, in place

function tableA(): arrow.Table {
  return new arrow.Table({
    customer_id: arrow.vectorFromArray(rowsA.map((r) => BigInt(r.customer_id)), new arrow.Int64()),
    event_ts: arrow.vectorFromArray(rowsA.map((r) => r.event_ts), new arrow.TimestampMicrosecond("UTC")),
    created_ts: arrow.vectorFromArray(rowsA.map((r) => r.created_ts), new arrow.TimestampMicrosecond("UTC")),
    orders: arrow.vectorFromArray(rowsA.map((r) => (r.orders === null ? null : BigInt(r.orders))), new arrow.Int64()),
    score: arrow.vectorFromArray(rowsA.map((r) => r.score), new arrow.Float64()),
  });
}
function tableB(): arrow.Table {
  return new arrow.Table({
    customer_id: arrow.vectorFromArray(rowsB.map((r) => BigInt(r.customer_id)), new arrow.Int64()),
    ts: arrow.vectorFromArray(rowsB.map((r) => r.ts), new arrow.TimestampMicrosecond("UTC")),
    flagged: arrow.vectorFromArray(rowsB.map((r) => r.flagged), new arrow.Bool()),
    tier: arrow.vectorFromArray(rowsB.map((r) => r.tier), new arrow.Utf8()),
  });
}
function tableC(): arrow.Table {
  return new arrow.Table({
    store_id: arrow.vectorFromArray(rowsC.map((r) => r.store_id), new arrow.Int32()),
    region: arrow.vectorFromArray(rowsC.map((r) => r.region), new arrow.Utf8()),
    event_ts: arrow.vectorFromArray(rowsC.map((r) => r.event_ts), new arrow.TimestampMicrosecond("UTC")),
    sales: arrow.vectorFromArray(rowsC.map((r) => r.sales), new arrow.Float64()),
  });
}

/** Brute-force reference of the documented semantics (O(n·m), obviously correct). */
function reference(byCreated: boolean) {
  const latest = <R,>(rows: R[], match: (r: R) => boolean, ts: (r: R) => number, cr: (r: R) => number, t: number, ttlMs: number | null) => {
    let best: R | null = null;
    for (const r of rows) {
      if (!match(r) || ts(r) > t || (ttlMs !== null && ts(r) < t - ttlMs)) continue;
      if (byCreated && cr(r) > t) continue;
      if (best === null || ts(r) > ts(best) || (ts(r) === ts(best) && cr(r) > cr(best))) best = r;
    }
    return best;
  };
  return entityRows.map((e) => {
    const t = Date.parse(e.event_ts);
    const a = latest(rowsA, (r) => r.customer_id === e.customer_id, (r) => r.event_ts.getTime(), (r) => r.created_ts?.getTime() ?? -Infinity, t, 10 * DAY);
    const b = latest(rowsB, (r) => r.customer_id === e.customer_id, (r) => r.ts.getTime(), () => -Infinity, t, 2 * DAY);
    const c = latest(rowsC, (r) => r.store_id === e.store_id && r.region === e.region, (r) => r.event_ts.getTime(), () => -Infinity, t, null);
    return {
      ...e,
      event_ts: new Date(t),
      orders: a?.orders ?? null,
      score: a?.score ?? null,
      flagged: b?.flagged ?? null,
      tier: b?.tier ?? null,
      sales: c?.sales ?? null,
    };
  });
}

const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const storeRegion = entity({ name: "store_region", joinKeys: { store_id: z.int32(), region: z.string() } });

function views(src: (name: string, ts: string, created?: string) => FeatureSource) {
  const a = featureView({
    name: "cust_a", version: 1, entity: customer, ttl: { days: 10 }, source: src("a", "event_ts", "created_ts"),
    schema: { orders: z.number().int().nullable(), score: z.number().nullable() },
  });
  const b = featureView({
    name: "cust_b", version: 1, entity: customer, ttl: { hours: 48 }, source: src("b", "ts"),
    schema: { flagged: z.boolean().nullable(), tier: z.enum(["a", "b", "c"]) },
  });
  const c = featureView({ name: "store_c", version: 1, entity: storeRegion, source: src("c", "event_ts"), schema: { sales: z.number() } });
  return { a, b, c };
}

const targets = useWarehouses();
const lakeDir = mkdtempSync(join(tmpdir(), "trellis-fs-sem-"));
afterAll(() => rmSync(lakeDir, { recursive: true, force: true }));

describe.each(targets)("point-in-time semantics ($name)", (target) => {
  let wh: Warehouse;
  let ns: string;
  beforeAll(async () => {
    wh = await target.open();
    ns = target.schema ?? uniqueName("fs");
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS "${ns}"`);
    await wh.load(tableA(), `${ns}.a`);
    await wh.load(tableB(), `${ns}.b`);
    await wh.load(tableC(), `${ns}.c`);
    for (const [n, t] of [["a", tableA()], ["b", tableB()], ["c", tableC()]] as const) await writeParquet(t, join(lakeDir, `${n}.parquet`));
  });

  const run = async (where: "warehouse" | "lake", engine: "warehouse" | "in-process", byCreated: boolean) => {
    const v = views((name, timestamp, createdTimestamp) =>
      where === "warehouse" ? warehouseTable({ table: `${ns}.${name}`, timestamp, createdTimestamp }) : lakeDataset({ path: `${name}.parquet`, timestamp, createdTimestamp }),
    );
    const store = await FeatureStore.open({ warehouse: wh, lake: lakeDir, views: [v.a, v.b, v.c], schema: ns });
    const frame = await store.getHistoricalFeatures({
      entityRows,
      features: [...v.a.select("orders", "score"), v.b.f.flagged, "cust_b:tier", v.c.f.sales],
      filterByCreatedTimestamp: byCreated,
      engine,
    });
    return frame;
  };

  for (const byCreated of [false, true]) {
    it(`matches the brute-force reference with several views, TTLs, composite keys and duplicates (filterByCreatedTimestamp ${byCreated})`, async () => {
      const want = reference(byCreated);
      const results = [await run("warehouse", "warehouse", byCreated), await run("warehouse", "in-process", byCreated), await run("lake", "in-process", byCreated)];
      expect(results.map((r) => r.engine)).toEqual(["warehouse", "in-process", "in-process"]);
      for (const frame of results) {
        const rows = frame.rows();
        expect(rows.length).toBe(entityRows.length);
        expect(rows).toEqual(want);
      }
      // The case exercises what it claims to.
      expect(want.filter((r) => r.orders !== null).length).toBeGreaterThan(20);
      expect(want.filter((r) => r.tier === null).length).toBeGreaterThan(20);
      expect(want.filter((r) => r.sales !== null).length).toBeGreaterThan(100);
      expect(rowsA.filter((r, i) => rowsA.some((q, j) => j !== i && q.customer_id === r.customer_id && q.event_ts.getTime() === r.event_ts.getTime())).length).toBeGreaterThan(0);
    });
  }

  it("filterByCreatedTimestamp changes results when late rows exist", () => {
    const a = reference(false);
    const b = reference(true);
    expect(a.filter((r, i) => r.orders !== b[i].orders || r.score !== b[i].score).length).toBeGreaterThan(0);
  });
});
