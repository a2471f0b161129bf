import { readFileSync } from "node:fs";
import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { binIndex, buildReferenceProfile, quantileSorted, DECILES } from "../../src/monitor/profile";
import type { CategoricalColumnProfile, NumericColumnProfile } from "../../src/monitor/profile";

// numpy's np.quantile(x, deciles) and searchsorted(side="right") bin counts, made by
// prod-lib/test/fixtures/make_profile.py.
interface Case { values: number[]; edges: number[]; bin_counts: number[]; mean: number; std: number | null }
const golden = JSON.parse(readFileSync(new URL("../fixtures/profile.json", import.meta.url), "utf8")) as {
  cases: Record<string, Case>;
};

describe("quantileSorted", () => {
  it.each(Object.entries(golden.cases))("matches np.quantile to the last bit on %s", (_name, c) => {
    const sorted = Float64Array.from(c.values).sort();
    expect(DECILES.map((q) => quantileSorted(sorted, q))).toEqual(c.edges);
  });

  it("refuses an empty array and a q outside [0, 1]", () => {
    expect(() => quantileSorted([], 0.5)).toThrow("quantileSorted needs at least one value");
    expect(() => quantileSorted([1], 1.5)).toThrow("quantile q must be in [0, 1], got 1.5.");
  });
});

describe("binIndex", () => {
  it("counts the edges at or below the value, like searchsorted(side='right')", () => {
    const edges = [1, 2, 2, 3];
    expect([0.5, 1, 1.5, 2, 2.5, 3, 9].map((v) => binIndex(edges, v))).toEqual([0, 1, 1, 3, 3, 4, 4]);
  });
});

describe("buildReferenceProfile", () => {
  it.each(Object.entries(golden.cases))("gives numpy's edges, bin counts, mean and std on %s", (_name, c) => {
    const table = tableFromRows(c.values.map((x) => ({ x })));
    const p = buildReferenceProfile(table).columns.x as NumericColumnProfile;
    expect(p.kind).toBe("numeric");
    expect(p.edges).toEqual(c.edges);
    expect(p.binCounts).toEqual(c.bin_counts);
    expect(p.mean).toBeCloseTo(c.mean, 9);
    if (c.std === null) expect(p.std).toBeNull();
    else expect(p.std! / c.std).toBeCloseTo(1, 12);
  });

  it("counts nulls and NaN as nulls and takes shares over all rows", () => {
    const rows = [1, 2, null, 4, Number.NaN, 6, 7, 8, 9, 10].map((x) => ({ x }));
    const p = buildReferenceProfile(rows).columns.x as NumericColumnProfile;
    expect(p).toMatchObject({ count: 10, nulls: 2, nullRate: 0.2, min: 1, max: 10 });
    expect(p.binCounts.reduce((a, b) => a + b, 0)).toBe(8);
    expect(p.binShares.reduce((a, b) => a + b, 0) + p.nullRate).toBeCloseTo(1, 12);
  });

  it("profiles timestamps as epoch milliseconds and booleans as categories", () => {
    const t0 = Date.UTC(2025, 0, 1);
    const rows = Array.from({ length: 20 }, (_, i) => ({ ts: new Date(t0 + i * 86_400_000), ok: i % 4 === 0 }));
    const profile = buildReferenceProfile(rows);
    const ts = profile.columns.ts as NumericColumnProfile;
    expect(ts.min).toBe(t0);
    expect(ts.edges[4]).toBe(t0 + 9.5 * 86_400_000);
    const ok = profile.columns.ok as CategoricalColumnProfile;
    expect(ok.categories).toEqual([
      { value: "false", count: 15, share: 0.75 },
      { value: "true", count: 5, share: 0.25 },
    ]);
  });

  it("keeps the 1,000 most frequent categories, ties by value, and sums the rest as other", () => {
    const values: (string | null)[] = [];
    for (let i = 0; i < 1005; i++) values.push(`c${String(i).padStart(4, "0")}`);
    values.push("c1004", "c1004", "c0003", null);
    const p = buildReferenceProfile(values.map((v) => ({ v }))).columns.v as CategoricalColumnProfile;
    expect(p.distinct).toBe(1005);
    expect(p.categories).toHaveLength(1000);
    expect(p.categories[0]).toEqual({ value: "c1004", count: 3, share: 3 / 1009 });
    expect(p.categories[1]!.value).toBe("c0003");
    expect(p.categories[2]!.value).toBe("c0000");
    expect(p.otherCount).toBe(5);
    expect(p.nulls).toBe(1);
    expect(p.categories.reduce((s, c) => s + c.share, 0) + p.otherShare + p.nullRate).toBeCloseTo(1, 12);
  });

  it("skips columns it cannot profile unless they are named, and names a missing column", () => {
    const table = arrow.tableFromArrays({ x: Float64Array.from([1, 2]), b: [new Uint8Array([1]), new Uint8Array([2])] as never });
    const withBinary = tableFromRows([{ x: 1, b: new Uint8Array([1]) }]);
    expect(Object.keys(buildReferenceProfile(withBinary).columns)).toEqual(["x"]);
    expect(() => buildReferenceProfile(withBinary, { columns: ["b"] })).toThrow(
      'buildReferenceProfile: column "b" has type Binary, which cannot be profiled',
    );
    expect(() => buildReferenceProfile(table, { columns: ["y"] })).toThrow(
      'buildReferenceProfile: column "y" is not in the data (columns: x, b).',
    );
  });

  it("gives an empty edge list for a column without values", () => {
    const p = buildReferenceProfile([{ x: null, y: 1 }, { x: null, y: 2 }], { columns: ["y"] });
    expect(Object.keys(p.columns)).toEqual(["y"]);
    const schema = new arrow.Schema([new arrow.Field("x", new arrow.Float64(), true)]);
    const empty = buildReferenceProfile(tableFromRows([{ x: null }], schema)).columns.x as NumericColumnProfile;
    expect(empty).toMatchObject({ count: 1, nulls: 1, edges: [], binCounts: [], min: null, mean: null, std: null });
  });
});
