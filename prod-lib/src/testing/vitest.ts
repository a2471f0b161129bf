/**
 * @trellis/prod/testing/vitest — the conformance suite as vitest tests (one test per check). It
 * imports vitest, an optional peer dependency: use it from test files only.
 */
import { describe, it } from "vitest";
import { CHECK_NAMES, checkTitle, runCheck } from "./check-estimator";
import type { CheckEstimatorOptions, EstimatorFactory } from "./check-estimator";

/**
 * Declares a vitest `describe(name)` block with one test per conformance check; a check that does
 * not apply to the estimator is reported as skipped.
 * @example
 * // my-scaler.test.ts
 * describeEstimator("MyScaler", () => new MyScaler(), { tags: { allowMissing: true } });
 */
export function describeEstimator(
  name: string,
  factory: EstimatorFactory,
  options: Omit<CheckEstimatorOptions, "throwOnFailure"> = {},
): void {
  const names = (options.only ?? CHECK_NAMES).filter((n) => !(options.skip ?? []).includes(n));
  describe(name, () => {
    for (const check of names) {
      it(`${check}: ${checkTitle(check)}`, (ctx) => {
        const result = runCheck(check, factory, options.tags);
        if (result.skipped) {
          ctx.skip(result.message);
          return;
        }
        if (!result.passed) throw new Error(`${name} fails ${check}: ${result.message}`);
      });
    }
  });
}
