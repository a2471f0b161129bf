import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as arrow from "apache-arrow";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DataIoError, InvalidArgumentError } from "../../src/errors";
import { rowsOf } from "../../src/frame/table";
import { readCsv } from "../../src/io/csv";
import { readJson } from "../../src/io/json";
import { move, resolveEndpoint } from "../../src/io/move";
import { readParquet } from "../../src/io/parquet";
import type { Progress } from "../../src/io/progress";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/reference/", import.meta.url));
const FEATURES_CSV = join(FIXTURES, "pit/customer_features.csv");
const dir = mkdtempSync(join(tmpdir(), "trellis-move-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const targets = useWarehouses();

/** Rows of the fixture, sorted by a stable key so different paths can be compared. */
function sortRows<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => JSON.stringify(a, big).localeCompare(JSON.stringify(b, big)));
}
function big(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

describe("resolveEndpoint", () => {
  it("reads warehouse URLs with #table, prefixes and extensions", () => {
    expect(resolveEndpoint("embedded:.trellis/wh#analytics.orders")).toEqual({ kind: "warehouse", warehouse: "embedded:.trellis/wh", table: "analytics.orders" });
    expect(resolveEndpoint("postgres://app:pw@db:5432/wh?sslmode=disable#orders")).toEqual({
      kind: "warehouse",
      warehouse: "postgres://app:pw@db:5432/wh?sslmode=disable",
      table: "orders",
    });
    expect(resolveEndpoint("lake/orders")).toEqual({ kind: "parquet", path: "lake/orders" });
    expect(resolveEndpoint("a.pq")).toEqual({ kind: "parquet", path: "a.pq" });
    expect(resolveEndpoint("a.tsv")).toEqual({ kind: "csv", path: "a.tsv" });
    expect(resolveEndpoint("a.ndjson")).toEqual({ kind: "json", path: "a.ndjson" });
    expect(resolveEndpoint("a.arrows")).toEqual({ kind: "arrow", path: "a.arrows" });
    expect(resolveEndpoint("jsonl:out.txt")).toEqual({ kind: "json", path: "out.txt", format: "jsonl" });
    expect(resolveEndpoint("tsv:out.txt")).toEqual({ kind: "csv", path: "out.txt", delimiter: "\t" });
    expect(resolveEndpoint({ warehouse: "embedded:memory", query: "SELECT 1", params: [] })).toEqual({
      kind: "query",
      warehouse: "embedded:memory",
      query: "SELECT 1",
      params: [],
    });
  });

  it("explains a warehouse URL without a table, without showing the password", () => {
    expect(() => resolveEndpoint("postgres://app:s3cret@db/wh")).toThrow(/names no table; append "#<table>"/);
    try {
      resolveEndpoint("postgres://app:s3cret@db/wh");
    } catch (e) {
      expect(String((e as Error).message)).not.toContain("s3cret");
    }
  });

  it("rejects an unknown extension and a malformed object", () => {
    expect(() => resolveEndpoint("data.xlsx")).toThrow(/cannot tell the format of "data.xlsx"/);
    expect(() => resolveEndpoint({ nope: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => resolveEndpoint({ csv: "" })).toThrow(/endpoint property csv must be a non-empty string/);
  });
});

describe("move between files", () => {
  it("round-trips CSV -> JSON -> Arrow -> CSV with the same rows", async () => {
    const original = await readCsv(FEATURES_CSV);
    const progress: Progress[] = [];
    const r1 = await move(FEATURES_CSV, join(dir, "f.jsonl"), { batchSize: 1000, onProgress: (p) => progress.push(p) });
    expect(r1.rows).toBe(original.table.numRows);
    expect(r1.seconds).toBeGreaterThan(0);
    expect(progress.slice(0, 4).map((p) => p.rows)).toEqual([1000, 2000, 3000, 4000]);
    expect(progress[progress.length - 1].rows).toBe(original.table.numRows);
    await move({ json: join(dir, "f.jsonl") }, { arrow: join(dir, "f.arrow") });
    await move(join(dir, "f.arrow"), join(dir, "f.csv"));
    const back = await readCsv(join(dir, "f.csv"));
    expect(back.inferred?.summary).toBe(original.inferred?.summary);
    expect(rowsOf(back.table)).toEqual(rowsOf(original.table));
  });

  it("selects columns and filters rows", async () => {
    const out = join(dir, "gold.json");
    const r = await move(FEATURES_CSV, out, { columns: ["customer_id", "avg_basket"], filter: [["segment", "=", "gold"], ["orders_30d", ">=", 5]] });
    const expected = rowsOf(
      (await readCsv(FEATURES_CSV)).table,
    ).filter((row) => row.segment === "gold" && (row.orders_30d as number) >= 5).map((row) => ({ customer_id: row.customer_id, avg_basket: row.avg_basket }));
    expect(r.rows).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(10);
    expect(rowsOf((await readJson(out)).table)).toEqual(expected);
  });

  it("treats injection strings in filter values as plain values", async () => {
    const src = join(dir, "inj.csv");
    writeFileSync(src, "name,v\n\"x' OR '1'='1\",1\nplain,2\n");
    const r = await move(src, join(dir, "inj.json"), { filter: [["name", "=", "x' OR '1'='1"]] });
    expect(r.rows).toBe(1);
    expect(rowsOf((await readJson(join(dir, "inj.json"))).table)).toEqual([{ name: "x' OR '1'='1", v: 1 }]);
  });

  it("leaves no destination file when a source row is bad midway", async () => {
    const src = join(dir, "bad.csv");
    const lines = ["id,v"];
    for (let i = 0; i < 5000; i++) lines.push(`${i},${i}`);
    lines.push("5000,oops");
    writeFileSync(src, lines.join("\n") + "\n");
    const outDir = join(dir, "failed");
    for (const to of [join(outDir, "x.csv"), join(outDir, "x.jsonl"), join(outDir, "x.arrow")]) {
      await expect(move(src, to, { batchSize: 1000, schema: { id: (await import("zod")).z.int(), v: (await import("zod")).z.int() } })).rejects.toThrow(
        /bad\.csv line 5002: column "v" holds "oops"/,
      );
      expect(existsSync(to)).toBe(false);
    }
    expect(readdirSync(outDir)).toEqual([]);
  });

  it("rejects options that do not apply to the endpoints", async () => {
    await expect(move(FEATURES_CSV, join(dir, "o.csv"), { partitionBy: "segment" })).rejects.toThrow(/partitionBy applies to Parquet destinations only/);
    await expect(move(FEATURES_CSV, join(dir, "o.csv"), { mode: "replace" })).rejects.toThrow(/mode and key apply to warehouse destinations only/);
    await expect(move(FEATURES_CSV, join(dir, "o.csv"), { batchSize: -1 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(move(FEATURES_CSV, join(dir, "o.csv"), { colums: ["a"] } as never)).rejects.toThrow(/unknown option "colums"/);
    await expect(move(FEATURES_CSV, FEATURES_CSV)).rejects.toThrow(/the source and the destination are the same file/);
    await expect(move(FEATURES_CSV, join(dir, "o.csv"), { columns: ["nope"] })).rejects.toThrow(/unknown column\(s\) "nope"/);
    expect(existsSync(join(dir, "o.csv"))).toBe(false);
    await expect(move(join(dir, "missing.csv"), join(dir, "o.csv"))).rejects.toThrow(DataIoError);
  });
});

describe("move with Parquet", { timeout: 30_000 }, () => {
  it("round-trips CSV -> Parquet -> CSV and partitions by a column", async () => {
    const original = await readCsv(FEATURES_CSV);
    const r = await move(FEATURES_CSV, join(dir, "f.parquet"), { batchSize: 1500 });
    expect(r.rows).toBe(original.table.numRows);
    const pq = await readParquet(join(dir, "f.parquet"));
    expect(rowsOf(pq)).toEqual(rowsOf(original.table));
    await move(join(dir, "f.parquet"), join(dir, "lake"), { partitionBy: ["segment"] });
    expect(readdirSync(join(dir, "lake")).sort()).toEqual(
      [...new Set(rowsOf<{ segment: string | null }>(original.table).map((x) => x.segment))].map((s) => (s === null ? "segment=__HIVE_DEFAULT_PARTITION__" : `segment=${s}`)).sort(),
    );
    const back = join(dir, "from-lake.csv");
    const r2 = await move(join(dir, "lake"), back, { filter: [["segment", "=", "gold"]], columns: ["customer_id", "segment"] });
    const gold = rowsOf<{ customer_id: number; segment: string }>(original.table).filter((x) => x.segment === "gold");
    expect(r2.rows).toBe(gold.length);
    expect(sortRows(rowsOf((await readCsv(back)).table))).toEqual(sortRows(gold.map((x) => ({ customer_id: x.customer_id, segment: x.segment }))));
  });

  it("writes an empty result with its columns when no row matches", async () => {
    const none: [string, "<", number][] = [["customer_id", "<", -1]];
    expect((await move(FEATURES_CSV, join(dir, "none.parquet"), { filter: none })).rows).toBe(0);
    const pq = await readParquet(join(dir, "none.parquet"));
    expect(pq.numRows).toBe(0);
    expect(pq.schema.fields.map((f) => f.name)).toEqual(["customer_id", "event_ts", "created_ts", "orders_30d", "avg_basket", "segment"]);
    expect((await move(join(dir, "none.parquet"), join(dir, "none.csv"), { columns: ["segment", "customer_id"] })).rows).toBe(0);
    expect(readFileSync(join(dir, "none.csv"), "utf8")).toBe("segment,customer_id\n");
    await move(FEATURES_CSV, join(dir, "some.parquet"));
    await move(join(dir, "some.parquet"), join(dir, "none2.csv"), { filter: none, columns: ["avg_basket"] });
    expect(readFileSync(join(dir, "none2.csv"), "utf8")).toBe("avg_basket\n");
  });

  it("leaves no Parquet file when the source fails midway", async () => {
    const src = join(dir, "bad-pq.csv");
    writeFileSync(src, "a\n1\n2\nx\n");
    const to = join(dir, "bad.parquet");
    await expect(move(src, to, { batchSize: 1, schema: { a: (await import("zod")).z.int() } })).rejects.toThrow(/line 4/);
    expect(existsSync(to)).toBe(false);
  });
});

describe.each(targets)("move with the warehouse on $name", { timeout: 60_000 }, (target) => {
  it("round-trips CSV -> warehouse -> JSON, with pushdown of columns and filter", async () => {
    const wh = await target.open();
    const table = uniqueName("move_features");
    const original = await readCsv(FEATURES_CSV);
    const r = await move(FEATURES_CSV, { warehouse: wh, table }, { mode: "replace", batchSize: 1000 });
    expect(r.rows).toBe(original.table.numRows);
    expect(Number((await wh.query(`SELECT count(*) AS n FROM "${table}"`)).get(0)!.n)).toBe(original.table.numRows);
    const out = join(dir, `${target.name}-wh.jsonl`);
    const r2 = await move({ warehouse: wh, table }, out, { columns: ["customer_id", "event_ts", "segment"], filter: [["segment", "in", ["gold", "silver"]]] });
    const expected = rowsOf<{ customer_id: number; event_ts: Date; segment: string }>(original.table)
      .filter((x) => x.segment === "gold" || x.segment === "silver")
      .map((x) => ({ customer_id: x.customer_id, event_ts: x.event_ts, segment: x.segment }));
    expect(r2.rows).toBe(expected.length);
    const back = await readJson(out);
    expect(back.table.schema.fields.map((f) => f.name)).toEqual(["customer_id", "event_ts", "segment"]);
    expect(sortRows(rowsOf(back.table))).toEqual(sortRows(expected));
  });

  it("round-trips Parquet -> warehouse -> partitioned Parquet with exact Int64 and timestamps", async () => {
    const wh = await target.open();
    const table = uniqueName("move_pq");
    const original = await readCsv(FEATURES_CSV);
    const src = join(dir, `${target.name}-src.parquet`);
    await move(FEATURES_CSV, src);
    expect((await move(src, { warehouse: wh, table }, { mode: "replace" })).rows).toBe(original.table.numRows);
    const lake = join(dir, `${target.name}-lake`);
    await move({ warehouse: wh, table }, lake, { partitionBy: "segment", batchSize: 700 });
    const back = await readParquet(lake, { columns: ["customer_id", "event_ts", "created_ts", "orders_30d", "avg_basket", "segment"] });
    expect(sortRows(rowsOf(back, { int64: "bigint" }))).toEqual(sortRows(rowsOf(original.table, { int64: "bigint" })));
  });

  it("moves a parameterised query result and loads with append and upsert", async () => {
    const wh = await target.open();
    const table = uniqueName("move_q");
    await move(FEATURES_CSV, { warehouse: wh, table }, { mode: "replace" });
    const dest = uniqueName("move_q_out");
    const r = await move(
      { warehouse: wh, query: `SELECT customer_id, max(avg_basket) AS best FROM "${table}" WHERE orders_30d >= $1 GROUP BY customer_id`, params: [3] },
      { warehouse: wh, table: dest },
      { mode: "replace" },
    );
    const n = Number((await wh.query(`SELECT count(DISTINCT customer_id) AS n FROM "${table}" WHERE orders_30d >= 3`)).get(0)!.n);
    expect(r.rows).toBe(n);
    const r2 = await move({ warehouse: wh, table: dest }, { warehouse: wh, table: dest + "_b" }, { filter: [["best", ">", 50]] });
    const m = Number((await wh.query(`SELECT count(*) AS n FROM "${dest}" WHERE best > 50`)).get(0)!.n);
    expect(r2.rows).toBe(m);
  });

  it("quotes injection strings in column and table names and binds filter values", async () => {
    const wh = await target.open();
    const sentinel = uniqueName("sentinel");
    await wh.exec(`CREATE TABLE "${sentinel}" (x int)`);
    const col = 'x"; DROP TABLE ' + sentinel + "; --";
    const src = join(dir, `${target.name}-inj.json`);
    writeFileSync(src, JSON.stringify([{ [col]: "a'; DROP TABLE " + sentinel + "; --", v: 1 }, { [col]: "b", v: 2 }]));
    await expect(move(src, { warehouse: wh, table: "a.b.c; DROP TABLE " + sentinel })).rejects.toThrow(InvalidArgumentError);
    // A quoted identifier: the whole string becomes the table's name, nothing runs.
    const weird = (uniqueName("inj") + '"; DROP TABLE ' + sentinel + "; --").slice(0, 60);
    expect(await move(src, { warehouse: wh, table: weird })).toMatchObject({ rows: 2 });
    expect(await wh.tableExists(weird)).toBe(true);
    const out = join(dir, `${target.name}-inj-out.json`);
    const r = await move({ warehouse: wh, table: weird }, out, { filter: [[col, "=", "a'; DROP TABLE " + sentinel + "; --"]] });
    expect(r.rows).toBe(1);
    expect(rowsOf((await readJson(out)).table)).toEqual([{ [col]: "a'; DROP TABLE " + sentinel + "; --", v: 1 }]);
    expect(await wh.tableExists(sentinel)).toBe(true);
  });

  it("moves an empty table or query result with its columns", async () => {
    const wh = await target.open();
    const table = uniqueName("move_empty");
    await move(FEATURES_CSV, { warehouse: wh, table }, { filter: [["customer_id", "<", -1]] });
    expect(await wh.tableExists(table)).toBe(true);
    await move({ warehouse: wh, table }, join(dir, `${target.name}-empty.csv`), { columns: ["segment", "avg_basket"] });
    expect(readFileSync(join(dir, `${target.name}-empty.csv`), "utf8")).toBe("segment,avg_basket\n");
    await move({ warehouse: wh, query: `SELECT customer_id FROM "${table}";` }, join(dir, `${target.name}-emptyq.csv`));
    expect(readFileSync(join(dir, `${target.name}-emptyq.csv`), "utf8")).toBe("customer_id\n");
  });

  it("leaves no table behind when the source fails midway", async () => {
    const wh = await target.open();
    const src = join(dir, `${target.name}-bad.csv`);
    const lines = ["id"];
    for (let i = 0; i < 3000; i++) lines.push(String(i));
    lines.push("not-a-number");
    writeFileSync(src, lines.join("\n"));
    const table = uniqueName("move_failed");
    await expect(move(src, { warehouse: wh, table }, { batchSize: 500, schema: { id: (await import("zod")).z.int() } })).rejects.toThrow(/line 3002/);
    expect(await wh.tableExists(table)).toBe(false);
  });
});

describe("move with a warehouse URL string", { timeout: 60_000 }, () => {
  it("opens and closes an embedded folder warehouse named by URL", async () => {
    const url = `embedded:${join(dir, "wh")}`;
    const r = await move(FEATURES_CSV, `${url}#features`, { columns: ["customer_id", "segment"], mode: "replace" });
    expect(r.rows).toBeGreaterThan(4000);
    const r2 = await move(`${url}#features`, join(dir, "from-url.csv"), { filter: [["customer_id", "=", 27]] });
    const expected = rowsOf<{ customer_id: number }>((await readCsv(FEATURES_CSV)).table).filter((x) => x.customer_id === 27).length;
    expect(r2.rows).toBe(expected);
    expect(readFileSync(join(dir, "from-url.csv"), "utf8").split("\n")[0]).toBe("customer_id,segment");
  });
});


describe("move from in-memory batches, with a transform", () => {
  it("writes an Arrow table's rows, transformed batch by batch, and counts source rows", async () => {
    const dir = await mkdtemp(join(tmpdir(), "trellis-move-batches-"));
    try {
      const table = arrow.tableFromArrays({ id: Int32Array.from([1, 2, 3, 4, 5]), x: Float64Array.from([0.5, 1, 1.5, 2, 2.5]) });
      const seen: number[] = [];
      const result = await move({ batches: table }, join(dir, "out.csv"), {
        batchSize: 2,
        filter: [["x", ">", 0.5]],
        transform: (b) => {
          seen.push(b.numRows);
          const x = b.getChild("x")!.toArray() as Float64Array;
          return new arrow.Table({ id: b.getChild("id")!, double: arrow.makeVector(x.map((v) => v * 2)) }).batches[0]!;
        },
      });
      expect(result.rows).toBe(4);
      expect(seen).toEqual([1, 2, 1]);
      expect(await readFile(join(dir, "out.csv"), "utf8")).toBe("id,double\n2,2\n3,3\n4,4\n5,5\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps the schema of an empty table and refuses batches as a destination", async () => {
    const dir = await mkdtemp(join(tmpdir(), "trellis-move-batches-"));
    try {
      const empty = new arrow.Table(new arrow.Schema([new arrow.Field("id", new arrow.Int32(), true)]));
      expect((await move({ batches: empty }, join(dir, "e.csv"))).rows).toBe(0);
      expect(await readFile(join(dir, "e.csv"), "utf8")).toBe("id\n");
      await expect(move(join(dir, "e.csv"), { batches: empty })).rejects.toThrow("move: in-memory batches can only be a source");
      await expect(move({ batches: [1, 2] as never }, join(dir, "x.csv"))).rejects.toThrow(
        "move: endpoint property batches must be an Arrow Table or an AsyncIterable of RecordBatch",
      );
      await expect(move({ batches: empty }, join(dir, "y.csv"), { transform: 3 as never })).rejects.toThrow(
        "move: option transform must be a function (batch) => batch.",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
