import { DOMParser } from "@xmldom/xmldom";
import type { Element } from "@xmldom/xmldom";

export type { Element };
import type { Chart } from "../../src/charts/chart";

/** Parses SVG text as strict XML (any warning or error fails), returning the document element. */
export function parseSvg(svg: string): Element {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`SVG is not well-formed XML (${level}): ${message}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.tagName !== "svg") throw new Error("no <svg> root element");
  return root;
}

/** Elements with a tag name and a class attribute. */
export function marks(root: Element, tag: string, cls: string): Element[] {
  return Array.from(root.getElementsByTagName(tag)).filter((e) => (e.getAttribute("class") ?? "").split(" ").includes(cls));
}

/** The vertices of an SVG path made of M/L commands. */
export function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Maps pixels back to data values with the chart's recorded scales. */
export function invert(chart: Chart, [x, y]: [number, number]): [number, number] {
  const inv = (s: NonNullable<Chart["scales"]["x"]>, p: number) => {
    const t = (p - s.range[0]) / (s.range[1] - s.range[0]);
    return s.kind === "log" ? 10 ** (Math.log10(s.domain[0]) + t * (Math.log10(s.domain[1]) - Math.log10(s.domain[0]))) : s.domain[0] + t * (s.domain[1] - s.domain[0]);
  };
  return [inv(chart.scales.x!, x), inv(chart.scales.y!, y)];
}

export const num = (e: Element, attr: string): number => Number(e.getAttribute(attr));
