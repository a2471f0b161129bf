/**
 * Warehouse benchmarks: PostgreSQL server → Arrow (`readTable` and `query`, binary COPY decoded into
 * Arrow buffers) and Arrow → PostgreSQL (`load` with mode "replace", binary COPY encoded from Arrow
 * buffers), plus the same two on embedded PGlite for reference; on a server also the latency of a
 * one-row parameterised `query` against `pg`'s own (p50 and p99 over 1,000 calls). Called by
 * `bench/run.ts`.
 */
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as arrow from "apache-arrow";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { Warehouse, quoteIdent } from "@trellis/shared";
import { type BenchResult, median, quantile } from "./util";

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
    let queryRows = 0;
    const queryOnce = async () => {
      queryRows = (await wh.query(`SELECT * FROM ${quoteIdent(target)}`)).numRows;
    };
    const queryTimes: number[] = [];
    const extra = { rows: table.numRows, columns: table.numCols };
    const reference: BenchResult[] = [];
    if (wh.kind === "postgres") {
      // Reference: the raw binary COPY bytes alone, no decoding (the floor for readTable).
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        let bytes = 0;
        let chunks: Uint8Array[] = [];
        const rawOnce = async () => {
          bytes = 0;
          chunks = [];
          const stream = client.query(copyStreams.to(`COPY ${quoteIdent(target)} TO STDOUT (FORMAT binary)`));
          for await (const chunk of stream as AsyncIterable<Uint8Array>) {
            bytes += chunk.length;
            chunks.push(chunk);
          }
        };
        // query and the raw COPY alternate, so both see the same machine (it is shared and noisy).
        // The raw bytes of the previous run are dropped before each query (256 MB kept alive would
        // slow its decoding through the collector); the last run's bytes feed the load reference.
        await queryOnce();
        const rawTimes: number[] = [];
        for (let i = 0; i < n; i++) {
          chunks = [];
          queryTimes.push((await timeRuns(1, queryOnce))[0]);
          rawTimes.push((await timeRuns(1, rawOnce))[0]);
        }
        reference.push({ name: "postgres raw binary COPY bytes (reference, no decoding)", medianMs: median(rawTimes), runs: n, extra: { bytes } });
        reference.push({
          name: `warehouse (${label}) → Arrow: query("SELECT * FROM t")`,
          medianMs: median(queryTimes),
          runs: n,
          extra: { rows: queryRows, "× raw COPY": (median(queryTimes) / median(rawTimes)).toFixed(2) },
        });
        reference.push(...(await benchSmallQuery(wh, url, `${target}_small`)));
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

/**
 * The latency of a one-row parameterised query (a primary-key lookup in a 1,000-row table): the
 * warehouse's `query` against `pg.Pool#query` of the same statement, calls interleaved so both see
 * the same machine, p50 and p99 over 1,000 calls each after 200 warm-up calls.
 */
async function benchSmallQuery(wh: Warehouse, url: string, table: string): Promise<BenchResult[]> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  const q = quoteIdent(table);
  try {
    await wh.exec(`CREATE TABLE ${q} (id int PRIMARY KEY, name text, score float8, ts timestamptz)`);
    await wh.exec(`INSERT INTO ${q} SELECT g, 'name ' || g, g / 7.0, timestamptz '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 1000) g`);
    const sql = `SELECT id, name, score, ts FROM ${q} WHERE id = $1`;
    const calls = 1000;
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < calls + 200; i++) {
      const id = (i * 7919) % 1000 + 1;
      const t0 = performance.now();
      const t = await wh.query(sql, [id]);
      const t1 = performance.now();
      const r = await pool.query(sql, [id]);
      const t2 = performance.now();
      if (t.numRows !== 1 || r.rowCount !== 1) throw new Error("one-row query returned another row count");
      if (i >= 200) {
        ours.push(t1 - t0);
        theirs.push(t2 - t1);
      }
    }
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    return [
      { name: "pg.Pool#query one-row parameterised (reference), p50", medianMs: quantile(theirs, 0.5), runs: calls, extra: { p99Ms: quantile(theirs, 0.99).toFixed(3) } },
      {
        name: "warehouse (postgres) query one-row parameterised, p50",
        medianMs: quantile(ours, 0.5),
        runs: calls,
        extra: {
          p99Ms: quantile(ours, 0.99).toFixed(3),
          "p50 × pg": ratio(quantile(ours, 0.5), quantile(theirs, 0.5)),
          "p99 × pg": ratio(quantile(ours, 0.99), quantile(theirs, 0.99)),
        },
      },
    ];
  } finally {
    await wh.exec(`DROP TABLE IF EXISTS ${q}`).catch(() => undefined);
    await pool.end();
  }
}
