import * as arrow from "apache-arrow";
import { describe, expect, expectTypeOf, it } from "vitest";
import { DataIoError, SchemaMismatchError } from "../../src/errors";
import { columnNames, concatBatches, rowsOf, tableFromRows } from "../../src/frame/table";

describe("tableFromRows", () => {
  it("infers column types from the values", () => {
    const t = tableFromRows([
      { id: 1n, score: 0.5, name: "ada", ok: true, at: new Date("2024-01-02T03:04:05.678Z") },
      { id: 2n, score: null, name: "bö", ok: false, at: null },
    ]);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      "id:Int64:false",
      "score:Float64:true",
      "name:Utf8:false",
      "ok:Bool:false",
      "at:Timestamp<MICROSECOND, UTC>:true",
    ]);
    expect(t.numRows).toBe(2);
    expect(t.getChild("id")!.get(1)).toBe(2n);
    expect(t.getChild("score")!.get(1)).toBeNull();
    expect(t.getChild("name")!.get(1)).toBe("bö");
    expect(t.getChild("ok")!.get(1)).toBe(false);
    expect(t.getChild("at")!.get(0)).toBe(Date.parse("2024-01-02T03:04:05.678Z"));
    expect((t.getChild("at")!.data[0].values as BigInt64Array)[0]).toBe(1704164645678000n);
  });

  it("keeps the row type at the type level", () => {
    const t = tableFromRows([{ id: 1n, x: 2 }]);
    expectTypeOf(t).toEqualTypeOf<arrow.Table<{ id: arrow.Int64; x: arrow.Float64 }>>();
  });

  it("treats keys missing from some rows as nulls", () => {
    const t = tableFromRows<Record<string, unknown>>([{ a: 1 }, { b: "x" }]);
    expect(columnNames(t)).toEqual(["a", "b"]);
    expect(t.schema.fields.every((f) => f.nullable)).toBe(true);
    expect(rowsOf(t)).toEqual([{ a: 1, b: null }, { a: null, b: "x" }]);
  });

  it("builds the columns of a given schema, converting numbers to Int32 and Int64", () => {
    const schema = new arrow.Schema([
      new arrow.Field("a", new arrow.Int32(), false),
      new arrow.Field("b", new arrow.Int64(), true),
      new arrow.Field("d", new arrow.DateDay(), true),
    ]);
    const t = tableFromRows([{ a: 3, b: 9007199254740993n, d: new Date("2024-03-01T00:00:00Z") }, { a: -4, b: 5, d: null }], schema);
    expect(t.getChild("a")!.toArray()).toEqual(new Int32Array([3, -4]));
    expect(t.getChild("b")!.get(0)).toBe(9007199254740993n);
    expect(t.getChild("b")!.get(1)).toBe(5n);
    expect(t.getChild("d")!.get(0)).toBe(Date.parse("2024-03-01T00:00:00Z"));
  });

  it("rejects a value that does not fit the schema, naming the column and row", () => {
    const schema = new arrow.Schema([new arrow.Field("a", new arrow.Int32(), true)]);
    expect(() => tableFromRows([{ a: 1 }, { a: 1.5 }], schema)).toThrow(
      /column "a" row 1 holds 1.5, which does not fit Int32/,
    );
    expect(() => tableFromRows([{ a: 1 }, { a: "x" }])).toThrow(/column "a" mixes number and string values \(row 1\)/);
    expect(() => tableFromRows([{ a: { nested: 1 } }])).toThrow(DataIoError);
  });

  it("rejects nulls in a non-nullable schema field", () => {
    const schema = new arrow.Schema([new arrow.Field("a", new arrow.Float64(), false)]);
    expect(() => tableFromRows([{ a: null }], schema)).toThrow(/not nullable/);
  });

  it("builds large string columns with non-ASCII text", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ s: i % 3 === 0 ? `zürich-${i}-${"x".repeat(40)}` : `r${i}` }));
    const t = tableFromRows(rows);
    expect(t.getChild("s")!.get(4998)).toBe(rows[4998].s);
    expect(t.getChild("s")!.get(4999)).toBe("r4999");
  });
});

describe("rowsOf", () => {
  it("returns plain objects with numbers, Dates and nulls", () => {
    const at = new Date("2023-05-06T07:08:09.123Z");
    const t = tableFromRows([{ id: 7n, at, s: "a", f: 1.25 }, { id: 8n, at: null, s: null, f: null }]);
    const rows = rowsOf<{ id: number; at: Date | null; s: string | null; f: number | null }>(t);
    expect(rows).toEqual([
      { id: 7, at, s: "a", f: 1.25 },
      { id: 8, at: null, s: null, f: null },
    ]);
    expect(rows[0].at).toBeInstanceOf(Date);
  });

  it("throws on an Int64 beyond 2^53 unless asked for bigints", () => {
    const t = tableFromRows([{ big: 1n }, { big: 2n ** 53n + 1n }]);
    expect(() => rowsOf(t)).toThrow(/column "big" row 1 holds 9007199254740993.*\{ int64: "bigint" \}/);
    try {
      rowsOf(t);
    } catch (e) {
      expect(e).toBeInstanceOf(DataIoError);
      expect((e as DataIoError).row).toBe(1);
    }
    expect(rowsOf(t, { int64: "bigint" })).toEqual([{ big: 1n }, { big: 9007199254740993n }]);
  });

  it("reads sliced multi-chunk columns with nulls at the right rows", () => {
    const a = tableFromRows([
      { i: 1, n: 10n, t: new Date(-1500) },
      { i: null, n: null, t: null },
      { i: 3, n: 30n, t: new Date(3000) },
    ]);
    const b = tableFromRows([{ i: 4, n: 40n, t: new Date(4000) }, { i: null, n: null, t: null }]);
    const joined = a.concat(b).slice(1, 5);
    expect(joined.data.length).toBe(2);
    expect(rowsOf(joined)).toEqual([
      { i: null, n: null, t: null },
      { i: 3, n: 30, t: new Date(3000) },
      { i: 4, n: 40, t: new Date(4000) },
      { i: null, n: null, t: null },
    ]);
    expect(rowsOf(a)[0].t).toEqual(new Date(-1500));
  });

  it("decodes dictionary columns and lists", () => {
    const t = new arrow.Table({
      c: arrow.vectorFromArray(["x", "y", "x"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      l: arrow.vectorFromArray([[1, 2], [], [3]], new arrow.List(new arrow.Field("item", new arrow.Float64(), true))),
    });
    expect(rowsOf(t)).toEqual([
      { c: "x", l: [1, 2] },
      { c: "y", l: [] },
      { c: "x", l: [3] },
    ]);
  });
});

describe("concatBatches", () => {
  it("joins batches from an async iterable", async () => {
    const a = tableFromRows([{ x: 1 }, { x: 2 }]).batches[0];
    const b = tableFromRows([{ x: 3 }]).batches[0];
    async function* gen() {
      yield a;
      yield b;
    }
    const t = await concatBatches(gen());
    expect(t.numRows).toBe(3);
    expect([...t.getChild("x")!]).toEqual([1, 2, 3]);
    expect((await concatBatches([])).numRows).toBe(0);
  });

  it("refuses batches with a different schema", async () => {
    const a = tableFromRows([{ x: 1 }]).batches[0];
    const b = tableFromRows([{ x: "s" }]).batches[0];
    await expect(concatBatches([a, b])).rejects.toThrow(SchemaMismatchError);
    await expect(concatBatches([a, b])).rejects.toThrow(/"x" \(expected Float64, got Utf8\)/);
  });
});
