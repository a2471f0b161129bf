import { copyFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "@trellis/shared";
import { parquetSchema, planParquetScan, readParquet, readParquetBatches } from "../../src/io/parquet";
import { readFooter } from "../../src/io/parquet/footer";
import { FIXTURE_FILES, FIXTURES, loadExpected, tempDir } from "./parquet-helpers";

const expected = loadExpected();
const tmp = tempDir("parquet-read");
afterAll(() => tmp.cleanup());

function col(t: arrow.Table, name: string): unknown[] {
  return [...t.getChild(name)!];
}

describe("readParquet on the pyarrow fixtures", () => {
  for (const name of FIXTURE_FILES) {
    it(`reads ${name}.parquet exactly as expected.json`, async () => {
      const t = await readParquet(join(FIXTURES, `${name}.parquet`));
      expect(t.numRows).toBe(300);
      expect(t.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
        "id: Int64",
        "big: Int64",
        "i32: Int32",
        "f64: Float64",
        "f32: Float32",
        "flag: Bool",
        "cat: Utf8",
        "ts_us: Timestamp<MICROSECOND, UTC>",
        "ts_ms: Timestamp<MILLISECOND, UTC>",
        // Format 1.0 has no nanosecond type: pyarrow stores (and reads) ts_ns as microseconds.
        `ts_ns: Timestamp<${name === "format_1_0" ? "MICROSECOND" : "NANOSECOND"}, UTC>`,
        "day: Date32<DAY>",
      ]);
      expect(col(t, "id")).toEqual(expected.id.map((v) => BigInt(v)));
      // Beyond 2^53: exact bigints, compared against the JSON text, not JSON.parse's rounding.
      expect(col(t, "big")).toEqual(expected.big);
      expect((col(t, "big") as bigint[]).filter((v) => v > 2n ** 53n).length).toBe(43);
      expect(col(t, "i32")).toEqual(expected.i32);
      expect(col(t, "f64")).toEqual(expected.f64);
      expect(col(t, "f32")).toEqual(expected.f32);
      expect(col(t, "flag")).toEqual(expected.flag);
      expect(col(t, "cat")).toEqual(expected.cat);
      expect(col(t, "ts_us")).toEqual(expected.ts_us);
      expect(col(t, "ts_ms")).toEqual(expected.ts_ms);
      expect(col(t, "ts_ns")).toEqual(expected.ts_ns);
      expect(col(t, "day")).toEqual(expected.day);
    });
  }

  it("returns the requested columns in the requested order", async () => {
    const t = await readParquet(join(FIXTURES, "default.parquet"), { columns: ["cat", "id"] });
    expect(t.schema.fields.map((f) => f.name)).toEqual(["cat", "id"]);
    expect(col(t, "cat")).toEqual(expected.cat);
    expect(col(t, "id")).toEqual(expected.id.map((v) => BigInt(v)));
  });

  it("never reads the bytes of columns that are not requested", async () => {
    // Overwrite the `cat` and `f64` column chunks with garbage: a projection that really skips
    // them still reads the other columns, while a full read must fail on the damaged pages.
    const src = join(FIXTURES, "small_row_groups.parquet");
    const damaged = join(tmp.dir, "damaged.parquet");
    copyFileSync(src, damaged);
    const footer = await readFooter(src);
    const fd = openSync(damaged, "r+");
    for (const rg of footer.rowGroups) {
      for (const c of rg.columns) {
        if (c.path === "cat" || c.path === "f64") writeSync(fd, new Uint8Array(c.compressedSize).fill(0xff), 0, c.compressedSize, c.start);
      }
    }
    closeSync(fd);
    const t = await readParquet(damaged, { columns: ["id", "ts_ns", "flag"] });
    // The embedded Arrow schema is projected too: the time zone survives.
    expect(t.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual(["id: Int64", "ts_ns: Timestamp<NANOSECOND, UTC>", "flag: Bool"]);
    expect(col(t, "id")).toEqual(expected.id.map((v) => BigInt(v)));
    expect(col(t, "ts_ns")).toEqual(expected.ts_ns);
    expect(col(t, "flag")).toEqual(expected.flag);
    await expect(readParquet(damaged)).rejects.toBeInstanceOf(DataIoError);
    await expect(readParquet(damaged, { columns: ["cat"] })).rejects.toThrow(/damaged\.parquet/);
  });

  it("skips row groups whose statistics cannot match and filters the rest exactly", async () => {
    const path = join(FIXTURES, "small_row_groups.parquet");
    const plan = await planParquetScan(path, { filter: [["id", ">=", 250]] });
    expect(plan.rowGroupsTotal).toBe(3);
    expect(plan.rowGroupsRead).toBe(1);
    expect(plan.files[0].rowGroups).toEqual([2]);
    const t = await readParquet(path, { filter: [["id", ">=", 250]] });
    expect(col(t, "id")).toEqual(expected.id.slice(250).map((v) => BigInt(v)));

    // Timestamps (ns) and dates prune in epoch milliseconds, as Arrow JS returns them.
    const cut = expected.ts_ns[120];
    const planTs = await planParquetScan(path, { filter: [["ts_ns", "<", new Date(cut)]] });
    expect(planTs.rowGroupsRead).toBe(2);
    const ts = await readParquet(path, { filter: [["ts_ns", "<", new Date(cut)]], columns: ["id"] });
    expect(ts.numRows).toBe(120);

    // A predicate on a column outside `columns` is read for filtering and then dropped.
    const odd = await readParquet(path, { columns: ["id"], filter: [["cat", "=", "日本"], ["i32", ">", -400]] });
    expect(odd.schema.fields.map((f) => f.name)).toEqual(["id"]);
    const want = expected.id.filter((_, i) => expected.cat[i] === "日本" && (expected.i32[i] ?? -1000) > -400).map((v) => BigInt(v));
    expect(want.length).toBeGreaterThan(0);
    expect(col(odd, "id")).toEqual(want);
  });

  it("skips a damaged row group that the filter prunes by statistics", async () => {
    const src = join(FIXTURES, "small_row_groups.parquet");
    const damaged = join(tmp.dir, "damaged-rg0.parquet");
    copyFileSync(src, damaged);
    const footer = await readFooter(src);
    const fd = openSync(damaged, "r+");
    for (const c of footer.rowGroups[0].columns) writeSync(fd, new Uint8Array(c.compressedSize).fill(0xff), 0, c.compressedSize, c.start);
    closeSync(fd);
    const t = await readParquet(damaged, { filter: [["id", ">=", 100n]] });
    expect(t.numRows).toBe(200);
    await expect(readParquet(damaged)).rejects.toBeInstanceOf(DataIoError);
  });

  it("returns an empty table with the full schema when nothing matches", async () => {
    const t = await readParquet(join(FIXTURES, "default.parquet"), { filter: [["id", ">", 10_000]], columns: ["id", "cat"] });
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual(["id: Int64", "cat: Utf8"]);
  });
});

describe("readParquetBatches", () => {
  it("streams batches bounded by batchSize and by row groups", async () => {
    const sizes: number[] = [];
    const ids: bigint[] = [];
    for await (const b of readParquetBatches(join(FIXTURES, "small_row_groups.parquet"), { batchSize: 64, columns: ["id"] })) {
      sizes.push(b.numRows);
      ids.push(...(b.getChild("id")!.toArray() as BigInt64Array));
    }
    expect(sizes).toEqual([64, 36, 64, 36, 64, 36]);
    expect(ids).toEqual(expected.id.map((v) => BigInt(v)));
  });

  it("decodes every type exactly when batches cut row groups at odd sizes", async () => {
    for (const name of ["default", "v2_pages_zstd", "small_row_groups"]) {
      const batches: arrow.RecordBatch[] = [];
      for await (const b of readParquetBatches(join(FIXTURES, `${name}.parquet`), { batchSize: 37 })) batches.push(b);
      expect(batches.every((b) => b.numRows <= 37)).toBe(true);
      const t = new arrow.Table(batches);
      expect(col(t, "big")).toEqual(expected.big);
      expect(col(t, "i32")).toEqual(expected.i32);
      expect(col(t, "f64")).toEqual(expected.f64);
      expect(col(t, "flag")).toEqual(expected.flag);
      expect(col(t, "cat")).toEqual(expected.cat);
      expect(col(t, "ts_ns")).toEqual(expected.ts_ns);
      expect(col(t, "day")).toEqual(expected.day);
    }
  });

  it("defaults to row-group-sized batches below 65 536 rows", async () => {
    const sizes: number[] = [];
    for await (const b of readParquetBatches(join(FIXTURES, "small_row_groups.parquet"))) sizes.push(b.numRows);
    expect(sizes).toEqual([100, 100, 100]);
  });

  it("rejects a batchSize that is not a positive integer", () => {
    expect(() => readParquetBatches(join(FIXTURES, "default.parquet"), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });
});

describe("parquetSchema", () => {
  it("reads the Arrow schema from the footer", async () => {
    const s = await parquetSchema(join(FIXTURES, "format_1_0.parquet"));
    expect(s.fields.map((f) => f.name)).toEqual(["id", "big", "i32", "f64", "f32", "flag", "cat", "ts_us", "ts_ms", "ts_ns", "day"]);
    expect(String(s.fields[7].type)).toBe("Timestamp<MICROSECOND, UTC>");
  });
});

describe("readParquet errors", () => {
  it("names the path of a missing file", async () => {
    const p = join(tmp.dir, "nope.parquet");
    const err = await readParquet(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataIoError);
    expect((err as DataIoError).path).toBe(p);
    expect((err as Error).message).toBe(`cannot read ${p}: no such file or directory; check the path.`);
  });

  it("recognises a file that is not Parquet", async () => {
    const p = join(tmp.dir, "not.parquet");
    writeFileSync(p, "id,name\n1,ada\n2,grace\n");
    await expect(readParquet(p)).rejects.toThrow(`${p} is not a Parquet file (no "PAR1" magic bytes); check the path or the file format.`);
  });

  it("recognises a truncated file", async () => {
    const bytes = readFileSync(join(FIXTURES, "default.parquet"));
    const p = join(tmp.dir, "truncated.parquet");
    writeFileSync(p, new Uint8Array(bytes.subarray(0, Math.floor(bytes.length / 2))));
    const err = await readParquet(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataIoError);
    expect((err as Error).message).toMatch(/truncated\.parquet is a truncated Parquet file: it starts with "PAR1" but does not end with it/);
  });

  it("recognises a corrupt footer", async () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, "default.parquet")));
    const len = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    bytes.fill(0xee, bytes.length - 8 - len, bytes.length - 8);
    const p = join(tmp.dir, "corrupt-footer.parquet");
    writeFileSync(p, bytes);
    await expect(readParquet(p)).rejects.toThrow(/corrupt-footer\.parquet has a corrupt Parquet footer/);
  });

  it("names an unknown column in columns and lists the available ones", async () => {
    const p = join(FIXTURES, "default.parquet");
    const err = await readParquet(p, { columns: ["id", "amount"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(
      `readParquet(${p}): unknown column "amount" in columns; available columns: id, big, i32, f64, f32, flag, cat, ts_us, ts_ms, ts_ns, day.`,
    );
  });

  it("names an unknown column in the filter and lists the available ones", async () => {
    const p = join(FIXTURES, "default.parquet");
    await expect(readParquet(p, { filter: [["region", "=", "emea"]] })).rejects.toThrow(
      /readParquet\(.*default\.parquet\): filter\[0\] .*unknown column "region"; available columns: id, big, i32, f64, f32, flag, cat, ts_us, ts_ms, ts_ns, day\./,
    );
  });

  it("refuses a file compressed with a codec the engine cannot decode (LZO), before decoding", async () => {
    // Patch the codec of the first column chunk in the footer to LZO (3): thrift field 4 of
    // ColumnMetaData is encoded as one byte 0x15 followed by the zigzag codec (SNAPPY=1 -> 0x02).
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, "plain_gzip.parquet")));
    const len = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    const footerStart = bytes.length - 8 - len;
    let patched = 0;
    for (let i = footerStart; i < bytes.length - 9; i++) {
      // The codec follows path_in_schema, whose last byte is part of a column name.
      if (bytes[i] === 0x15 && bytes[i + 1] === 0x04 /* GZIP=2 zigzag */ && /[a-z0-9_]/.test(String.fromCharCode(bytes[i - 1]))) {
        bytes[i + 1] = 0x06; // LZO = 3
        patched++;
      }
    }
    expect(patched).toBe(11);
    const p = join(tmp.dir, "lzo.parquet");
    writeFileSync(p, bytes);
    const err = await readParquet(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataIoError);
    expect((err as Error).message).toMatch(/lzo\.parquet: column "\w+" uses the unsupported compression LZO; re-write the file with/);
  });
});
