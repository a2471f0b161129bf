/**
 * The population stability index (PSI) of two binned distributions, as drift reports compute it.
 *
 * Shares are counts over all rows (nulls included, in a bin of their own); each share is floored at
 * {@link PSI_FLOOR} on both sides, so an empty bin on one side gives a large but finite term instead
 * of infinity; then PSI = Σ (cur − ref) · ln(cur / ref). Identical shares give exactly 0.
 */
import { InvalidArgumentError } from "@trellis/shared";

/** The smallest share a bin counts with on either side of the PSI sum. */
export const PSI_FLOOR = 1e-4;

/**
 * PSI of two share vectors of the same length (each usually summing to 1), each share floored at
 * {@link PSI_FLOOR}.
 * @example
 * psi([0.5, 0.5], [0.4, 0.6]); // (0.4−0.5)·ln(0.4/0.5) + (0.6−0.5)·ln(0.6/0.5) ≈ 0.040546
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  if (reference.length !== current.length) {
    throw new InvalidArgumentError(
      `psi needs share vectors of the same length, got ${reference.length} reference and ${current.length} current bins.`,
    );
  }
  let total = 0;
  for (let i = 0; i < reference.length; i++) total += psiTerm(reference[i]!, current[i]!);
  return total;
}

/**
 * One bin's term of the PSI sum: (cur − ref) · ln(cur / ref), both floored at {@link PSI_FLOOR}.
 * @example psiTerm(0.1, 0) // (1e-4 − 0.1) · ln(1e-4 / 0.1) ≈ 0.690083
 */
export function psiTerm(reference: number, current: number): number {
  const r = Math.max(reference, PSI_FLOOR);
  const c = Math.max(current, PSI_FLOOR);
  return r === c ? 0 : (c - r) * Math.log(c / r);
}
