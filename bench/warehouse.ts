/**
 * Warehouse benchmarks: PostgreSQL server → Arrow (`readTable`, binary COPY decoded into Arrow
 * buffers) and Arrow → PostgreSQL (`load` with mode "replace", binary COPY encoded from Arrow
 * buffers), plus the same two on embedded PGlite for reference. Called by `bench/run.ts`.
 */
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as arrow from "apache-arrow";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { Warehouse, quoteIdent } from "@trellis/shared";
import { type BenchResult, median } from "./util";

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
 * const results = await benchWarehouse(generateBenchTable(), process.env.TRELLIS_TEST_PG_URL!); // generateBenchTable: bench/data.ts
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
    const reference: BenchResult[] = [];
    if (wh.kind === "postgres") {
      // Reference: the raw binary COPY bytes alone, no decoding (the floor for readTable).
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        let bytes = 0;
        let chunks: Uint8Array[] = [];
        const rawTimes = await timeRuns(n, async () => {
          bytes = 0;
          chunks = [];
          const stream = client.query(copyStreams.to(`COPY ${quoteIdent(target)} TO STDOUT (FORMAT binary)`));
          for await (const chunk of stream as AsyncIterable<Uint8Array>) {
            bytes += chunk.length;
            chunks.push(chunk);
          }
        });
        reference.push({ name: "postgres raw binary COPY bytes (reference, no decoding)", medianMs: median(rawTimes), runs: n, extra: { bytes } });
        // Reference for load: the same bytes, already encoded, copied into a new table in one
        // transaction (what load "replace" does, minus the encoding): the server's ingest floor.
        const rawTarget = `${target}_raw`;
        const rawLoadTimes = await timeRuns(n, async () => {
          await client.query("BEGIN");
          await client.query(`CREATE TABLE ${quoteIdent(rawTarget)} (LIKE ${quoteIdent(target)})`);
          const sink = client.query(copyStreams.from(`COPY ${quoteIdent(rawTarget)} FROM STDIN (FORMAT binary)`));
          await pipeline(Readable.from(chunks), sink);
          await client.query("COMMIT");
          await client.query(`DROP TABLE ${quoteIdent(rawTarget)}`);
        });
        reference.push({ name: "postgres raw binary COPY FROM of pre-encoded bytes (reference, no encoding)", medianMs: median(rawLoadTimes), runs: n, extra: { bytes } });
      } finally {
        await client.end();
      }
    }
    return [
      ...reference,
      { name: `warehouse (${label}) → Arrow: readTable`, medianMs: median(readTimes), runs: n, extra: { ...extra, rowsRead: rows } },
      { name: `Arrow → warehouse (${label}): load replace`, medianMs: median(loadTimes), runs: n, extra },
    ];
  } finally {
    await wh.exec(`DROP TABLE IF EXISTS ${target}`).catch(() => undefined);
    await wh.close();
  }
}
