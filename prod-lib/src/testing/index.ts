/**
 * @trellis/prod/testing — the estimator conformance suite.
 */
export {};
