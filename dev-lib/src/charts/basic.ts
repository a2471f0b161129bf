/**
 * Charts of data: histogram, bar, scatter and line.
 */
import * as arrow from "apache-arrow";
import { formatValue, InvalidArgumentError } from "@trellis/shared";
import { columnKind, columnOf, numberOf, numericValues, toTable } from "../explore/input";
import type { ExploreInput } from "../explore/input";
import { Chart } from "./chart";
import type { ChartOptions } from "./chart";
import { Frame, PALETTE, extent, linearScale, logScale, niceDomain, pathData, px, tickLabel, xml } from "./svg";
import type { LegendCorner, LegendItem } from "./svg";
import { ExploreReport } from "../explore/report";

/** Options of {@link histogramBins}. */
export interface HistogramBinsOptions {
  /** Number of equal-width bins, or `"sturges"` (default: ⌈log2(n) + 1⌉ bins, numpy's rule). */
  bins?: number | "sturges";
  /** The range the bins cover (default: the values' min and max). Values outside it are not counted. */
  range?: readonly [number, number];
}

/** Bin edges and counts of a histogram. */
export interface HistogramBins {
  /** bins + 1 increasing edges. */
  edges: Float64Array;
  /** Values per bin; every bin is [edge_i, edge_i+1) except the last, which includes its right edge. */
  counts: Int32Array;
}

/**
 * Equal-width histogram counts, equal to numpy's `np.histogram(values, bins, range)` (edges from
 * `linspace(lo, hi, bins + 1)`, the last bin closed). Missing values (null, NaN) are skipped.
 * @example histogramBins([1, 2, 2, 3, 4], { bins: 3 }) // edges [1, 2, 3, 4], counts [1, 2, 2]
 */
export function histogramBins(values: ArrayLike<number | null | undefined>, options: HistogramBinsOptions = {}): HistogramBins {
  const fn = "histogramBins";
  const x: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = numberOf(values[i]);
    if (v !== null) {
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`${fn}: value ${v} at index ${i} is not finite; drop infinite values first.`);
      x.push(v);
    }
  }
  let lo: number;
  let hi: number;
  if (options.range) {
    [lo, hi] = options.range;
    if (!(lo <= hi)) throw new InvalidArgumentError(`${fn}: range must be [lo, hi] with lo ≤ hi, got [${lo}, ${hi}].`);
  } else if (x.length) {
    lo = Infinity;
    hi = -Infinity;
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    lo = 0;
    hi = 1;
  }
  if (lo === hi) {
    // numpy widens an empty range by 0.5 on each side.
    lo -= 0.5;
    hi += 0.5;
  }
  const spec = options.bins ?? "sturges";
  let n: number;
  if (spec === "sturges") {
    // numpy: a bin width of ptp / (log2(size) + 1), then ceil(range / width) bins (1 when ptp is 0).
    let ptp = 0;
    if (x.length) {
      const [min, max] = extent(x);
      ptp = max - min;
    }
    const width = x.length ? ptp / (Math.log2(x.length) + 1) : 0;
    n = width > 0 ? Math.ceil((hi - lo) / width) : 1;
  } else n = spec;
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${fn}: bins must be a whole number ≥ 1 or "sturges", got ${String(spec)}.`);
  const edges = new Float64Array(n + 1);
  const step = (hi - lo) / n;
  for (let i = 0; i <= n; i++) edges[i] = i === n ? hi : lo + i * step;
  const counts = new Int32Array(n);
  const norm = n / (hi - lo);
  for (const v of x) {
    if (v < lo || v > hi) continue;
    // numpy's fast path: scale to a bin index, then correct for rounding against the edges.
    let k = Math.floor((v - lo) * norm);
    if (k >= n) k = n - 1;
    if (v < edges[k]!) k--;
    else if (k < n - 1 && v >= edges[k + 1]!) k++;
    counts[k]!++;
  }
  return { edges, counts };
}

/** Numeric values of a table column, or of a plain array / vector. */
function numericInput(fn: string, data: ExploreInput | ArrayLike<number | null> | arrow.Vector, column: string | undefined): { values: Float64Array; missing: number; name: string } {
  if (column !== undefined) {
    const table = toTable(fn, data as ExploreInput);
    const vector = columnOf(fn, table, column);
    if (columnKind(vector.type) !== "numeric") {
      throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(column)} has type ${String(vector.type)}; pass a numeric column.`);
    }
    return { ...numericValues(vector), name: column };
  }
  if (data instanceof arrow.Vector) return { ...numericValues(data), name: "values" };
  if (data && typeof (data as ArrayLike<unknown>).length === "number" && !(data instanceof arrow.Table)) {
    const arr = data as ArrayLike<unknown>;
    const out: number[] = [];
    for (let i = 0; i < arr.length; i++) {
      const v = numberOf(arr[i]);
      if (v !== null) out.push(v);
    }
    return { values: Float64Array.from(out), missing: arr.length - out.length, name: "values" };
  }
  throw new InvalidArgumentError(`${fn}: pass numbers (an array or Arrow vector), or a table and a column name.`);
}

