/**
 * Feature-store benchmarks: the point-in-time join of 200k entity rows against the 1M-row benchmark
 * table (50k customers) on both paths — in-process over Arrow and as SQL inside the warehouse (both
 * plans: range join, then index probes after `store.prepare()`) — and
 * online lookups (p50/p99 for 1 and 100 keys) on the embedded warehouse and on the server.
 * Called by `bench/run.ts`.
 */
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import * as arrow from "apache-arrow";
import { z } from "zod";
import { type AnyFeatureView, FeatureStore, Warehouse, entity, featureView, lakeDataset, pointInTimeJoin, warehouseTable } from "@trellis/shared";
import { BENCH_PARQUET, ensureBenchParquet, generateBenchTable } from "./data";
import { type BenchResult, median, quantile } from "./util";

/** Options of {@link benchFeatureStore}. */
export interface FeatureStoreBenchOptions {
  /** The 1M-row benchmark table (default: `generateBenchTable()`). */
  table?: arrow.Table;
  /** PostgreSQL server URL for the warehouse-path and server-lookup figures (skipped when absent). */
  pgUrl?: string;
  /** Timed runs per join figure (≥ 3, default 5), after one warm-up run. */
  runs?: number;
  /** Entity rows to join (default 200 000). */
  entityRows?: number;
  /** Lookups per online figure (default 300). */
  lookups?: number;
}

/** Wall-clock times of `runs` runs after one warm-up run; CPU times of this process beside them. */
async function timeRuns(runs: number, fn: () => Promise<unknown> | unknown): Promise<number[] & { cpu: number[] }> {
  await fn(); // warm-up
  const times = [] as unknown as number[] & { cpu: number[] };
  times.cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    times.cpu.push((c.user + c.system) / 1000);
  }
  return times;
}

/** Extra fields of a join figure: the data shape and the median CPU time of this process. */
function joinExtra(shape: Record<string, number>, times: { cpu: number[] }): Record<string, number> {
  return { ...shape, cpuMedianMs: Number(median(times.cpu).toFixed(1)) };
}

/** Seeded entity rows: `customer_id` Int64 among the 50k customers, `event_ts` over 2024, `label` Int32. */
export function benchEntityRows(rows = 200_000, seed = 7): arrow.Table {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ids = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const label = new Int32Array(rows);
  const start = Date.UTC(2024, 0, 1) * 1000;
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(Math.floor(rand() * 50_000));
    ts[i] = BigInt(start + Math.floor(rand() * 366 * 86_400_000_000));
    label[i] = rand() < 0.3 ? 1 : 0;
  }
  return new arrow.Table({
    customer_id: arrow.makeVector(arrow.makeData({ type: new arrow.Int64(), length: rows, nullCount: 0, data: ids })),
    event_ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, nullCount: 0, data: ts })),
    label: arrow.makeVector(label),
  });
}

const FEATURES = ["f0", "f1", "f2", "f3", "cat5"] as const;
const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const schema = {
  f0: z.number().nullable(),
  f1: z.number().nullable(),
  f2: z.number().nullable(),
  f3: z.number().nullable(),
  cat5: z.string().nullable(),
};

/**
 * Runs the feature-store benchmarks and returns one figure per measurement (milliseconds).
 * @example
 * const results = await benchFeatureStore({ pgUrl: process.env.TRELLIS_BENCH_PG_URL });
 */
