/**
 * Interoperability with pyarrow: pyarrow reads what Trellis writes (files and hive datasets)
 * identically, and Trellis reads what pyarrow writes. Skipped, with the reason shown, when
 * python3 cannot import pyarrow.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { readParquet, writeParquet, type ParquetCompression } from "../../src/io/parquet";
import { pyarrowMissing, python, tempDir } from "./parquet-helpers";

const missing = pyarrowMissing();
const tmp = tempDir("parquet-interop");
afterAll(() => tmp.cleanup());

/** pyarrow's view of a file or dataset as JSON rows (int64 as strings to stay exact). */
const DUMP = `
import sys, json, datetime
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.dataset as ds
path = sys.argv[1]
if sys.argv[2] == "dataset":
    t = ds.dataset(path, format="parquet", partitioning="hive").to_table()
else:
    t = pq.read_table(path)
def conv(v):
    if isinstance(v, datetime.datetime): return int(v.timestamp() * 1000)
    if isinstance(v, datetime.date): return int(datetime.datetime(v.year, v.month, v.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    if isinstance(v, int) and not isinstance(v, bool): return str(v)
    return v
out = {"schema": [f"{f.name}: {f.type}" for f in t.schema], "rows": sorted([[conv(v) for v in r.values()] for r in t.to_pylist()], key=lambda r: str(r[0]).zfill(20))}
print(json.dumps(out))
`;

function table(n: number): arrow.Table {
  const id = new BigInt64Array(n);
  const x: (number | null)[] = [];
  const s: (string | null)[] = [];
  const ts: Date[] = [];
  const flag: (boolean | null)[] = [];
  for (let i = 0; i < n; i++) {
    id[i] = 9_007_199_254_740_993n + BigInt(i);
    x.push(i % 5 === 0 ? null : i / 3);
    s.push(i % 7 === 0 ? null : ["ünï", "ok", "日本語", "a/b"][i % 4]);
    ts.push(new Date(Date.UTC(2023, 11, 31, 23) + i * 3_600_000));
    flag.push(i % 6 === 0 ? null : i % 2 === 0);
  }
  return new arrow.Table({
    id: arrow.makeVector(id),
    x: arrow.vectorFromArray(x, new arrow.Float64()),
    s: arrow.vectorFromArray(s, new arrow.Utf8()),
    ts: arrow.vectorFromArray(ts, new arrow.TimestampMillisecond("UTC")),
    flag: arrow.vectorFromArray(flag, new arrow.Bool()),
  });
}

function jsRows(t: arrow.Table, names: string[]): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < t.numRows; i++) {
    out.push(names.map((c) => {
      const v = t.getChild(c)!.get(i);
      return typeof v === "bigint" ? v.toString() : v;
    }));
  }
  return out.sort((a, b) => String(a[0]).padStart(20, "0").localeCompare(String(b[0]).padStart(20, "0")));
}

describe.skipIf(missing !== undefined)(`Parquet interop with pyarrow${missing ? ` (skipped: ${missing})` : ""}`, () => {
  for (const compression of ["snappy", "zstd", "gzip", "lz4", "brotli", "uncompressed"] as ParquetCompression[]) {
    it(`pyarrow reads a ${compression} file written by Trellis identically`, async () => {
      const t = table(500);
      const p = join(tmp.dir, `t-${compression}.parquet`);
      await writeParquet(t, p, { compression, rowGroupSize: 128 });
      const py = JSON.parse(python(DUMP, [p, "file"])) as { schema: string[]; rows: unknown[][] };
      expect(py.schema).toEqual(["id: int64", "x: double", "s: string", "ts: timestamp[ms, tz=UTC]", "flag: bool"]);
      expect(py.rows).toEqual(jsRows(t, ["id", "x", "s", "ts", "flag"]));
    });
  }

  it("pyarrow reads a hive dataset written by Trellis, with the partition columns", async () => {
    const t = table(300);
    const p = join(tmp.dir, "ds");
    await writeParquet(t, p, { partitionBy: ["s"] });
    const py = JSON.parse(python(DUMP, [p, "dataset"])) as { schema: string[]; rows: unknown[][] };
    expect(py.schema).toEqual(["id: int64", "x: double", "ts: timestamp[ms, tz=UTC]", "flag: bool", "s: string"]);
    expect(py.rows).toEqual(jsRows(t, ["id", "x", "ts", "flag", "s"]));
  });

  it("Trellis reads a hive dataset written by pyarrow (odd characters, nulls, int partitions)", async () => {
    const p = join(tmp.dir, "pyds");
    python(
      `
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({"id": pa.array(range(40), pa.int64()), "k": [["a b/c:d=é%", None, "x"][i % 3] for i in range(40)], "n": [i % 4 for i in range(40)], "v": [i * 0.5 for i in range(40)]})
pq.write_to_dataset(t, sys.argv[1], partition_cols=["k", "n"])
`,
      [p],
    );
    const t = await readParquet(p);
    expect(t.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual(["id: Int64", "v: Float64", "k: Utf8", "n: Int32"]);
    const got = jsRows(t, ["id", "k", "n", "v"]);
    const want = Array.from({ length: 40 }, (_, i) => [String(i), ["a b/c:d=é%", null, "x"][i % 3], i % 4, i * 0.5]);
    expect(got).toEqual(want.sort((a, b) => String(a[0]).padStart(20, "0").localeCompare(String(b[0]).padStart(20, "0"))));
    const odd = await readParquet(p, { filter: [["k", "=", "a b/c:d=é%"], ["n", "in", [1, 2]]], columns: ["id"] });
    expect([...odd.getChild("id")!].map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 === 0 && (i % 4 === 1 || i % 4 === 2)),
    );
  });
});
