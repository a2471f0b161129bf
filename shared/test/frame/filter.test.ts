import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { filterMask, filterTable, filterToSql, predicateMayMatch, validateFilter } from "../../src/frame/filter";

const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;

function sample() {
  return tableFromArrays({
    id: new Int32Array([1, 2, 3, 4, 5]),
    big: new BigInt64Array([1n, 2n ** 60n, 3n, -4n, 5n]),
    amount: new Float64Array([10, 20.5, NaN, 40, 50]),
    region: ["emea", "amer", "emea", "apac", "amer"],
  });
}

describe("validateFilter", () => {
  it("accepts well-formed predicates and returns them", () => {
    const f = [["id", ">=", 2], ["region", "in", ["emea"]], ["amount", "is null"]] as const;
    expect(validateFilter(f, ["id", "region", "amount"])).toBe(f);
    expect(validateFilter(undefined)).toEqual([]);
  });

  it("names an unknown column and lists the available ones", () => {
    expect(() => validateFilter([["nope", "=", 1]], ["id", "region"])).toThrow(
      'filter[0] ["nope","=",1]: unknown column "nope"; available columns: id, region.',
    );
  });

  it("rejects unknown operators, null comparisons and empty in-lists", () => {
    expect(() => validateFilter([["id", "~", 1]])).toThrow(/unknown operator "~"; use one of =, !=/);
    expect(() => validateFilter([["id", "=", null]])).toThrow(/use "is null" to test for nulls/);
    expect(() => validateFilter([["id", "in", []]])).toThrow(/needs a non-empty array/);
    expect(() => validateFilter([["id", "is null", 1]])).toThrow(/takes no value/);
    expect(() => validateFilter("id > 1")).toThrow(/filter must be an array/);
  });
});

describe("filterTable", () => {
  it("keeps the rows that satisfy every predicate, in order", () => {
    const t = filterTable(sample(), [["region", "!=", "apac"], ["id", ">", 1]]);
    expect(t.getChild("id")!.toArray()).toEqual(new Int32Array([2, 3, 5]));
    expect(t.schema.fields.map((f) => f.name)).toEqual(["id", "big", "amount", "region"]);
  });

  it("compares bigint columns exactly against numbers and bigints", () => {
    const t = filterTable(sample(), [["big", ">", 2n ** 59n]]);
    expect([...t.getChild("big")!]).toEqual([2n ** 60n]);
    expect(filterTable(sample(), [["big", "<", 0]]).numRows).toBe(1);
  });

  it("supports in, not in and returns an empty table when nothing matches", () => {
    expect(filterTable(sample(), [["region", "in", ["amer", "apac"]]]).numRows).toBe(3);
    expect(filterTable(sample(), [["region", "not in", ["amer", "apac"]]]).numRows).toBe(2);
    const none = filterTable(sample(), [["id", ">", 100]]);
    expect(none.numRows).toBe(0);
    expect(none.schema.fields.length).toBe(4);
  });

  it("treats nulls like SQL: they fail comparisons and match is null", () => {
    const t = tableFromArrays({ x: [1, null, 3] as (number | null)[] });
    expect(filterMask(t, [["x", "!=", 1]])).toEqual(new Uint8Array([0, 0, 1]));
    expect(filterMask(t, [["x", "is null"]])).toEqual(new Uint8Array([0, 1, 0]));
    expect(filterMask(t, [["x", "not in", [1]]])).toEqual(new Uint8Array([0, 0, 1]));
  });
});

describe("filterToSql", () => {
  it("renders quoted identifiers and numbered parameters", () => {
    expect(
      filterToSql([["region", "=", "emea"], ["amount", "is not null"], ["id", "in", [1, 2]], ["x", "!=", 3n]], quote, 3),
    ).toEqual({ sql: '"region" = $3 AND "amount" IS NOT NULL AND "id" IN ($4, $5) AND "x" <> $6', params: ["emea", 1, 2, "3"] });
    expect(filterToSql([], quote)).toEqual({ sql: "", params: [] });
  });

  it("keeps injection attempts out of the SQL text", () => {
    const evil = `x'; DROP TABLE t; --`;
    const { sql, params } = filterToSql([[`a"b`, "=", evil]], quote);
    expect(sql).toBe('"a""b" = $1');
    expect(params).toEqual([evil]);
  });
});

describe("predicateMayMatch", () => {
  it("prunes chunks whose min/max exclude the value", () => {
    expect(predicateMayMatch(["a", ">", 100], { min: 0, max: 50 })).toBe(false);
    expect(predicateMayMatch(["a", ">=", 50], { min: 0, max: 50 })).toBe(true);
    expect(predicateMayMatch(["a", "=", 7], { min: 8, max: 9 })).toBe(false);
    expect(predicateMayMatch(["a", "in", [1, 20]], { min: 8, max: 9 })).toBe(false);
    expect(predicateMayMatch(["a", "<", 8], { min: 8, max: 9 })).toBe(false);
    expect(predicateMayMatch(["a", "!=", 8], { min: 8, max: 8 })).toBe(false);
    expect(predicateMayMatch(["s", "=", "m"], { min: "a", max: "k" })).toBe(false);
    expect(predicateMayMatch(["d", ">", new Date(2000)], { min: new Date(0), max: new Date(1000) })).toBe(false);
  });

  it("uses null counts and keeps chunks with unknown statistics", () => {
    expect(predicateMayMatch(["a", "is null"], { nullCount: 0 })).toBe(false);
    expect(predicateMayMatch(["a", "is not null"], { nullCount: 5, rowCount: 5 })).toBe(false);
    expect(predicateMayMatch(["a", "=", 1], { nullCount: 5, rowCount: 5 })).toBe(false);
    expect(predicateMayMatch(["a", "=", 1], {})).toBe(true);
  });
});
