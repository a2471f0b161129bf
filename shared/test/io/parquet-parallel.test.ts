/**
 * Parallel Parquet reads: row groups decoded on worker threads give exactly the table a
 * one-thread read gives (schema, values, nulls, strings and dictionaries, timestamps, batch
 * boundaries and row order), on files and on partitioned datasets, with the same errors; the
 * workers never keep a process alive.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "@trellis/shared";
import { readParquet, writeParquet } from "../../src/io/parquet";
import { readFooter } from "../../src/io/parquet/footer";
import { closeWorkers, queuedTaskCount, recycleTable, resolveThreads, reusableByteCount, workerCount } from "../../src/io/parquet/pool";
import { dropScratch, scratchByteCount } from "../../src/frame/scratch";
import { FIXTURES, loadExpected, tempDir } from "./parquet-helpers";

const tmp = tempDir("parquet-parallel");
afterAll(async () => {
  await closeWorkers();
  tmp.cleanup();
});

/** A table of many types with nulls: 10 000 rows. */
function mixedTable(rows = 10_000): arrow.Table {
  const id = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const f = new Float64Array(rows);
  const i32 = new Int32Array(rows);
  const day = new Int32Array(rows);
  const fValid = new Uint8Array((rows + 7) >> 3);
  const iValid = new Uint8Array((rows + 7) >> 3);
  const flag = new Uint8Array((rows + 7) >> 3);
  const words = ["alpha", "beta", "γάμμα", "", "delta-long-text-value"];
  const text: (string | null)[] = [];
  const cat: (string | null)[] = [];
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i) * 9_007_199_254_741n;
    ts[i] = 1_704_067_200_000_000n + BigInt(i) * 1_234_567n;
    f[i] = Math.sin(i) * 1e3;
    if (i % 7 !== 0) fValid[i >> 3] |= 1 << (i & 7);
    i32[i] = (i * 31) % 1000 - 500;
    if (i % 11 !== 3) iValid[i >> 3] |= 1 << (i & 7);
    if (i % 3 === 0) flag[i >> 3] |= 1 << (i & 7);
    day[i] = 19_000 + (i % 400);
    text.push(i % 13 === 0 ? null : `${words[i % words.length]}-${i}`);
    cat.push(i % 17 === 0 ? null : words[i % words.length]);
  }
  const dictType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  return new arrow.Table({
    id: arrow.makeVector(arrow.makeData({ type: new arrow.Int64(), length: rows, nullCount: 0, data: id })),
    ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: rows, nullCount: 0, data: ts })),
    f: arrow.makeVector(arrow.makeData({ type: new arrow.Float64(), length: rows, nullCount: -1, nullBitmap: fValid, data: f })),
    i32: arrow.makeVector(arrow.makeData({ type: new arrow.Int32(), length: rows, nullCount: -1, nullBitmap: iValid, data: i32 })),
    flag: arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), length: rows, nullCount: 0, data: flag })),
    day: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: rows, nullCount: 0, data: day })),
    text: arrow.vectorFromArray(text, new arrow.Utf8()),
    cat: arrow.vectorFromArray(cat, dictType),
    list: arrow.vectorFromArray(
      Array.from({ length: rows }, (_, i) => (i % 9 === 0 ? null : [i, i + 1].slice(0, 1 + (i % 2)))),
      new arrow.List(new arrow.Field("item", new arrow.Int32(), true)),
    ),
  });
}

/** Everything observable about a table: schema, batch boundaries, null counts and every value. */
function snapshot(t: arrow.Table): unknown {
  return {
    schema: t.schema.fields.map((f) => `${f.name}: ${String(f.type)} nullable=${f.nullable}`),
    metadata: [...t.schema.metadata],
    batches: t.batches.map((b) => b.numRows),
    nulls: t.schema.fields.map((f) => t.getChild(f.name)!.nullCount),
    columns: Object.fromEntries(
      t.schema.fields.map((f) => {
        const v = t.getChild(f.name)!;
        return [f.name, Array.from({ length: v.length }, (_, i) => {
          const x = v.get(i) as unknown;
          return x instanceof arrow.Vector ? x.toArray() : x;
        })];
      }),
    ),
  };
}

