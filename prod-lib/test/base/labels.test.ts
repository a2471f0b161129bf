import { describe, expect, it } from "vitest";
import { vectorFromArray, Utf8 } from "apache-arrow";
import { Matrix, argmaxLabels, encodeLabels, isClassifier, isTransformer, sortLabels, toLabels, toNumericTarget, StandardScaler, LogisticRegression, LinearRegression, isRegressor, hasRowTransform, hasRowPredictProba, hasRowPredict } from "@trellis/prod";

describe("labels", () => {
  it("reads arrays, typed arrays and Arrow vectors", () => {
    expect(toLabels(Int32Array.of(1, 0), "t")).toEqual([1, 0]);
    expect(toLabels(vectorFromArray(["a", "b"], new Utf8()), "t")).toEqual(["a", "b"]);
    expect(toNumericTarget([1.5, 2], "t")).toEqual(Float64Array.of(1.5, 2));
  });

  it("sorts classes like numpy and encodes labels as class indices", () => {
    expect(sortLabels([10, 2, 1])).toEqual([1, 2, 10]);
    expect(sortLabels(["b", "B", "a"])).toEqual(["B", "a", "b"]);
    const { classes, codes } = encodeLabels(["virginica", "setosa", "virginica"], "t");
    expect(classes).toEqual(["setosa", "virginica"]);
    expect(Array.from(codes)).toEqual([1, 0, 1]);
  });

  it("refuses missing targets, mixed label types, strings for regression and a length mismatch", () => {
    expect(() => toLabels([1, null], "LogisticRegression")).toThrow(/Invalid LogisticRegression targets: 1: missing target/);
    expect(() => encodeLabels([1, "a"], "t")).toThrow(/labels mix numbers and strings/);
    expect(() => toNumericTarget(["x"], "Ridge")).toThrow(/expected a number, got string "x"/);
    expect(() => toLabels([1, 2], "t", 3)).toThrow(/y has 2 value\(s\) but X has 3 row\(s\)/);
  });
});

describe("mixins", () => {
  it("picks the first class on ties in argmaxLabels, like numpy", () => {
    expect(argmaxLabels(Matrix.fromArray([[0.5, 0.5], [0.2, 0.8]]), ["a", "b"])).toEqual(["a", "b"]);
  });

  it("recognises transformers, classifiers, regressors and single-row paths", () => {
    expect(isTransformer(new StandardScaler())).toBe(true);
    expect(isClassifier(new StandardScaler())).toBe(false);
    expect(isClassifier(new LogisticRegression())).toBe(true);
    expect(isRegressor(new LinearRegression())).toBe(true);
    expect(hasRowTransform(new StandardScaler())).toBe(true);
    expect(hasRowPredictProba(new LogisticRegression())).toBe(true);
    expect(hasRowPredict(new LinearRegression())).toBe(true);
  });
});
