import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "@trellis/shared";
import { readParquet, readParquetBatches, writeParquet, type ParquetCompression } from "../../src/io/parquet";
import { readFooter, CODEC_NAMES } from "../../src/io/parquet/footer";
import { FIXTURES, tempDir } from "./parquet-helpers";

const tmp = tempDir("parquet-write");
afterAll(() => tmp.cleanup());

/** A small table covering the types the lake must keep exactly. */
function sampleTable(n = 1000): arrow.Table {
  const ids = new BigInt64Array(n);
  const big = new BigInt64Array(n);
  const score: (number | null)[] = [];
  const name: (string | null)[] = [];
  const ts: Date[] = [];
  for (let i = 0; i < n; i++) {
    ids[i] = BigInt(i);
    big[i] = 2n ** 60n + BigInt(i * 7);
    score.push(i % 11 === 0 ? null : i / 8);
    name.push(i % 13 === 0 ? null : ["ada", "βeta", "日本", "émilie"][i % 4]);
    ts.push(new Date(Date.UTC(2024, 0, 1) + i * 60_000));
  }
  return new arrow.Table({
    id: arrow.makeVector(ids),
    big: arrow.makeVector(big),
    score: arrow.vectorFromArray(score, new arrow.Float64()),
    name: arrow.vectorFromArray(name, new arrow.Utf8()),
    ts: arrow.vectorFromArray(ts, new arrow.TimestampMicrosecond("UTC")),
  });
}

function rows(t: arrow.Table): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < t.numRows; i++) out.push(t.schema.fields.map((f) => t.getChild(f.name)!.get(i)));
  return out;
}

