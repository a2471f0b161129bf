import { describe, expect, it } from "vitest";
import { tableFromArrays, vectorFromArray, Dictionary, Utf8, Int32, Table } from "apache-arrow";
import { Matrix, OneHotEncoder, SparseMatrix, estimatorFromJSON } from "@trellis/prod";

const rows = [
  { plan: "pro", n: 2 },
  { plan: "basic", n: 1 },
  { plan: "plus", n: 2 },
  { plan: null, n: 3 },
];

describe("OneHotEncoder", () => {
  it("learns sorted categories with missing last and names outputs column_category", () => {
    const enc = new OneHotEncoder().fit(rows);
    expect(enc.categories_).toEqual([["basic", "plus", "pro", null], [1, 2, 3]]);
    expect(enc.getFeatureNamesOut()).toEqual(["plan_basic", "plan_plus", "plan_pro", "plan_nan", "n_1", "n_2", "n_3"]);
  });

  it("returns a CSR SparseMatrix by default with sorted indices", () => {
    const out = new OneHotEncoder().fit(rows).transform(rows) as SparseMatrix;
    expect(out).toBeInstanceOf(SparseMatrix);
    expect(Array.from(out.indptr)).toEqual([0, 2, 4, 6, 8]);
    expect(Array.from(out.indices)).toEqual([2, 5, 0, 4, 1, 5, 3, 6]);
    expect(out.toDense().toArray()[1]).toEqual([1, 0, 0, 0, 1, 0, 0]);
  });

  it("encodes unknown categories as zeros with handleUnknown ignore, and refuses them by default", () => {
    const ignore = new OneHotEncoder({ handleUnknown: "ignore", sparseOutput: false }).fit([{ c: "a" }, { c: "b" }]);
    expect((ignore.transform([{ c: "zzz" }, { c: "b" }]) as Matrix).toArray()).toEqual([[0, 0], [0, 1]]);
    const strict = new OneHotEncoder().fit([{ c: "a" }, { c: "b" }]);
    expect(() => strict.transform([{ c: "zzz" }])).toThrow(/unknown category "zzz" in column "c".*handleUnknown: "ignore"/);
  });

  it("drops the first category, or only for binary features with if_binary", () => {
    const X = [{ a: "x", b: "p" }, { a: "y", b: "q" }, { a: "x", b: "r" }];
    const first = new OneHotEncoder({ drop: "first", sparseOutput: false }).fit(X);
    expect(first.getFeatureNamesOut()).toEqual(["a_y", "b_q", "b_r"]);
    expect((first.transform(X) as Matrix).toArray()).toEqual([[0, 0, 0], [1, 1, 0], [0, 0, 1]]);
    const bin = new OneHotEncoder({ drop: "if_binary", sparseOutput: false }).fit(X);
    expect(bin.getFeatureNamesOut()).toEqual(["a_y", "b_p", "b_q", "b_r"]);
    expect(bin.dropIdx_).toEqual([0, null]);
  });

  it("reads Arrow dictionary and Utf8 columns to the same result as row objects", () => {
    const values = ["pro", "basic", "plus", null];
    const dict = vectorFromArray(values, new Dictionary(new Utf8(), new Int32()));
    const utf8 = vectorFromArray(values, new Utf8());
    const n = Float64Array.of(2, 1, 2, 3);
    const enc = new OneHotEncoder({ sparseOutput: false }).fit(rows);
    const expected = (enc.transform(rows) as Matrix).toArray();
    expect((enc.transform(new Table({ plan: dict, n: tableFromArrays({ n }).getChild("n")! })) as Matrix).toArray()).toEqual(expected);
    expect((enc.transform(new Table({ n: tableFromArrays({ n }).getChild("n")!, plan: utf8 })) as Matrix).toArray()).toEqual(expected);
  });

  it("uses given categories and refuses unseen values at fit when handleUnknown is error", () => {
    const enc = new OneHotEncoder({ categories: [["b", "a"]], sparseOutput: false }).fit([{ c: "a" }]);
    expect(enc.getFeatureNamesOut()).toEqual(["c_b", "c_a"]);
    expect(() => new OneHotEncoder({ categories: [["b"]] }).fit([{ c: "a" }])).toThrow(/unknown category "a"/);
    expect(() => new OneHotEncoder({ categories: [["b"], ["c"]] }).fit([{ c: "a" }])).toThrow(/2 list\(s\) but X has 1 column/);
  });

  it("round-trips through JSON and its dense single-row path matches the batch", () => {
    const enc = new OneHotEncoder({ handleUnknown: "ignore" }).fit(rows);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(enc))) as OneHotEncoder;
    const a = (enc.transform(rows) as SparseMatrix).toDense().data;
    expect((back.transform(rows) as SparseMatrix).toDense().data).toEqual(a);
    const out: unknown[] = new Array(7).fill(9);
    back.transformRowInto([null, 3], out, 0);
    expect(out).toEqual(Array.from(a.subarray(21, 28)));
  });

  it("reports a bad option with its allowed values", () => {
    expect(() => new OneHotEncoder({ handleUnknown: "skip" as "ignore" }).fit(rows)).toThrow(/handleUnknown.*"error"\|"ignore".*got "skip"/);
  });
});
