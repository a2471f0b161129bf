/**
 * Runs every exported estimator through every conformance check, and fails when an exported
 * estimator class is missing from the list below.
 */
import { describe, expect, it } from "vitest";
import * as prod from "@trellis/prod";
import {
  BaseClassifier,
  BaseEstimator,
  BaseRegressor,
  BaseTransformer,
  ColumnTransformer,
  LinearRegression,
  LogisticRegression,
  MinMaxScaler,
  OneHotEncoder,
  OrdinalEncoder,
  Pipeline,
  Ridge,
  SimpleImputer,
  StandardScaler,
} from "@trellis/prod";
import { CHECK_CATEGORICAL_COLUMNS, CHECK_NUMERIC_COLUMNS } from "@trellis/prod/testing";
import { describeEstimator } from "@trellis/prod/testing/vitest";
import type { EstimatorFactory, EstimatorTags } from "@trellis/prod/testing";

interface Entry {
  /** The exported class this entry covers. */
  cls: abstract new (...args: never[]) => BaseEstimator;
  /** A label for the test output (several entries may cover one class with different options). */
  name: string;
  factory: EstimatorFactory;
  tags?: EstimatorTags;
}

const numeric = [...CHECK_NUMERIC_COLUMNS];
const categorical = [...CHECK_CATEGORICAL_COLUMNS];

export const ESTIMATORS: Entry[] = [
  { cls: StandardScaler, name: "StandardScaler", factory: () => new StandardScaler(), tags: { allowMissing: true } },
  { cls: MinMaxScaler, name: "MinMaxScaler", factory: () => new MinMaxScaler({ featureRange: [-1, 1] }), tags: { allowMissing: true } },
  { cls: SimpleImputer, name: "SimpleImputer(median)", factory: () => new SimpleImputer({ strategy: "median" }), tags: { allowMissing: true } },
  {
    cls: SimpleImputer,
    name: "SimpleImputer(most_frequent) on strings",
    factory: () => new SimpleImputer({ strategy: "most_frequent" }),
    tags: { input: "categorical", allowMissing: true },
  },
  {
    cls: OneHotEncoder,
    name: "OneHotEncoder",
    factory: () => new OneHotEncoder({ handleUnknown: "ignore" }),
    tags: { input: "categorical", allowMissing: true },
  },
  {
    cls: OrdinalEncoder,
    name: "OrdinalEncoder",
    factory: () => new OrdinalEncoder(),
    tags: { input: "categorical", allowMissing: true },
  },
  {
    cls: ColumnTransformer,
    name: "ColumnTransformer(scale numeric, one-hot categorical)",
    factory: () =>
      new ColumnTransformer({
        transformers: [
          ["num", new StandardScaler(), numeric],
          ["cat", new OneHotEncoder({ handleUnknown: "ignore" }), categorical],
        ],
      }),
    tags: { input: "mixed", allowMissing: true },
  },
  { cls: LinearRegression, name: "LinearRegression", factory: () => new LinearRegression() },
  { cls: Ridge, name: "Ridge", factory: () => new Ridge({ alpha: 0.5 }) },
  { cls: LogisticRegression, name: "LogisticRegression", factory: () => new LogisticRegression({ C: 2 }) },
  {
    cls: LogisticRegression,
    name: "LogisticRegression(balanced, no intercept)",
    factory: () => new LogisticRegression({ classWeight: "balanced", fitIntercept: false }),
  },
  {
    cls: Pipeline,
    name: "Pipeline(impute, scale, logistic regression)",
    factory: () =>
      new Pipeline({
        steps: [
          ["impute", new SimpleImputer({ strategy: "median" })],
          ["scale", new StandardScaler()],
          ["clf", new LogisticRegression()],
        ],
      }),
    tags: { allowMissing: true },
  },
  {
    cls: Pipeline,
    name: "Pipeline(mixed preprocessing, logistic regression)",
    factory: () =>
      new Pipeline({
        steps: [
          [
            "prep",
            new ColumnTransformer({
              transformers: [
                ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), numeric],
                [
                  "cat",
                  new Pipeline({
                    steps: [
                      ["impute", new SimpleImputer({ strategy: "most_frequent" })],
                      ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })],
                    ],
                  }),
                  categorical,
                ],
              ],
            }),
          ],
          ["clf", new LogisticRegression()],
        ],
      }),
    tags: { input: "mixed", allowMissing: true },
  },
  {
    cls: Pipeline,
    name: "Pipeline(scale, ridge)",
    factory: () => new Pipeline({ steps: [["scale", new StandardScaler()], ["reg", new Ridge()]] }),
  },
];

for (const entry of ESTIMATORS) describeEstimator(entry.name, entry.factory, { tags: entry.tags });

/** Abstract bases exported for users to extend; they are not estimators themselves. */
const ABSTRACT_BASES: unknown[] = [BaseEstimator, BaseTransformer, BaseClassifier, BaseRegressor];

describe("conformance coverage", () => {
  it("lists every estimator class exported from prod-lib/src/index.ts", () => {
    const exported = Object.entries(prod)
      .filter(([, v]) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof BaseEstimator)
      .filter(([, v]) => !ABSTRACT_BASES.includes(v))
      .map(([name]) => name)
      .sort();
    const covered = new Set<unknown>(ESTIMATORS.map((e) => e.cls));
    const missing = exported.filter((name) => !covered.has((prod as Record<string, unknown>)[name]));
    expect(missing, `exported estimators missing from ESTIMATORS in test/conformance.test.ts: ${missing.join(", ")}`).toEqual([]);
    expect(exported.length).toBeGreaterThanOrEqual(10);
  });

  it("builds each listed estimator as an instance of the class it claims to cover", () => {
    for (const e of ESTIMATORS) expect(e.factory()).toBeInstanceOf(e.cls);
  });
});
