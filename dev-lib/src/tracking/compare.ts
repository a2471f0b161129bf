/**
 * Side-by-side comparison of runs: a report holding an Arrow table (one row per attribute, param
 * and metric; one column per run), printed as aligned text, rendered as HTML, with a line chart of
 * a metric by step drawn as plain SVG (no plotting dependency).
 */
import * as arrow from "apache-arrow";
import { type Report, escapeHtml, formatTable, formatValue, tableToHtml } from "@trellis/shared";
import type { MetricPoint, RunRecord } from "./tracker";

/** Options of {@link metricChartSvg}. */
export interface MetricChartOptions {
  /** Width and height of the SVG in pixels (default 640 × 360). */
  width?: number;
  height?: number;
  /** A heading drawn above the plot (default: the metric key). */
  title?: string;
}

/** One line of a metric chart: a label and its points. */
export interface MetricSeries {
  label: string;
  points: readonly Pick<MetricPoint, "step" | "value">[];
}

const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/**
 * About `count` round tick values (1, 2 or 5 × 10^k apart) inside [lo, hi].
 * @example niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/**
 * A line chart of metric values by step, one line per series, as a standalone SVG document
 * (with `xmlns`, so it displays as an image). Non-finite values are left out (the line breaks there).
 * @example
 * const svg = metricChartSvg("loss", [{ label: "run a", points: [{ step: 0, value: 1 }, { step: 1, value: 0.5 }] }]);
 */
export function metricChartSvg(metric: string, series: readonly MetricSeries[], opts: MetricChartOptions = {}): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const title = opts.title ?? metric;
  const margin = { top: 32, right: 150, bottom: 40, left: 60 };
  const finite = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.value)));
  const steps = finite.map((p) => p.step);
  const values = finite.map((p) => p.value);
  let x0 = steps.length ? Math.min(...steps) : 0;
  let x1 = steps.length ? Math.max(...steps) : 1;
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  let y0 = values.length ? Math.min(...values) : 0;
  let y1 = values.length ? Math.max(...values) : 1;
  const pad = y1 === y0 ? Math.max(Math.abs(y0) * 0.1, 1) : (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (s: number) => margin.left + ((s - x0) / (x1 - x0)) * plotW;
  const sy = (v: number) => margin.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeHtml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="13" font-weight="600">${escapeHtml(title)}</text>`,
  );
  const xTicks = niceTicks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0)))).filter((t) => Number.isInteger(t));
  const yTicks = niceTicks(y0, y1, 5);
  out.push(`<g class="grid" stroke="#e5e5e5">`);
  for (const t of yTicks) out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${num(sy(t))}" y2="${num(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="axis" stroke="#333">`);
  out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}"/>`);
  out.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}"/>`);
  out.push(`</g>`);
  out.push(`<g class="x-ticks" text-anchor="middle" fill="#333">`);
  for (const t of xTicks) out.push(`<text x="${num(sx(t))}" y="${margin.top + plotH + 15}">${escapeHtml(formatValue(t))}</text>`);
  out.push(`</g>`);
  out.push(`<g class="y-ticks" text-anchor="end" fill="#333">`);
  for (const t of yTicks) out.push(`<text x="${margin.left - 6}" y="${num(sy(t) + 4)}">${escapeHtml(formatValue(t, 4))}</text>`);
  out.push(`</g>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#333">step</text>`);
  out.push(
    `<text x="14" y="${margin.top + plotH / 2}" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${margin.top + plotH / 2})">${escapeHtml(metric)}</text>`,
  );
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const sorted = [...s.points].sort((a, b) => a.step - b.step);
    let d = "";
    let pen = false;
    for (const p of sorted) {
      if (!Number.isFinite(p.value)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${num(sx(p.step))},${num(sy(p.value))}`;
      pen = true;
    }
    out.push(`<g class="series" data-label="${escapeHtml(s.label)}">`);
    if (d) out.push(`<path class="line" d="${d}" fill="none" stroke="${colour}" stroke-width="1.8"/>`);
    if (sorted.length <= 60) {
      for (const p of sorted) {
        if (Number.isFinite(p.value)) out.push(`<circle cx="${num(sx(p.step))}" cy="${num(sy(p.value))}" r="2.5" fill="${colour}"/>`);
      }
    }
    const ly = margin.top + 8 + i * 16;
    const lx = margin.left + plotW + 12;
    out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 22}" y="${ly + 4}" fill="#333">${escapeHtml(s.label)}</text>`);
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join("\n");
}

/** Column labels for runs: their names, with the id's first 8 digits where names repeat. */
function runLabels(runs: readonly RunRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.info.name, (counts.get(r.info.name) ?? 0) + 1);
  const labels = runs.map((r) => (counts.get(r.info.name)! > 1 ? `${r.info.name} [${r.info.runId.slice(0, 8)}]` : r.info.name));
  return labels.map((l, i) => (labels.indexOf(l) !== i || l === "kind" || l === "key" ? `${l} [${runs[i].info.runId}]` : l));
}

function sortedKeys(objs: readonly Record<string, unknown>[]): string[] {
  return [...new Set(objs.flatMap((o) => Object.keys(o)))].sort();
}

