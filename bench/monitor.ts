/**
 * Benchmark of drift reports (issue 10): 1M current rows × the benchmark columns (16 numeric f0..f15,
 * four with ~2% nulls, and the string categoricals cat5, cat20, cat200) against the reference
 * profile of a 200k-row sample drawn with another seed, from an Arrow table in memory and streamed
 * from the cached Parquet file. For scale, the same run also times a bare read of the Parquet file
 * (decoding only, the floor of the Parquet figure).
 *
 * Run alone: `npx tsx bench/monitor.ts` (bench/run.ts calls {@link benchMonitor}).
 */
import { pathToFileURL } from "node:url";
import { readParquetBatches } from "@trellis/shared";
import { buildReferenceProfile, driftReport } from "@trellis/prod";
import { ensureBenchParquet, generateBenchTable } from "./data";
import { type BenchResult, median } from "./util";

const COLUMNS = [...Array.from({ length: 16 }, (_, j) => `f${j}`), "cat5", "cat20", "cat200"];

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Drift report of 1M rows from Arrow and from Parquet, with the bare Parquet read beside it. */
export async function benchMonitor(runs = 3): Promise<BenchResult[]> {
  const reference = buildReferenceProfile(generateBenchTable(200_000, 7), { columns: COLUMNS });
  const current = generateBenchTable();
  const parquet = await ensureBenchParquet();
  const rows = current.numRows;
  const results: BenchResult[] = [];
  const rate = (ms: number) => ({ rows_per_s: Math.round(rows / (ms / 1000)) });

  await driftReport({ reference, current: current.slice(0, 50_000) }); // warm-up
  const arrowMs = median(await time(runs, () => driftReport({ reference, current })));
  results.push({ name: `driftReport 1M rows × ${COLUMNS.length} columns, Arrow table`, medianMs: arrowMs, runs, extra: rate(arrowMs) });

  const parquetMs = median(await time(runs, () => driftReport({ reference, current: parquet })));
  results.push({ name: `driftReport 1M rows × ${COLUMNS.length} columns, streamed from Parquet`, medianMs: parquetMs, runs, extra: rate(parquetMs) });

  const readMs = median(
    await time(runs, async () => {
      let n = 0;
      for await (const b of readParquetBatches(parquet, { columns: COLUMNS })) n += b.numRows;
      return n;
    }),
  );
  results.push({ name: `read only: the same ${COLUMNS.length} columns of the Parquet file`, medianMs: readMs, runs, extra: rate(readMs) });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchMonitor()) console.log(r);
}