/** Options of {@link histogram}. */
export interface HistogramOptions extends ChartOptions, HistogramBinsOptions {
  /** Bar colour (default the first palette colour). */
  color?: string;
}

/**
 * A histogram of a numeric column (or of numbers): {@link histogramBins}' counts drawn as bars.
 * Missing values are left out and counted in the description.
 * @example
 * histogram(trainTable, "monthly_spend", { bins: 20 }).save("spend.svg");
 * histogram([1, 2, 2, 3]).svg; // "<svg xmlns=…"
 */
export function histogram(data: ExploreInput, column: string, options?: HistogramOptions): Chart;
export function histogram(values: ArrayLike<number | null> | arrow.Vector, options?: HistogramOptions): Chart;
export function histogram(
  data: ExploreInput | ArrayLike<number | null> | arrow.Vector,
  columnOrOptions?: string | HistogramOptions,
  maybeOptions?: HistogramOptions,
): Chart {
  const column = typeof columnOrOptions === "string" ? columnOrOptions : undefined;
  const options = (typeof columnOrOptions === "string" ? maybeOptions : columnOrOptions) ?? {};
  const { values, missing, name } = numericInput("histogram", data, column);
  const { edges, counts } = histogramBins(values, options);
  const maxCount = Math.max(0, ...counts);
  const frame = new Frame({ title: `Distribution of ${name}`, xLabel: name, yLabel: "count", ...options });
  const [x0, x1] = [edges[0]!, edges[edges.length - 1]!];
  const x = linearScale([x0, x1], [frame.left, frame.right]);
  const y = linearScale(niceDomain(0, maxCount || 1), [frame.bottom, frame.top]);
  frame.xAxis(x, 8, false);
  frame.yAxis(y);
  const color = options.color ?? PALETTE[0]!;
  const bars = ['<g class="bars">'];
  for (let i = 0; i < counts.length; i++) {
    const left = x(edges[i]!);
    const right = x(edges[i + 1]!);
    const top = y(counts[i]!);
    const label = `[${tickLabel(edges[i]!)}, ${tickLabel(edges[i + 1]!)}${i === counts.length - 1 ? "]" : ")"}: ${counts[i]}`;
    bars.push(
      `<rect class="bar" x="${px(left + 0.5)}" y="${px(top)}" width="${px(Math.max(0, right - left - 1))}" height="${px(y(0) - top)}" fill="${color}" data-count="${counts[i]}"><title>${xml(label)}</title></rect>`,
    );
  }
  bars.push("</g>");
  frame.add(bars.join(""));
  const description =
    `histogram of ${name}: ${counts.length} bins over [${formatValue(x0, 4)}, ${formatValue(x1, 4)}], ${values.length} values` +
    (missing ? ` (${missing} missing left out)` : "");
  return new Chart("histogram", frame.render(description), description, { x, y });
}

/** Options of {@link barChart}. */
export interface BarChartOptions extends ChartOptions {
  /** The column of bar labels (default: the first column). */
  label?: string;
  /** The column of bar lengths (default: the first numeric column other than the labels). */
  value?: string;
  /** Horizontal bars (default: true beyond 12 bars or with long labels). */
  horizontal?: boolean;
  /** Bar colour (default the first palette colour; negative values get the third). */
  color?: string;
}

