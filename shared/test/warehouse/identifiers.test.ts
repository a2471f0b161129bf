import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, arrowTypeToPg, pgTypeToArrow, quoteIdent, quoteTableName, splitTableName } from "@trellis/shared";

describe("quoteIdent", () => {
  it("double-quotes a plain name", () => {
    expect(quoteIdent("customer_id")).toBe('"customer_id"');
  });

  it("doubles embedded quotes so an injection string stays one identifier", () => {
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
  });

  it("keeps case and non-ASCII characters", () => {
    expect(quoteIdent("Größe")).toBe('"Größe"');
  });

  it("rejects empty names, control characters and names PostgreSQL would truncate", () => {
    expect(() => quoteIdent("")).toThrow(InvalidArgumentError);
    expect(() => quoteIdent("a\u0000b")).toThrow(/control character/);
    expect(() => quoteIdent("x".repeat(64))).toThrow(/longer than 63 bytes/);
    expect(quoteIdent("x".repeat(63))).toBe(`"${"x".repeat(63)}"`);
    expect(() => quoteIdent(42 as unknown as string)).toThrow(/must be a string, got number/);
  });
});

describe("quoteTableName", () => {
  it("quotes a schema-qualified name part by part", () => {
    expect(quoteTableName("analytics.orders")).toBe('"analytics"."orders"');
    expect(splitTableName("analytics.orders")).toEqual({ schema: "analytics", table: "orders" });
  });

  it("quotes an unqualified name", () => {
    expect(quoteTableName("orders")).toBe('"orders"');
  });

  it("rejects more than one dot and empty parts, naming the value", () => {
    expect(() => quoteTableName("a.b.c")).toThrow(/"a\.b\.c" has more than one dot/);
    expect(() => quoteTableName(".orders")).toThrow(/schema name in "\.orders" is empty/);
  });
});

describe("pgTypeToArrow", () => {
  it("maps every documented PostgreSQL type", () => {
    const cases: [string, string][] = [
      ["int2", "Int16"],
      ["smallint", "Int16"],
      ["integer", "Int32"],
      ["int4", "Int32"],
      ["bigint", "Int64"],
      ["INT8", "Int64"],
      ["real", "Float32"],
      ["double precision", "Float64"],
      ["numeric(10,2)", "Float64"],
      ["boolean", "Bool"],
      ["text", "Utf8"],
      ["character varying(20)", "Utf8"],
      ["date", "Date32<DAY>"],
      ["timestamp without time zone", "Timestamp<MICROSECOND, UTC>"],
      ["timestamp(3) with time zone", "Timestamp<MICROSECOND, UTC>"],
      ["timestamptz", "Timestamp<MICROSECOND, UTC>"],
      ["jsonb", "Utf8"],
      ["json", "Utf8"],
      ["bytea", "Binary"],
      ["uuid", "Utf8"],
      ["integer[]", "Utf8"],
    ];
    for (const [pgName, arrowName] of cases) expect([pgName, String(pgTypeToArrow(pgName))]).toEqual([pgName, arrowName]);
  });

  it("rejects an empty type name", () => {
    expect(() => pgTypeToArrow(" ")).toThrow(/expected a PostgreSQL type name/);
  });
});

describe("arrowTypeToPg", () => {
  it("maps every supported Arrow type", () => {
    const cases: [arrow.DataType, string][] = [
      [new arrow.Bool(), "boolean"],
      [new arrow.Int8(), "smallint"],
      [new arrow.Int16(), "smallint"],
      [new arrow.Int32(), "integer"],
      [new arrow.Int64(), "bigint"],
      [new arrow.Uint8(), "smallint"],
      [new arrow.Uint16(), "integer"],
      [new arrow.Uint32(), "bigint"],
      [new arrow.Float32(), "real"],
      [new arrow.Float64(), "double precision"],
      [new arrow.Utf8(), "text"],
      [new arrow.LargeUtf8(), "text"],
      [new arrow.Binary(), "bytea"],
      [new arrow.DateDay(), "date"],
      [new arrow.DateMillisecond(), "date"],
      [new arrow.TimestampMillisecond(), "timestamptz"],
      [new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, "UTC"), "timestamptz"],
      [new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), "text"],
    ];
    for (const [type, pgName] of cases) expect([String(type), arrowTypeToPg(type)]).toEqual([String(type), pgName]);
  });

  it("rejects types without a PostgreSQL column, naming the type", () => {
    expect(() => arrowTypeToPg(new arrow.List(new arrow.Field("x", new arrow.Int32())))).toThrow(/Arrow type List<Int32> has no PostgreSQL column mapping/);
  });
});
