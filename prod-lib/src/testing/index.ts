/**
 * @trellis/prod/testing — the estimator conformance suite (scikit-learn's `check_estimator`).
 */
export {
  checkEstimator,
  runCheck,
  checkTitle,
  EstimatorCheckError,
  CHECK_NAMES,
  CHECK_NUMERIC_COLUMNS,
  CHECK_CATEGORICAL_COLUMNS,
} from "./check-estimator";
export type {
  CheckResult,
  CheckEstimatorOptions,
  CheckName,
  CheckInput,
  EstimatorTags,
  EstimatorFactory,
} from "./check-estimator";

