import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { barChart, histogram, histogramBins, lineChart, scatterChart } from "../../src/charts/basic";
import { valueCounts } from "../../src/explore/value-counts";
import { golden, readFixture } from "../explore/helpers";
import { marks, num, parseSvg, pathPoints, invert } from "./svg-helpers";

const train = readFixture("mixed_train.csv");
const dir = mkdtempSync(join(tmpdir(), "trellis-charts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("histogramBins", () => {
  // numpy's np.histogram on fixture columns, made by dev-lib/test/fixtures/make_explore.py.
  for (const [key, ref] of Object.entries(golden.histogram as Record<string, { counts: number[]; edges: number[] }>)) {
    it(`equals np.histogram for ${key}`, () => {
      const [column, bins] = key.split(".");
      const got = histogramBins(Array.from(train.getChild(column!)!, (v) => v as number | null), { bins: bins === "sturges" ? "sturges" : Number(bins) });
      expect([...got.counts]).toEqual(ref.counts);
      got.edges.forEach((e, i) => expect(Math.abs(e - ref.edges[i]!)).toBeLessThanOrEqual(1e-9 * Math.abs(ref.edges[i]!) + 1e-12));
    });
  }

  it("puts the maximum in the last bin and widens a single value by 0.5 each side", () => {
    expect(histogramBins([1, 2, 2, 3, 4], { bins: 3 })).toEqual({ edges: Float64Array.from([1, 2, 3, 4]), counts: Int32Array.from([1, 2, 2]) });
    expect(histogramBins([5, 5], { bins: 2 })).toEqual({ edges: Float64Array.from([4.5, 5, 5.5]), counts: Int32Array.from([0, 2]) });
    expect(() => histogramBins([1], { bins: 0 })).toThrow('histogramBins: bins must be a whole number ≥ 1 or "sturges", got 0.');
  });
});

describe("histogram", () => {
  it("draws one bar per bin, heights proportional to counts, as well-formed SVG with xmlns", () => {
    const chart = histogram(train, "monthly_spend");
    const ref = golden.histogram["monthly_spend.sturges"] as { counts: number[] };
    const root = parseSvg(chart.svg);
    expect(root.getAttribute("xmlns")).toBe("http://www.w3.org/2000/svg");
    const bars = marks(root, "rect", "bar");
    expect(bars.map((b) => num(b, "data-count"))).toEqual(ref.counts);
    const perCount = num(bars[0]!, "height") / ref.counts[0]!;
    bars.forEach((b, i) => expect(num(b, "height")).toBeCloseTo(ref.counts[i]! * perCount, 1));
    // bars sit on the x axis and follow each other left to right
    const baseline = chart.scales.y!.range[0];
    bars.forEach((b) => expect(num(b, "y") + num(b, "height")).toBeCloseTo(baseline, 1));
    for (let i = 1; i < bars.length; i++) expect(num(bars[i]!, "x")).toBeGreaterThan(num(bars[i - 1]!, "x"));
    expect(String(chart)).toBe("histogram of monthly_spend: 11 bins over [1.84, 278], 574 values (26 missing left out)");
    expect(chart.toHTML()).toBe(chart.svg);
  });

  it("takes plain numbers and saves the SVG atomically", () => {
    const chart = histogram([1, 2, 2, 3, null], { bins: 3, title: "Small" });
    const path = chart.save(join(dir, "small.svg"));
    expect(readFileSync(path, "utf8")).toBe(`${chart.svg}\n`);
    expect(chart.svg).toContain(">Small</text>");
    expect(() => chart.save(join(dir, "missing-folder", "x.svg"))).toThrow(/Chart\.save: cannot write .*x\.svg.*check the folder exists and is writable\./);
    expect(() => histogram(train, "plan")).toThrow('histogram: column "plan" has type Utf8; pass a numeric column.');
  });
});

describe("charts of many values", () => {
  it("bins 300,000 values and draws a 300,000-point line without exhausting the stack", () => {
    const values = Float64Array.from({ length: 300_000 }, (_, i) => Math.sin(i) * 100);
    const chart = histogram(values, { bins: 10 });
    expect(marks(parseSvg(chart.svg), "rect", "bar").reduce((s, b) => s + num(b, "data-count"), 0)).toBe(300_000);
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ t: i, v: values[i]! }));
    expect(String(lineChart(rows, "t", "v"))).toBe("line chart of v by t: 300000 points per line");
  });
});

describe("barChart", () => {
  it("draws a valueCounts report as one bar per value, lengths proportional to counts", () => {
    const chart = barChart(valueCounts(train, "plan"));
    const root = parseSvg(chart.svg);
    const bars = marks(root, "rect", "bar");
    expect(bars.map((b) => num(b, "data-value"))).toEqual([293, 174, 133]);
    const ratio = num(bars[1]!, "height") / num(bars[0]!, "height");
    expect(ratio).toBeCloseTo(174 / 293, 3);
    const labels = Array.from(root.getElementsByTagName("text")).map((t) => t.textContent);
    expect(labels).toEqual(expect.arrayContaining(["basic", "plus", "pro", "value counts of plan"]));
  });

  it("names its columns and refuses a table without numbers", () => {
    const chart = barChart([{ plan: "basic", n: 3 }, { plan: "pro", n: -1 }], { label: "plan", value: "n", horizontal: true });
    const bars = marks(parseSvg(chart.svg), "rect", "bar");
    expect(num(bars[0]!, "width") / num(bars[1]!, "width")).toBeCloseTo(3, 2);
    expect(() => barChart([{ a: "x" }])).toThrow("barChart: the table has no numeric column for the bar lengths; name one with the value option.");
  });
});

describe("scatterChart and lineChart", () => {
  it("places one circle per complete row at its coordinates", () => {
    const t = tableFromRows([{ x: 1, y: 10, g: "a" }, { x: 2, y: null, g: "b" }, { x: 3, y: 30, g: "b" }]);
    const chart = scatterChart(t, "x", "y", { color: "g" });
    const points = marks(parseSvg(chart.svg), "circle", "point");
    expect(points).toHaveLength(2);
    const back = points.map((p) => invert(chart, [num(p, "cx"), num(p, "cy")]));
    expect(back[0]![0]).toBeCloseTo(1, 1);
    expect(back[1]![1]).toBeCloseTo(30, 0);
    expect(points[0]!.getAttribute("fill")).not.toBe(points[1]!.getAttribute("fill"));
    expect(String(chart)).toBe("scatter of y against x: 2 points (1 with a missing value left out)");
  });

  it("draws one path per y column through its points, breaking at a missing value", () => {
    const t = tableFromRows([{ d: 0, a: 1, b: 2 }, { d: 1, a: null, b: 3 }, { d: 2, a: 3, b: 4 }]);
    const chart = lineChart(t, "d", ["a", "b"]);
    const lines = marks(parseSvg(chart.svg), "path", "line");
    expect(lines.map((l) => l.getAttribute("data-series"))).toEqual(["a", "b"]);
    expect(lines[0]!.getAttribute("d")!.match(/M/g)).toHaveLength(2);
    const pts = pathPoints(lines[1]!.getAttribute("d")!).map((p) => invert(chart, p));
    pts.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(i, 1);
      expect(y).toBeCloseTo(i + 2, 1);
    });
  });
});
