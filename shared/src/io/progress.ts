/**
 * A one-line progress display for data movement: rows done and rows per second, redrawn in place on
 * a terminal (at most ten times a second) and silent when the output is not a terminal.
 */

/** One progress report of a running data movement. */
export interface Progress {
  /** Rows moved so far. */
  rows: number;
  /** Seconds since the movement started. */
  seconds: number;
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

/** The text of one progress line, e.g. `"1,234,567 rows  456,789 rows/s  2.7 s"`. */
export function progressLine(label: string, p: Progress): string {
  const rate = p.seconds > 0 ? p.rows / p.seconds : 0;
  return `${label}${formatCount(p.rows)} rows  ${formatCount(rate)} rows/s  ${p.seconds.toFixed(1)} s`;
}

/**
 * Creates a progress bar on `output` (default `process.stderr`) that redraws one line in place.
 * When the output is not a terminal (`isTTY` false: a pipe, a file, CI) it draws nothing.
 * @example
 * const bar = createProgressBar({ label: "move " });
 * await move("orders.csv", "lake/orders", { onProgress: (p) => bar.update(p) });
 */
export function createProgressBar(options: { output?: ProgressOutput; label?: string; intervalMs?: number } = {}): ProgressBar {
  const output = options.output ?? process.stderr;
  const label = options.label ?? "";
  const interval = options.intervalMs ?? 100;
  const active = output.isTTY === true;
  let last = -Infinity;
  const draw = (p: Progress, end: boolean): void => {
    const line = progressLine(label, p);
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
