import { describe, expect, it } from "vitest";
import { ValidationError } from "@trellis/shared";
import { Matrix, OrdinalEncoder, estimatorFromJSON } from "@trellis/prod";
import { goldenCase, readCsvRows } from "../helpers/fixtures";

describe("OrdinalEncoder", () => {
  const gold = goldenCase("ordinal_encoder") as { columns: string[]; fill_missing: string; categories_: string[][]; test_transform_first10: number[][] };
  const fill = (file: string) =>
    readCsvRows(file).map((r) => Object.fromEntries(gold.columns.map((c) => [c, r[c] ?? gold.fill_missing])));

  it("matches scikit-learn's categories_ and codes on mixed_train/mixed_test (unknown → -1)", () => {
    const enc = new OrdinalEncoder({ handleUnknown: "use_encoded_value", unknownValue: -1 }).fit(fill("mixed_train.csv"));
    expect(enc.categories_).toEqual(gold.categories_);
    const out = enc.transform(fill("mixed_test.csv").slice(0, 10)) as Matrix;
    expect(out.columns).toEqual(gold.columns);
    expect(out.toArray()).toEqual(gold.test_transform_first10);
  });

  it("refuses an unknown category by default, naming column and value", () => {
    const enc = new OrdinalEncoder().fit([{ c: "a" }, { c: "b" }]);
    expect(() => enc.transform([{ c: "z" }])).toThrow(ValidationError);
    expect(() => enc.transform([{ c: "z" }])).toThrow(/unknown category "z" in column "c"/);
  });

  it("encodes missing values as NaN by default", () => {
    const enc = new OrdinalEncoder().fit([{ c: "b" }, { c: "a" }, { c: null }]);
    expect(enc.categories_).toEqual([["a", "b"]]);
    const out = (enc.transform([{ c: null }, { c: "b" }]) as Matrix).toArray();
    expect(Number.isNaN(out[0][0])).toBe(true);
    expect(out[1][0]).toBe(1);
  });

  it("requires unknownValue with use_encoded_value and refuses one that collides with a code", () => {
    expect(() => new OrdinalEncoder({ handleUnknown: "use_encoded_value" }).fit([{ c: "a" }])).toThrow(/unknownValue must be a number/);
    expect(() => new OrdinalEncoder({ handleUnknown: "use_encoded_value", unknownValue: 0 }).fit([{ c: "a" }])).toThrow(/already the code of category "a"/);
  });

  it("uses given categories in the given order", () => {
    const enc = new OrdinalEncoder({ categories: [["lo", "mid", "hi"]] }).fit([{ c: "hi" }, { c: "lo" }]);
    expect((enc.transform([{ c: "mid" }]) as Matrix).toArray()).toEqual([[1]]);
  });

  it("round-trips through JSON and its single-row path matches the batch", () => {
    const enc = new OrdinalEncoder({ handleUnknown: "use_encoded_value", unknownValue: -1 }).fit(fill("mixed_train.csv"));
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(enc))) as OrdinalEncoder;
    const test = fill("mixed_test.csv");
    expect((back.transform(test) as Matrix).data).toEqual((enc.transform(test) as Matrix).data);
    const out: unknown[] = [];
    back.transformRowInto(gold.columns.map((c) => test[0][c]), out, 0);
    expect(out).toEqual(gold.test_transform_first10[0]);
  });
});
