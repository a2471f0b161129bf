/**
 * A one-line progress display for long work: units done (rows by default, or tasks), the rate, and
 * with a known total a bar and the time left; redrawn in place on a terminal (at most ten times a
 * second) and, when asked, written as periodic plain lines where the output is not a terminal.
 */

/** One progress report of a running piece of work. */
export interface Progress {
  /** Units done so far (rows for data movement). */
  rows: number;
  /** Seconds since the work started. */
  seconds: number;
  /** Units in all, when known: the line then shows a bar, a percentage and the time left. */
  total?: number;
  /** The unit counted (default "rows"), e.g. "tasks" or "fits". */
  unit?: string;
}

/** The writable a progress bar draws on (a TTY stream such as `process.stderr`). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A progress bar: call `update` with each report and `done` at the end. */
export interface ProgressBar {
  update(p: Progress): void;
  /** Draws the final figures and ends the line (nothing when silent). */
  done(p: Progress): void;
  /** Whether anything is drawn (the output is a terminal). */
  readonly active: boolean;
}

/** Formats an integer with thousands separators: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Seconds as a short duration: "8.2 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/**
 * The text of one progress line, e.g. `"1,234,567 rows  456,789 rows/s  2.7 s"`, or with a total
 * `"search [#########-----------]  18/40 tasks  45%  2.1 tasks/s  ETA 10.5 s  8.6 s"`.
 */
export function progressLine(label: string, p: Progress): string {
  const unit = p.unit ?? "rows";
  const rate = p.seconds > 0 ? p.rows / p.seconds : 0;
  if (p.total === undefined) return `${label}${formatCount(p.rows)} ${unit}  ${formatCount(rate)} ${unit}/s  ${p.seconds.toFixed(1)} s`;
  const frac = p.total > 0 ? Math.min(1, p.rows / p.total) : 1;
  const width = 20;
  const filled = Math.round(frac * width);
  const rateText = rate >= 100 ? formatCount(rate) : rate.toFixed(rate >= 10 ? 1 : 2);
  const eta = p.rows >= p.total ? "" : `  ETA ${p.rows > 0 ? formatDuration(((p.total - p.rows) * p.seconds) / p.rows) : "?"}`;
  return `${label}[${"#".repeat(filled)}${"-".repeat(width - filled)}]  ${formatCount(p.rows)}/${formatCount(p.total)} ${unit}  ${Math.floor(frac * 100)}%  ${rateText} ${unit}/s${eta}  ${formatDuration(p.seconds)}`;
}

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Where to draw (default `process.stderr`). */
  output?: ProgressOutput;
  /** Text before the figures, e.g. "move: ". */
  label?: string;
  /** Least time between two redraws on a terminal (default 100 ms). */
  intervalMs?: number;
  /**
   * When the output is not a terminal, write one plain line (ending in a newline) at most this
   * often, plus the final line. Default: draw nothing off a terminal.
   */
  plainIntervalMs?: number;
}

/**
 * Creates a progress bar on `output` (default `process.stderr`) that redraws one line in place.
 * When the output is not a terminal (`isTTY` false: a pipe, a file, CI) it draws nothing, or
 * periodic plain lines with `plainIntervalMs`.
 * @example
 * const bar = createProgressBar({ label: "move " });
 * await move("orders.csv", "lake/orders", { onProgress: (p) => bar.update(p) });
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const output = options.output ?? process.stderr;
  const label = options.label ?? "";
  const tty = output.isTTY === true;
  const plain = !tty && options.plainIntervalMs !== undefined;
  const interval = plain ? (options.plainIntervalMs as number) : (options.intervalMs ?? 100);
  const active = tty || plain;
  let last = plain ? Date.now() : -Infinity;
  const draw = (p: Progress, end: boolean): void => {
    const line = progressLine(label, p);
    if (plain) {
      output.write(`${line}\n`);
      return;
    }
    const width = output.columns && output.columns > 10 ? output.columns - 1 : 120;
    output.write(`\r${line.slice(0, width).padEnd(Math.min(width, line.length + 2))}${end ? "\n" : ""}`);
  };
  return {
    active,
    update(p) {
      if (!active) return;
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      draw(p, false);
    },
    done(p) {
      if (!active) return;
      draw(p, true);
    },
  };
}
