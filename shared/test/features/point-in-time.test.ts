import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { argsortTimes, pointInTimeJoin } from "../../src/features/point-in-time";
import { entityTable, expectedCells, featureTable, pitCase, tableCells } from "./pit-fixture";

const opts = {
  keys: "customer_id",
  featureTimestamp: "event_ts",
  createdTimestamp: "created_ts",
  ttl: { days: pitCase.ttl_days },
  features: pitCase.features,
};

describe("pointInTimeJoin", () => {
  it("reproduces the reference fixture expected.csv cell by cell", () => {
    const out = pointInTimeJoin(entityTable(), featureTable(), opts);
    expect(out.numRows).toBe(pitCase.entity_rows);
    const got = tableCells(out);
    const want = expectedCells();
    for (let i = 0; i < want.length; i++) expect(got[i], `row ${i}`).toEqual(want[i]);
    const matched = got.filter((r) => r[5] !== null).length;
    expect(matched).toBe(pitCase.matched);
  });
});

describe("argsortTimes", () => {
  it("orders times stably, leaves out NaN and handles negative, large and fractional values", () => {
    const big = 2 ** 50;
    const v = Float64Array.from([5, NaN, -3, big, 5, 0, big + 1, -3]);
    expect(Array.from(argsortTimes(v))).toEqual([2, 7, 5, 0, 4, 3, 6]);
    expect(Array.from(argsortTimes(Float64Array.from([0.5, 0.25, NaN, 0.25])))).toEqual([1, 3, 0]);
    expect(Array.from(argsortTimes(Float64Array.from([1, 2, 3])))).toEqual([0, 1, 2]);
  });

  it("matches a comparator sort on random microsecond timestamps", () => {
    let s = 9;
    const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const v = Float64Array.from({ length: 5000 }, () => 1.7e15 + Math.floor(rand() * 3e13));
    const want = Array.from(v.keys()).sort((a, b) => v[a] - v[b] || a - b);
    expect(Array.from(argsortTimes(v))).toEqual(want);
  });
});
