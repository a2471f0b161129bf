import { describe, expect, it } from "vitest";
import { tableFromArrays } from "apache-arrow";
import { NotFittedError } from "@trellis/shared";
import { Matrix, SparseMatrix, StandardScaler, estimatorFromJSON } from "@trellis/prod";
import { expectClose, goldenCase, readCsvRows } from "../helpers/fixtures";

const rows = readCsvRows("breast_cancer.csv");
const features = Object.keys(rows[0]).filter((c) => c !== "target");
const X = rows.map((r) => Object.fromEntries(features.map((f) => [f, r[f]])));

describe("StandardScaler", () => {
  const gold = goldenCase("standard_scaler") as { mean_: number[]; scale_: number[]; transform_first5: number[][] };

  it("matches scikit-learn's mean_, scale_ and transform on breast_cancer (1e-9 relative)", () => {
    const scaler = new StandardScaler().fit(X);
    expectClose(scaler.mean_, gold.mean_, 1e-9);
    expectClose(scaler.scale_!, gold.scale_, 1e-9);
    const out = scaler.transform(X.slice(0, 5)) as Matrix;
    expect(out.columns).toEqual(features);
    expectClose(out.data, gold.transform_first5.flat(), 1e-9, 1e-12);
  });

  it("returns this from fit and records the input columns", () => {
    const s = new StandardScaler();
    expect(s.fit(X)).toBe(s);
    expect(s.nFeaturesIn_).toBe(30);
    expect(s.featureNamesIn_).toEqual(features);
  });

  it("gives a constant column scale 1 and ignores missing values at fit", () => {
    const s = new StandardScaler().fit([{ a: 5, b: 1 }, { a: 5, b: null }, { a: 5, b: 3 }]);
    expect(Array.from(s.scale_!)).toEqual([1, 1]);
    expect(Array.from(s.mean_)).toEqual([5, 2]);
    expect(Array.from(s.nSamplesSeen_)).toEqual([3, 2]);
    const out = s.transform([{ a: 5, b: null }]) as Matrix;
    expect(out.get(0, 0)).toBe(0);
    expect(Number.isNaN(out.get(0, 1))).toBe(true);
  });

  it("accepts an Arrow table with columns in another order and extra columns", () => {
    const s = new StandardScaler().fit([{ a: 1, b: 10 }, { a: 3, b: 30 }]);
    const t = tableFromArrays({ extra: Float64Array.of(9, 9), b: Float64Array.of(30, 10), a: Float64Array.of(1, 3) });
    expect((s.transform(t) as Matrix).toArray()).toEqual([[-1, 1], [1, -1]]);
  });

  it("scales sparse input without centring when withMean is false", () => {
    const dense = Matrix.fromArray([[0, 2], [4, 0], [0, 0]], ["a", "b"]);
    const sparse = SparseMatrix.fromDense(dense);
    const viaSparse = new StandardScaler({ withMean: false }).fit(sparse);
    const viaDense = new StandardScaler({ withMean: false }).fit(dense);
    expectClose(viaSparse.scale_!, viaDense.scale_!, 1e-12);
    const out = viaSparse.transform(sparse);
    expect(out).toBeInstanceOf(SparseMatrix);
    expectClose((out as SparseMatrix).toDense().data, (viaDense.transform(dense) as Matrix).data, 1e-12);
    expect(() => new StandardScaler().fit(sparse)).toThrow(/withMean: false/);
  });

  it("refuses string columns and reports bad options with the allowed values", () => {
    expect(() => new StandardScaler().fit([{ a: "x" }])).toThrow(/"a" \(expected number, got string\)/);
    expect(() => new StandardScaler({ withMean: "yes" as unknown as boolean }).fit(X)).toThrow(/withMean.*expected boolean.*got "yes"/);
  });

  it("throws NotFittedError before fit, naming the attribute", () => {
    expect(() => new StandardScaler().mean_).toThrow(NotFittedError);
    expect(() => new StandardScaler().transform(X)).toThrow(/StandardScaler is not fitted yet/);
  });

  it("round-trips through JSON with bit-identical output", () => {
    const s = new StandardScaler().fit(X);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(s.toJSON()))) as StandardScaler;
    expect((back.transform(X) as Matrix).data).toEqual((s.transform(X) as Matrix).data);
  });

  it("has a single-row path equal to the batch transform", () => {
    const s = new StandardScaler().fit(X);
    const out: unknown[] = new Array(30);
    s.transformRowInto(features.map((f) => X[3][f]), out, 0);
    expect(out).toEqual(Array.from((s.transform([X[3]]) as Matrix).data));
  });
});
