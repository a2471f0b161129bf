/**
 * numpy's legacy `RandomState` (the generator behind scikit-learn's `random_state=<int>`),
 * reproduced bit for bit: MT19937 seeded with `init_genrand(seed)`, bounded integers by masked
 * rejection on 32-bit outputs, `shuffle`/`permutation` walking i = n−1 … 1, and 53-bit doubles
 * from two draws. With it, a split or a random search seeded here gives the same indices and
 * candidates as the same seed in scikit-learn.
 */
import { InvalidArgumentError } from "@trellis/shared";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The smallest all-ones bit mask covering `max` (numpy's `gen_mask`). */
function maskFor(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

/**
 * numpy's legacy `RandomState` for an integer seed, bit-exact with `numpy.random.RandomState(seed)`
 * for the methods it offers.
 * @example
 * new RandomState(0).permutation(5); // Int32Array [2, 0, 1, 3, 4], as numpy.random.RandomState(0).permutation(5)
 */
export class RandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /**
   * Seeds the generator as numpy does for an integer seed (`init_genrand`).
   * @example new RandomState(42)
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InvalidArgumentError(`RandomState: the seed must be an integer from 0 to 4294967295 (as numpy's), got ${String(seed)}.`);
    }
    let s = seed >>> 0;
    const key = this.key;
    for (let i = 0; i < N; i++) {
      key[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
    this.pos = N;
  }

  private generate(): void {
    const key = this.key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (key[N - 1] & UPPER_MASK) | (key[0] & LOWER_MASK);
    key[N - 1] = key[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }

  /**
   * The next raw 32-bit output (an unsigned integer).
   * @example new RandomState(0).nextUint32(); // 2357136044, as numpy.random.RandomState(0).randint(2**32, dtype="uint32")
   */
  nextUint32(): number {
    if (this.pos === N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A uniform double in [0, 1) from two 32-bit outputs (numpy's `random_sample`).
   * @example new RandomState(0).randomSample(); // 0.5488135039273248
   */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * The same as {@link RandomState.randomSample} (numpy's `RandomState.rand()` for one value).
   * @example new RandomState(0).rand(); // 0.5488135039273248
   */
  rand(): number {
    return this.randomSample();
  }

  /**
   * A uniform integer in [0, max] by masked rejection (numpy's `random_interval`); draws nothing
   * when max is 0.
   * @example new RandomState(0).interval(9); // an integer from 0 to 9
   */
  interval(max: number): number {
    if (max === 0) return 0;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new InvalidArgumentError(`RandomState.interval: max must be an integer from 0 to 4294967295, got ${String(max)}.`);
    }
    const mask = maskFor(max);
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /**
   * A uniform integer in [low, high) as numpy's `RandomState.randint(low, high)` (default int64
   * dtype); `randint(high)` draws from [0, high).
   * @example new RandomState(0).randint(10); // 5, as numpy.random.RandomState(0).randint(10)
   */
  randint(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new InvalidArgumentError(`RandomState.randint: need integers low < high, got low=${low}, high=${high}.`);
    }
    return low + this.interval(high - 1 - low);
  }

  /**
   * A uniform double in [low, high) (numpy's legacy `uniform`: low + (high − low)·u).
   * @example new RandomState(0).uniform(2, 4); // 3.0976270078546495
   */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.randomSample();
  }

  /**
   * Shuffles `values` in place as numpy's `RandomState.shuffle` of a 1-d array (i = n−1 … 1,
   * swap with a draw in [0, i]).
   * @example const a = Int32Array.of(0, 1, 2, 3); new RandomState(1).shuffle(a);
   */
  shuffle<T>(values: { length: number; [i: number]: T }): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /**
   * A shuffled `0..n-1` (numpy's `RandomState.permutation(n)`).
   * @example new RandomState(0).permutation(5); // Int32Array [2, 0, 1, 3, 4]
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new InvalidArgumentError(`RandomState.permutation: n must be a non-negative integer, got ${String(n)}.`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    this.shuffle(out);
    return out;
  }
}
