/**
 * Progress of long loops (cross-validation, search, scoring) for people: a bar on a terminal, plain
 * lines every few seconds elsewhere, an HTML `<progress>` element updated in place in a tslab
 * notebook — only when the caller asks (`onProgress`); the library never prints by default.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { createProgressBar, formatDuration, InvalidArgumentError, type ProgressOutput } from "@trellis/shared";

/** One report of a running loop. */
export interface ProgressEvent {
  /** What is running, e.g. "GridSearchCV". */
  label: string;
  /** Units done so far. */
  done: number;
  /** Units in all. */
  total: number;
  /** The unit counted, e.g. "fits". */
  unit: string;
  /** Seconds since the loop started. */
  seconds: number;
  /** Estimated seconds left (NaN before the first unit). */
  etaSeconds: number;
}

/** Receives each report. */
export type ProgressCallback = (event: ProgressEvent) => void;

/**
 * What `onProgress` accepts: `true` or `"bar"` for the display that fits where the code runs (a
 * bar on a terminal, plain lines on stderr elsewhere, HTML in a tslab notebook), a function to
 * receive the reports, or `false`/nothing for silence.
 */
export type ProgressOption = boolean | "bar" | ProgressCallback | undefined;

/** A running progress report: call `tick` as units finish and `done` at the end. */
export interface ProgressReporter {
  tick(units?: number): void;
  done(): void;
}

/** The part of tslab's display API used here (`tslab.newDisplay()`). */
export interface NotebookDisplay {
  html(s: string): void;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Units in all. */
  total: number;
  /** The unit counted (default "tasks"). */
  unit?: string;
  /** What is running, shown before the figures. */
  label?: string;
  /** Where the bar or lines go (default `process.stderr`). */
  output?: ProgressOutput;
  /** Least time between two plain lines off a terminal (default 10 s). */
  plainIntervalMs?: number;
  /** A display to draw HTML into; default: tslab's `newDisplay()` when running in a tslab kernel. */
  notebook?: NotebookDisplay | null;
}

interface TslabModule {
  newDisplay(): NotebookDisplay;
}

/**
 * tslab's module when this process runs in a tslab kernel, else null. Resolved at call time (from
 * the kernel's own installation first, then the working directory); never a dependency, never an
 * error.
 * @example const tslab = loadTslab(); if (tslab) tslab.newDisplay().html("<b>hi</b>");
 */
export function loadTslab(): TslabModule | null {
  // tslab may be installed (a dev dependency of a project) without this process being its kernel.
  if (!inTslabKernel()) return null;
  const bases = [process.argv[1], join(process.cwd(), "index.js")].filter((b): b is string => typeof b === "string" && b.length > 0);
  for (const base of bases) {
    try {
      const mod = createRequire(base)("tslab") as Partial<TslabModule>;
      if (typeof mod?.newDisplay === "function") return mod as TslabModule;
    } catch {
      // not resolvable from here: try the next place
    }
  }
  return null;
}

/** Whether this process is a tslab kernel: started by tslab's executable, or with its kernel module loaded. */
function inTslabKernel(): boolean {
  const main = process.argv[1] ?? "";
  if (/[\\/]tslab[\\/]|[\\/]tslab(\.js)?$/.test(main)) return true;
  const cache = createRequire(join(process.cwd(), "index.js")).cache ?? {};
  return Object.keys(cache).some((file) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The HTML of one notebook progress report: a `<progress>` element and the figures. */
export function progressHtml(e: ProgressEvent): string {
  const rate = e.seconds > 0 ? e.done / e.seconds : 0;
  const eta = e.done >= e.total ? "" : ` · ETA ${Number.isFinite(e.etaSeconds) ? formatDuration(e.etaSeconds) : "?"}`;
  const text = `${e.done}/${e.total} ${e.unit} · ${rate.toFixed(2)} ${e.unit}/s${eta} · ${formatDuration(e.seconds)}`;
  return `<div style="font-family:monospace;font-size:12px"><span>${escapeHtml(e.label)}</span> <progress value="${e.done}" max="${e.total}" style="width:240px;vertical-align:middle"></progress> <span>${escapeHtml(text)}</span></div>`;
}

function notebookDisplay(): NotebookDisplay | null {
  const tslab = loadTslab();
  if (!tslab) return null;
  try {
    const d = tslab.newDisplay();
    return d;
  } catch {
    return null;
  }
}

const silent: ProgressReporter = { tick() {}, done() {} };

/**
 * Starts a progress report for `total` units. With `option` false or undefined nothing happens;
 * a function receives every report; `true`/`"bar"` draws in a tslab notebook (HTML updated in
 * place), else a bar on a terminal, else a plain line to stderr every `plainIntervalMs`.
 * @example
 * const p = progress(onProgress, { total: 40, unit: "fits", label: "GridSearchCV" });
 * for (const task of tasks) { run(task); p.tick(); }
 * p.done();
 */
export function progress(option: ProgressOption, options: ProgressOptions): ProgressReporter {
  if (option === undefined || option === false) return silent;
  if (option !== true && option !== "bar" && typeof option !== "function") {
    throw new InvalidArgumentError(`onProgress must be true, "bar", a function or false, got ${JSON.stringify(option)}.`);
  }
  const { total } = options;
  const unit = options.unit ?? "tasks";
  const label = options.label ?? "";
  const start = performance.now();
  let count = 0;
  const event = (): ProgressEvent => {
    const seconds = (performance.now() - start) / 1000;
    return { label, done: count, total, unit, seconds, etaSeconds: count > 0 ? ((total - count) * seconds) / count : NaN };
  };
  if (typeof option === "function") {
    return {
      tick(units = 1) {
        count += units;
        option(event());
      },
      done() {},
    };
  }
  let notebook = options.notebook === undefined ? notebookDisplay() : options.notebook;
  if (notebook) {
    let last = -Infinity;
    const draw = (force: boolean) => {
      const now = performance.now();
      if (!force && now - last < 200) return;
      last = now;
      try {
        notebook?.html(progressHtml(event()));
      } catch {
        notebook = null; // not in a kernel after all: stay quiet rather than fail the work
      }
    };
    draw(true);
    if (notebook) {
      return {
        tick(units = 1) {
          count += units;
          draw(false);
        },
        done() {
          draw(true);
        },
      };
    }
  }
  const bar = createProgressBar({ output: options.output, label: label ? `${label} ` : "", plainIntervalMs: options.plainIntervalMs ?? 10_000 });
  const report = () => {
    const e = event();
    return { rows: e.done, total, unit, seconds: e.seconds };
  };
  return {
    tick(units = 1) {
      count += units;
      bar.update(report());
    },
    done() {
      bar.done(report());
    },
  };
}

