/**
 * Rendering of report tables: every report object in Trellis (data-quality and drift reports,
 * `describe`, search results, run comparisons) holds its data as an Arrow table and prints it through
 * these two functions, so a report reads the same in a terminal, a notebook and an e-mail.
 *
 * - {@link formatTable}: an aligned plain-text table (numbers right-aligned, text left-aligned).
 * - {@link tableToHtml}: a self-contained HTML `<table>` (inline styles only, no script, no external
 *   assets), every value escaped.
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "../errors";

/** Options shared by {@link formatTable} and {@link tableToHtml}. */
export interface ReportTableOptions {
  /** A heading printed above the table. */
  title?: string;
  /** Significant digits for non-integer numbers (default 6). */
  digits?: number;
  /** Rows shown at most; the rest are summarised in one line (default 50). */
  maxRows?: number;
  /** Text shown for a null value (default "" in HTML, "null" in text). */
  nullText?: string;
  /** Per-column cell formatters, for values a report wants to show its own way (e.g. a percentage). */
  formatters?: Record<string, (value: unknown) => string>;
}

/** One report object's common face. */
export interface Report {
  /** The report's data. */
  readonly table: arrow.Table;
  /** An aligned plain-text rendering. */
  toString(): string;
  /** A self-contained HTML rendering. */
  toHTML(): string;
}

/**
 * Formats one cell value as text: integers as they are, other numbers with `digits` significant
 * digits (no exponent between 1e-4 and 1e15), dates as ISO-8601, bigints exactly.
 * @example formatValue(0.123456789, 4) // "0.1235"
 */
export function formatValue(value: unknown, digits = 6): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return value.toExponential(Math.max(0, digits - 1));
    return String(Number(value.toPrecision(digits)));
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === "object") {
    const v = value as { toJSON?: () => unknown };
    return JSON.stringify(typeof v.toJSON === "function" ? v.toJSON() : value);
  }
  return String(value);
}

/**
 * Escapes text for HTML element content and attribute values.
 * @example escapeHtml(`<a href="x">`) // "&lt;a href=&quot;x&quot;&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

interface Cells {
  names: string[];
  numeric: boolean[];
  rows: string[][];
  nullMask: boolean[][];
  hidden: number;
}

function isNumericType(type: arrow.DataType): boolean {
  return arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type);
}

function cells(table: arrow.Table, options: ReportTableOptions, nullText: string): Cells {
  const digits = options.digits ?? 6;
  const maxRows = options.maxRows ?? 50;
  if (!Number.isInteger(maxRows) || maxRows < 0) {
    throw new InvalidArgumentError(`maxRows must be a whole number ≥ 0, got ${String(maxRows)}.`);
  }
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) {
    throw new InvalidArgumentError(`digits must be a whole number from 1 to 17, got ${String(digits)}.`);
  }
  const fields = table.schema.fields;
  const names = fields.map((f) => f.name);
  const numeric = fields.map((f) => isNumericType(f.type));
  const shown = Math.min(table.numRows, maxRows);
  const columns = fields.map((_, i) => table.getChildAt(i)!);
  const rows: string[][] = [];
  const nullMask: boolean[][] = [];
  for (let r = 0; r < shown; r++) {
    const row: string[] = [];
    const nulls: boolean[] = [];
    for (let c = 0; c < columns.length; c++) {
      const value = columns[c]!.get(r) as unknown;
      const isNull = value === null || value === undefined;
      const custom = options.formatters?.[names[c]!];
      row.push(isNull ? nullText : custom ? custom(value) : formatValue(value, digits));
      nulls.push(isNull);
    }
    rows.push(row);
    nullMask.push(nulls);
  }
  return { names, numeric, rows, nullMask, hidden: table.numRows - shown };
}

/**
 * Formats an Arrow table as an aligned plain-text table: a header row, a rule, one line per row;
 * numeric columns right-aligned. Rows beyond `maxRows` are summarised as "… N more rows".
 * @example
 * formatTable(tableFromRows([{ column: "age", psi: 0.31 }]), { title: "Drift" });
 * // Drift
 * // column  psi
 * // ------  ----
 * // age     0.31
 */
export function formatTable(table: arrow.Table, options: ReportTableOptions = {}): string {
  const { names, numeric, rows, hidden } = cells(table, options, options.nullText ?? "null");
  const widths = names.map((name, c) => Math.max(width(name), ...rows.map((row) => width(row[c]!))));
  const pad = (text: string, c: number) => {
    const fill = " ".repeat(widths[c]! - width(text));
    return numeric[c] ? fill + text : text + fill;
  };
  const lines: string[] = [];
  if (options.title) lines.push(options.title);
  lines.push(names.map((n, c) => pad(n, c)).join("  ").trimEnd());
  lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) lines.push(row.map((v, c) => pad(v, c)).join("  ").trimEnd());
  if (hidden > 0) lines.push(`… ${hidden} more row${hidden === 1 ? "" : "s"}`);
  if (table.numRows === 0) lines.push("(no rows)");
  return lines.join("\n");
}

/** Display width of a string in a monospaced terminal (code points; wide CJK counted twice). */
function width(text: string): number {
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0x1f300 && cp <= 0x1faff)
      ? 2
      : 1;
  }
  return w;
}

const STYLE = {
  table: "border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px",
  caption: "caption-side:top;text-align:left;font-weight:600;padding:4px 0",
  th: "border-bottom:1px solid #999;padding:3px 8px;text-align:left",
  td: "border-bottom:1px solid #eee;padding:3px 8px",
};

/**
 * Renders an Arrow table as a self-contained HTML `<table>` (inline styles, no script, no external
 * assets; every value escaped). `rowClass` may add a CSS-free marker per row: its return value is
 * written as a `data-status` attribute and a background colour for "warn"/"drift"/"error"/"ok".
 * @example tableToHtml(report.table, { title: "Drift report" })
 */
export function tableToHtml(
  table: arrow.Table,
  options: ReportTableOptions & { rowStatus?: (row: number) => string | undefined } = {},
): string {
  const { names, numeric, rows, nullMask, hidden } = cells(table, options, options.nullText ?? "");
  const out: string[] = [`<table style="${STYLE.table}">`];
  if (options.title) out.push(`<caption style="${STYLE.caption}">${escapeHtml(options.title)}</caption>`);
  out.push("<thead><tr>");
  names.forEach((n, c) =>
    out.push(`<th style="${STYLE.th}${numeric[c] ? ";text-align:right" : ""}">${escapeHtml(n)}</th>`),
  );
  out.push("</tr></thead><tbody>");
  rows.forEach((row, r) => {
    const status = options.rowStatus?.(r);
    const colour = status ? STATUS_COLOURS[status] : undefined;
    out.push(
      status
        ? `<tr data-status="${escapeHtml(status)}"${colour ? ` style="background:${colour}"` : ""}>`
        : "<tr>",
    );
    row.forEach((v, c) => {
      const style = `${STYLE.td}${numeric[c] ? ";text-align:right" : ""}${nullMask[r]![c] ? ";color:#999" : ""}`;
      out.push(`<td style="${style}">${escapeHtml(v)}</td>`);
    });
    out.push("</tr>");
  });
  out.push("</tbody></table>");
  if (hidden > 0) out.push(`<p style="font-size:12px;color:#666">… ${hidden} more row${hidden === 1 ? "" : "s"}</p>`);
  return out.join("");
}

const STATUS_COLOURS: Record<string, string> = {
  ok: "#eef8ee",
  warn: "#fff6dd",
  drift: "#fde5e5",
  error: "#fde5e5",
};
