import { describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { correlation } from "../../src/explore/correlation";
import { expectRel, golden, readFixture } from "./helpers";

const train = readFixture("mixed_train.csv");

describe("correlation", () => {
  for (const method of ["pearson", "spearman"] as const) {
    it(`equals pandas' df.corr(method="${method}") on pairwise complete rows (1e-9 relative)`, () => {
      const report = correlation(train, { method });
      const names = golden.corr_columns as string[];
      expect(report.table.schema.fields.map((f) => f.name)).toEqual(["column", ...names]);
      report.rows().forEach((row, i) => {
        expect(row.column).toBe(names[i]);
        for (const name of names) expectRel(row[name], golden.corr[method][name][i], `${method} ${names[i]}×${name}`);
      });
    });
  }

  it("gives average ranks to ties in Spearman and null for a constant column or too few pairs", () => {
    const t = tableFromRows([
      { a: 1, b: 2, c: 5, d: 1 },
      { a: 2, b: 2, c: 5, d: null },
      { a: 3, b: 3, c: 5, d: null },
      { a: 4, b: 5, c: 5, d: 2 },
    ]);
    const rows = correlation(t, { method: "spearman", minPeriods: 3 }).rows();
    // ranks of b: [1.5, 1.5, 3, 4] against [1, 2, 3, 4]
    expectRel(rows[0]!.b, 0.9486832980505138);
    expect(rows[0]!.c).toBeNull();
    expect(rows[0]!.d).toBeNull();
    expect(correlation(t, { columns: ["a", "d"] }).rows()[0]!.d).toBe(1);
  });

  it("refuses a string column and an unknown method", () => {
    expect(() => correlation(train, { columns: ["plan"] })).toThrow(
      'correlation: column "plan" has type Utf8, which correlation cannot summarise; pass numeric columns, or leave it out of columns.',
    );
    expect(() => correlation(train, { method: "kendall" as "pearson" })).toThrow('correlation: method is "kendall"; use "pearson" or "spearman".');
  });
});