/** Labels and values of a bar chart from a table (a report works: valueCounts, describe). */
function barData(table: arrow.Table, options: BarChartOptions): { labels: string[]; values: number[]; labelName: string; valueName: string } {
  const fn = "barChart";
  const fields = table.schema.fields;
  if (fields.length === 0) throw new InvalidArgumentError(`${fn}: the table has no columns.`);
  const labelName = options.label ?? fields[0]!.name;
  const valueName = options.value ?? fields.find((f) => f.name !== labelName && columnKind(f.type) === "numeric")?.name;
  if (valueName === undefined) {
    throw new InvalidArgumentError(`${fn}: the table has no numeric column for the bar lengths; name one with the value option.`);
  }
  const labelVector = columnOf(fn, table, labelName);
  const valueVector = columnOf(fn, table, valueName);
  if (columnKind(valueVector.type) !== "numeric") {
    throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(valueName)} has type ${String(valueVector.type)}; bar lengths must be numbers.`);
  }
  const labels: string[] = [];
  const values: number[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const raw = labelVector.get(i) as unknown;
    labels.push(raw === null || raw === undefined ? "null" : formatValue(raw));
    values.push(numberOf(valueVector.get(i)) ?? 0);
  }
  return { labels, values, labelName, valueName };
}

/** Draws bars (shared by barChart and coefficientsChart). @internal */
export function drawBars(kind: string, labels: readonly string[], values: readonly number[], options: BarChartOptions & { description: string; signed?: boolean }): Chart {
  const n = labels.length;
  const longest = Math.max(0, ...labels.map((l) => Math.min(40, l.length)));
  const horizontal = options.horizontal ?? (n > 12 || longest > 10);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const frame = new Frame({
    ...options,
    height: options.height ?? (horizontal ? Math.max(240, 90 + n * 20) : 400),
    marginLeft: horizontal ? 16 + longest * 6.5 : 60,
  });
  const out = ['<g class="bars">'];
  const positive = options.color ?? PALETTE[0]!;
  const negative = options.signed ? PALETTE[2]! : positive;
  if (horizontal) {
    const x = linearScale(niceDomain(lo, hi), [frame.left, frame.right]);
    const band = (frame.bottom - frame.top) / Math.max(1, n);
    const centres = labels.map((_, i) => frame.top + band * (i + 0.5));
    frame.xAxis(x);
    frame.yBandAxis(labels, centres);
    labels.forEach((label, i) => {
      const v = values[i]!;
      const a = x(Math.min(0, v));
      const b = x(Math.max(0, v));
      out.push(
        `<rect class="bar" x="${px(a)}" y="${px(centres[i]! - band * 0.4)}" width="${px(b - a)}" height="${px(band * 0.8)}" fill="${v < 0 ? negative : positive}" data-value="${v}"><title>${xml(`${label}: ${formatValue(v, 4)}`)}</title></rect>`,
      );
    });
    if (lo < 0) out.push(`<line class="zero" x1="${px(x(0))}" x2="${px(x(0))}" y1="${px(frame.top)}" y2="${px(frame.bottom)}" stroke="#333"/>`);
    out.push("</g>");
    frame.add(out.join(""));
    return new Chart(kind, frame.render(options.description), options.description, { x });
  }
  const y = linearScale(niceDomain(lo, hi), [frame.bottom, frame.top]);
  const band = (frame.right - frame.left) / Math.max(1, n);
  const centres = labels.map((_, i) => frame.left + band * (i + 0.5));
  frame.yAxis(y);
  frame.xBandAxis(labels, centres);
  labels.forEach((label, i) => {
    const v = values[i]!;
    const a = y(Math.max(0, v));
    const b = y(Math.min(0, v));
    out.push(
      `<rect class="bar" x="${px(centres[i]! - band * 0.4)}" y="${px(a)}" width="${px(band * 0.8)}" height="${px(b - a)}" fill="${v < 0 ? negative : positive}" data-value="${v}"><title>${xml(`${label}: ${formatValue(v, 4)}`)}</title></rect>`,
    );
  });
  if (lo < 0) out.push(`<line class="zero" x1="${px(frame.left)}" x2="${px(frame.right)}" y1="${px(y(0))}" y2="${px(y(0))}" stroke="#333"/>`);
  out.push("</g>");
  frame.add(out.join(""));
  return new Chart(kind, frame.render(options.description), options.description, { y });
}

/**
 * A bar chart of a label column and a numeric column — for instance a `valueCounts` report.
 * @example
 * barChart(valueCounts(trainTable, "plan")).save("plans.svg");
 * barChart([{ plan: "basic", n: 3 }, { plan: "pro", n: 1 }], { label: "plan", value: "n" });
 */
export function barChart(data: ExploreInput, options: BarChartOptions = {}): Chart {
  const table = toTable("barChart", data);
  const { labels, values, labelName, valueName } = barData(table, options);
  const description = `bar chart of ${valueName} by ${labelName}: ${labels.length} bars`;
  return drawBars("bar", labels, values, {
    title: data instanceof ExploreReport ? data.title : `${valueName} by ${labelName}`,
    ...options,
    description,
  });
}

/** Options of {@link scatterChart}. */
export interface ScatterOptions extends ChartOptions {
  /** A categorical column colouring the points (with a legend). */
  color?: string;
  /** Point radius in pixels (default 2.5). */
  radius?: number;
  /** Points drawn at most (default 20,000: an evenly spaced subset beyond that, said in the description). */
  maxPoints?: number;
}

/**
 * A scatter plot of two numeric columns; rows with a missing coordinate are left out.
 * @example scatterChart(trainTable, "tenure_months", "monthly_spend", { color: "plan" })
 */
export function scatterChart(data: ExploreInput, x: string, y: string, options: ScatterOptions = {}): Chart {
  const fn = "scatterChart";
  const table = toTable(fn, data);
  const xs = columnOf(fn, table, x);
  const ys = columnOf(fn, table, y);
  for (const [name, v] of [[x, xs], [y, ys]] as const) {
    if (columnKind(v.type) !== "numeric") throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(name)} has type ${String(v.type)}; pass numeric columns.`);
  }
  const colour = options.color !== undefined ? columnOf(fn, table, options.color) : undefined;
  const n = table.numRows;
  const maxPoints = options.maxPoints ?? 20000;
  const stride = n > maxPoints ? n / maxPoints : 1;
  const points: { x: number; y: number; c: string | null }[] = [];
  let skipped = 0;
  for (let k = 0; k * stride < n; k++) {
    const i = Math.floor(k * stride);
    const a = numberOf(xs.get(i));
    const b = numberOf(ys.get(i));
    if (a === null || b === null) {
      skipped++;
      continue;
    }
    const c = colour ? (colour.get(i) as unknown) : null;
    points.push({ x: a, y: b, c: c === null || c === undefined ? null : formatValue(c) });
  }
  const frame = new Frame({ title: `${y} against ${x}`, xLabel: x, yLabel: y, ...options });
  const xd = niceDomain(...extent(points.map((p) => p.x)));
  const yd = niceDomain(...extent(points.map((p) => p.y)));
  const sx = linearScale(xd, [frame.left, frame.right]);
  const sy = linearScale(yd, [frame.bottom, frame.top]);
  frame.xAxis(sx);
  frame.yAxis(sy);
  const categories = [...new Set(points.map((p) => p.c ?? "null"))];
  const colourOf = (c: string | null) => (colour ? PALETTE[categories.indexOf(c ?? "null") % PALETTE.length]! : PALETTE[0]!);
  const r = options.radius ?? 2.5;
  const out = ['<g class="points" fill-opacity="0.7">'];
  for (const p of points) out.push(`<circle class="point" cx="${px(sx(p.x))}" cy="${px(sy(p.y))}" r="${r}" fill="${colourOf(p.c)}"/>`);
  out.push("</g>");
  frame.add(out.join(""));
  if (colour) frame.legend(categories.slice(0, 10).map((c, i) => ({ label: c, color: PALETTE[i % PALETTE.length]!, swatch: true })));
  const description =
    `scatter of ${y} against ${x}: ${points.length} points` +
    (skipped ? ` (${skipped} with a missing value left out)` : "") +
    (stride > 1 ? ` (every ${formatValue(stride, 3)}th of ${n} rows)` : "");
  return new Chart("scatter", frame.render(description), description, { x: sx, y: sy });
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends ChartOptions {
  /** Draw a dot at each point too (default: when there are at most 50 points). */
  markers?: boolean;
}

