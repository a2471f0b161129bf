import { describe, expect, it } from "vitest";
import { RandomState } from "../../src/random/mt19937";
import { expectPermutation, splitFixtures as fixtures, type PermSummary } from "../helpers/fixtures";

// Expectations written by dev-lib/test/fixtures/make_splits.py from numpy's RandomState (exact).
describe("RandomState", () => {
  for (const c of fixtures.random_state) {
    describe(`seed ${c.seed}`, () => {
      it("gives numpy's 32-bit outputs", () => {
        const r = new RandomState(c.seed);
        expect(Array.from({ length: c.uint32.length }, () => r.nextUint32())).toEqual(c.uint32);
      });

      it("gives numpy's random_sample doubles bit for bit", () => {
        const r = new RandomState(c.seed);
        expect(Array.from({ length: c.random_sample.length }, () => r.randomSample())).toEqual(c.random_sample);
      });

      it("gives numpy's randint draws from one stream", () => {
        const r = new RandomState(c.seed);
        for (const [k, values] of c.randint as [number, number[]][]) {
          expect(values.map(() => r.randint(k))).toEqual(values);
        }
      });

      it("gives numpy's permutations, including n > 2^16", () => {
        for (const [n, expected] of Object.entries(c.permutation as Record<string, PermSummary>)) {
          expectPermutation(new RandomState(c.seed).permutation(Number(n)), expected);
        }
      });

      it("shuffles any array as numpy shuffles an object array", () => {
        const a = ["a", "b", "c", "d", "e", "f", "g"];
        new RandomState(c.seed).shuffle(a);
        expect(a).toEqual(c.shuffle_strings);
      });
    });
  }

  it("draws rand() as random_sample and uniform(low, high) as low + (high - low) * random_sample", () => {
    expect(new RandomState(0).rand()).toBe(0.5488135039273248);
    expect(new RandomState(0).uniform(2, 4)).toBe(3.0976270078546495);
  });

  it("refuses seeds numpy refuses and bad bounds", () => {
    expect(() => new RandomState(-1)).toThrow("RandomState: the seed must be an integer from 0 to 4294967295 (as numpy's), got -1.");
    expect(() => new RandomState(2 ** 32)).toThrow(/got 4294967296/);
    expect(() => new RandomState(1.5)).toThrow(/got 1.5/);
    expect(() => new RandomState(0).randint(3, 3)).toThrow("RandomState.randint: need integers low < high, got low=3, high=3.");
  });
});
