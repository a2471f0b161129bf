/**
 * Every estimator class of @trellis/prod. Importing this module registers them all (each class
 * registers itself when its module loads), so an artifact loads through any entry point that
 * reaches the loader (the package, `@trellis/prod/cli`), not only through the package's index.
 */
import { ColumnTransformer } from "../compose/column-transformer";
import { SimpleImputer } from "../impute/simple-imputer";
import { LinearRegression, Ridge } from "../linear-model/linear-regression";
import { LogisticRegression } from "../linear-model/logistic-regression";
import { Pipeline } from "../pipeline";
import { MinMaxScaler } from "../preprocessing/min-max-scaler";
import { OneHotEncoder } from "../preprocessing/one-hot-encoder";
import { OrdinalEncoder } from "../preprocessing/ordinal-encoder";
import { StandardScaler } from "../preprocessing/standard-scaler";

/** The built-in estimator classes, by registered name. */
export const BUILTIN_ESTIMATORS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ["ColumnTransformer", ColumnTransformer],
  ["SimpleImputer", SimpleImputer],
  ["LinearRegression", LinearRegression],
  ["Ridge", Ridge],
  ["LogisticRegression", LogisticRegression],
  ["Pipeline", Pipeline],
  ["MinMaxScaler", MinMaxScaler],
  ["OneHotEncoder", OneHotEncoder],
  ["OrdinalEncoder", OrdinalEncoder],
  ["StandardScaler", StandardScaler],
]);
