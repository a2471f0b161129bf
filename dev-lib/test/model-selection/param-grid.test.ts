import { describe, expect, it } from "vitest";
import { loguniform, parameterGrid, parameterSampler, randint, uniform, type Distribution, type ParamDistributions } from "../../src/model-selection/param-grid";
import { RandomState } from "../../src/random/mt19937";
import { splitFixtures as fx } from "../helpers/fixtures";

// Expectations: scikit-learn's ParameterGrid / ParameterSampler with scipy.stats distributions
// (dev-lib/test/fixtures/make_splits.py). Lists and integers exact; loguniform within 1e-14
// relative (Math.exp/Math.log may differ from the C library's in the last bit).

const specs: Record<string, (seed: number) => ParamDistributions> = {
  lists: () => ({ a: [1, 2, 3, 4], b: ["x", "y", "z"], c: [0.1, 0.2, 0.3, 0.4, 0.5] }),
  big_lists: () => ({ a: Array.from({ length: 40 }, (_, i) => i), b: Array.from({ length: 30 }, (_, i) => i) }),
  mixed: () => ({ C: loguniform(1e-3, 1e2), alpha: uniform(0.5, 2.0), k: randint(3, 17), kind: ["p", "q", "r"] }),
  two_dicts: () => {
    const list: Record<string, readonly unknown[] | Distribution>[] = [{ a: [1, 2], u: uniform(0, 1) }, { b: randint(0, 5) }];
    return list;
  },
};

describe("parameterGrid", () => {
  it("lists candidates in scikit-learn's ParameterGrid order", () => {
    for (const c of fx.parameter_grid) expect(parameterGrid(c.grid)).toEqual(c.candidates);
  });

  it("explains empty value lists", () => {
    expect(() => parameterGrid({ C: [] })).toThrow('parameterGrid: values of "C" are an empty array; give at least one value.');
    expect(() => parameterGrid([])).toThrow("parameterGrid: the grid is an empty list; give at least one object of parameter values.");
  });
});

describe("parameterSampler", () => {
  it("draws scikit-learn's candidates for the same seed (without replacement from lists, rvs otherwise)", () => {
    expect(fx.parameter_sampler.length).toBe(40);
    for (const c of fx.parameter_sampler) {
      const got = parameterSampler(specs[c.spec](c.seed), c.n_iter, c.seed);
      expect(got.length, `${c.spec} ${c.seed} ${c.n_iter}`).toBe(c.candidates.length);
      got.forEach((cand, i) => {
        const want = c.candidates[i];
        expect(Object.keys(cand).sort()).toEqual(Object.keys(want).sort());
        for (const [k, v] of Object.entries(want)) {
          if (k === "C") expect(Math.abs((cand[k] as number) - (v as number)) / (v as number)).toBeLessThan(1e-14);
          else expect(cand[k], `${c.spec} ${c.seed} #${i} ${k}`).toBe(v);
        }
      });
    }
  });

  it("draws from scipy's parameterisations", () => {
    expect(uniform(0.5, 2).rvs(new RandomState(0))).toBe(0.5488135039273248 * 2 + 0.5);
    expect(randint(3, 17).toString()).toBe("randint(3, 17)");
    expect(() => loguniform(0, 1)).toThrow("loguniform(a, b): need 0 < a < b, got 0, 1.");
    expect(() => parameterSampler({ a: [1] }, 0)).toThrow("parameterSampler: nIter must be a positive integer, got 0.");
  });
});
