import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { pointInTimeJoin } from "../../src/features/point-in-time";
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
