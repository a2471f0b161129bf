import { describe, expect, it } from "vitest";
import { Table } from "apache-arrow";
import { Matrix, SimpleImputer, estimatorFromJSON } from "@trellis/prod";
import { goldenCase, readCsvRows } from "../helpers/fixtures";

describe("SimpleImputer", () => {
  const gold = goldenCase("mixed_pipeline") as { numeric: string[]; categorical: string[]; imputer_statistics_num: number[]; imputer_statistics_cat: string[] };
  const train = readCsvRows("mixed_train.csv");
  const pick = (cols: string[]) => train.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));

  it("matches scikit-learn's median statistics on mixed_train", () => {
    const imp = new SimpleImputer({ strategy: "median" }).fit(pick(gold.numeric));
    expect(imp.statistics_).toEqual(gold.imputer_statistics_num);
  });

  it("matches scikit-learn's most_frequent statistics on string columns", () => {
    const imp = new SimpleImputer({ strategy: "most_frequent" }).fit(pick(gold.categorical));
    expect(imp.statistics_).toEqual(gold.imputer_statistics_cat);
  });

  it("computes the mean, and the median of an even count as the middle average", () => {
    expect(new SimpleImputer().fit([{ a: 1 }, { a: null }, { a: 4 }]).statistics_).toEqual([2.5]);
    expect(new SimpleImputer({ strategy: "median" }).fit([{ a: 4 }, { a: 1 }, { a: 3 }, { a: 10 }]).statistics_).toEqual([3.5]);
  });

  it("computes the median by selection equal to a sorted median on many random columns", () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(rand() * 41);
      const vals = Array.from({ length: n }, () => Math.floor(rand() * 9) - 3 + (rand() < 0.3 ? 0.5 : 0));
      const s = [...vals].sort((a, b) => a - b);
      const h = n >> 1;
      const want = n % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
      expect(new SimpleImputer({ strategy: "median" }).fit(vals.map((a) => ({ a }))).statistics_).toEqual([want]);
    }
  });

  it("breaks most_frequent ties by the smallest value, for numbers and strings", () => {
    const imp = new SimpleImputer({ strategy: "most_frequent" }).fit([
      { n: 5, s: "pear" }, { n: 2, s: "apple" }, { n: 5, s: "pear" }, { n: 2, s: "apple" }, { n: null, s: null },
    ]);
    expect(imp.statistics_).toEqual([2, "apple"]);
  });

  it("fills with a constant, defaulting to 0 and \"missing_value\"", () => {
    const imp = new SimpleImputer({ strategy: "constant" }).fit([{ n: 1, s: "x" }]);
    expect(imp.statistics_).toEqual([0, "missing_value"]);
    const out = imp.transform([{ n: null, s: null }, { n: 7, s: "y" }]) as Table;
    expect(out).toBeInstanceOf(Table);
    expect(out.getChild("n")!.toArray()).toEqual(Float64Array.of(0, 7));
    expect([...out.getChild("s")!]).toEqual(["missing_value", "y"]);
  });

  it("returns a Matrix when every column is numeric", () => {
    const out = new SimpleImputer().fit([{ a: 1 }, { a: 3 }]).transform([{ a: NaN }, { a: undefined }]);
    expect((out as Matrix).toArray()).toEqual([[2], [2]]);
  });

  it("refuses mean on strings and columns with no values, naming the column", () => {
    expect(() => new SimpleImputer().fit([{ s: "x" }])).toThrow(/strategy "mean" needs numbers but column "s" holds strings/);
    expect(() => new SimpleImputer({ strategy: "median" }).fit([{ a: null }, { a: null }])).toThrow(/column "a" has only missing values/);
    expect(() => new SimpleImputer({ strategy: "constant", fillValue: "z" }).fit([{ a: 1 }])).toThrow(/fillValue "z" is a string but column "a" is numeric/);
  });

  it("round-trips through JSON and its single-row path keeps strings", () => {
    const imp = new SimpleImputer({ strategy: "most_frequent" }).fit(pick([...gold.numeric, ...gold.categorical]));
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(imp))) as SimpleImputer;
    expect(back.statistics_).toEqual(imp.statistics_);
    const out: unknown[] = [];
    back.transformRowInto([NaN, 3, NaN, 0.1, null, "west", null], out, 0);
    expect(out).toEqual([...imp.statistics_.slice(0, 1), 3, imp.statistics_[2], 0.1, gold.imputer_statistics_cat[0], "west", gold.imputer_statistics_cat[2]]);
  });
});
