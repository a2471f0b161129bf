import { readdirSync, mkdirSync, copyFileSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as arrow from "apache-arrow";
import { DataIoError } from "@trellis/shared";
import {
  escapePartitionValue,
  parquetSchema,
  planParquetScan,
  readParquet,
  readParquetBatches,
  unescapePartitionValue,
  writeParquet,
} from "../../src/io/parquet";
import { FIXTURES, tempDir } from "./parquet-helpers";

const tmp = tempDir("parquet-dataset");
afterAll(() => tmp.cleanup());

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Events: 600 rows over 3 regions (one null), 2 days and an int64 shop id. */
function events(): arrow.Table {
  const n = 600;
  const region: (string | null)[] = [];
  const day: Date[] = [];
  const shop = new BigInt64Array(n);
  const amount = new Float64Array(n);
  const id = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    id[i] = i;
    region.push(i % 3 === 0 ? "emea" : i % 3 === 1 ? "a/b c%=é" : null);
    day.push(new Date(Date.UTC(2024, 5, 1 + (i % 2))));
    shop[i] = 9_007_199_254_740_993n + BigInt(i % 2);
    amount[i] = i * 1.5;
  }
  return new arrow.Table({
    id: arrow.makeVector(id),
    region: arrow.vectorFromArray(region, new arrow.Utf8()),
    day: arrow.vectorFromArray(day, new arrow.DateDay()),
    shop: arrow.makeVector(shop),
    amount: arrow.makeVector(amount),
  });
}

function sortedIds(t: arrow.Table): number[] {
  return [...(t.getChild("id")!.toArray() as Int32Array)].sort((a, b) => a - b);
}

describe("partition folder names", () => {
  it("percent-encodes like pyarrow and decodes back", () => {
    expect(escapePartitionValue("a/b c%=é")).toBe("a%2Fb%20c%25%3D%C3%A9");
    expect(escapePartitionValue("x!*()'~-._")).toBe("x%21%2A%28%29%27~-._");
    expect(unescapePartitionValue("a%2Fb%20c%25%3D%C3%A9")).toBe("a/b c%=é");
    expect(unescapePartitionValue("__HIVE_DEFAULT_PARTITION__")).toBeNull();
  });
});