export async function benchFeatureStore(options: FeatureStoreBenchOptions = {}): Promise<BenchResult[]> {
  const runs = Math.max(3, options.runs ?? 5);
  const table = options.table ?? generateBenchTable();
  const entityRows = benchEntityRows(options.entityRows ?? 200_000);
  const lookups = Math.max(20, options.lookups ?? 300);
  const results: BenchResult[] = [];
  const shape = { entityRows: entityRows.numRows, featureRows: table.numRows, keys: 50_000, features: FEATURES.length };

  // 1. In-process join over Arrow tables in memory (the kernel; comparable to pandas merge_asof).
  const joinTimes = await timeRuns(runs, () =>
    pointInTimeJoin(entityRows, table, { keys: "customer_id", featureTimestamp: "event_ts", ttl: { days: 30 }, features: [...FEATURES] }),
  );
  results.push({ name: "feature-store: point-in-time join in-process (Arrow in memory)", medianMs: median(joinTimes), runs, extra: joinExtra(shape, joinTimes) });

  // 2. In-process through the store from the Parquet lake (includes reading the Parquet file).
  await ensureBenchParquet();
  const lakeView = featureView({
    name: "bench_customer",
    version: 1,
    entity: customer,
    ttl: { days: 30 },
    source: lakeDataset({ path: BENCH_PARQUET, timestamp: "event_ts" }),
    schema,
  });
  const embedded = await Warehouse.open("embedded:memory");
  try {
    const store = await FeatureStore.open({ warehouse: embedded, lake: dirname(BENCH_PARQUET), views: [lakeView] });
    const lakeTimes = await timeRuns(runs, () => store.getHistoricalFeatures({ entityRows, features: lakeView.select(...FEATURES) }));
    results.push({ name: "feature-store: getHistoricalFeatures in-process from the Parquet lake", medianMs: median(lakeTimes), runs, extra: joinExtra(shape, lakeTimes) });

    // 3. Online lookups on the embedded warehouse (materialised from the lake).
    await store.materialize({ start: new Date("2024-01-01Z"), end: new Date("2025-01-02Z") });
    results.push(...(await benchLookups(store, lakeView, "embedded", lookups)));
  } finally {
    await embedded.close();
  }

  // 4. The warehouse path and online lookups on the PostgreSQL server.
  if (options.pgUrl) {
    const wh = await Warehouse.open(options.pgUrl, { poolSize: 4 });
    const ns = `trellis_fsbench_${process.pid}_${Date.now().toString(36)}`;
    try {
      await wh.exec(`CREATE SCHEMA "${ns}"`);
      await wh.load(table, `${ns}.bench_features`);
      await wh.load(entityRows, `${ns}.bench_entities`);
      await wh.exec(`ANALYZE "${ns}".bench_features`);
      await wh.exec(`ANALYZE "${ns}".bench_entities`);
      const view = featureView({
        name: "bench_customer",
        version: 1,
        entity: customer,
        ttl: { days: 30 },
        source: warehouseTable({ table: `${ns}.bench_features`, timestamp: "event_ts" }),
        schema,
      });
      const store = await FeatureStore.open({ warehouse: wh, views: [view], schema: ns });
      // The same statement with both plans in this run: range join + DISTINCT ON first (no index),
      // then, after prepare() built the (customer_id, event_ts) index, one index probe per entity row.
      const entityQuery = { sql: `SELECT customer_id, event_ts, label FROM "${ns}".bench_entities` };
      // Then the same after prepare({ covering: true }) added an index holding the features too.
      for (const variant of ["range-join", "lateral", "lateral, covering index"] as const) {
        const plan = variant === "range-join" ? "range-join" : "lateral";
        if (variant !== "range-join") {
          const covering = variant !== "lateral";
          const t0 = performance.now();
          await store.prepare({ covering });
          const what = covering ? "the covering point-in-time index (INCLUDE the features) and vacuums" : "the point-in-time index";
          results.push({ name: `feature-store: prepare() builds ${what} on the server (1M rows)`, medianMs: performance.now() - t0, runs: 1 });
        }
        const check = await store.getHistoricalFeatures({ entityRows: entityQuery, features: view.select(...FEATURES) });
        if (check.plans.bench_customer !== plan) throw new Error(`expected the ${plan} plan, got ${check.plans.bench_customer}`);
        const sqlTimes = await timeRuns(runs, () => store.getHistoricalFeatures({ entityRows: entityQuery, features: view.select(...FEATURES) }));
        results.push({ name: `feature-store: getHistoricalFeatures as SQL on the server, ${variant} plan (entity query)`, medianMs: median(sqlTimes), runs, extra: joinExtra(shape, sqlTimes) });
        const arrowTimes = await timeRuns(runs, () => store.getHistoricalFeatures({ entityRows, features: view.select(...FEATURES) }));
        results.push({
          name: `feature-store: getHistoricalFeatures as SQL on the server, ${variant} plan (Arrow entity rows, incl. load)`,
          medianMs: median(arrowTimes),
          runs,
          extra: joinExtra(shape, arrowTimes),
        });
      }
      const inProcTimes = await timeRuns(runs, () => store.getHistoricalFeatures({ entityRows, features: view.select(...FEATURES), engine: "in-process" }));
      results.push({ name: "feature-store: getHistoricalFeatures in-process from a server table", medianMs: median(inProcTimes), runs, extra: joinExtra(shape, inProcTimes) });
      await store.materialize({ start: new Date("2024-01-01Z"), end: new Date("2025-01-02Z") });
      results.push(...(await benchLookups(store, view, "postgres", lookups)));
    } finally {
      await wh.exec(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`).catch(() => undefined);
      await wh.close();
    }
  }
  return results;
}

async function benchLookups(
  store: FeatureStore,
  view: AnyFeatureView,
  where: string,
  lookups: number,
): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const now = new Date("2025-01-01Z");
  for (const n of [1, 100]) {
    const times: number[] = [];
    let k = 0;
    const next = () => Array.from({ length: n }, () => ({ customer_id: (k++ * 7919) % 50_000 }));
    await store.getOnlineFeatures({ features: [view.f.f0, view.f.cat5], entityKeys: next(), now });
    for (let i = 0; i < lookups; i++) {
      const keys = next();
      const t0 = performance.now();
      await store.getOnlineFeatures({ features: [view.f.f0, view.f.cat5], entityKeys: keys, now });
      times.push(performance.now() - t0);
    }
    out.push({
      name: `feature-store: getOnlineFeatures ${n} key${n > 1 ? "s" : ""} (${where})`,
      medianMs: median(times),
      runs: lookups,
      extra: { p50Ms: Number(quantile(times, 0.5).toFixed(3)), p99Ms: Number(quantile(times, 0.99).toFixed(3)) },
    });
  }
  return out;
}
