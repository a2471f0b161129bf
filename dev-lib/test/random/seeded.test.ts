import { describe, expect, it } from "vitest";
import { permutation, seededRandom } from "../../src/random/seeded";

describe("seededRandom", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it("is uniform enough: the mean of 100k draws is within 0.005 of 0.5", () => {
    const next = seededRandom(7);
    let s = 0;
    for (let i = 0; i < 100_000; i++) s += next();
    expect(Math.abs(s / 100_000 - 0.5)).toBeLessThan(0.005);
  });

  it("rejects a seed that is not a 32-bit unsigned integer", () => {
    expect(() => seededRandom(-1)).toThrow("randomState must be an integer from 0 to 4294967295, got -1.");
    expect(() => seededRandom(1.5)).toThrow(/got 1.5/);
  });
});

describe("permutation", () => {
  it("returns every index exactly once, reproducibly", () => {
    const p = permutation(1000, 3);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(permutation(1000, 3)).toEqual(p);
    expect(permutation(1000, 4)).not.toEqual(p);
  });
});
