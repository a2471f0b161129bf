/**
 * Repeated point-in-time joins from a lake file large enough to be decoded on worker threads: the
 * store hands the rows it read back to the decoding pool after each join (the next read reuses
 * their memory), and every call gives the same result as the join over the table in memory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Warehouse } from "../../src/warehouse/warehouse";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { pointInTimeJoin } from "../../src/features/point-in-time";
import { lakeDataset } from "../../src/features/sources";
import { FeatureStore } from "../../src/features/store";
import { writeParquet } from "../../src/io/parquet";
import { closeWorkers, reusableByteCount } from "../../src/io/parquet/pool";
import { rng } from "../helpers/random";

const lakeDir = mkdtempSync(join(tmpdir(), "trellis-fs-reuse-"));
afterAll(async () => {
  await closeWorkers();
  rmSync(lakeDir, { recursive: true, force: true });
});

const START = Date.UTC(2024, 0, 1) * 1000;
const DAY = 86_400_000_000;

/** 800k feature rows in time order (over 20 MiB of Parquet: decoded on workers), 20k customers, random doubles with nulls and short strings. */
function features(rows = 800_000): arrow.Table {
  const rand = rng(3);
  const ids = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const cols = [new Float64Array(rows), new Float64Array(rows), new Float64Array(rows)];
  const valid = new Uint8Array((rows + 7) >> 3);
  const seg: string[] = [];
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(Math.floor(rand() * 20_000));
    ts[i] = BigInt(START + Math.floor((i / rows) * 300 * DAY));
    for (const c of cols) c[i] = rand();
    if (rand() > 0.05) valid[i >> 3] |= 1 << (i & 7);
    seg.push(`s${Math.floor(rand() * 7)}`);
  }
  return new arrow.Table({
    customer_id: arrow.makeVector(arrow.makeData({ type: new arrow.Int64(), length: rows, nullCount: 0, data: ids })),
    event_ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, nullCount: 0, data: ts })),
    f0: arrow.makeVector(arrow.makeData({ type: new arrow.Float64(), length: rows, nullCount: -1, nullBitmap: valid, data: cols[0] })),
    f1: arrow.makeVector(cols[1]),
    f2: arrow.makeVector(cols[2]),
    seg: arrow.vectorFromArray(seg, new arrow.Utf8()),
  });
}

function entities(rows = 20_000): arrow.Table {
  const rand = rng(8);
  const ids = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(Math.floor(rand() * 21_000));
    ts[i] = BigInt(START + Math.floor(rand() * 320 * DAY));
  }
  return new arrow.Table({
    customer_id: arrow.makeVector(arrow.makeData({ type: new arrow.Int64(), length: rows, nullCount: 0, data: ids })),
    event_ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, nullCount: 0, data: ts })),
  });
}

const cells = (t: arrow.Table) => t.schema.fields.map((f) => [f.name, Array.from({ length: t.numRows }, (_, i) => t.getChild(f.name)!.get(i) as unknown)]);

describe("getHistoricalFeatures from a lake file decoded on workers", () => {
  it("gives the in-memory join's result on every call, handing the rows it read back to the decoding pool", async () => {
    const table = features();
    await writeParquet(table, join(lakeDir, "big.parquet"), { rowGroupSize: 100_000 });
    const entityRows = entities();
    const want = cells(pointInTimeJoin(entityRows, table, { keys: "customer_id", ttl: { days: 20 }, features: ["f0", "f1", "f2", "seg"] }));
    const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
    const view = featureView({
      name: "big",
      version: 1,
      entity: customer,
      ttl: { days: 20 },
      source: lakeDataset({ path: "big.parquet", timestamp: "event_ts" }),
      schema: { f0: z.number().nullable(), f1: z.number().nullable(), f2: z.number().nullable(), seg: z.string().nullable() },
    });
    const wh = await Warehouse.open("embedded:memory");
    process.env.TRELLIS_THREADS = "2";
    try {
      const store = await FeatureStore.open({ warehouse: wh, lake: lakeDir, views: [view] });
      for (let run = 0; run < 3; run++) {
        const frame = await store.getHistoricalFeatures({ entityRows, features: view.select("f0", "f1", "f2", "seg") });
        expect(cells(frame.table)).toEqual(want);
        // The rows read from the lake wait in the pool for the next read of the same ranges.
        expect(reusableByteCount()).toBeGreaterThan(20_000_000);
      }
      // The case exercises what it claims to: matches, misses and null feature values.
      const f0 = want.find(([name]) => name === "f0")![1] as unknown[];
      expect(f0.filter((v) => v === null).length).toBeGreaterThan(500);
      expect(f0.filter((v) => v !== null).length).toBeGreaterThan(10_000);
    } finally {
      delete process.env.TRELLIS_THREADS;
      await wh.close();
    }
  }, 120_000);
});
