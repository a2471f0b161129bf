/**
 * Candidate parameters of the searches, in scikit-learn's order: `parameterGrid` as its
 * `ParameterGrid` (sorted keys, the last key varying fastest) and `parameterSampler` as its
 * `ParameterSampler` (the same candidates for the same integer seed), with scipy-parameterised
 * distributions.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { RandomState } from "../random/mt19937";

/** Values to try per parameter name (`step__param` for nested estimators); or a list of such grids. */
export type ParamGrid = Readonly<Record<string, readonly unknown[]>> | readonly Readonly<Record<string, readonly unknown[]>>[];

/** A distribution to draw parameter values from, with numpy's legacy generator. */
export interface Distribution {
  rvs(rng: RandomState): unknown;
  /** How the distribution prints, e.g. "loguniform(0.001, 100)". */
  toString(): string;
}

/** Per parameter: a list sampled uniformly, or a {@link Distribution}; or a list of such objects. */
export type ParamDistributions =
  | Readonly<Record<string, readonly unknown[] | Distribution>>
  | readonly Readonly<Record<string, readonly unknown[] | Distribution>>[];

function isDistribution(v: unknown): v is Distribution {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as Distribution).rvs === "function";
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function asList<T>(grid: T | readonly T[], owner: string): readonly T[] {
  const list = Array.isArray(grid) ? (grid as readonly T[]) : [grid as T];
  if (list.length === 0) throw new InvalidArgumentError(`${owner}: the grid is an empty list; give at least one object of parameter values.`);
  for (const g of list) {
    if (typeof g !== "object" || g === null || Array.isArray(g)) throw new InvalidArgumentError(`${owner}: each grid must be an object of parameter name → values, got ${JSON.stringify(g)}.`);
  }
  return list;
}

function checkValues(owner: string, key: string, v: unknown): readonly unknown[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${owner}: values of ${JSON.stringify(key)} must be an array, got ${typeof v}.`);
  if (v.length === 0) throw new InvalidArgumentError(`${owner}: values of ${JSON.stringify(key)} are an empty array; give at least one value.`);
  return v;
}

/**
 * Every combination of a grid, in scikit-learn's `ParameterGrid` order, so candidate k here is
 * candidate k of `GridSearchCV.cv_results_` there.
 * @example
 * parameterGrid({ C: [0.1, 1], penalty: ["l2", null] });
 * // [{ C: 0.1, penalty: "l2" }, { C: 0.1, penalty: null }, { C: 1, penalty: "l2" }, { C: 1, penalty: null }]
 */
export function parameterGrid(grid: ParamGrid): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const g of asList(grid, "parameterGrid")) {
    const keys = Object.keys(g).sort(byCodePoint);
    if (keys.length === 0) {
      out.push({});
      continue;
    }
    const values = keys.map((k) => checkValues("parameterGrid", k, g[k]));
    const idx = new Array<number>(keys.length).fill(0);
    for (;;) {
      const c: Record<string, unknown> = {};
      keys.forEach((k, j) => (c[k] = values[j][idx[j]]));
      out.push(c);
      let j = keys.length - 1;
      while (j >= 0 && ++idx[j] === values[j].length) idx[j--] = 0;
      if (j < 0) break;
    }
  }
  return out;
}

/**
 * scipy's `uniform(loc, scale)`: uniform on [loc, loc + scale].
 * @example uniform(0.5, 2).rvs(new RandomState(0)) // 1.5976270078546495
 */
export function uniform(loc = 0, scale = 1): Distribution {
  if (!Number.isFinite(loc) || !(scale > 0)) throw new InvalidArgumentError(`uniform(loc, scale): need a finite loc and scale > 0, got ${loc}, ${scale}.`);
  return { rvs: (rng) => rng.uniform(0, 1) * scale + loc, toString: () => `uniform(${loc}, ${scale})` };
}

/**
 * scipy's `loguniform(a, b)` (reciprocal): log-uniform on [a, b], drawn by inverting its CDF as
 * scipy does.
 * @example loguniform(1e-3, 1e2).rvs(new RandomState(0)) // ≈ 0.5547119471592125
 */
export function loguniform(a: number, b: number): Distribution {
  if (!(a > 0) || !(b > a) || !Number.isFinite(b)) throw new InvalidArgumentError(`loguniform(a, b): need 0 < a < b, got ${a}, ${b}.`);
  const la = Math.log(a);
  const lb = Math.log(b);
  return { rvs: (rng) => Math.exp(la + rng.uniform(0, 1) * (lb - la)), toString: () => `loguniform(${a}, ${b})` };
}

/**
 * scipy's `randint(low, high)`: integers in [low, high).
 * @example randint(3, 17).rvs(new RandomState(0)) // 15
 */
export function randint(low: number, high: number): Distribution {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new InvalidArgumentError(`randint(low, high): need integers low < high, got ${low}, ${high}.`);
  return { rvs: (rng) => rng.randint(low, high), toString: () => `randint(${low}, ${high})` };
}

/** scikit-learn's `sample_without_replacement` (method "auto") on numpy's generator. */
function sampleWithoutReplacement(nPop: number, nSamples: number, rng: RandomState): Int32Array {
  const ratio = nPop === 0 ? 1 : nSamples / nPop;
  if (ratio > 0.01 && ratio < 0.99) return rng.permutation(nPop).slice(0, nSamples);
  const out = new Int32Array(nSamples);
  if (ratio < 0.2) {
    const selected = new Set<number>();
    for (let i = 0; i < nSamples; i++) {
      let j = rng.randint(nPop);
      while (selected.has(j)) j = rng.randint(nPop);
      selected.add(j);
      out[i] = j;
    }
    return out;
  }
  for (let i = 0; i < nSamples; i++) out[i] = i;
  for (let i = nSamples; i < nPop; i++) {
    const j = rng.randint(0, i + 1);
    if (j < nSamples) out[j] = i;
  }
  return out;
}

/**
 * `nIter` candidates drawn as scikit-learn's `ParameterSampler` draws them for the same integer
 * seed: when every value is a list, distinct grid points without replacement; otherwise per
 * candidate, keys in sorted order, lists sampled uniformly and distributions through `rvs`.
 * @example
 * parameterSampler({ C: loguniform(1e-3, 1e2), penalty: ["l2", null] }, 10, 0);
 */
export function parameterSampler(distributions: ParamDistributions, nIter: number, randomState = 0): Record<string, unknown>[] {
  const owner = "parameterSampler";
  if (!Number.isInteger(nIter) || nIter < 1) throw new InvalidArgumentError(`${owner}: nIter must be a positive integer, got ${String(nIter)}.`);
  const list = asList(distributions, owner);
  for (const d of list) {
    for (const [k, v] of Object.entries(d)) {
      if (!isDistribution(v)) checkValues(owner, k, v);
    }
  }
  const rng = new RandomState(randomState);
  const allLists = list.every((d) => Object.values(d).every((v) => !isDistribution(v)));
  if (allLists) {
    const grid = parameterGrid(list as ParamGrid);
    const n = Math.min(nIter, grid.length);
    return Array.from(sampleWithoutReplacement(grid.length, n, rng), (i) => grid[i]);
  }
  const out: Record<string, unknown>[] = [];
  for (let it = 0; it < nIter; it++) {
    const d = list[rng.randint(list.length)];
    const c: Record<string, unknown> = {};
    for (const k of Object.keys(d).sort(byCodePoint)) {
      const v = d[k];
      c[k] = isDistribution(v) ? v.rvs(rng) : (v as readonly unknown[])[rng.randint((v as readonly unknown[]).length)];
    }
    out.push(c);
  }
  return out;
}
