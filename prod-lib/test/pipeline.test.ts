import { describe, expect, expectTypeOf, it } from "vitest";
import { Float64, Table, TimestampMillisecond, vectorFromArray } from "apache-arrow";
import {
  ColumnTransformer,
  LogisticRegression,
  LinearRegression,
  Matrix,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  StandardScaler,
  clone,
  estimatorFromJSON,
  makePipeline,
} from "@trellis/prod";
import { SchemaMismatchError } from "@trellis/shared";
import { expectClose, readCsvRows } from "./helpers/fixtures";
import { mixed, mixedPreprocessor } from "./compose/mixed";

const train = readCsvRows("mixed_train.csv");
const test = readCsvRows("mixed_test.csv");
const y = train.map((r) => r[mixed.label] as number);

function mixedPipeline(): Pipeline<LogisticRegression> {
  return new Pipeline({ steps: [["prep", mixedPreprocessor()], ["clf", new LogisticRegression({ C: mixed.C })]] });
}

describe("Pipeline", () => {
  it("reproduces scikit-learn's mixed pipeline: coefficients (1e-4 rel) and test probabilities (1e-5 abs)", () => {
    const pipe = mixedPipeline().fit(train, y);
    const clf = pipe.namedSteps.clf as LogisticRegression;
    expectClose(clf.coef_.data, mixed.coef_.flat(), 1e-4, 1e-5);
    expectClose(clf.intercept_, mixed.intercept_, 1e-4, 1e-5);
    const proba = pipe.predictProba(test);
    expect(proba.rows).toBe(test.length);
    expectClose(proba.column(1), mixed.test_proba, 0, 1e-5);
    expect(pipe.getFeatureNamesOut()).toEqual(mixed.feature_names_out);
    expect(pipe.classes_).toEqual([0, 1]);
  });

  it("predictOne equals predictProba row by row, validation included", () => {
    const pipe = mixedPipeline().fit(train, y);
    const batch = pipe.predictProba(test);
    for (let i = 0; i < test.length; i += 13) {
      const p = pipe.predictOne(test[i]);
      expect(p[0]).toBeCloseTo(batch.get(i, 0), 14);
      expect(p[1]).toBeCloseTo(batch.get(i, 1), 14);
    }
    const { tenure_months: _t, ...missing } = test[0];
    expect(() => pipe.predictOne(missing)).toThrow(SchemaMismatchError);
    expect(() => pipe.predictOne(missing)).toThrow(/missing column\(s\) "tenure_months"/);
    expect(() => pipe.predictOne({ ...test[0], plan: 3 })).toThrow(/"plan" \(expected string, got number 3\)/);
    expect(() => pipe.predictOne({ ...test[0], monthly_spend: "12" })).toThrow(/"monthly_spend" \(expected number, got string "12"\)/);
  });

  it("needs only the columns its first step uses (a label column at fit is not required later)", () => {
    const pipe = mixedPipeline().fit(train, y);
    expect(pipe.featureNamesIn_).toEqual([...mixed.numeric, ...mixed.categorical]);
    const { churned: _label, ...features } = test[5];
    expect(pipe.predictOne(features)).toEqual(pipe.predictOne(test[5]));
    expect(pipe.predictProba([features]).data).toEqual(pipe.predictProba([test[5]]).data);
  });

  it("never reads columns its first step leaves out (e.g. a timestamp in the Arrow table)", () => {
    const n = 40;
    const table = new Table({
      ts: vectorFromArray(Array.from({ length: n }, (_, i) => new Date(i * 1000)), new TimestampMillisecond()),
      x: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7) - 3), new Float64()),
    });
    const target = Array.from({ length: n }, (_, i) => ((i % 7) - 3 + (i % 2) > 0 ? 1 : 0));
    const pipe = new Pipeline({
      steps: [["prep", new ColumnTransformer({ transformers: [["num", new StandardScaler(), ["x"]]] })], ["clf", new LogisticRegression()]],
    }).fit(table, target);
    expect(pipe.featureNamesIn_).toEqual(["x"]);
    expect(pipe.predictProba(table).rows).toBe(n);
  });

  it("gives the same probabilities in small chunks as in one batch", () => {
    const whole = mixedPipeline().fit(train, y);
    const chunked = mixedPipeline().setParams({ chunkSize: 7 }).fit(train, y);
    expect(chunked.predictProba(test).data).toEqual(whole.predictProba(test).data);
    expect(chunked.predict(test)).toEqual(whole.predict(test));
  });

  it("names the absolute row of a mistyped value found in a later chunk", () => {
    const pipe = mixedPipeline().setParams({ chunkSize: 50 }).fit(train, y);
    const bad = test.map((r, i) => (i === 123 ? { ...r, monthly_spend: "n/a" } : r));
    expect(() => pipe.predictProba(bad)).toThrow(/"monthly_spend" \(expected number, got string "n\/a" at row 123\)/);
  });

  it("equals its steps applied by hand", () => {
    const pipe = mixedPipeline().fit(train, y);
    const prep = mixedPreprocessor().fit(train);
    const clf = new LogisticRegression({ C: mixed.C }).fit(prep.transform(train), y);
    expect(pipe.predictProba(test).data).toEqual(clf.predictProba(prep.transform(test)).data);
  });

  it("scores a ColumnTransformer's parts side by side exactly as the stacked matrix (sparse and dense output, 2 and 3 classes)", () => {
    const y3 = train.map((r, i) => ["low", "mid", "high"][i % 3]);
    for (const sparseThreshold of [0.3, 0]) {
      for (const labels of [y, y3]) {
        const pipe = new Pipeline({ steps: [["prep", mixedPreprocessor({ sparseThreshold })], ["clf", new LogisticRegression({ C: mixed.C })]], chunkSize: 37 }).fit(train, labels);
        const prep = mixedPreprocessor({ sparseThreshold }).fit(train);
        const clf = new LogisticRegression({ C: mixed.C }).fit(prep.transform(train), labels);
        expect(pipe.predictProba(test).data).toEqual(clf.predictProba(prep.transform(test)).data);
        expect(pipe.predict(test)).toEqual(clf.predict(prep.transform(test)));
      }
    }
  });

  it("names a missing value that reaches the final step through the side-by-side path", () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ a: i / 10, b: (i * 7) % 5, c: ["x", "y"][i % 2] }));
    const labels = rows.map((r) => (r.a + r.b > 3 ? 1 : 0));
    const pipe = new Pipeline({
      steps: [
        ["prep", new ColumnTransformer({ transformers: [["num", new StandardScaler(), ["a", "b"]], ["cat", new OneHotEncoder(), ["c"]]] })],
        ["clf", new LogisticRegression()],
      ],
    }).fit(rows, labels);
    const bad = [rows[0], { a: 1, b: null, c: "y" }];
    expect(() => pipe.predictProba(bad)).toThrow(/missing value \(null\/NaN\) in column "num__b" at row 1[\s\S]*impute them first/);
    expect(() => pipe.predict(bad)).toThrow(/missing value \(null\/NaN\) in column "num__b" at row 1/);
  });

  it("round-trips through JSON with bit-identical probabilities", () => {
    const pipe = mixedPipeline().fit(train, y);
    const back = estimatorFromJSON(JSON.parse(JSON.stringify(pipe.toJSON()))) as Pipeline<LogisticRegression>;
    const a = pipe.predictProba(test).data;
    const b = back.predictProba(test).data;
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(back.predictOne(test[3])).toEqual(pipe.predictOne(test[3]));
  });

  it("gets and sets nested parameters with step__param keys, and clones unfitted", () => {
    const pipe = mixedPipeline();
    expect(pipe.getParams().prep__num__scale__withMean).toBe(true);
    pipe.setParams({ prep__num__scale__withMean: false, clf__C: 0.5 });
    expect(pipe.getParams().prep__num__scale__withMean).toBe(false);
    expect(pipe.getParams().clf__C).toBe(0.5);
    pipe.fit(train, y);
    const c = clone(pipe);
    expect(c.isFitted()).toBe(false);
    expect((c.namedSteps.clf as LogisticRegression).isFitted()).toBe(false);
    expect(c.getParams().prep__num__scale__withMean).toBe(false);
    expect(() => pipe.setParams({ nope__x: 1 })).toThrow(/no nested estimator named "nope"/);
  });

  it("replaces a whole step with setParams({ name: estimator })", () => {
    const pipe = makePipeline(new StandardScaler(), new LinearRegression());
    pipe.setParams({ standardscaler: "passthrough" });
    expect(pipe.steps[0][1]).toBe("passthrough");
  });

  it("exposes the final step's methods only when it has them (types and run time)", () => {
    const transformOnly = makePipeline(new SimpleImputer(), new StandardScaler());
    expect(transformOnly.steps.map(([n]) => n)).toEqual(["simpleimputer", "standardscaler"]);
    transformOnly.fit([{ a: 1 }, { a: null }, { a: 3 }]);
    expect((transformOnly.transform([{ a: null }]) as Matrix).toArray()).toEqual([[0]]);
    // @ts-expect-error a pipeline ending in a transformer has no predictProba
    expect(() => transformOnly.predictProba([{ a: 1 }])).toThrow(/final step "standardscaler" \(StandardScaler\) has no predictProba\(\)/);
    const clf = mixedPipeline();
    expectTypeOf(clf.predictProba).returns.toEqualTypeOf<Matrix>();
    expectTypeOf(clf.predictOne).returns.toExtend<Float64Array>();
    expectTypeOf(clf.predictOne).returns.not.toExtend<number>();
  });

  it("predicts with a regressor through the single-row path", () => {
    const X = [{ a: 1, b: 2 }, { a: 2, b: 1 }, { a: 3, b: 5 }, { a: 4, b: 3 }];
    const target = [4, 5, 11, 11]; // 2a + b exactly
    const reg = makePipeline(new StandardScaler(), new LinearRegression()).fit(X, target);
    const batch = reg.predict(X);
    expectTypeOf(batch).toEqualTypeOf<Float64Array>();
    const one = reg.predictOne(X[2]);
    expectTypeOf(one).toEqualTypeOf<number>();
    expect(one).toBeCloseTo(batch[2], 12);
    expect(reg.score(X, target)).toBeCloseTo(1, 12);
  });

  it("refuses a non-transformer in the middle and duplicate step names", () => {
    expect(() => new Pipeline({ steps: [["a", new LogisticRegression()], ["b", new StandardScaler()]] }).fit([{ x: 1 }])).toThrow(/step "a" \(LogisticRegression\) is not a transformer/);
    expect(() => new Pipeline({ steps: [["a", new StandardScaler()], ["a", new StandardScaler()]] }).fit([{ x: 1 }])).toThrow(/"a" is used twice/);
  });

  it("throws NotFittedError before fit", () => {
    expect(() => mixedPipeline().predictProba(test)).toThrow(/Pipeline is not fitted yet/);
  });

  it("scores with accuracy for classifiers", () => {
    const pipe = mixedPipeline().fit(train, y);
    const pred = pipe.predict(train);
    let hit = 0;
    pred.forEach((p, i) => (hit += p === y[i] ? 1 : 0));
    expect(pipe.score(train, y)).toBe(hit / y.length);
  });
});