describe("writeParquet with partitionBy", () => {
  it("writes one folder per value, drops the partition columns and restores them typed on read", async () => {
    const p = join(tmp.dir, "events");
    const t = events();
    const res = await writeParquet(t, p, { partitionBy: ["region", "day"] });
    expect(res.rows).toBe(600);
    const files = listFiles(p);
    expect(files).toEqual([
      "region=__HIVE_DEFAULT_PARTITION__/day=2024-06-01/part-0.parquet",
      "region=__HIVE_DEFAULT_PARTITION__/day=2024-06-02/part-0.parquet",
      "region=a%2Fb%20c%25%3D%C3%A9/day=2024-06-01/part-0.parquet",
      "region=a%2Fb%20c%25%3D%C3%A9/day=2024-06-02/part-0.parquet",
      "region=emea/day=2024-06-01/part-0.parquet",
      "region=emea/day=2024-06-02/part-0.parquet",
    ]);
    expect(res.files.map((f) => relative(p, f)).sort()).toEqual(files);
    // The files themselves do not hold the partition columns.
    const inner = await parquetSchema(join(p, files[0]));
    expect(inner.fields.map((f) => f.name)).toEqual(["id", "shop", "amount"]);

    const back = await readParquet(p);
    expect(back.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      "id: Int32",
      "shop: Int64",
      "amount: Float64",
      "region: Utf8",
      "day: Date32<DAY>",
    ]);
    expect(back.numRows).toBe(600);
    const byId = new Map<number, unknown[]>();
    for (let i = 0; i < back.numRows; i++) {
      byId.set(back.getChild("id")!.get(i), ["region", "day", "shop", "amount"].map((c) => back.getChild(c)!.get(i)));
    }
    for (let i = 0; i < 600; i++) {
      expect(byId.get(i)).toEqual(["region", "day", "shop", "amount"].map((c) => t.getChild(c)!.get(i)));
    }
  });

  it("prunes folders by partition filters and row groups by statistics, then filters exactly", async () => {
    const p = join(tmp.dir, "events2");
    await writeParquet(events(), p, { partitionBy: ["region"], rowGroupSize: 50 });
    const plan = await planParquetScan(p, { filter: [["region", "=", "emea"]] });
    expect(plan.filesTotal).toBe(3);
    expect(plan.files.map((f) => relative(p, f.path))).toEqual(["region=emea/part-0.parquet"]);
    const emea = await readParquet(p, { filter: [["region", "=", "emea"]] });
    expect(sortedIds(emea)).toEqual(Array.from({ length: 200 }, (_, k) => k * 3));

    // Nulls: "is null" selects the __HIVE_DEFAULT_PARTITION__ folder only.
    const nulls = await planParquetScan(p, { filter: [["region", "is null"]] });
    expect(nulls.files.map((f) => relative(p, f.path))).toEqual(["region=__HIVE_DEFAULT_PARTITION__/part-0.parquet"]);

    // Data-column filter: ids are increasing inside each file, so most 50-row groups are skipped.
    const f = [["region", "in", ["emea", "a/b c%=é"]], ["id", ">=", 540]] as const;
    const plan2 = await planParquetScan(p, { filter: f });
    expect(plan2.rowGroupsTotal).toBe(8);
    expect(plan2.rowGroupsRead).toBe(2);
    const got = await readParquet(p, { filter: f, columns: ["id", "region"] });
    expect(got.schema.fields.map((x) => x.name)).toEqual(["id", "region"]);
    expect(sortedIds(got)).toEqual(Array.from({ length: 60 }, (_, k) => 540 + k).filter((i) => i % 3 !== 2));
  });

  it("reads only partition columns without decoding any file column", async () => {
    const p = join(tmp.dir, "events3");
    await writeParquet(events(), p, { partitionBy: ["region"] });
    const t = await readParquet(p, { columns: ["region"], filter: [["region", "!=", "emea"]] });
    expect(t.numRows).toBe(200);
    expect(new Set(t.getChild("region")!.toArray())).toEqual(new Set(["a/b c%=é"]));
  });

  it("streams a partitioned dataset in bounded batches", async () => {
    const p = join(tmp.dir, "events4");
    await writeParquet(events(), p, { partitionBy: ["day"], rowGroupSize: 100 });
    const sizes: number[] = [];
    for await (const b of readParquetBatches(p, { batchSize: 64 })) sizes.push(b.numRows);
    expect(sizes.every((s) => s <= 64)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(600);
  });

  it("replaces an existing partitioned dataset atomically", async () => {
    const p = join(tmp.dir, "events5");
    await writeParquet(events(), p, { partitionBy: ["region"] });
    const smaller = events().slice(0, 30);
    await writeParquet(smaller, p, { partitionBy: ["day"] });
    expect(listFiles(p)).toEqual(["day=2024-06-01/part-0.parquet", "day=2024-06-02/part-0.parquet"]);
    expect((await readParquet(p)).numRows).toBe(30);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("ignores hidden and underscore files like pyarrow does", async () => {
    const p = join(tmp.dir, "events6");
    await writeParquet(events(), p, { partitionBy: ["region"] });
    writeFileSync(join(p, "_SUCCESS"), "");
    mkdirSync(join(p, ".inprogress"));
    writeFileSync(join(p, ".inprogress", "junk"), "not parquet");
    expect((await readParquet(p)).numRows).toBe(600);
  });

  it("refuses a folder with no data files", async () => {
    const p = join(tmp.dir, "empty");
    mkdirSync(p);
    await expect(readParquet(p)).rejects.toBeInstanceOf(DataIoError);
  });
});

describe("hive datasets written by other tools", () => {
  it("types integer-looking partition values as Int32 and others as Utf8 (pyarrow's rule)", async () => {
    const p = join(tmp.dir, "foreign");
    for (const [dir, src] of [
      ["year=2024/region=emea", "default.parquet"],
      ["year=2025/region=apac%2Fx", "small_row_groups.parquet"],
    ]) {
      mkdirSync(join(p, dir), { recursive: true });
      copyFileSync(join(FIXTURES, src), join(p, dir, "data.parquet"));
    }
    const s = await parquetSchema(p);
    expect(s.fields.slice(-2).map((f) => `${f.name}: ${f.type}`)).toEqual(["year: Int32", "region: Utf8"]);
    const t = await readParquet(p, { columns: ["id", "year", "region"], filter: [["year", ">", 2024]] });
    expect(t.numRows).toBe(300);
    expect(new Set(t.getChild("region")!.toArray())).toEqual(new Set(["apac/x"]));
    expect(existsSync(p)).toBe(true);
  });
});
