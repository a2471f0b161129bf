import { describe, expect, it } from "vitest";
import { vectorFromArray } from "apache-arrow";
import { valueCounts } from "../../src/explore/value-counts";
import { expectRel, golden, readFixture, tiesTable } from "./helpers";

const tables = { train: readFixture("mixed_train.csv"), ties: tiesTable() };

describe("valueCounts", () => {
  // Every column of both tables, every option combination of make_explore.py, against pandas' value_counts.
  for (const [key, expected] of Object.entries(golden.value_counts as Record<string, [unknown, number][]>)) {
    it(`equals pandas' value_counts for ${key}`, () => {
      const [tableName, column, ...rest] = key.split(".");
      const spec = rest.join(".");
      const options =
        spec === "ascending"
          ? { ascending: true }
          : spec === "sort=False"
            ? { sort: false }
            : { normalize: spec.includes("normalize=True"), dropna: spec.includes("dropna=True") };
      const report = valueCounts(tables[tableName as "train" | "ties"], column!, options);
      const rows = report.rows();
      expect(rows.map((r) => r.value)).toEqual(expected.map(([v]) => v));
      const measure = "normalize" in options && options.normalize ? "proportion" : "count";
      rows.forEach((r, i) => expectRel(r[measure], expected[i]![1], `${key}[${i}]`));
    });
  }

  it("counts a plain array or an Arrow vector, NaN as missing", () => {
    expect(valueCounts(["a", "b", "a", null], { dropna: false, normalize: true }).rows()).toEqual([
      { value: "a", proportion: 0.5 },
      { value: "b", proportion: 0.25 },
      { value: null, proportion: 0.25 },
    ]);
    expect(valueCounts(vectorFromArray([2, NaN, 2, 1])).rows()).toEqual([
      { value: 2, count: 2 },
      { value: 1, count: 1 },
    ]);
    expect(valueCounts([true, false, true]).table.schema.fields[0]!.type.toString()).toBe("Bool");
  });

  it("prints the value and count columns with a title", () => {
    expect(valueCounts(tables.train, "plan").toString()).toBe(
      ["value counts of plan", "value  count", "-----  -----", "basic    293", "plus     174", "pro      133"].join("\n"),
    );
  });

  it("refuses an unknown column and mixed values", () => {
    expect(() => valueCounts(tables.train, "segment")).toThrow('valueCounts: column "segment" is not in the table');
    expect(() => valueCounts(tables.train as never)).toThrow(
      'valueCounts: pass a column\'s values (an Arrow vector or an array), or a table and a column name: valueCounts(table, "plan").',
    );
    expect(() => valueCounts([1, "1"])).toThrow("valueCounts: the values mix number and string; pass values of one kind (or an Arrow vector).");
  });
});
