import { describe, expect, it } from "vitest";
import { extent, linearScale, logScale, niceDomain, niceTicks, pathData, tickLabel, tickStep } from "../../src/charts/svg";

describe("chart scales and ticks", () => {
  it("steps ticks by 1, 2 or 5 times a power of ten", () => {
    expect(tickStep(0, 1, 5)).toBe(0.2);
    expect(tickStep(0, 278, 6)).toBe(50);
    expect(tickStep(0, 0.004, 8)).toBe(0.0005);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1.84, 278, 6)).toEqual([50, 100, 150, 200, 250]);
    expect(niceTicks(3, 3, 5)).toEqual([3]);
  });

  it("widens a domain to round values, and a single value around itself", () => {
    expect(niceDomain(1.84, 278)).toEqual([0, 300]);
    expect(niceDomain(-0.37, 0.81)).toEqual([-0.4, 1]);
    expect(niceDomain(5, 5)).toEqual([2.5, 7.5]);
    expect(niceDomain(0, 0)).toEqual([0, 1]);
    expect(niceDomain(Infinity, -Infinity)).toEqual([0, 1]);
  });

  it("maps linearly and logarithmically, both ways", () => {
    const x = linearScale([0, 10], [100, 300]);
    expect([x(0), x(5), x(10), x.invert(250)]).toEqual([100, 200, 300, 7.5]);
    const y = linearScale([0, 1], [400, 0]);
    expect(y(0.25)).toBe(300);
    const l = logScale([0.01, 100], [0, 400]);
    expect(l(1)).toBeCloseTo(200, 12);
    expect(l.invert(300)).toBeCloseTo(10, 12);
    expect(l.ticks(5)).toEqual([0.01, 0.1, 1, 10, 100]);
  });

  it("labels ticks briefly, finds extents of any length and breaks paths at nulls", () => {
    expect([0, 0.2, 1500, 1e7, 0.00001, 1 / 3].map(tickLabel)).toEqual(["0", "0.2", "1500", "1.0e7", "1.0e-5", "0.3333"]);
    expect(extent(Float64Array.from({ length: 500_000 }, (_, i) => i - 7))).toEqual([-7, 499_992]);
    expect(pathData([[0, 0], [1.234, 5.678], null, [3, 4]])).toBe("M0,0L1.23,5.68M3,4");
  });
});
