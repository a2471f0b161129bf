/**
 * The seeded benchmark dataset: 1M events of 50k customers with 16 numeric features (four of
 * them ~2% null) and three string categoricals, as an Arrow table and as a cached Parquet file.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { planParquetScan, writeParquet } from "@trellis/shared";
import { mulberry32 } from "./util";

/** mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */

const encoder = new TextEncoder();

/** A Utf8 column of `codes` into the `labels` vocabulary, built directly on Arrow buffers. */
function categorical(labels: string[], codes: Uint16Array): arrow.Data<arrow.Utf8> {
  const bytes = labels.map((l) => encoder.encode(l));
  const n = codes.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += bytes[codes[i]].length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) data.set(bytes[codes[i]], offsets[i]);
  return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data });
}

/**
 * Generates the benchmark table: `customer_id` Int64 (50k distinct ids), `event_ts`
 * Timestamp(µs, UTC) increasing over 2024, `f0`..`f15` Float64 (standard normal; ~2% nulls in
 * f0..f3), and `cat5`, `cat20`, `cat200` Utf8 with 5/20/200 distinct values. Deterministic for a
 * given `seed` on every machine.
 * @example
 * const t = generateBenchTable(10_000, 7); // t.numRows === 10_000
 */
export function generateBenchTable(rows = 1_000_000, seed = 42): arrow.Table {
  const rand = mulberry32(seed);
  const customer = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const start = Date.UTC(2024, 0, 1) * 1000;
  const stepUs = Math.floor((366 * 86_400_000_000) / rows);
  let t = start;
  for (let i = 0; i < rows; i++) {
    customer[i] = BigInt(Math.floor(rand() * 50_000));
    t += Math.floor(rand() * 2 * stepUs);
    ts[i] = BigInt(t);
  }
  const children: Record<string, arrow.Data> = {
    customer_id: arrow.makeData({ type: new arrow.Int64(), length: rows, nullCount: 0, data: customer }),
    event_ts: arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, nullCount: 0, data: ts }),
  };
  for (let f = 0; f < 16; f++) {
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i += 2) {
      // Box–Muller: two normals per pair of uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rand()));
      const th = 2 * Math.PI * rand();
      values[i] = r * Math.cos(th);
      if (i + 1 < rows) values[i + 1] = r * Math.sin(th);
    }
    let nullBitmap: Uint8Array | undefined;
    let nullCount = 0;
    if (f < 4) {
      nullBitmap = new Uint8Array((rows + 7) >> 3).fill(0xff);
      for (let i = 0; i < rows; i++) {
        if (rand() < 0.02) {
          nullBitmap[i >> 3] &= ~(1 << (i & 7));
          values[i] = 0;
          nullCount++;
        }
      }
    }
    children[`f${f}`] = arrow.makeData({ type: new arrow.Float64(), length: rows, nullCount, nullBitmap, data: values });
  }
  for (const card of [5, 20, 200]) {
    const labels = Array.from({ length: card }, (_, k) => `cat${card}_${String(k).padStart(3, "0")}`);
    const codes = new Uint16Array(rows);
    for (let i = 0; i < rows; i++) codes[i] = Math.floor(rand() * card);
    children[`cat${card}`] = categorical(labels, codes);
  }
  return new arrow.Table(Object.fromEntries(Object.entries(children).map(([k, d]) => [k, arrow.makeVector(d)])));
}

/** Where {@link ensureBenchParquet} keeps the benchmark file (git-ignored). */
export const BENCH_PARQUET = fileURLToPath(new URL("./data/bench.parquet", import.meta.url));

/**
 * Writes the 1M-row benchmark table once to `bench/data/bench.parquet` (8 row groups of 125 000
 * rows, snappy) and returns its path; later calls reuse the file when it has the right rows.
 * @example
 * const path = await ensureBenchParquet(); // ".../bench/data/bench.parquet"
 */
export async function ensureBenchParquet(): Promise<string> {
  if (existsSync(BENCH_PARQUET)) {
    try {
      const plan = await planParquetScan(BENCH_PARQUET);
      if (plan.rowGroupsTotal === 8 && plan.schema.fields.length === 21) return BENCH_PARQUET;
    } catch {
      // Unreadable or stale: write it again below.
    }
  }
  mkdirSync(dirname(BENCH_PARQUET), { recursive: true });
  await writeParquet(generateBenchTable(), BENCH_PARQUET, { rowGroupSize: 125_000, compression: "snappy" });
  return BENCH_PARQUET;
}
