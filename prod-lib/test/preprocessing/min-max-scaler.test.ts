import { describe, expect, it } from "vitest";
import { Matrix, MinMaxScaler, estimatorFromJSON } from "@trellis/prod";
import { expectClose, goldenCase, readCsvRows } from "../helpers/fixtures";

const rows = readCsvRows("breast_cancer.csv");
const features = Object.keys(rows[0]).filter((c) => c !== "target");
const X = rows.map((r) => Object.fromEntries(features.map((f) => [f, r[f]])));

describe("MinMaxScaler", () => {
  const gold = goldenCase("minmax_scaler") as { data_min_: number[]; data_max_: number[]; transform_first5: number[][] };

  it("matches scikit-learn's dataMin_, dataMax_ and transform on breast_cancer (1e-9 relative)", () => {
    const s = new MinMaxScaler().fit(X);
    expectClose(s.dataMin_, gold.data_min_, 1e-9);
    expectClose(s.dataMax_, gold.data_max_, 1e-9);
    expectClose((s.transform(X.slice(0, 5)) as Matrix).data, gold.transform_first5.flat(), 1e-9, 1e-12);
  });

  it("maps into a custom featureRange and clips when asked", () => {
    const s = new MinMaxScaler({ featureRange: [-1, 1], clip: true }).fit([{ a: 0 }, { a: 10 }]);
    expect((s.transform([{ a: 5 }, { a: 20 }, { a: -5 }]) as Matrix).toArray()).toEqual([[0], [1], [-1]]);
    expect(Array.from(s.scale_)).toEqual([0.2]);
    expect(Array.from(s.min_)).toEqual([-1]);
  });

  it("treats a constant column as range 1 and keeps missing values missing", () => {
    const s = new MinMaxScaler().fit([{ a: 3 }, { a: 3 }, { a: null }]);
    expect(Array.from(s.scale_)).toEqual([1]);
    const out = s.transform([{ a: 3 }, { a: null }]) as Matrix;
    expect(out.get(0, 0)).toBe(0);
    expect(Number.isNaN(out.get(1, 0))).toBe(true);
  });

  it("refuses an inverted featureRange naming the option", () => {
    expect(() => new MinMaxScaler({ featureRange: [1, 0] }).fit([{ a: 1 }])).toThrow(/featureRange.*minimum must be smaller/);
  });

  it("round-trips through JSON with bit-identical output and the same single-row result", () => {
    const s = new MinMaxScaler().fit(X);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(s))) as MinMaxScaler;
    const batch = (back.transform(X) as Matrix).data;
    expect(batch).toEqual((s.transform(X) as Matrix).data);
    const out: unknown[] = [];
    back.transformRowInto(features.map((f) => X[7][f]), out, 0);
    expect(out).toEqual(Array.from(batch.subarray(7 * 30, 8 * 30)));
  });
});
