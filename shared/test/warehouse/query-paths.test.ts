/**
 * `Warehouse.query` reads a server result by one of three paths — binary COPY (parameterless reads),
 * the text protocol (parameterised reads that fit in the first round trip, and every other statement),
 * and binary COPY through a temporary table (larger parameterised reads) — and the embedded backend by
 * two. Whatever the path, the table must be the same: column names, Arrow types, nullability, values.
 */
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Warehouse } from "@trellis/shared";
import { setQueryProbeRows } from "../../src/warehouse/warehouse";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();

const COLUMNS = `
  c_int2 int2, c_int4 int4, c_int8 int8, c_float4 float4, c_float8 float8, c_numeric numeric,
  c_bool bool, c_text text, c_varchar varchar(10), c_char char(3), c_date date, c_ts timestamp, c_tstz timestamptz,
  c_jsonb jsonb, c_json json, c_bytea bytea, c_uuid uuid, c_interval interval, c_ints int4[], c_texts text[], c_oid oid, c_name name`;

const ROWS = `
  (1, -32768, -2147483648, 9007199254740993, 1.5, -0.1, 12345.678901, true, 'héllo ✓', 'abc', 'ab', '1969-12-31',
   '1999-12-31 23:59:59.999999', '2024-01-02 03:04:05.123456+02', '{"b": [1, 2], "a": "x"}', '{"b":1}', '\\x00ff10',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:03:04.5', '{1,NULL,3}', '{"a b",NULL,"c"}', 42, 'pg'),
  (2, 32767, 2147483647, -9223372036854775808, -3.25, 1e300, -0.5, false, '', 'x', 'xyz', '2024-02-29',
   '1900-01-01 00:00:00', '1970-01-01 00:00:00.000001+00', '[]', '"s"', '\\x', NULL, '-3 mons', '{}', '{}', 0, ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

/** A table's columns (name, type, nullable) and its rows, comparable with toEqual. */
function snapshot(t: arrow.Table): { fields: [string, string, boolean][]; rows: unknown[][] } {
  const fields = t.schema.fields.map((f) => [f.name, String(f.type), f.nullable] as [string, string, boolean]);
  const rows: unknown[][] = [];
  for (let i = 0; i < t.numRows; i++) {
    rows.push(
      t.schema.fields.map((_, c) => {
        const v: unknown = t.getChildAt(c)!.get(i);
        return v instanceof Uint8Array ? Array.from(v) : v;
      }),
    );
  }
  return { fields, rows };
}

describe.each(targets)("query paths on $name", (target) => {
  let wh: Warehouse;
  let table: string;
  let previous: number;
  beforeAll(async () => {
    wh = await target.open();
    table = uniqueName("paths");
    await wh.exec(`CREATE TABLE ${table} (k int4, ${COLUMNS})`);
    await wh.exec(`INSERT INTO ${table} VALUES ${ROWS}`);
    previous = setQueryProbeRows(1000);
  });
  afterAll(() => {
    setQueryProbeRows(previous);
  });

  it("returns the same table for every type whichever path reads it", async () => {
    const copy = await wh.query(`SELECT * FROM ${table} ORDER BY k`);
    const text = await wh.query(`SELECT * FROM ${table} WHERE k >= $1 ORDER BY k`, [0]);
    setQueryProbeRows(1);
    const viaTemp = await wh.query(`SELECT * FROM ${table} WHERE k >= $1 ORDER BY k`, [0]);
    setQueryProbeRows(1000);
    const plain = await wh.query(`SELECT * FROM ${table} ORDER BY k FOR SHARE`);
    expect(copy.numRows).toBe(3);
    expect(snapshot(text)).toEqual(snapshot(copy));
    expect(snapshot(viaTemp)).toEqual(snapshot(copy));
    expect(snapshot(plain)).toEqual(snapshot(copy));
    // Spot checks of the values themselves.
    const first = copy.get(0)!.toJSON();
    expect(first.c_int8).toBe(9007199254740993n);
    expect(first.c_uuid).toBe("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    expect(first.c_interval).toBe("1 day 02:03:04.5");
    expect(first.c_ints).toBe("{1,NULL,3}");
    expect(first.c_char).toBe("ab ");
    expect(String(copy.schema.fields.find((f) => f.name === "c_tstz")!.type)).toBe("Timestamp<MICROSECOND, UTC>");
  });

  it("keeps empty results and column-less results alike on every path", async () => {
    const emptyCopy = await wh.query(`SELECT k, c_text FROM ${table} WHERE false`);
    const emptyText = await wh.query(`SELECT k, c_text FROM ${table} WHERE k = $1`, [-1]);
    expect(snapshot(emptyCopy)).toEqual({ fields: [["k", "Int32", true], ["c_text", "Utf8", true]], rows: [] });
    expect(snapshot(emptyText)).toEqual(snapshot(emptyCopy));
    expect((await wh.query(`SELECT FROM ${table}`)).numCols).toBe(0);
  });

  it("reads a large parameterised result through the temporary table in order", async () => {
    const t = await wh.query("SELECT g::int8 AS id, md5(g::text) AS h FROM generate_series(1, $1::int) g ORDER BY g", [5000]);
    expect(t.numRows).toBe(5000);
    expect(t.get(4999)!.id).toBe(5000n);
    const col = t.getChild("id")!;
    let ordered = true;
    for (let i = 1; i < col.length; i++) if (col.get(i)! <= col.get(i - 1)!) ordered = false;
    expect(ordered).toBe(true);
  });

  it("still runs statements that are not reads, once", async () => {
    const log = uniqueName("log");
    expect((await wh.query(`CREATE TABLE ${log} (id serial, v text)`)).numCols).toBe(0);
    const inserted = await wh.query(`INSERT INTO ${log} (v) VALUES ($1), ($2) RETURNING id, v`, ["a", "b"]);
    expect(inserted.toArray().map((r) => r.toJSON())).toEqual([{ id: 1, v: "a" }, { id: 2, v: "b" }]);
    const viaCte = await wh.query(`WITH ins AS (INSERT INTO ${log} (v) VALUES ('c') RETURNING id) SELECT id FROM ins`);
    expect(viaCte.toArray().map((r) => r.toJSON())).toEqual([{ id: 3 }]);
    const copyName = uniqueName("copied");
    await wh.query(`SELECT * INTO ${copyName} FROM ${log}`);
    expect((await wh.query(`SELECT count(*)::int AS n FROM ${copyName}`)).get(0)!.n).toBe(3);
    expect((await wh.query("SHOW TimeZone")).get(0)!.TimeZone).toBe("UTC");
    await wh.transaction(async (tx) => {
      const t = await tx.query(`UPDATE ${log} SET v = upper(v) WHERE id <= $1 RETURNING id, v`, [2]);
      expect(t.numRows).toBe(2);
      const back = await tx.query(`SELECT v FROM ${log} ORDER BY id`);
      expect(back.toArray().map((r) => r.v)).toEqual(["A", "B", "c"]);
    });
    expect((await wh.query(`SELECT count(*)::int AS n FROM ${log}`)).get(0)!.n).toBe(3);
  });

  it("reads through every path inside a transaction and leaves no temporary table", async () => {
    await wh.transaction(async (tx) => {
      setQueryProbeRows(1);
      try {
        const t = await tx.query(`SELECT k FROM ${table} WHERE k > $1 ORDER BY k`, [1]);
        expect(t.toArray().map((r) => r.k)).toEqual([2, 3]);
      } finally {
        setQueryProbeRows(1000);
      }
      expect((await tx.query(`SELECT k FROM ${table} ORDER BY k`)).numRows).toBe(3);
      const temps = await tx.query("SELECT relname FROM pg_class WHERE relname LIKE 'trellis\\_read\\_%' AND relnamespace = pg_my_temp_schema()");
      expect(temps.numRows).toBe(0);
    });
  });
});