/**
 * A line chart of one or more numeric columns against a numeric x column, in row order (sort the
 * table by x first); a missing y breaks its line.
 * @example lineChart(daily, "day", ["auc", "accuracy"], { title: "Scores by day" })
 */
export function lineChart(data: ExploreInput, x: string, y: string | readonly string[], options: LineChartOptions = {}): Chart {
  const fn = "lineChart";
  const table = toTable(fn, data);
  const ys = typeof y === "string" ? [y] : [...y];
  if (ys.length === 0) throw new InvalidArgumentError(`${fn}: name at least one y column.`);
  const xv = columnOf(fn, table, x);
  const toNum = (v: unknown) => (v instanceof Date ? v.getTime() : numberOf(v));
  if (columnKind(xv.type) !== "numeric") throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(x)} has type ${String(xv.type)}; the x column must be numeric.`);
  const xs = Array.from({ length: table.numRows }, (_, i) => toNum(xv.get(i)));
  const series = ys.map((name) => {
    const v = columnOf(fn, table, name);
    if (columnKind(v.type) !== "numeric") throw new InvalidArgumentError(`${fn}: column ${JSON.stringify(name)} has type ${String(v.type)}; y columns must be numeric.`);
    return { name, values: Array.from({ length: table.numRows }, (_, i) => numberOf(v.get(i))) };
  });
  return drawLines("line", xs, series, {
    title: ys.length === 1 ? `${ys[0]} by ${x}` : `${ys.join(", ")} by ${x}`,
    xLabel: x,
    yLabel: ys.length === 1 ? ys[0] : undefined,
    ...options,
    description: `line chart of ${ys.join(", ")} by ${x}: ${table.numRows} points per line`,
  });
}

/** One line of a line chart. @internal */
export interface LineSeries {
  name: string;
  values: readonly (number | null)[];
  /** Its own x values (default: the chart's). */
  x?: readonly (number | null)[];
  color?: string;
  dashed?: boolean;
  /** A band drawn around the line (e.g. mean ± std). */
  band?: { lower: readonly (number | null)[]; upper: readonly (number | null)[] };
}

/** Draws lines over a numeric x (shared by lineChart and the validation curve). @internal */
export function drawLines(
  kind: string,
  xs: readonly (number | null)[],
  series: readonly LineSeries[],
  options: LineChartOptions & { description: string; domainX?: [number, number]; domainY?: [number, number]; logX?: boolean; xCategories?: readonly string[]; legend?: LegendItem[]; legendCorner?: LegendCorner; extra?: (frame: Frame, sx: (v: number) => number, sy: (v: number) => number) => void },
): Chart {
  const frame = new Frame(options);
  const allX: number[] = [];
  const allY: number[] = [];
  for (const s of series) {
    const sxs = s.x ?? xs;
    s.values.forEach((v, i) => {
      const xv = sxs[i];
      if (v !== null && xv !== null && xv !== undefined) {
        allX.push(xv);
        allY.push(v);
      }
    });
    s.band?.lower.forEach((v) => v !== null && allY.push(v));
    s.band?.upper.forEach((v) => v !== null && allY.push(v));
  }
  if (allX.length === 0) throw new InvalidArgumentError(`${kind}: there is no point to draw (every value is missing).`);
  const xd = options.domainX ?? (options.logX ? extent(allX) : niceDomain(...extent(allX)));
  const yd = options.domainY ?? niceDomain(...extent(allY));
  const sx = options.logX ? logScale(xd, [frame.left, frame.right]) : linearScale(xd, [frame.left, frame.right]);
  const sy = linearScale(yd, [frame.bottom, frame.top]);
  if (options.xCategories) frame.xBandAxis(options.xCategories, options.xCategories.map((_, i) => sx(i)));
  else frame.xAxis(sx);
  frame.yAxis(sy);
  options.extra?.(frame, sx, sy);
  const markers = options.markers ?? allX.length / Math.max(1, series.length) <= 50;
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    const sxs = s.x ?? xs;
    if (s.band) {
      const upper: [number, number][] = [];
      const lower: [number, number][] = [];
      sxs.forEach((xv, i) => {
        const u = s.band!.upper[i];
        const l = s.band!.lower[i];
        if (xv !== null && xv !== undefined && u !== null && u !== undefined && l !== null && l !== undefined) {
          upper.push([sx(xv), sy(u)]);
          lower.push([sx(xv), sy(l)]);
        }
      });
      if (upper.length) {
        frame.add(`<path class="band" d="${pathData([...upper, ...lower.reverse()])}Z" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
      }
    }
    const pts = s.values.map((v, i) => {
      const xv = sxs[i];
      return v === null || xv === null || xv === undefined ? null : ([sx(xv), sy(v)] as [number, number]);
    });
    frame.add(
      `<path class="line" data-series="${xml(s.name)}" d="${pathData(pts)}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
    );
    if (markers) {
      frame.add(
        `<g class="markers" fill="${color}">${pts.filter((p): p is [number, number] => p !== null).map((p) => `<circle cx="${px(p[0])}" cy="${px(p[1])}" r="3"/>`).join("")}</g>`,
      );
    }
  });
  if (options.legend) frame.legend(options.legend, options.legendCorner);
  else if (series.length > 1) frame.legend(series.map((s, k) => ({ label: s.name, color: s.color ?? PALETTE[k % PALETTE.length]!, dashed: s.dashed })));
  return new Chart(kind, frame.render(options.description), options.description, { x: sx, y: sy });
}