/**
 * Runs side by side (from {@link Tracker.compareRuns}). `table` has columns `kind` (`attribute`,
 * `param` or `metric`), `key`, and one text column per run; `metrics` holds the latest metric values
 * as numbers (rows = metric keys, one Float64 column per run); `chart(metric)` draws a metric by step.
 * @example
 * const cmp = await tracker.compareRuns([a, b]);
 * console.log(cmp.toString());
 * writeFileSync("auc.svg", cmp.chart("auc"));
 */
export class RunComparison implements Report {
  /** Every row as text: attributes, params, metrics. */
  readonly table: arrow.Table;
  /** Latest metric values as numbers: column `key`, then one Float64 column per run. */
  readonly metrics: arrow.Table;
  /** The runs, in the order asked. */
  readonly runs: readonly RunRecord[];
  /** Column label of each run. */
  readonly labels: readonly string[];
  /** Metric histories by key, then by run id (every key for which any run has more than one point, plus the chart metric). */
  readonly histories: ReadonlyMap<string, ReadonlyMap<string, readonly MetricPoint[]>>;
  /** The metric charted by default in {@link toHTML}, or null when no run has metrics. */
  readonly chartMetric: string | null;

  /** @internal */
  constructor(runs: readonly RunRecord[], histories: ReadonlyMap<string, ReadonlyMap<string, readonly MetricPoint[]>>, chartMetric: string | null) {
    this.runs = runs;
    this.histories = histories;
    this.chartMetric = chartMetric;
    const labels = runLabels(runs);
    this.labels = labels;
    const kinds: string[] = [];
    const keys: string[] = [];
    const cols: (string | null)[][] = runs.map(() => []);
    const add = (kind: string, key: string, values: (string | null)[]) => {
      kinds.push(kind);
      keys.push(key);
      values.forEach((v, i) => cols[i].push(v));
    };
    add("attribute", "run_id", runs.map((r) => r.info.runId));
    add("attribute", "experiment", runs.map((r) => r.info.experiment));
    add("attribute", "status", runs.map((r) => r.info.status));
    add("attribute", "start_time", runs.map((r) => r.info.startTime.toISOString()));
    add(
      "attribute",
      "duration_s",
      runs.map((r) => (r.info.endTime ? formatValue((r.info.endTime.getTime() - r.info.startTime.getTime()) / 1000, 4) : null)),
    );
    add("attribute", "git_commit", runs.map((r) => (r.info.gitCommit ? r.info.gitCommit.slice(0, 12) + (r.info.gitDirty ? " (dirty)" : "") : null)));
    for (const key of sortedKeys(runs.map((r) => r.params))) add("param", key, runs.map((r) => r.params[key] ?? null));
    const metricKeys = sortedKeys(runs.map((r) => r.metrics));
    for (const key of metricKeys) add("metric", key, runs.map((r) => (key in r.metrics ? formatValue(r.metrics[key]) : null)));
    const columns: Record<string, arrow.Vector> = {
      kind: arrow.vectorFromArray(kinds, new arrow.Utf8()),
      key: arrow.vectorFromArray(keys, new arrow.Utf8()),
    };
    labels.forEach((l, i) => (columns[l] = arrow.vectorFromArray(cols[i], new arrow.Utf8())));
    this.table = new arrow.Table(columns);
    const metricColumns: Record<string, arrow.Vector> = { key: arrow.vectorFromArray(metricKeys, new arrow.Utf8()) };
    labels.forEach((l, i) => {
      metricColumns[l] = arrow.vectorFromArray(
        metricKeys.map((k) => (k in runs[i].metrics ? runs[i].metrics[k] : null)),
        new arrow.Float64(),
      );
    });
    this.metrics = new arrow.Table(metricColumns);
  }

  /** Rows whose value differs between runs (always false for a single run). */
  private differs(row: number): boolean {
    const values = this.labels.map((l) => this.table.getChild(l)!.get(row) as string | null);
    return values.some((v) => v !== values[0]);
  }

  /**
   * An SVG line chart of `metric` by step, one line per run (default: {@link chartMetric}).
   * @example writeFileSync("loss.svg", cmp.chart("loss"));
   */
  chart(metric: string | undefined = this.chartMetric ?? undefined, opts: MetricChartOptions = {}): string {
    if (metric === undefined) return metricChartSvg("(no metrics)", [], opts);
    const byRun = this.histories.get(metric);
    const series = this.runs.map((r, i) => ({
      label: this.labels[i],
      points: byRun?.get(r.info.runId) ?? (r.latestMetrics[metric] ? [r.latestMetrics[metric]] : []),
    }));
    return metricChartSvg(metric, series, opts);
  }

  /** Aligned text: one column per run. */
  toString(): string {
    return formatTable(this.table, { title: `Comparison of ${this.runs.length} run${this.runs.length === 1 ? "" : "s"}`, maxRows: 10_000, nullText: "" });
  }

  /** Self-contained HTML: the table (rows that differ between runs highlighted) and the chart. */
  toHTML(): string {
    const table = tableToHtml(this.table, {
      title: `Comparison of ${this.runs.length} run${this.runs.length === 1 ? "" : "s"}`,
      maxRows: 10_000,
      rowStatus: (row) => (this.runs.length > 1 && row > 0 && this.differs(row) ? "warn" : undefined),
    });
    return `<div class="trellis-run-comparison">${table}${this.chartMetric === null ? "" : `<div>${this.chart()}</div>`}</div>`;
  }
}
