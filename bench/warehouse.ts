/**
 * Warehouse benchmarks: PostgreSQL server → Arrow (`readTable`, binary COPY decoded into Arrow
 * buffers) and Arrow → PostgreSQL (`load` with mode "replace", binary COPY encoded from Arrow
 * buffers), plus the same two on embedded PGlite for reference. Called by `bench/run.ts`.
 */
import { performance } from "node:perf_hooks";
import * as arrow from "apache-arrow";
import { Warehouse } from "@trellis/shared";

/** One benchmark figure, as the bench runner expects it. */
export interface BenchResult {
  name: string;
  medianMs: number;
  runs: number;
  extra?: Record<string, number | string>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Measures load (replace) and readTable of `table` on the warehouse at `url` (a server URL for the
 * headline figures; an `embedded:` URL works too). Uses a uniquely named table that is dropped at
 * the end. Median of `runs` (≥ 3) runs each, after one warm-up run.
 * @example
 * const results = await benchWarehouse(generateBenchTable(), process.env.TRELLIS_BENCH_PG_URL!);
 */
export async function benchWarehouse(table: arrow.Table, url: string, runs = 3): Promise<BenchResult[]> {
  const n = Math.max(3, runs);
  const wh = await Warehouse.open(url, { poolSize: 2 });
  const target = `trellis_bench_${process.pid}_${Date.now().toString(36)}`;
  const label = wh.kind === "postgres" ? "postgres" : "embedded";
  try {
    await wh.load(table, target, { mode: "replace" });
    const loadTimes = await timeRuns(n, () => wh.load(table, target, { mode: "replace" }));
    await wh.readTable(target);
    let rows = 0;
    const readTimes = await timeRuns(n, async () => {
      rows = (await wh.readTable(target)).numRows;
    });
    const extra = { rows: table.numRows, columns: table.numCols };
    return [
      { name: `warehouse (${label}) → Arrow: readTable`, medianMs: median(readTimes), runs: n, extra: { ...extra, rowsRead: rows } },
      { name: `Arrow → warehouse (${label}): load replace`, medianMs: median(loadTimes), runs: n, extra },
    ];
  } finally {
    await wh.exec(`DROP TABLE IF EXISTS ${target}`).catch(() => undefined);
    await wh.close();
  }
}

/**
 * A seeded stand-in for the 1M-row bench table (customer_id int64 over 50k ids, event_ts, 16 float64
 * features with ~2% nulls in four, three string categoricals of cardinality 5/20/200), used only when
 * `bench/data.ts` is not available.
 * @example
 * const t = generateWarehouseBenchTable(1_000_000);
 */
export function generateWarehouseBenchTable(rows = 1_000_000, seed = 42): arrow.Table {
  let state = seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: deterministic on every machine.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const cols: Record<string, arrow.Vector> = {};
  const ids = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const start = 1_704_067_200_000_000n; // 2024-01-01 in µs
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(Math.floor(rand() * 50_000));
    ts[i] = start + BigInt(Math.floor(rand() * 365 * 86_400)) * 1_000_000n;
  }
  cols.customer_id = arrow.makeVector(ids);
  cols.event_ts = arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, data: ts }));
  for (let f = 0; f < 16; f++) {
    const v = new Float64Array(rows);
    const withNulls = f < 4;
    const bitmap = new Uint8Array((rows + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < rows; i++) {
      v[i] = rand() * 100 - 50;
      if (withNulls && rand() < 0.02) nulls++;
      else bitmap[i >> 3] |= 1 << (i & 7);
    }
    cols[`f${f}`] = arrow.makeVector(
      arrow.makeData({ type: new arrow.Float64(), length: rows, nullCount: nulls, nullBitmap: withNulls ? bitmap : undefined, data: v }),
    );
  }
  for (const [name, card] of [["cat_a", 5], ["cat_b", 20], ["cat_c", 200]] as const) {
    const values: string[] = new Array(rows);
    for (let i = 0; i < rows; i++) values[i] = `${name}_${Math.floor(rand() * card)}`;
    cols[name] = arrow.vectorFromArray(values, new arrow.Utf8());
  }
  return new arrow.Table(cols);
}
