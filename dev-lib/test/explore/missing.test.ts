import { describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { missingReport } from "../../src/explore/missing";
import { golden, readFixture } from "./helpers";

describe("missingReport", () => {
  it("counts the missing values of every column as pandas' isna().sum()", () => {
    const train = readFixture("mixed_train.csv");
    const rows = missingReport(train).rows();
    expect(Object.fromEntries(rows.map((r) => [r.column, r.missing]))).toEqual(golden.missing);
    const spend = rows.find((r) => r.column === "monthly_spend")!;
    expect(spend).toMatchObject({ rows: 600, nulls: 26, nan: 0, missing: 26 });
    expect(spend.rate).toBe(26 / 600);
  });

  it("counts NaN apart from nulls in float columns", () => {
    const t = tableFromRows([{ x: NaN, s: "a" }, { x: null, s: null }, { x: 1, s: "b" }, { x: NaN, s: "c" }]);
    expect(missingReport(t).rows()).toEqual([
      { column: "x", type: "Float64", rows: 4, nulls: 1, nan: 2, missing: 3, rate: 0.75 },
      { column: "s", type: "Utf8", rows: 4, nulls: 1, nan: 0, missing: 1, rate: 0.25 },
    ]);
  });

  it("shows the rate as a percentage", () => {
    const t = tableFromRows([{ x: NaN }, { x: 2 }, { x: 3 }]);
    expect(missingReport(t).toString()).toBe(
      ["missing values (3 rows)", "column  type     rows  nulls  nan  missing    rate", "------  -------  ----  -----  ---  -------  ------", "x       Float64     3      0    1        1  33.33%"].join("\n"),
    );
  });
});
