import * as arrow from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, Warehouse, WarehouseError } from "@trellis/shared";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();

function sample(n: number, offset = 0): arrow.Table {
  const id = new BigInt64Array(n);
  const x = new Float64Array(n);
  const s: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(i + offset);
    x[i] = (i + offset) / 4;
    s.push(i % 5 === 0 ? null : `s${(i + offset) % 7}`);
  }
  return arrow.tableFromArrays({ id, x, s });
}

describe.each(targets)("Warehouse on $name", (target) => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await target.open();
  });

  it("reports its kind and url", () => {
    expect(wh.kind).toBe(target.name);
    expect(wh.url).not.toContain("trellis_dev");
  });

  it("returns query results as an Arrow table typed by the result columns", async () => {
    const t = await wh.query("SELECT $1::int4 AS a, $2::text AS b, 9007199254740993::int8 AS c, NULL::float8 AS d", [7, "hé"]);
    expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["a:Int32", "b:Utf8", "c:Int64", "d:Float64"]);
    const row = t.get(0)!.toJSON();
    expect(row).toEqual({ a: 7, b: "hé", c: 9007199254740993n, d: null });
  });

  it("returns an empty table with the columns when no row matches", async () => {
    const t = await wh.query("SELECT 1::int2 AS a WHERE false");
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual(["Int16"]);
  });

  it("exec returns the number of rows affected", async () => {
    const table = uniqueName("exec");
    expect(await wh.exec(`CREATE TABLE ${table} (a int)`)).toBe(0);
    expect(await wh.exec(`INSERT INTO ${table} SELECT g FROM generate_series(1, 5) g`)).toBe(5);
    expect(await wh.exec(`DELETE FROM ${table} WHERE a > $1`, [3])).toBe(2);
    const t = await wh.query(`SELECT sum(a)::int8 AS s FROM ${table}`);
    expect(t.get(0)!.s).toBe(6n);
  });

  it("loads an Arrow table, creating the target, and reads it back exactly", async () => {
    const table = uniqueName("rt");
    const data = sample(1000);
    expect(await wh.load(data, table)).toEqual({ rows: 1000 });
    expect(await wh.tableExists(table)).toBe(true);
    const back = await wh.readTable(table);
    expect(back.numRows).toBe(1000);
    expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["id:Int64", "x:Float64", "s:Utf8"]);
    expect(Array.from(back.getChild("id")!.toArray() as BigInt64Array)).toEqual(Array.from(data.getChild("id")!.toArray() as BigInt64Array));
    expect(Array.from(back.getChild("x")!.toArray() as Float64Array)).toEqual(Array.from(data.getChild("x")!.toArray() as Float64Array));
    expect(back.getChild("s")!.toArray()).toEqual(data.getChild("s")!.toArray());
  });

  it("appends by default and reads columns with a filter", async () => {
    const table = uniqueName("app");
    await wh.load(sample(10), table);
    await wh.load(sample(10, 10), table, { mode: "append" });
    const t = await wh.readTable(table, { columns: ["id", "s"], filter: [["id", ">=", 15n], ["s", "is not null"]] });
    expect(t.schema.fields.map((f) => f.name)).toEqual(["id", "s"]);
    expect(Array.from(t.getChild("id")!.toArray() as BigInt64Array).sort()).toEqual([16n, 17n, 18n, 19n]);
  });

  it("streams batches of the requested size", async () => {
    const table = uniqueName("st");
    await wh.load(sample(2500), table);
    const sizes: number[] = [];
    let sum = 0n;
    for await (const b of wh.stream({ table, columns: ["id"] }, { batchSize: 1000 })) {
      sizes.push(b.numRows);
      for (const v of b.getChild("id")!.toArray() as BigInt64Array) sum += v;
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(sum).toBe(BigInt((2499 * 2500) / 2));
    const fromSql: number[] = [];
    for await (const b of wh.stream(`SELECT id FROM ${table} WHERE id < 10;`, { batchSize: 4 })) fromSql.push(b.numRows);
    expect(fromSql).toEqual([4, 4, 2]);
  });

  it("keeps the order of an ordered query across many batches", async () => {
    const ids: bigint[] = [];
    const sizes = new Set<number>();
    for await (const b of wh.stream("SELECT g::int8 AS id, md5(g::text) AS h FROM generate_series(1, 20000) g ORDER BY g DESC", { batchSize: 700 })) {
      sizes.add(b.numRows);
      ids.push(...(b.getChild("id")!.toArray() as BigInt64Array));
    }
    expect(ids.length).toBe(20000);
    expect(ids[0]).toBe(20000n);
    expect(ids.every((v, i) => v === BigInt(20000 - i))).toBe(true);
    expect([...sizes].sort((a, b) => a - b)).toEqual([20000 % 700, 700]);
  });

  it("streams a filtered table read with bound values", async () => {
    const table = uniqueName("sf");
    await wh.load(sample(100), table);
    let n = 0;
    for await (const b of wh.stream({ table, filter: [["s", "in", ["s1", "s2"]]] }, { batchSize: 7 })) {
      for (const v of b.getChild("s")!.toArray() as string[]) expect(["s1", "s2"]).toContain(v);
      n += b.numRows;
    }
    const expected = await wh.query(`SELECT count(*)::int4 AS n FROM ${table} WHERE s IN ('s1', 's2')`);
    expect(n).toBe(expected.get(0)!.n);
  });

  it("stops a stream early and stays usable, in and out of a transaction", async () => {
    const big = "SELECT g::int8 AS id, repeat('x', 50) AS pad FROM generate_series(1, 50000) g";
    let seen = 0;
    for await (const b of wh.stream(big, { batchSize: 1000 })) {
      seen += b.numRows;
      break;
    }
    expect(seen).toBe(1000);
    expect((await wh.query("SELECT 41 + 1 AS n")).get(0)!.n).toBe(42);
    await wh.transaction(async (tx) => {
      for await (const b of tx.stream(big, { batchSize: 500 })) {
        expect(b.numRows).toBe(500);
        break;
      }
      expect((await tx.query("SELECT 43 AS n")).get(0)!.n).toBe(43);
    });
    const single = await target.open({ poolSize: 1 });
    for await (const b of single.stream({ table: "pg_catalog.pg_class", columns: ["oid"] }, { batchSize: 10 })) {
      expect(b.numRows).toBe(10);
      break;
    }
    expect((await single.query("SELECT 44 AS n")).get(0)!.n).toBe(44);
  });

  it("describes a table's schema", async () => {
    const table = uniqueName("sch");
    await wh.exec(`CREATE TABLE ${table} (id bigint NOT NULL, name varchar(20), ts timestamptz)`);
    const schema = await wh.tableSchema(table);
    expect(schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ["id", "Int64", false],
      ["name", "Utf8", true],
      ["ts", "Timestamp<MICROSECOND, UTC>", true],
    ]);
    expect(await wh.tableExists(uniqueName("missing"))).toBe(false);
  });

  it("commits a transaction and rolls it back on error", async () => {
    const table = uniqueName("tx");
    await wh.exec(`CREATE TABLE ${table} (a int)`);
    await wh.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES (1)`);
      await tx.load(arrow.tableFromArrays({ a: Int32Array.from([2, 3]) }), table);
    });
    await expect(
      wh.transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${table} VALUES (4)`);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const t = await wh.query(`SELECT array_agg(a ORDER BY a)::text AS v FROM ${table}`);
    expect(t.get(0)!.v).toBe("{1,2,3}");
  });

  it("rolls back only the inner part of a nested transaction", async () => {
    const table = uniqueName("nest");
    await wh.exec(`CREATE TABLE ${table} (a int)`);
    await wh.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES (1)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.exec(`INSERT INTO ${table} VALUES (2)`);
          await inner.exec("SELECT 1/0");
        }),
      ).rejects.toThrow(WarehouseError);
      await tx.exec(`INSERT INTO ${table} VALUES (3)`);
    });
    const t = await wh.query(`SELECT array_agg(a ORDER BY a)::text AS v FROM ${table}`);
    expect(t.get(0)!.v).toBe("{1,3}");
  });

  it("refuses to close a transaction's warehouse", async () => {
    await wh.transaction(async (tx) => {
      await expect(tx.close()).rejects.toThrow(/close the warehouse you opened instead/);
    });
  });

  it("validates arguments with clear errors", async () => {
    await expect(wh.query("")).rejects.toThrow(/expected a SQL string/);
    await expect(wh.load(sample(1), "t", { mode: "merge" as "append" })).rejects.toThrow(/mode "merge" is not supported/);
    await expect(wh.load(sample(1), "t", { mode: "upsert" })).rejects.toThrow(/needs a key/);
    expect(() => wh.stream("SELECT 1", { batchSize: 0 })).toThrow(InvalidArgumentError);
  });
});

describe("Warehouse.open", () => {
  it("rejects unsupported URLs", async () => {
    await expect(Warehouse.open("mysql://x@y/z")).rejects.toThrow(/unsupported URL "mysql:\/\/x@y\/z"/);
    await expect(Warehouse.open("embedded:")).rejects.toThrow(/needs a folder or "memory"/);
  });

  it("closes idempotently and refuses work afterwards", async () => {
    const wh = await Warehouse.open("embedded:memory");
    await wh.close();
    await wh.close();
    await expect(wh.query("SELECT 1")).rejects.toThrow(/is closed/);
  });
});