async function* batchesOf(t: arrow.Table, size: number, failAfter?: number): AsyncGenerator<arrow.RecordBatch> {
  let sent = 0;
  for (let off = 0; off < t.numRows; off += size) {
    if (failAfter !== undefined && sent >= failAfter) throw new Error("source failed midway");
    yield t.slice(off, off + size).batches[0];
    sent++;
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("writeParquet", () => {
  it("round-trips a table exactly (int64 beyond 2^53, nulls, non-ASCII, timestamps)", async () => {
    const t = sampleTable();
    const p = join(tmp.dir, "round.parquet");
    const res = await writeParquet(t, p);
    expect(res).toEqual({ rows: 1000, files: [p] });
    const back = await readParquet(p);
    expect(back.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      "id: Int64",
      "big: Int64",
      "score: Float64",
      "name: Utf8",
      "ts: Timestamp<MICROSECOND, UTC>",
    ]);
    expect(rows(back)).toEqual(rows(t));
    expect(back.getChild("big")!.get(999)).toBe(2n ** 60n + 6993n);
  });

  it("round-trips dictionary-encoded strings and nested lists", async () => {
    const dictType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
    const seg = arrow.vectorFromArray(["gold", null, "silver", "gold", "bronze", "silver"], dictType);
    const tags = arrow.vectorFromArray([[1, 2], [], null, [3], [4, 5, 6], [7]], new arrow.List(new arrow.Field("item", new arrow.Int32(), true)));
    const t = new arrow.Table({ seg, tags, n: arrow.vectorFromArray([1, 2, 3, 4, 5, 6], new arrow.Int32()) });
    const p = join(tmp.dir, "dict-list.parquet");
    await writeParquet(t, p);
    const back = await readParquet(p);
    expect(String(back.schema.fields[0].type)).toBe("Dictionary<Int32, Utf8>");
    expect([...back.getChild("seg")!]).toEqual(["gold", null, "silver", "gold", "bronze", "silver"]);
    expect([...back.getChild("tags")!].map((v) => (v === null ? null : [...(v as arrow.Vector)]))).toEqual([[1, 2], [], null, [3], [4, 5, 6], [7]]);
    // A slice of a row group (offset inside the decoded arrays) reads back the same rows.
    const some = await readParquet(p, { filter: [["n", ">", 3]], columns: ["seg", "n"] });
    expect([...some.getChild("seg")!]).toEqual(["gold", "bronze", "silver"]);
  });

  it("writes row groups of rowGroupSize rows", async () => {
    const p = join(tmp.dir, "groups.parquet");
    await writeParquet(sampleTable(), p, { rowGroupSize: 300 });
    const footer = await readFooter(p);
    expect(footer.rowGroups.map((g) => g.numRows)).toEqual([300, 300, 300, 100]);
  });

  for (const [compression, codec] of [
    ["uncompressed", "UNCOMPRESSED"],
    ["snappy", "SNAPPY"],
    ["gzip", "GZIP"],
    ["zstd", "ZSTD"],
    ["brotli", "BROTLI"],
    ["lz4", "LZ4_RAW"],
  ] as [ParquetCompression, string][]) {
    it(`writes ${compression} compression and reads it back`, async () => {
      const p = join(tmp.dir, `c-${compression}.parquet`);
      await writeParquet(sampleTable(200), p, { compression });
      const footer = await readFooter(p);
      expect(CODEC_NAMES[footer.rowGroups[0].columns[0].codec]).toBe(codec);
      expect(rows(await readParquet(p))).toEqual(rows(sampleTable(200)));
    });
  }

  it("writes a stream of record batches with bounded memory and the same content", async () => {
    const t = sampleTable(5000);
    const p = join(tmp.dir, "stream.parquet");
    const res = await writeParquet(batchesOf(t, 700), p, { rowGroupSize: 2048 });
    expect(res.rows).toBe(5000);
    expect((await readFooter(p)).rowGroups.map((g) => g.numRows)).toEqual([2048, 2048, 904]);
    expect(rows(await readParquet(p))).toEqual(rows(t));
  });

  it("replaces an existing file", async () => {
    const p = join(tmp.dir, "replace.parquet");
    await writeParquet(sampleTable(10), p);
    await writeParquet(sampleTable(20), p);
    expect((await readParquet(p)).numRows).toBe(20);
    expect(readdirSync(tmp.dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});

describe("writeParquet atomicity", () => {
  it("leaves nothing behind when the batch source throws midway", async () => {
    const dir = join(tmp.dir, "atomic1");
    mkdirSync(dir);
    const p = join(dir, "out.parquet");
    await expect(writeParquet(batchesOf(sampleTable(5000), 500, 3), p)).rejects.toThrow("source failed midway");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the previous file intact when a replacing write fails", async () => {
    const dir = join(tmp.dir, "atomic2");
    mkdirSync(dir);
    const p = join(dir, "out.parquet");
    await writeParquet(sampleTable(10), p);
    const before = readFileSync(p);
    await expect(writeParquet(batchesOf(sampleTable(5000), 500, 2), p)).rejects.toThrow("source failed midway");
    expect(readdirSync(dir)).toEqual(["out.parquet"]);
    expect(readFileSync(p).equals(before)).toBe(true);
  });

  it("refuses an unsupported column type without creating a file", async () => {
    const dir = join(tmp.dir, "atomic3");
    const p = join(dir, "sub", "out.parquet");
    const t = new arrow.Table({
      id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
      u: arrow.makeVector(
        arrow.makeData({
          type: new arrow.DenseUnion([0], [new arrow.Field("i", new arrow.Float64())]),
          length: 3,
          nullCount: 0,
          typeIds: new Int8Array([0, 0, 0]),
          valueOffsets: new Int32Array([0, 1, 2]),
          children: [arrow.makeData({ type: new arrow.Float64(), length: 3, nullCount: 0, data: new Float64Array([1, 2, 3]) })],
        }),
      ),
    });
    const err = await writeParquet(t, p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/column "u" has type .*Union.*, which Parquet cannot store/);
    expect(existsSync(dir)).toBe(false);
  });

  it("leaves nothing behind when a partitioned stream fails, and keeps the old dataset", async () => {
    const dir = join(tmp.dir, "atomic4");
    mkdirSync(dir);
    const p = join(dir, "ds");
    const t = sampleTable(3000);
    await writeParquet(t, p, { partitionBy: ["name"] });
    const before = await readParquet(p);
    await expect(writeParquet(batchesOf(t, 400, 4), p, { partitionBy: ["name"] })).rejects.toThrow("source failed midway");
    expect(readdirSync(dir)).toEqual(["ds"]);
    expect(rows(await readParquet(p))).toEqual(rows(before));
  });
});

describe("writeParquet argument errors", () => {
  it("names an unsupported compression and lists the supported ones", async () => {
    await expect(writeParquet(sampleTable(3), join(tmp.dir, "x.parquet"), { compression: "lzo" as ParquetCompression })).rejects.toThrow(
      'writeParquet: compression "lzo" is not supported; use one of uncompressed, snappy, gzip, zstd, brotli, lz4.',
    );
  });

  it("rejects a bad rowGroupSize", async () => {
    await expect(writeParquet(sampleTable(3), join(tmp.dir, "x.parquet"), { rowGroupSize: 0 })).rejects.toThrow(/rowGroupSize must be a positive integer/);
  });

  it("names an unknown partition column", async () => {
    const p = join(tmp.dir, "bad-part");
    await expect(writeParquet(sampleTable(3), p, { partitionBy: ["region"] })).rejects.toThrow(
      `writeParquet(${p}): unknown partition column "region"; available columns: id, big, score, name, ts.`,
    );
    expect(existsSync(p)).toBe(false);
  });

  it("refuses an empty batch stream (no schema to write)", async () => {
    async function* none(): AsyncGenerator<arrow.RecordBatch> {}
    await expect(writeParquet(none(), join(tmp.dir, "none.parquet"))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(existsSync(join(tmp.dir, "none.parquet"))).toBe(false);
  });

  it("writes a stream of empty batches as a file with the schema and no rows, and skips empty batches between full ones", async () => {
    const empty = sampleTable(10).slice(0, 0);
    async function* onlyEmpty(): AsyncGenerator<arrow.RecordBatch> {
      yield new arrow.RecordBatch(empty.schema, arrow.makeData({ type: new arrow.Struct(empty.schema.fields), length: 0, nullCount: 0, children: empty.schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0 } as never)) }));
    }
    const p = join(tmp.dir, "empty-stream.parquet");
    expect(await writeParquet(onlyEmpty(), p)).toMatchObject({ rows: 0 });
    const back = await readParquet(p);
    expect(back.numRows).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(empty.schema.fields.map((f) => f.name));

    const full = sampleTable(30);
    async function* mixed(): AsyncGenerator<arrow.RecordBatch> {
      yield* onlyEmpty();
      yield* full.slice(0, 10).batches;
      yield* onlyEmpty();
      yield* full.slice(10).batches;
    }
    const q = join(tmp.dir, "mixed-stream.parquet");
    expect(await writeParquet(mixed(), q)).toMatchObject({ rows: 30 });
    expect((await readParquet(q)).getChild("id")!.toArray()).toEqual(full.getChild("id")!.toArray());
  });
});

describe("readParquet of a file written by Trellis with many row groups", () => {
  it("streams one row group at a time", async () => {
    const p = join(tmp.dir, "many.parquet");
    await writeParquet(sampleTable(1000), p, { rowGroupSize: 100 });
    const sizes: number[] = [];
    for await (const b of readParquetBatches(p, { batchSize: 1000 })) sizes.push(b.numRows);
    expect(sizes).toEqual(Array(10).fill(100));
  });

  it("reports a DataIoError naming the file when a fixture copy is cut short", async () => {
    const bytes = readFileSync(join(FIXTURES, "v2_pages_zstd.parquet"));
    const p = join(tmp.dir, "cut.parquet");
    writeFileSync(p, new Uint8Array(bytes.subarray(0, bytes.length - 3)));
    const err = await readParquet(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataIoError);
    expect((err as DataIoError).path).toBe(p);
  });
});
