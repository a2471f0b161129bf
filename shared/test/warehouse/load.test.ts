import * as arrow from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, SchemaMismatchError, type Warehouse, WarehouseError } from "@trellis/shared";
import { setLiteCopyPieceBytes } from "../../src/warehouse/session";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();

function kv(keys: number[], values: (string | null)[]): arrow.Table {
  return new arrow.Table({
    k: arrow.vectorFromArray(keys, new arrow.Int32()),
    v: arrow.vectorFromArray(values, new arrow.Utf8()),
  });
}

async function* batches(...tables: arrow.Table[]): AsyncGenerator<arrow.RecordBatch> {
  for (const t of tables) for (const b of t.batches) yield b;
}

async function rows(wh: Warehouse, table: string): Promise<unknown[]> {
  const t = await wh.query(`SELECT * FROM ${table} ORDER BY 1`);
  return t.toArray().map((r) => r.toJSON());
}

async function tablesLike(wh: Warehouse, pattern: string): Promise<string[]> {
  const t = await wh.query("SELECT c.relname AS n FROM pg_class c WHERE c.relname LIKE $1 AND c.relkind = 'r' ORDER BY 1", [pattern]);
  return t.toArray().map((r) => r.n as string);
}

describe.each(targets)("Warehouse.load on $name", (target) => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await target.open();
  });

  it("appends batches of a stream and counts the rows", async () => {
    const table = uniqueName("ld");
    expect(await wh.load(batches(kv([1, 2], ["a", "b"]), kv([3], [null])), table)).toEqual({ rows: 3 });
    expect(await wh.load(kv([4], ["d"]), table, { mode: "append" })).toEqual({ rows: 1 });
    expect(await rows(wh, table)).toEqual([
      { k: 1, v: "a" },
      { k: 2, v: "b" },
      { k: 3, v: null },
      { k: 4, v: "d" },
    ]);
  });

  it("loads sliced and concatenated tables (offset buffers, unaligned bitmaps) value for value", async () => {
    const n = 40;
    const full = new arrow.Table({
      i: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 7 === 3 ? null : r * 3)), new arrow.Int32()),
      big: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 5 === 1 ? null : BigInt(r) * 1_000_000_007n)), new arrow.Int64()),
      f: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 4 === 2 ? null : r / 8)), new arrow.Float64()),
      b: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 6 === 5 ? null : r % 3 === 0)), new arrow.Bool()),
      s: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 9 === 4 ? null : `s${r}`)), new arrow.Utf8()),
      d: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 3 === 1 ? null : ["x", "y", "z"][r % 3])), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      ts: arrow.vectorFromArray(Array.from({ length: n }, (_, r) => (r % 8 === 7 ? null : Date.UTC(2024, 0, 1 + r))), new arrow.TimestampMillisecond("UTC")),
    });
    const expected = (t: arrow.Table) =>
      t.toArray().map((r) => {
        const o = r.toJSON() as Record<string, unknown>;
        return { ...o, big: o.big === null ? null : Number(o.big), ts: o.ts === null ? null : new Date(o.ts as number).toISOString() };
      });
    const actual = async (table: string) =>
      (await wh.query(`SELECT i, big, f, b, s, d, ts FROM ${table} ORDER BY ord`)).toArray().map((r) => {
        const o = r.toJSON() as Record<string, unknown>;
        return { ...o, big: o.big === null ? null : Number(o.big), ts: o.ts === null ? null : new Date(Number(o.ts)).toISOString() };
      });
    for (const [label, part] of [
      ["slice", full.slice(3, 29)],
      ["concat", full.slice(0, 5).concat(full.slice(11, 23), full.slice(37))],
    ] as const) {
      const table = uniqueName(label);
      expect(await wh.load(part, table, { mode: "replace" }), label).toEqual({ rows: part.numRows });
      await wh.exec(`ALTER TABLE ${table} ADD COLUMN ord serial`);
      expect(await actual(table), label).toEqual(expected(part));
    }
  });

  it("replaces a table with exactly the new rows and schema, leaving no staging table", async () => {
    const table = uniqueName("rp");
    await wh.exec(`CREATE TABLE ${table} (old_col text)`);
    await wh.exec(`INSERT INTO ${table} VALUES ('x'), ('y')`);
    expect(await wh.load(kv([7, 8], ["g", "h"]), table, { mode: "replace" })).toEqual({ rows: 2 });
    expect(await rows(wh, table)).toEqual([
      { k: 7, v: "g" },
      { k: 8, v: "h" },
    ]);
    expect((await wh.tableSchema(table)).fields.map((f) => f.name)).toEqual(["k", "v"]);
    expect(await tablesLike(wh, `${table}__trellis_%`)).toEqual([]);
  });

  it("upserts: creates the table with a unique key, then updates existing keys and inserts new ones", async () => {
    const table = uniqueName("up");
    expect(await wh.load(kv([1, 2], ["a", "b"]), table, { mode: "upsert", key: "k" })).toEqual({ rows: 2 });
    expect(await wh.load(kv([2, 3], ["B", "c"]), table, { mode: "upsert", key: ["k"] })).toEqual({ rows: 2 });
    expect(await rows(wh, table)).toEqual([
      { k: 1, v: "a" },
      { k: 2, v: "B" },
      { k: 3, v: "c" },
    ]);
  });

  it("upserts on a composite key", async () => {
    const table = uniqueName("upc");
    const make = (a: number[], b: string[], x: number[]) =>
      new arrow.Table({ a: arrow.vectorFromArray(a, new arrow.Int32()), b: arrow.vectorFromArray(b, new arrow.Utf8()), x: arrow.vectorFromArray(x, new arrow.Float64()) });
    await wh.load(make([1, 1], ["p", "q"], [1, 2]), table, { mode: "upsert", key: ["a", "b"] });
    await wh.load(make([1, 2], ["q", "q"], [20, 3]), table, { mode: "upsert", key: ["a", "b"] });
    const t = await wh.query(`SELECT a, b, x FROM ${table} ORDER BY a, b`);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { a: 1, b: "p", x: 1 },
      { a: 1, b: "q", x: 20 },
      { a: 2, b: "q", x: 3 },
    ]);
  });

  it("explains an upsert into a table without a unique index on the key", async () => {
    const table = uniqueName("upn");
    await wh.exec(`CREATE TABLE ${table} (k int, v text)`);
    await expect(wh.load(kv([1], ["a"]), table, { mode: "upsert", key: "k" })).rejects.toThrow(
      /upsert needs a unique index or primary key on \(k\); create one, e\.g\. CREATE UNIQUE INDEX ON/,
    );
  });

  it("explains duplicate keys inside the upserted data", async () => {
    const table = uniqueName("upd");
    await wh.load(kv([1], ["a"]), table, { mode: "upsert", key: "k" });
    await expect(wh.load(kv([2, 2], ["x", "y"]), table, { mode: "upsert", key: "k" })).rejects.toThrow(/holds the same key \(k\) more than once/);
    expect(await rows(wh, table)).toEqual([{ k: 1, v: "a" }]);
  });

  it("leaves the target exactly as before when the last batch has a type error (append)", async () => {
    const table = uniqueName("fa");
    await wh.load(kv([1], ["a"]), table);
    const bad = new arrow.Table({ k: arrow.vectorFromArray(["not a number"], new arrow.Utf8()), v: arrow.vectorFromArray(["z"], new arrow.Utf8()) });
    const err = await wh.load(batches(kv([2, 3], ["b", "c"]), bad), table).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as SchemaMismatchError).mistyped).toEqual([{ column: "k", expected: "Int32", actual: "Utf8" }]);
    expect(await rows(wh, table)).toEqual([{ k: 1, v: "a" }]);
  });

  it("leaves the target exactly as before when the server rejects the last batch (replace)", async () => {
    const table = uniqueName("fr");
    await wh.exec(`CREATE TABLE ${table} (k int NOT NULL, v text)`);
    await wh.exec(`INSERT INTO ${table} VALUES (1, 'a')`);
    const schema = new arrow.Schema([new arrow.Field("k", new arrow.Int32(), false), new arrow.Field("v", new arrow.Utf8(), true)]);
    const good = new arrow.Table(schema, [new arrow.RecordBatch(schema, kv([5, 6], ["e", "f"]).batches[0].data)]);
    const nullKey = kv([7], ["g"]);
    const withNull = new arrow.RecordBatch(schema, arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 1,
      nullCount: 0,
      children: [arrow.makeData({ type: new arrow.Int32(), length: 1, nullCount: 1, nullBitmap: new Uint8Array([0]), data: new Int32Array([0]) }), nullKey.batches[0].data.children[1]],
    }));
    async function* stream() {
      yield good.batches[0];
      yield withNull;
    }
    await expect(wh.load(stream(), table, { mode: "replace" })).rejects.toThrow(WarehouseError);
    expect(await rows(wh, table)).toEqual([{ k: 1, v: "a" }]);
    expect(await tablesLike(wh, `${table}__trellis_%`)).toEqual([]);
  });

  it("leaves the target exactly as before when a value is out of range in the last batch (upsert)", async () => {
    const table = uniqueName("fu");
    await wh.exec(`CREATE TABLE ${table} (k smallint PRIMARY KEY, v text)`);
    await wh.exec(`INSERT INTO ${table} VALUES (1, 'a')`);
    await expect(wh.load(batches(kv([1, 2], ["A", "b"]), kv([70000], ["big"])), table, { mode: "upsert", key: "k" })).rejects.toThrow(
      /70000|out of range/,
    );
    expect(await rows(wh, table)).toEqual([{ k: 1, v: "a" }]);
  });

  it("refuses columns the target does not have, listing them", async () => {
    const table = uniqueName("ex");
    await wh.exec(`CREATE TABLE ${table} (k int)`);
    const err = await wh.load(kv([1], ["a"]), table).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as SchemaMismatchError).unexpected).toEqual(["v"]);
  });

  it("handles an empty stream: nothing to do for an existing table, an error otherwise", async () => {
    const table = uniqueName("em");
    await wh.exec(`CREATE TABLE ${table} (k int)`);
    expect(await wh.load(batches(), table)).toEqual({ rows: 0 });
    await expect(wh.load(batches(), uniqueName("none"))).rejects.toThrow(InvalidArgumentError);
    // An empty table still creates the target from its schema.
    const created = uniqueName("emt");
    expect(await wh.load(kv([], []), created)).toEqual({ rows: 0 });
    expect((await wh.tableSchema(created)).fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["k:Int32", "v:Utf8"]);
  });

  it("streams a load in several COPY pieces and still rolls all of them back on failure", async () => {
    const previous = setLiteCopyPieceBytes(4096);
    try {
      const table = uniqueName("pieces");
      const many = Array.from({ length: 20 }, (_, b) => kv(Array.from({ length: 500 }, (_, i) => b * 500 + i), Array.from({ length: 500 }, (_, i) => `v${i}`)));
      expect(await wh.load(batches(...many), table)).toEqual({ rows: 10000 });
      const sum = await wh.query(`SELECT count(*)::int4 AS n, sum(k)::int8 AS s FROM ${table}`);
      expect(sum.get(0)!.toJSON()).toEqual({ n: 10000, s: BigInt((9999 * 10000) / 2) });
      const bad = new arrow.Table({ k: arrow.vectorFromArray([1.5], new arrow.Float64()), v: arrow.vectorFromArray(["x"], new arrow.Utf8()) });
      await expect(wh.load(batches(...many, bad), table)).rejects.toThrow(SchemaMismatchError);
      expect((await wh.query(`SELECT count(*)::int4 AS n FROM ${table}`)).get(0)!.n).toBe(10000);
    } finally {
      setLiteCopyPieceBytes(previous);
    }
  });

  it("loads into a schema-qualified table", async () => {
    const schema = uniqueName("s");
    await wh.exec(`CREATE SCHEMA ${schema}`);
    try {
      await wh.load(kv([1], ["a"]), `${schema}.t`);
      await wh.load(kv([2], ["b"]), `${schema}.t`, { mode: "replace" });
      expect(await rows(wh, `${schema}.t`)).toEqual([{ k: 2, v: "b" }]);
    } finally {
      await wh.exec(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});
