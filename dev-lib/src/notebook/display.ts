/**
 * `display(x)`: shows a report, a chart or any value in its richest form. In a tslab notebook that
 * is HTML (reports) or SVG (charts) through tslab's display API; elsewhere the value's text goes to
 * stdout — only because the caller asked for it — and a chart can be written to a file.
 *
 * tslab is never a dependency of @trellis/dev: it is looked up when `display` is called, and its
 * absence is not an error. Inside a tslab kernel a cell's `require("tslab")` is answered by the
 * kernel's own copy, so the lookup finds that copy: first among the modules the process has
 * already loaded (the kernel's `tslab/dist/jupyter.js`), then by resolving "tslab" from the
 * kernel's script (`process.argv[1]`) and from the working directory (the notebook's folder, where
 * tslab resolves cells' imports). `setDisplayBackend` replaces the lookup (for another front end,
 * for tests, or `setDisplayBackend(require("tslab").display)` in a cell when tslab is installed
 * where the lookup cannot see it).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { Chart } from "../charts/chart";

/** The part of tslab's `Display` that `display` uses. */
export interface DisplayBackend {
  html(html: string): void;
  svg(svg: string): void;
  text(text: string): void;
}

/** Options of {@link display}. */
export interface DisplayOptions {
  /** Also write a chart's SVG (or an object's HTML) to this path; the path is printed in text mode. */
  save?: string;
  /** Where text goes outside a notebook (default: process.stdout). */
  write?: (text: string) => void;
}

let override: DisplayBackend | null | undefined;

/**
 * Replaces the notebook lookup of {@link display}: a backend receives every display; `null` forces
 * plain text; `undefined` restores the automatic lookup of tslab.
 * @example
 * setDisplayBackend({ html: (h) => shown.push(h), svg: (s) => shown.push(s), text: (t) => shown.push(t) });
 * setDisplayBackend(undefined); // back to automatic
 */
export function setDisplayBackend(backend: DisplayBackend | null | undefined): void {
  if (backend !== null && backend !== undefined) {
    for (const method of ["html", "svg", "text"] as const) {
      if (typeof (backend as unknown as Record<string, unknown>)[method] !== "function") {
        throw new TypeError(`setDisplayBackend: the backend has no ${method}() method; pass an object with html, svg and text functions (e.g. tslab's display).`);
      }
    }
  }
  override = backend;
}

function asBackend(candidate: unknown): DisplayBackend | undefined {
  const display = (candidate as { display?: unknown } | null)?.display;
  if (display && typeof display === "object") {
    const d = display as Record<string, unknown>;
    if (typeof d.html === "function" && typeof d.svg === "function" && typeof d.text === "function") {
      return display as DisplayBackend;
    }
  }
  return undefined;
}

function tryRequire(fromFile: string, name: string): unknown {
  try {
    return createRequire(fromFile)(name);
  } catch {
    return undefined;
  }
}

/**
 * Finds the display API of a running tslab kernel (module `name`, "tslab" unless a test names
 * another), or undefined when there is none. Never throws.
 * @example resolveNotebookDisplay() // tslab's display inside a notebook, undefined in a script
 */
export function resolveNotebookDisplay(name = "tslab"): DisplayBackend | undefined {
  const probe = createRequire(join(process.cwd(), "__trellis_display__.js"));
  // 1. The kernel's own modules, already loaded in this process.
  const marker = new RegExp(`[\\\\/]${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}[\\\\/]dist[\\\\/]jupyter\\.js$`);
  for (const file of Object.keys(probe.cache ?? {})) {
    if (marker.test(file)) {
      const found = asBackend(tryRequire(file, join(dirname(file), "index.js")));
      if (found) return found;
    }
  }
  // 2. Resolved from the kernel's script, then 3. from the working directory (the notebook's folder).
  const contexts = [process.argv[1], join(process.cwd(), "__trellis_display__.js")].filter((p): p is string => !!p);
  for (const from of contexts) {
    const found = asBackend(tryRequire(from, name));
    if (found) return found;
  }
  return undefined;
}

function hasHtml(x: unknown): x is { toHTML(): string } {
  return x !== null && typeof x === "object" && typeof (x as { toHTML?: unknown }).toHTML === "function";
}

function textOf(x: unknown): string {
  if (typeof x === "string") return x;
  if (x !== null && typeof x === "object" && typeof (x as object).toString === "function" && (x as object).toString !== Object.prototype.toString) {
    return String(x);
  }
  return inspect(x, { depth: 4, colors: false });
}

/**
 * Shows `x` in its richest form: in a tslab notebook a chart as SVG and a report (anything with
 * `toHTML()`) as HTML, other values as text; outside a notebook, writes `String(x)` (or
 * `util.inspect` for plain objects) and a newline to stdout. With `save`, also writes a chart's SVG
 * (an HTML page for other objects with `toHTML()`) to that path. Falls back to text when the
 * notebook refuses a display. Returns nothing, so a notebook cell ending in `display(x)` shows
 * only `x`.
 * @example
 * display(describe(train));                               // an HTML table in a notebook
 * display(rocChart(yTest, scores), { save: "roc.svg" });  // SVG in a notebook; a file and a line of text elsewhere
 */
export function display(x: unknown, options: DisplayOptions = {}): void {
  let savedTo: string | undefined;
  if (options.save !== undefined) {
    if (x instanceof Chart) savedTo = x.save(options.save);
    else if (hasHtml(x)) savedTo = new Chart("html", x.toHTML(), textOf(x)).save(options.save);
    else throw new TypeError(`display: cannot save ${typeof x}; save works for charts and objects with toHTML().`);
  }
  const backend = override === undefined ? resolveNotebookDisplay() : override;
  if (backend) {
    try {
      if (x instanceof Chart) {
        backend.svg(x.svg);
        return;
      }
      if (hasHtml(x)) {
        backend.html(x.toHTML());
        return;
      }
      backend.text(textOf(x));
      return;
    } catch {
      // A tslab copy outside a running kernel refuses ("Not ready"): fall back to text.
    }
  }
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(`${textOf(x)}\n${savedTo ? `(saved to ${savedTo})\n` : ""}`);
}
