import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { pointInTimeJoin, sortTimes } from "../../src/features/point-in-time";
import { entityTable, expectedCells, featureTable, pitCase, tableCells } from "./pit-fixture";
import { rng } from "../helpers/random";

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

/** Row numbers in time order as sortTimes gives them (null order: every row, as they are). */
function orderOf(values: Float64Array): number[] {
  const { order, sorted } = sortTimes(values);
  const rows = order === null ? Array.from(values.keys()) : Array.from(order);
  expect(Array.from(sorted)).toEqual(rows.map((i) => values[i]));
  return rows;
}

describe("sortTimes", () => {
  it("orders times stably, leaves out NaN and handles negative, large, infinite and fractional values", () => {
    const big = 2 ** 50;
    const v = Float64Array.from([5, NaN, -3, big, 5, 0, big + 1, -3]);
    expect(orderOf(v)).toEqual([2, 7, 5, 0, 4, 3, 6]);
    expect(orderOf(Float64Array.from([0.5, 0.25, NaN, 0.25]))).toEqual([1, 3, 0]);
    expect(orderOf(Float64Array.from([Infinity, 1, -Infinity, 1, Infinity]))).toEqual([2, 1, 3, 0, 4]);
    expect(orderOf(Float64Array.from([]))).toEqual([]);
  });

  it("returns times already in order as they are, without a row order", () => {
    const v = Float64Array.from([1, 2, 2, 3]);
    const { order, sorted } = sortTimes(v);
    expect(order).toBeNull();
    expect(sorted).toBe(v);
    expect(sortTimes(Float64Array.from([1, NaN, 2])).order).toEqual(Int32Array.from([0, 2]));
  });

  it("matches a comparator sort on random, tied and crowded microsecond timestamps", () => {
    const rand = rng(9);
    const cases = [
      // Uniform over a year: buckets of one or two rows.
      Float64Array.from({ length: 5000 }, () => 1.7e15 + Math.floor(rand() * 3e13)),
      // A dozen distinct times: large buckets of equal times.
      Float64Array.from({ length: 5000 }, () => 1.7e15 + Math.floor(rand() * 12) * 86_400e6),
      // Crowded: most rows within a millisecond, a few a year later, so buckets are split again.
      Float64Array.from({ length: 5000 }, () => 1.7e15 + (rand() < 0.01 ? 3e13 : Math.floor(rand() * 1000))),
      // Skewed over many scales, fractional values.
      Float64Array.from({ length: 5000 }, () => Math.exp(rand() * 40) * (rand() < 0.5 ? 1 : 1.5)),
    ];
    for (const v of cases) {
      const want = Array.from(v.keys()).sort((a, b) => v[a] - v[b] || a - b);
      expect(orderOf(v)).toEqual(want);
    }
  });
});
