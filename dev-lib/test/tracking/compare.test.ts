import { beforeAll, describe, expect, it } from "vitest";
import { TrackingError, metricChartSvg, niceTicks } from "@trellis/dev";
import { uniqueName, useTrackers } from "./helpers";
import { findPython, runPython } from "../../../test/helpers/python";

/** A strict check that `text` is one well-formed XML element (tags balanced, attributes quoted, entities known). */
function wellFormedXml(text: string): { root: string; elements: string[] } {
  const elements: string[] = [];
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let root = "";
  while ((m = re.exec(text)) !== null) {
    if (m[6] !== undefined) throw new Error(`stray "<" at ${m.index}: ${text.slice(m.index, m.index + 30)}`);
    if (m[5] !== undefined) {
      if (stack.length === 0 && m[5].trim() !== "") throw new Error(`text outside the root at ${m.index}`);
      const bad = /&(?!(?:amp|lt|gt|quot|#39|apos);)/.exec(m[5]);
      if (bad) throw new Error(`bare "&" at ${m.index + bad.index}`);
      continue;
    }
    if (m[2] === undefined) continue;
    const [, close, name, attrs, selfClose] = m;
    if (attrs && /&(?!(?:amp|lt|gt|quot|#39|apos);)/.test(attrs)) throw new Error(`bare "&" in the attributes of <${name}>`);
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
      continue;
    }
    if (stack.length === 0) {
      if (root) throw new Error("more than one root element");
      root = name;
    }
    elements.push(name);
    if (!selfClose) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join("> <")}>`);
  return { root, elements };
}

/** Whether Python's own XML parser accepts `xml` (null when there is no Python: see test/helpers/python.ts). */
function pythonParses(xml: string): boolean | null {
  const py = findPython([]);
  if (py.missing !== undefined) return null;
  try {
    runPython(py, "import sys, xml.etree.ElementTree as E; E.fromstring(sys.stdin.read())", [], xml);
    return true;
  } catch {
    return false;
  }
}

describe("metricChartSvg", () => {
  const svg = metricChartSvg("loss <train>", [
    { label: "a & b", points: [{ step: 0, value: 1 }, { step: 1, value: 0.5 }, { step: 2, value: Number.NaN }, { step: 3, value: 0.25 }] },
    { label: "c", points: [{ step: 2, value: 0.75 }, { step: 0, value: 0.8 }] },
  ], { width: 400, height: 300 });

  it("is a well-formed standalone SVG with escaped text", () => {
    const { root, elements } = wellFormedXml(svg);
    expect(root).toBe("svg");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"')).toBe(true);
    expect(elements.filter((e) => e === "path").length).toBe(2);
    expect(svg).toContain("<title>loss &lt;train&gt;</title>");
    expect(svg).toContain('data-label="a &amp; b"');
    const python = pythonParses(svg);
    if (python === null) console.warn("no Python: the SVG is checked by the built-in XML check only");
    else expect(python).toBe(true);
  });

  it("places points on linear scales, sorts by step and breaks lines at non-finite values", () => {
    // Plot area: x from 60 to 250 (steps 0…3), y from 32 to 260; values 0.25…1 padded by 5% of the range.
    const sx = (s: number) => 60 + (s / 3) * 190;
    const lo = 0.25 - 0.0375;
    const hi = 1 + 0.0375;
    const sy = (v: number) => 32 + 228 - ((v - lo) / (hi - lo)) * 228;
    const r = (x: number) => String(Math.round(x * 100) / 100);
    const paths = [...svg.matchAll(/<path class="line" d="([^"]+)"/g)].map((m) => m[1]);
    expect(paths).toEqual([
      `M${r(sx(0))},${r(sy(1))}L${r(sx(1))},${r(sy(0.5))}M${r(sx(3))},${r(sy(0.25))}`,
      `M${r(sx(0))},${r(sy(0.8))}L${r(sx(2))},${r(sy(0.75))}`,
    ]);
    expect([...svg.matchAll(/<circle /g)].length).toBe(5);
  });

  it("draws an empty chart without series", () => {
    expect(wellFormedXml(metricChartSvg("m", [])).elements).not.toContain("path");
  });

  it("picks round ticks", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 17, 4)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });
});

describe.each(useTrackers())("compareRuns on $name", (ctx) => {
  const experiment = uniqueName("compare");
  let a = "";
  let b = "";
  beforeAll(async () => {
    a = await ctx.tracker.run({ experiment, name: "lr" }, async (run) => {
      await run.logParams({ C: 1, solver: "lbfgs" });
      for (let s = 0; s < 3; s++) await run.logMetric("loss", 1 / (s + 1), { step: s });
      await run.logMetric("auc", 0.81);
      return run.id;
    });
    b = await ctx.tracker.run({ experiment, name: "lr" }, async (run) => {
      await run.logParams({ C: 0.1, solver: "lbfgs", penalty: "l1" });
      for (let s = 0; s < 2; s++) await run.logMetric("loss", 0.9 / (s + 1), { step: s });
      return run.id;
    });
  });

  it("holds attributes, params and metrics as rows with one column per run", async () => {
    const cmp = await ctx.tracker.compareRuns([a, b]);
    const la = `lr [${a.slice(0, 8)}]`;
    const lb = `lr [${b.slice(0, 8)}]`;
    expect(cmp.table.schema.fields.map((f) => f.name)).toEqual(["kind", "key", la, lb]);
    const rows = cmp.table.toArray().map((r) => [r.kind, r.key, r[la], r[lb]]);
    expect(rows.slice(6)).toEqual([
      ["param", "C", "1", "0.1"],
      ["param", "penalty", null, "l1"],
      ["param", "solver", "lbfgs", "lbfgs"],
      ["metric", "auc", "0.81", null],
      ["metric", "loss", "0.333333", "0.45"],
    ]);
    expect(rows.slice(0, 3)).toEqual([
      ["attribute", "run_id", a, b],
      ["attribute", "experiment", experiment, experiment],
      ["attribute", "status", "FINISHED", "FINISHED"],
    ]);
    expect(cmp.metrics.toArray().map((r) => [r.key, r[la], r[lb]])).toEqual([
      ["auc", 0.81, null],
      ["loss", 1 / 3, 0.45],
    ]);
    expect(cmp.chartMetric).toBe("loss");
    expect(cmp.histories.get("loss")!.get(a)!.map((p) => p.value)).toEqual([1, 0.5, 1 / 3]);
  });

  it("prints aligned text, renders HTML with differing rows marked and the chart inline", async () => {
    const cmp = await ctx.tracker.compareRuns([a, b]);
    const text = cmp.toString().split("\n");
    expect(text[0]).toBe("Comparison of 2 runs");
    const paramLine = text.find((l) => l.startsWith("param      C "))!;
    const header = text[1];
    expect(paramLine.indexOf("0.1")).toBe(header.indexOf(`lr [${b.slice(0, 8)}]`));
    const html = cmp.toHTML();
    expect(html).toContain('<tr data-status="warn"');
    const marked = html
      .split("<tr")
      .filter((r) => r.startsWith(' data-status="warn"'))
      .map((r) => /<td[^>]*>[^<]*<\/td><td[^>]*>([^<]*)<\/td>/.exec(r)![1]);
    expect(marked.filter((k) => k !== "start_time" && k !== "duration_s")).toEqual(["C", "penalty", "auc", "loss"]);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(wellFormedXml(cmp.chart("loss")).elements.filter((e) => e === "path").length).toBe(2);
    const auc = cmp.chart("auc");
    expect([...auc.matchAll(/<circle /g)].length).toBe(1);
  });

  it("refuses unknown metrics, duplicate and missing runs", async () => {
    await expect(ctx.tracker.compareRuns([a, b], { metric: "f1" })).rejects.toThrow(
      new TrackingError('compareRuns: none of the runs logged metric "f1"; they logged "auc", "loss".'),
    );
    await expect(ctx.tracker.compareRuns([a, a])).rejects.toThrow(`compareRuns: run "${a}" is listed twice.`);
    await expect(ctx.tracker.compareRuns([a, "missing"])).rejects.toThrow('getRun: run "missing" does not exist.');
    await expect(ctx.tracker.compareRuns([])).rejects.toThrow("compareRuns: expected a non-empty array of run ids.");
  });
});
