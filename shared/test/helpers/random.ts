/**
 * Deterministic pseudo-random numbers (an LCG) for test data, the same on every run.
 * @example const rand = rng(42); rand(); // a number in [0, 1)
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
