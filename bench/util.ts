/**
 * What every benchmark module shares: the figure it reports, the median and quantile of a
 * sample, and the seeded generator the synthetic tables draw from.
 */

/** One benchmark figure, as the bench runner (`bench/run.ts`) prints it. */
export interface BenchResult {
  name: string;
  medianMs: number;
  runs: number;
  extra?: Record<string, number | string>;
}

/** The median of a sample (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The `q` quantile of a sample, nearest-rank (q = 0.99 → p99). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** A seeded uniform [0, 1) generator (mulberry32): the same seed gives the same table everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