async function both(path: string, opts: Parameters<typeof readParquet>[1] = {}): Promise<{ one: arrow.Table; many: arrow.Table }> {
  const one = await readParquet(path, { ...opts, threads: 1 });
  const many = await readParquet(path, { ...opts, threads: 2 });
  return { one, many };
}

const mixedPath = join(tmp.dir, "mixed.parquet");
let written = false;
async function mixed(): Promise<string> {
  if (!written) {
    await writeParquet(mixedTable(), mixedPath, { rowGroupSize: 1_500 });
    written = true;
  }
  return mixedPath;
}

describe("readParquet on worker threads", () => {
  afterEach(() => {
    delete process.env.TRELLIS_THREADS;
  });

  it("gives exactly the one-thread table on a multi-row-group file of many types", async () => {
    const path = await mixed();
    expect((await readFooter(path)).rowGroups.length).toBe(7);
    const { one, many } = await both(path);
    expect(workerCount()).toBeGreaterThan(0);
    expect(many.numRows).toBe(10_000);
    expect(many.batches.map((b) => b.numRows)).toEqual([1500, 1500, 1500, 1500, 1500, 1500, 1000]);
    expect(String(many.schema.fields.find((f) => f.name === "cat")!.type)).toBe("Dictionary<Int32, Utf8>");
    expect(snapshot(many)).toEqual(snapshot(one));
    // And both are the table that was written.
    expect((snapshot(many) as { columns: unknown }).columns).toEqual((snapshot(mixedTable()) as { columns: unknown }).columns);
    expect(many.getChild("id")!.get(9_999)).toBe(9_999n * 9_007_199_254_741n);
    expect(many.getChild("f")!.get(7)).toBeNull();
    expect(many.getChild("text")!.get(2)).toBe("γάμμα-2");
  });

  it("keeps projection, column order, batchSize and filters (data and statistics-proven) the same", async () => {
    const path = await mixed();
    const cases: Parameters<typeof readParquet>[1][] = [
      { columns: ["text", "id", "ts"] },
      { columns: ["cat", "f"], batchSize: 700 },
      { filter: [["ts", ">=", new Date(1_704_067_200_000 + 1_234_567 * 2_000 / 1000)]] },
      { filter: [["i32", ">", 0]], columns: ["i32", "flag"] },
      { filter: [["id", "<", 4_000n * 9_007_199_254_741n], ["f", "is not null"]] },
      { filter: [["cat", "in", ["beta", "delta-long-text-value"]]], columns: ["id", "cat"] },
    ];
    for (const opts of cases) {
      const { one, many } = await both(path, opts);
      expect(snapshot(many)).toEqual(snapshot(one));
    }
  });

  it("applies a filter whose statistics prove whole row groups match exactly as a row-by-row filter would", async () => {
    const path = await mixed();
    const all = await readParquet(path, { threads: 1 });
    const cut = 1_704_067_200_000 + (1_234_567 * 3_000) / 1000; // row 3000 starts row group 2
    for (const threads of [1, 2]) {
      const t = await readParquet(path, { threads, columns: ["id", "ts"], filter: [["ts", ">=", new Date(cut)], ["id", "!=", 5n]] });
      expect(t.numRows).toBe(7_000);
      expect(t.getChild("id")!.get(0)).toBe(3_000n * 9_007_199_254_741n);
      // i32 has nulls: statistics never prove a match there, the rows are filtered one by one.
      const pos = await readParquet(path, { threads, columns: ["i32"], filter: [["i32", ">=", -500]] });
      expect(pos.numRows).toBe(all.getChild("i32")!.toArray().filter((_: number, i: number) => all.getChild("i32")!.isValid(i)).length);
    }
  });

  it("reads pyarrow's multi-row-group fixture to its expected values", async () => {
    const expected = loadExpected();
    const t = await readParquet(join(FIXTURES, "small_row_groups.parquet"), { threads: 2 });
    expect(t.batches.length).toBeGreaterThan(1);
    expect(Array.from(t.getChild("id")!.toArray() as ArrayLike<number>, Number)).toEqual(expected.id);
    expect(Array.from(t.getChild("big")!.toArray() as BigInt64Array)).toEqual(expected.big);
    expect([...t.getChild("cat")!]).toEqual(expected.cat);
    expect([...t.getChild("f64")!]).toEqual(expected.f64);
  });

  it("gives the same table on a partitioned dataset, with partition and data filters", async () => {
    const dir = join(tmp.dir, "dataset");
    const table = mixedTable(6_000);
    const region = arrow.vectorFromArray(Array.from({ length: 6_000 }, (_, i) => ["emea", "amer", "apac"][i % 3]), new arrow.Utf8());
    const withRegion = new arrow.Table({ ...Object.fromEntries(table.schema.fields.filter((f) => f.name !== "list").map((f) => [f.name, table.getChild(f.name)!])), region });
    await writeParquet(withRegion, dir, { partitionBy: ["region"], rowGroupSize: 500 });
    for (const opts of [{}, { filter: [["region", "!=", "amer"], ["i32", "<", 100]] as [string, "!=" | "<", string | number][] }, { columns: ["region", "ts"] }]) {
      const { one, many } = await both(dir, opts as Parameters<typeof readParquet>[1]);
      expect(many.numRows).toBeGreaterThan(0);
      expect(snapshot(many)).toEqual(snapshot(one));
    }
  });

  it("reports a corrupt page with the same DataIoError as a one-thread read", async () => {
    const path = await mixed();
    const footer = await readFooter(path);
    const chunk = footer.rowGroups[4].columns[0]; // id of row group 4
    const bytes = new Uint8Array(readFileSync(path));
    bytes.fill(0xff, chunk.start + 4, chunk.start + chunk.compressedSize);
    const bad = join(tmp.dir, "corrupt-page.parquet");
    writeFileSync(bad, bytes);
    const one = await readParquet(bad, { threads: 1 }).catch((e: unknown) => e);
    const many = await readParquet(bad, { threads: 2 }).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(DataIoError);
    expect(many).toBeInstanceOf(DataIoError);
    expect((many as Error).message).toBe((one as Error).message);
    expect((many as Error).message).toMatch(new RegExp(`^cannot read Parquet file ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    expect((many as DataIoError).path).toBe(bad);
    // The pool survives a failed task.
    const { one: a, many: b } = await both(path, { columns: ["id"] });
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it("drops the rest of a read once one of its row groups fails, and keeps serving other reads", async () => {
    const path = await mixed();
    const footer = await readFooter(path);
    expect(footer.rowGroups.length).toBeGreaterThanOrEqual(6);
    const chunk = footer.rowGroups[0].columns[0];
    const bytes = new Uint8Array(readFileSync(path));
    bytes.fill(0xff, chunk.start + 4, chunk.start + chunk.compressedSize);
    const bad = join(tmp.dir, "corrupt-first.parquet");
    writeFileSync(bad, bytes);
    const alone = await readParquet(bad, { threads: 2 }).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(DataIoError);
    expect(queuedTaskCount()).toBe(0); // its other row groups are not decoded after the failure
    // A good read queued beside the failing one is not dropped with it.
    const [failed, good] = await Promise.allSettled([readParquet(bad, { threads: 2 }), readParquet(path, { threads: 2, columns: ["id", "text"] })]);
    expect(failed.status).toBe("rejected");
    expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(DataIoError);
    expect((failed as PromiseRejectedResult).reason.message).toMatch(/^cannot read Parquet file .*corrupt-first\.parquet: /);
    expect((failed as PromiseRejectedResult).reason.message).not.toMatch(/another part/);
    expect(good.status).toBe("fulfilled");
    expect(snapshot((good as PromiseFulfilledResult<arrow.Table>).value)).toEqual(snapshot(await readParquet(path, { threads: 1, columns: ["id", "text"] })));
  });

  it("validates threads and TRELLIS_THREADS", async () => {
    await expect(readParquet(mixedPath, { threads: 0 })).rejects.toThrow(
      new InvalidArgumentError("readParquet: threads must be a positive integer (1 decodes on the calling thread), got 0."),
    );
    process.env.TRELLIS_THREADS = "two";
    expect(() => resolveThreads(undefined)).toThrow('TRELLIS_THREADS must be a positive integer (1 decodes Parquet on the calling thread), got "two"; fix or unset it.');
    process.env.TRELLIS_THREADS = "3";
    expect(resolveThreads(undefined)).toBe(3);
    expect(resolveThreads(1)).toBe(1);
  });

  it("reuses the buffers of a recycled table for the next read of the same ranges, with the same result", async () => {
    const path = await mixed();
    const opts = { columns: ["id", "ts", "f", "text", "cat"], threads: 2 };
    const want = snapshot(await readParquet(path, { ...opts, threads: 1 }));
    const first = await readParquet(path, opts);
    expect(snapshot(first)).toEqual(want);
    const f = first.getChild("f")!.data[0].values as Float64Array;
    expect(f.byteLength).toBeGreaterThan(0);
    recycleTable(first);
    expect(reusableByteCount()).toBeGreaterThan(0);
    // A read of other ranges leaves them; the same read takes them (transferred to its workers:
    // the recycled table's views are detached) and gives the same table.
    expect(snapshot(await readParquet(path, { ...opts, columns: ["f"] }))).toEqual(snapshot(await readParquet(path, { columns: ["f"], threads: 1 })));
    expect(reusableByteCount()).toBeGreaterThan(0);
    expect(f.byteLength).toBeGreaterThan(0);
    const second = await readParquet(path, opts);
    expect(reusableByteCount()).toBe(0);
    expect(f.byteLength).toBe(0);
    expect(snapshot(second)).toEqual(want);
    recycleTable(second);
    expect(snapshot(await readParquet(path, opts))).toEqual(want);
  });

  it("recycles only buffers its workers produced, and keeps none once the workers close", async () => {
    const mine = mixedTable(2_000);
    const before = snapshot(mine);
    await readParquet(await mixed(), { columns: ["id"], threads: 2 });
    recycleTable(mine);
    expect(reusableByteCount()).toBe(0);
    expect(snapshot(mine)).toEqual(before);
    recycleTable(await readParquet(await mixed(), { columns: ["id"], threads: 2 }));
    expect(reusableByteCount()).toBeGreaterThan(0);
    await closeWorkers();
    expect(reusableByteCount()).toBe(0);
  });

  it("keeps a one-thread read's buffer for the next scan, and concurrent scans give the results of lone ones", async () => {
    // Row groups of 5 000 rows: over the 64 KiB below which buffers are simply allocated.
    const path = join(tmp.dir, "mixed-5000.parquet");
    await writeParquet(mixedTable(), path, { rowGroupSize: 5_000 });
    const opts = [{ columns: ["id", "text"] }, { columns: ["f", "cat"], filter: [["i32", ">", 0]] as [string, ">", number][] }, {}];
    const alone = [];
    for (const o of opts) alone.push(snapshot(await readParquet(path, { ...o, threads: 1 })));
    dropScratch();
    await readParquet(path, { threads: 1 });
    expect(scratchByteCount()).toBeGreaterThan(0); // kept for the next scan
    // Concurrent on this thread: each row group takes a kept buffer or a new one, never one in use.
    const together = await Promise.all([...opts, ...opts].map((o) => readParquet(path, { ...o, threads: 1 })));
    expect(together.map(snapshot)).toEqual([...alone, ...alone]);
    expect(scratchByteCount()).toBeGreaterThan(0);
  });

  it("closes its workers on demand", async () => {
    await both(await mixed(), { columns: ["id"] });
    expect(workerCount()).toBeGreaterThan(0);
    await closeWorkers();
    expect(workerCount()).toBe(0);
  });

  it("never keeps a process alive: a script that reads in parallel exits by itself", async () => {
    const path = await mixed();
    const src = fileURLToPath(new URL("../../src/io/parquet.ts", import.meta.url));
    const pool = fileURLToPath(new URL("../../src/io/parquet/pool.ts", import.meta.url));
    const script = `
      const { readParquet } = require(${JSON.stringify(src)});
      const { workerCount } = require(${JSON.stringify(pool)});
      readParquet(${JSON.stringify(path)}, { threads: 2 }).then((t) => {
        console.log(JSON.stringify({ rows: t.numRows, workers: workerCount(), at: Date.now() }));
      });`;
    const r = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { rows: number; workers: number; at: number };
    expect({ rows: out.rows, workers: out.workers }).toEqual({ rows: 10_000, workers: 2 });
    // It exits right after the read, well before the pool's idle timeout (5 s) would close the workers.
    expect(Date.now() - out.at).toBeLessThan(4_000);
  });
});
