import { ColumnTransformer, OneHotEncoder, Pipeline, SimpleImputer, StandardScaler } from "@trellis/prod";
import { goldenCase } from "../helpers/fixtures";

/** The golden `mixed_pipeline` case. */
export interface MixedCase {
  numeric: string[];
  categorical: string[];
  label: string;
  C: number;
  feature_names_out: string[];
  coef_: number[][];
  intercept_: number[];
  test_proba: number[];
  test_roc_auc: number;
  imputer_statistics_num: number[];
  imputer_statistics_cat: string[];
  onehot_categories: string[][];
}

export const mixed = goldenCase("mixed_pipeline") as unknown as MixedCase;

/** The preprocessing half of the mixed pipeline, as in the fixture README. */
export function mixedPreprocessor(options: { sparseThreshold?: number } = {}): ColumnTransformer {
  return new ColumnTransformer({
    transformers: [
      ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), mixed.numeric],
      ["cat", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }), mixed.categorical],
    ],
    ...options,
  });
}
