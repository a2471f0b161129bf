/**
 * Sums and means added in the order numpy adds them, so summaries equal scikit-learn's to the last bit.
 */

/** numpy's pairwise summation (the order `np.mean` adds in). */
export function npSum(a: ArrayLike<number>, start = 0, n = a.length): number {
  if (n < 8) {
    let s = -0;
    for (let i = 0; i < n; i++) s += a[start + i];
    return s;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) s += a[start + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return npSum(a, start, n2) + npSum(a, start + n2, n - n2);
}

/** Mean and population standard deviation as numpy computes them. */
export function meanStd(a: ArrayLike<number>): { mean: number; std: number } {
  const n = a.length;
  const mean = npSum(a) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) sq[i] = (a[i] - mean) ** 2;
  return { mean, std: Math.sqrt(npSum(sq) / n) };
}
