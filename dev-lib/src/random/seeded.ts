/**
 * Seeded randomness for experiments: the same seed gives the same stream on every machine and
 * every Node version (no `Math.random`).
 */
import { InvalidArgumentError } from "@trellis/shared";

/**
 * A seeded generator of uniform floats in [0, 1) (SplitMix32 seeding a xoshiro128** state).
 * @example
 * const next = seededRandom(42);
 * next(); // 0.6011037519201636 on every machine
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(`randomState must be an integer from 0 to 4294967295, got ${String(seed)}.`);
  }
  let x = seed >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r / 4294967296;
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}

/**
 * A seeded Fisher–Yates permutation of `0..n-1`.
 * @example
 * permutation(5, 0); // Int32Array [ ... the same five indices on every machine ... ]
 */
export function permutation(n: number, seed: number): Int32Array {
  const next = seededRandom(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
