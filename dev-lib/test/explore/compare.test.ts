import { describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { compareDistributions, ksStatistic, populationStabilityIndex } from "../../src/explore/compare";
import { expectRel, golden, readFixture } from "./helpers";

const train = readFixture("mixed_train.csv");
const test = readFixture("mixed_test.csv");

describe("compareDistributions", () => {
  it("matches pandas' means and stds, scipy's KS statistic and numpy's decile PSI, train against test", () => {
    const rows = compareDistributions(train, test).rows();
    expect(rows.map((r) => r.column)).toEqual(Object.keys(golden.compare));
    for (const row of rows) {
      const ref = golden.compare[row.column as string];
      expect(row.kind).toBe(ref.kind);
      for (const key of ["psi", "null_rate_a", "null_rate_b"]) expectRel(row[key], ref[key.replace(/_(a|b)$/, "").replace(/^/, key.endsWith("_a") ? "a_" : key.endsWith("_b") ? "b_" : "")], `${String(row.column)}.${key}`);
      if (ref.kind === "numeric") {
        expectRel(row.mean_a, ref.a_mean, "mean_a");
        expectRel(row.mean_b, ref.b_mean, "mean_b");
        expectRel(row.std_a, ref.a_std, "std_a");
        expectRel(row.std_b, ref.b_std, "std_b");
        expectRel(row.ks, ref.ks, `${String(row.column)}.ks`);
      } else {
        expect([row.top_a, row.top_b, row.unique_a, row.unique_b]).toEqual([ref.a_top, ref.b_top, ref.a_unique, ref.b_unique]);
        expectRel(row.top_share_a, ref.a_top_share);
        expectRel(row.top_share_b, ref.b_top_share);
      }
    }
  });

  it("shades rows of moderate and large PSI in HTML", () => {
    const html = compareDistributions(train, test, { columns: ["plan", "channel"] }).toHTML();
    // channel's PSI is 0.15 (a moderate shift), plan's 0.017
    expect(html.match(/data-status="warn"/g)).toHaveLength(1);
    expect(html.indexOf('data-status="warn"')).toBeGreaterThan(html.indexOf(">plan</td>"));
  });

  it("names the report's columns after the samples", () => {
    const report = compareDistributions(train, test, { columns: ["plan"], names: ["train", "test"] });
    expect(report.table.schema.fields.map((f) => f.name)).toContain("top_share_train");
    expect(report.toString().split("\n")[0]).toBe("train vs test: 600 vs 200 rows");
  });

  it("refuses a column missing from the second sample or of another kind", () => {
    const b = tableFromRows([{ plan: 1 }]);
    expect(() => compareDistributions(train, b, { columns: ["region"] })).toThrow('compareDistributions: column "region" is in a but not in b.');
    expect(() => compareDistributions(train, b, { columns: ["plan"] })).toThrow(
      'compareDistributions: column "plan" is categorical in a but has type Float64 in b; compare columns of one kind.',
    );
  });
});

describe("ksStatistic and populationStabilityIndex", () => {
  it("computes the KS distance with ties and the PSI with empty bins floored", () => {
    expect(ksStatistic([1, 2, 3], [2, 3, 4])).toBeCloseTo(1 / 3, 15);
    expect(ksStatistic([1, 1, 1], [1, 1])).toBe(0);
    expectRel(populationStabilityIndex([0.5, 0.5], [0.4, 0.6]), 0.1 * Math.log(0.6 / 0.5) - 0.1 * Math.log(0.4 / 0.5));
    expectRel(populationStabilityIndex([1, 0], [0.5, 0.5]), -0.5 * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4));
  });
});
