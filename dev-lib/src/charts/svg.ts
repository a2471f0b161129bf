/**
 * A small SVG writer for the charts: linear, log and band scales with "nice" ticks (the 1-2-5 rule),
 * a frame with axes, grid lines, a title and a legend, and the marks the charts draw. Output is plain
 * SVG text with the `xmlns` attribute, so it displays as an image on its own, inline in HTML and in a
 * notebook, with no browser and no DOM.
 */
import { escapeHtml } from "@trellis/shared";

/** The colours of series and categories, in order (Tableau 10). */
export const PALETTE = ["#4e79a7", "#f28e2c", "#e15759", "#76b7b2", "#59a14f", "#edc949", "#af7aa1", "#ff9da7", "#9c755f", "#bab0ab"];

/** A numeric scale: maps domain values to pixels. */
export interface Scale {
  (value: number): number;
  readonly kind: "linear" | "log";
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** The inverse mapping, pixels to domain values. */
  invert(pixel: number): number;
  /** About `count` round tick values inside the domain. */
  ticks(count: number): number[];
}

/** The step of about `count` round ticks over [lo, hi]: 1, 2 or 5 times a power of ten. */
export function tickStep(lo: number, hi: number, count: number): number {
  const raw = Math.abs(hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = Math.floor(Math.log10(raw));
  const error = raw / 10 ** power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.SQRT2 ? 2 : 1;
  return factor * 10 ** power;
}

/** Round tick values between lo and hi (inclusive), about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (lo === hi) return [lo];
  const step = tickStep(lo, hi, count);
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** The domain widened to round tick values (a zero-width domain widened by one unit). */
export function niceDomain(lo: number, hi: number, count = 6): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return lo === 0 ? [0, 1] : [lo - Math.abs(lo) * 0.5, hi + Math.abs(hi) * 0.5];
  const step = tickStep(lo, hi, count);
  return [Number((Math.floor(lo / step) * step).toPrecision(12)), Number((Math.ceil(hi / step) * step).toPrecision(12))];
}

/** A linear scale from domain to range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const scale = ((v: number) => r0 + (v - d0) * k) as Scale;
  return Object.assign(scale, {
    kind: "linear" as const,
    domain: [d0, d1] as const,
    range: [r0, r1] as const,
    invert: (p: number) => (k === 0 ? d0 : d0 + (p - r0) / k),
    ticks: (count: number) => niceTicks(Math.min(d0, d1), Math.max(d0, d1), count),
  });
}

/** A base-10 log scale (domain values must be positive). */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const l0 = Math.log10(d0);
  const l1 = Math.log10(d1);
  const [r0, r1] = range;
  const k = l1 === l0 ? 0 : (r1 - r0) / (l1 - l0);
  const scale = ((v: number) => r0 + (Math.log10(v) - l0) * k) as Scale;
  return Object.assign(scale, {
    kind: "log" as const,
    domain: [d0, d1] as const,
    range: [r0, r1] as const,
    invert: (p: number) => 10 ** (k === 0 ? l0 : l0 + (p - r0) / k),
    ticks: () => {
      const out: number[] = [];
      for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) {
        const v = 10 ** e;
        if (v >= d0 * (1 - 1e-12) && v <= d1 * (1 + 1e-12)) out.push(Number(v.toPrecision(12)));
      }
      return out.length ? out : [d0, d1];
    },
  });
}

/** Pixel coordinates written with two decimals (enough for any screen, and short). */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A tick label: round numbers as they are, others with up to 4 significant digits. */
export function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(1).replace("e+", "e");
  return String(Number(value.toPrecision(4)));
}

/** The smallest and largest of many numbers (no argument spreading, so any length works). */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Escapes text for SVG content and attributes. */
export const xml = escapeHtml;

/** Size and margins of a chart in pixels. */
export interface FrameOptions {
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Extra left margin for long category labels (pixels). */
  marginLeft?: number;
  /** Extra right margin for a legend outside the plot (pixels). */
  marginRight?: number;
}

/** Where a legend goes. */
export type LegendCorner = "top-right" | "top-left" | "bottom-right" | "bottom-left";

/** One legend entry. */
export interface LegendItem {
  label: string;
  color: string;
  dashed?: boolean;
  /** A filled square instead of a line. */
  swatch?: boolean;
}

