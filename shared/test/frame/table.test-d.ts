import type * as arrow from "apache-arrow";
import { describe, expectTypeOf, it } from "vitest";
import { rowsOf, tableFromRows } from "../../src/frame/table";

describe("tableFromRows types", () => {
  it("maps the row type to Arrow types", () => {
    const t = tableFromRows([{ id: 1n, x: 2, s: "a" as string | null, ok: true, at: new Date() }]);
    expectTypeOf(t).toEqualTypeOf<
      arrow.Table<{ id: arrow.Int64; x: arrow.Float64; s: arrow.Utf8; ok: arrow.Bool; at: arrow.TimestampMicrosecond }>
    >();
  });

  it("takes the type map of a given schema", () => {
    const schema = {} as arrow.Schema<{ n: arrow.Int32 }>;
    expectTypeOf(tableFromRows([{ n: 1 }], schema)).toEqualTypeOf<arrow.Table<{ n: arrow.Int32 }>>();
  });

  it("returns the requested row type from rowsOf", () => {
    expectTypeOf(rowsOf<{ id: number }>({} as arrow.Table)).toEqualTypeOf<{ id: number }[]>();
  });
});
