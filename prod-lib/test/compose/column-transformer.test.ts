import { describe, expect, it } from "vitest";
import {
  ColumnTransformer,
  Frame,
  Matrix,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  SparseMatrix,
  StandardScaler,
  estimatorFromJSON,
  makeColumnTransformer,
} from "@trellis/prod";
import { expectClose, sklearnPython, readCsvRows, runPythonJson, SKLEARN_DIR } from "../helpers/fixtures";
import { fileURLToPath } from "node:url";
import { mixed, mixedPreprocessor } from "./mixed";

const train = readCsvRows("mixed_train.csv");
const test = readCsvRows("mixed_test.csv");
const python = sklearnPython();

describe("ColumnTransformer", () => {
  it("matches scikit-learn's feature_names_out, imputer statistics and categories on the mixed case", () => {
    const ct = mixedPreprocessor().fit(train);
    expect(ct.getFeatureNamesOut()).toEqual(mixed.feature_names_out);
    const num = ct.namedTransformers_.num as Pipeline;
    const cat = ct.namedTransformers_.cat as Pipeline;
    expect((num.namedSteps.impute as SimpleImputer).statistics_).toEqual(mixed.imputer_statistics_num);
    expect((cat.namedSteps.impute as SimpleImputer).statistics_).toEqual(mixed.imputer_statistics_cat);
    expect((cat.namedSteps.onehot as OneHotEncoder).categories_).toEqual(mixed.onehot_categories);
  });

  it("gives a dense output at density 0.5 (≥ sparseThreshold 0.3) and sparse below it", () => {
    const dense = mixedPreprocessor().fit(train);
    expect(dense.sparseOutput_).toBe(false);
    expect(dense.transform(test)).toBeInstanceOf(Matrix);
    const sparse = mixedPreprocessor({ sparseThreshold: 0.6 }).fit(train);
    expect(sparse.sparseOutput_).toBe(true);
    const s = sparse.transform(test) as SparseMatrix;
    expect(s).toBeInstanceOf(SparseMatrix);
    expect(s.columns).toEqual(mixed.feature_names_out);
    expect(s.toDense().data).toEqual((dense.transform(test) as Matrix).data);
  });

  it.skipIf(python.missing !== undefined)(`transforms mixed_test like scikit-learn (1e-9 relative)${python.missing ? ` (skipped: ${python.missing})` : ""}`, () => {
    const dir = fileURLToPath(SKLEARN_DIR);
    const expected = runPythonJson(`
import json, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler, OneHotEncoder
num = ${JSON.stringify(mixed.numeric)}; cat = ${JSON.stringify(mixed.categorical)}
tr = pd.read_csv(${JSON.stringify(dir)} + "mixed_train.csv"); te = pd.read_csv(${JSON.stringify(dir)} + "mixed_test.csv")
ct = ColumnTransformer([("num", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), num),
  ("cat", Pipeline([("i", SimpleImputer(strategy="most_frequent")), ("o", OneHotEncoder(handle_unknown="ignore"))]), cat)])
ct.fit(tr)
print(json.dumps(ct.transform(te).tolist()))
`) as number[][];
    const out = mixedPreprocessor().fit(train).transform(test) as Matrix;
    expectClose(out.data, expected.flat(), 1e-9, 1e-12);
  });

  it("passes remainder columns through as remainder__column and drops 'drop' entries", () => {
    const ct = new ColumnTransformer({
      transformers: [["s", new StandardScaler(), ["a"]], ["gone", "drop", ["b"]]],
      remainder: "passthrough",
    }).fit([{ a: 1, b: 5, c: 7 }, { a: 3, b: 6, c: 8 }]);
    expect(ct.getFeatureNamesOut()).toEqual(["s__a", "remainder__c"]);
    expect((ct.transform([{ a: 3, b: 0, c: 9 }]) as Matrix).toArray()).toEqual([[1, 9]]);
  });

  it("needs only the columns it uses when remainder is drop", () => {
    const ct = mixedPreprocessor().fit(train);
    expect(ct.featureNamesIn_).toEqual([...mixed.numeric, ...mixed.categorical]);
    const noLabel = test.map(({ churned: _unused, ...rest }) => rest);
    expect((ct.transform(noLabel) as Matrix).rows).toBe(test.length);
    const { plan: _p, ...withoutPlan } = test[0];
    expect(() => ct.transform([withoutPlan])).toThrow(/missing column\(s\) "plan"/);
  });

  it("imputes in place only where no other part reads the column, and never touches the caller's data", () => {
    const ct = new ColumnTransformer({
      transformers: [["imp", new SimpleImputer({ strategy: "constant", fillValue: 7 }), ["a"]], ["raw", "passthrough", ["a"]]],
    }).fit([{ a: 1 }, { a: null }]);
    const out = ct.transform([{ a: null }, { a: 2 }]) as Matrix;
    expect(out.toArray()).toEqual([[7, NaN], [2, 2]]);
    const frame = Frame.from([{ a: null }, { a: 2 }], "test");
    const pipe = new Pipeline({ steps: [["imp", new SimpleImputer({ strategy: "constant", fillValue: 7 })]] }).fit(frame);
    expect((pipe.transform(frame) as Matrix).toArray()).toEqual([[7], [2]]);
    expect(Number.isNaN((frame.column("a") as { values: Float64Array }).values[0])).toBe(true);
  });

  it("refuses an unknown column and duplicate names with clear errors", () => {
    expect(() => new ColumnTransformer({ transformers: [["s", new StandardScaler(), ["nope"]]] }).fit([{ a: 1 }])).toThrow(/column "nope" of transformer "s" is not in X/);
    expect(() =>
      new ColumnTransformer({ transformers: [["s", new StandardScaler(), ["a"]], ["s", new StandardScaler(), ["a"]]] }).fit([{ a: 1 }]),
    ).toThrow(/"s" is used twice/);
  });

  it("exposes nested parameters and sets them with name__param keys", () => {
    const ct = mixedPreprocessor();
    const params = ct.getParams();
    expect(params.num__scale__withMean).toBe(true);
    expect(params.cat__onehot__handleUnknown).toBe("ignore");
    ct.setParams({ num__scale__withMean: false, sparseThreshold: 0.9 });
    expect(ct.getParams().num__scale__withMean).toBe(false);
    expect(ct.getParams().sparseThreshold).toBe(0.9);
    expect(() => ct.setParams({ nope__x: 1 })).toThrow(/no nested estimator named "nope"/);
  });

  it("fits clones, leaving the given transformers unfitted", () => {
    const scaler = new StandardScaler();
    new ColumnTransformer({ transformers: [["s", scaler, ["a"]]] }).fit([{ a: 1 }, { a: 2 }]);
    expect(scaler.isFitted()).toBe(false);
  });

  it("round-trips through JSON and its single-row path equals the batch transform", () => {
    const ct = mixedPreprocessor().fit(train);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(ct))) as ColumnTransformer;
    const batch = (ct.transform(test) as Matrix).data;
    expect(Buffer.from((back.transform(test) as Matrix).data.buffer).equals(Buffer.from(batch.buffer))).toBe(true);
    const names = back.featureNamesIn_;
    const out: unknown[] = new Array(back.rowOutputSize());
    for (const i of [0, 1, 17]) {
      const values = names.map((n) => test[i][n] ?? (mixed.numeric.includes(n) ? NaN : null));
      back.transformRowInto(values, out, 0);
      expect(out).toEqual(Array.from(batch.subarray(i * 14, (i + 1) * 14)));
    }
  });

  it("names entries after their classes in makeColumnTransformer", () => {
    const ct = makeColumnTransformer([new StandardScaler(), ["a"]], [new StandardScaler(), ["b"]], ["passthrough", ["c"]]);
    expect(ct.getParams({ deep: false }).transformers).toHaveLength(3);
    expect((ct.getParams().transformers as [string][]).map((e) => e[0])).toEqual(["standardscaler-1", "standardscaler-2", "passthrough"]);
  });
});