/** The plot area and the SVG parts drawn so far. */
export class Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  private readonly parts: string[] = [];
  private readonly options: FrameOptions;

  constructor(options: FrameOptions) {
    this.options = options;
    this.width = options.width ?? 640;
    this.height = options.height ?? 400;
    this.left = options.marginLeft ?? 60;
    this.right = this.width - (options.marginRight ?? 20);
    this.top = options.title ? 36 : 16;
    this.bottom = this.height - 48;
  }

  /** Appends raw SVG markup (already escaped). */
  add(markup: string): void {
    this.parts.push(markup);
  }

  /** Draws the x axis of a numeric scale: ticks, labels, vertical grid lines, axis title. */
  xAxis(scale: Scale, count = 8, grid = true): void {
    const ticks = scale.ticks(count);
    const out = [`<g class="x-axis" font-size="11" text-anchor="middle">`];
    for (const t of ticks) {
      const x = px(scale(t));
      if (grid) out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${px(this.top)}" y2="${px(this.bottom)}" stroke="#eee"/>`);
      out.push(`<line x1="${x}" x2="${x}" y1="${px(this.bottom)}" y2="${px(this.bottom + 5)}" stroke="#666"/>`);
      out.push(`<text x="${x}" y="${px(this.bottom + 18)}">${xml(tickLabel(t))}</text>`);
    }
    out.push(`<line x1="${px(this.left)}" x2="${px(this.right)}" y1="${px(this.bottom)}" y2="${px(this.bottom)}" stroke="#666"/>`);
    out.push("</g>");
    this.parts.unshift(out.join(""));
  }

  /** Draws the y axis of a numeric scale: ticks, labels, horizontal grid lines. */
  yAxis(scale: Scale, count = 6, grid = true): void {
    const ticks = scale.ticks(count);
    const out = [`<g class="y-axis" font-size="11" text-anchor="end">`];
    for (const t of ticks) {
      const y = px(scale(t));
      if (grid) out.push(`<line class="grid" x1="${px(this.left)}" x2="${px(this.right)}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      out.push(`<line x1="${px(this.left - 5)}" x2="${px(this.left)}" y1="${y}" y2="${y}" stroke="#666"/>`);
      out.push(`<text x="${px(this.left - 8)}" y="${y}" dy="0.32em">${xml(tickLabel(t))}</text>`);
    }
    out.push(`<line x1="${px(this.left)}" x2="${px(this.left)}" y1="${px(this.top)}" y2="${px(this.bottom)}" stroke="#666"/>`);
    out.push("</g>");
    this.parts.unshift(out.join(""));
  }

  /** Category labels along the x axis at the given pixel centres. */
  xBandAxis(labels: readonly string[], centres: readonly number[]): void {
    const rotate = labels.some((l) => l.length > 8) && labels.length > 4;
    const out = [`<g class="x-axis" font-size="11" text-anchor="${rotate ? "end" : "middle"}">`];
    labels.forEach((label, i) => {
      const x = px(centres[i]!);
      const y = px(this.bottom + 16);
      out.push(
        rotate
          ? `<text transform="translate(${x},${y}) rotate(-30)">${xml(truncate(label))}</text>`
          : `<text x="${x}" y="${y}">${xml(truncate(label))}</text>`,
      );
    });
    out.push(`<line x1="${px(this.left)}" x2="${px(this.right)}" y1="${px(this.bottom)}" y2="${px(this.bottom)}" stroke="#666"/>`);
    out.push("</g>");
    this.parts.unshift(out.join(""));
  }

  /** Category labels along the y axis at the given pixel centres. */
  yBandAxis(labels: readonly string[], centres: readonly number[]): void {
    const out = [`<g class="y-axis" font-size="11" text-anchor="end">`];
    labels.forEach((label, i) => {
      out.push(`<text x="${px(this.left - 6)}" y="${px(centres[i]!)}" dy="0.32em">${xml(truncate(label, 40))}</text>`);
    });
    out.push("</g>");
    this.parts.unshift(out.join(""));
  }

  /** A legend in a corner of the plot area (default top right). */
  legend(items: readonly LegendItem[], corner: LegendCorner = "top-right"): void {
    if (items.length === 0) return;
    const widest = Math.max(...items.map((i) => i.label.length));
    const w = Math.min(260, 34 + widest * 6.5);
    const h = items.length * 16 + 8;
    const x0 = corner.endsWith("right") ? this.right - w - 6 : this.left + 6;
    const y0 = corner.startsWith("top") ? this.top + 6 : this.bottom - h - 6;
    const out = [
      `<g class="legend" font-size="11">`,
      `<rect x="${px(x0)}" y="${px(y0)}" width="${px(w)}" height="${px(h)}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`,
    ];
    items.forEach((item, i) => {
      const y = y0 + 12 + i * 16;
      out.push(
        item.swatch
          ? `<rect x="${px(x0 + 8)}" y="${px(y - 5)}" width="14" height="10" fill="${item.color}"/>`
          : `<line x1="${px(x0 + 6)}" x2="${px(x0 + 24)}" y1="${px(y)}" y2="${px(y)}" stroke="${item.color}" stroke-width="2"${item.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
      );
      out.push(`<text x="${px(x0 + 30)}" y="${px(y)}" dy="0.32em">${xml(item.label)}</text>`);
    });
    out.push("</g>");
    this.parts.push(out.join(""));
  }

  /** The finished SVG document. */
  render(description: string): string {
    const o = this.options;
    const head = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="12" role="img">`,
      `<title>${xml(description)}</title>`,
      `<rect class="background" width="${this.width}" height="${this.height}" fill="white"/>`,
    ];
    if (o.title) head.push(`<text class="title" x="${px(this.left)}" y="22" font-size="14" font-weight="600">${xml(o.title)}</text>`);
    const tail: string[] = [];
    if (o.xLabel) {
      tail.push(`<text class="x-label" x="${px((this.left + this.right) / 2)}" y="${px(this.height - 8)}" text-anchor="middle">${xml(o.xLabel)}</text>`);
    }
    if (o.yLabel) {
      const cy = (this.top + this.bottom) / 2;
      tail.push(`<text class="y-label" transform="translate(14,${px(cy)}) rotate(-90)" text-anchor="middle">${xml(o.yLabel)}</text>`);
    }
    return [...head, ...this.parts, ...tail, "</svg>"].join("\n");
  }
}

function truncate(label: string, max = 24): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/** An SVG path through points; a null point breaks the line (a gap for missing values). */
export function pathData(points: readonly (readonly [number, number] | null)[]): string {
  const out: string[] = [];
  let pen = false;
  for (const p of points) {
    if (p === null) {
      pen = false;
      continue;
    }
    out.push(`${pen ? "L" : "M"}${px(p[0])},${px(p[1])}`);
    pen = true;
  }
  return out.join("");
}
