import { describe, expect, it } from "vitest";
import { Table, vectorFromArray, Utf8, Float64, Dictionary, Int8, TimestampMillisecond } from "apache-arrow";
import { SchemaMismatchError } from "@trellis/shared";
import { Frame, Matrix, isArrowTable, toFrame, toLabels } from "@trellis/prod";

describe("toFrame", () => {
  it("reads row objects: numbers as Float64Array (null/undefined/NaN → NaN), strings dictionary coded", () => {
    const f = toFrame([{ a: 1, s: "x" }, { a: null, s: null }, { a: undefined, s: "y" }, { a: NaN, s: "x" }], "test");
    expect(f.names).toEqual(["a", "s"]);
    const a = f.column("a")!;
    expect(a.kind).toBe("number");
    expect(Array.from((a as { values: Float64Array }).values)).toEqual([1, NaN, NaN, NaN]);
    const s = f.column("s") as { kind: string; codes: Int32Array; levels: string[] };
    expect(s.kind).toBe("category");
    expect(Array.from(s.codes, (c) => (c < 0 ? null : s.levels[c]))).toEqual(["x", null, "y", "x"]);
  });

  it("reads Arrow Utf8, dictionary and numeric columns (chunked too) to the same frame", () => {
    const values = ["b", null, "a", "b", "é"];
    const t1 = new Table({ s: vectorFromArray(values, new Utf8()), n: vectorFromArray([1, 2, null, 4, 5], new Float64()) });
    const t2 = new Table({ s: vectorFromArray(values, new Dictionary(new Utf8(), new Int8())), n: vectorFromArray([1, 2, null, 4, 5], new Float64()) });
    const chunked = t1.slice(0, 2).concat(t1.slice(2));
    for (const t of [t1, t2, chunked]) {
      const f = toFrame(t, "test");
      const s = f.column("s") as { codes: Int32Array; levels: string[] };
      expect(Array.from(s.codes, (c) => (c < 0 ? null : s.levels[c]))).toEqual(values);
      expect(Array.from((f.column("n") as { values: Float64Array }).values)).toEqual([1, 2, NaN, 4, 5]);
    }
  });

  const spec = { names: ["a", "s"], kinds: ["number", "category"] as ("number" | "category")[] };

  it("with a fit spec: takes columns by name in fit order and ignores extra columns", () => {
    const f = toFrame([{ extra: true, s: "x", a: 2 }], "Thing", spec);
    expect(f.names).toEqual(["a", "s"]);
  });

  it("reports every missing and mistyped column at once", () => {
    let err: SchemaMismatchError | undefined;
    try {
      toFrame([{ a: "oops" }], "Thing", spec);
    } catch (e) {
      err = e as SchemaMismatchError;
    }
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(err!.missing).toEqual(["s"]);
    expect(err!.mistyped).toEqual([{ column: "a", expected: "number", actual: 'string "oops" at row 0' }]);
    expect(err!.message).toMatch(/Thing input does not match the expected schema/);
  });

  it("refuses Arrow columns of an unsupported type, naming them", () => {
    const t = new Table({ ts: vectorFromArray([new Date(0)], new TimestampMillisecond()) });
    expect(() => toFrame(t, "Thing")).toThrow(/"ts" \(expected number or string, got Arrow Timestamp/);
  });

  it("refuses things that are not tabular with the accepted shapes in the message", () => {
    expect(() => toFrame([[1, 2]] as unknown as Record<string, unknown>[], "Thing")).toThrow(/row 0 is an array.*Matrix\.fromArray/);
    expect(() => toFrame(42 as unknown as Record<string, unknown>[], "Thing")).toThrow(/pass an Apache Arrow Table, an array of row objects or a Matrix/);
  });

  it("accepts a table and targets from another copy of apache-arrow (checked by shape, not instanceof)", () => {
    const t = new Table({ s: vectorFromArray(["x", null], new Utf8()), n: vectorFromArray([1, 2], new Float64()) });
    const foreign = { schema: t.schema, numRows: t.numRows, getChild: (n: string) => t.getChild(n as "s" | "n") };
    expect(isArrowTable(foreign)).toBe(true);
    expect(isArrowTable([{ a: 1 }])).toBe(false);
    const f = toFrame(foreign as unknown as Table, "test");
    expect(f.names).toEqual(["s", "n"]);
    const v = t.getChild("n")!;
    const foreignVector = { data: v.data, get: (i: number) => v.get(i), length: v.length, type: v.type };
    expect(toLabels(foreignVector as unknown as typeof v, "test")).toEqual([1, 2]);
  });

  it("converts a Matrix by column name", () => {
    const f = toFrame(Matrix.fromArray([[1, 2]], ["p", "q"]), "Thing", { names: ["q"], kinds: ["number"] });
    expect(Array.from((f.column("q") as { values: Float64Array }).values)).toEqual([2]);
  });
});

describe("Frame", () => {
  const f = Frame.from([{ a: 1, s: "x" }, { a: 2, s: "y" }, { a: 3, s: null }], "test");

  it("slices rows as views and selects columns", () => {
    const s = f.slice(1, 3);
    expect(s.rows).toBe(2);
    expect(Array.from((s.column("a") as { values: Float64Array }).values)).toEqual([2, 3]);
    expect(f.select(["s"]).names).toEqual(["s"]);
    expect(() => f.select(["nope"])).toThrow(/missing column\(s\) "nope"/);
  });

  it("converts to a Matrix only when all columns are numeric, and to Arrow with nulls", () => {
    expect(f.select(["a"]).toMatrix().toArray()).toEqual([[1], [2], [3]]);
    expect(() => f.toMatrix()).toThrow(/"s" \(expected number, got string\)/);
    const t = f.toArrow();
    expect([...t.getChild("s")!]).toEqual(["x", "y", null]);
  });
});
