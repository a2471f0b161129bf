/**
 * The check an executed notebook must pass: every code cell ran, no cell failed, and the rich outputs
 * the notebook promises (tables as HTML, charts as SVG) are there, in a size a repository page shows.
 * Shared by `npm run notebooks` and the notebook tests; it reads notebook JSON only (no Jupyter needed).
 */

/** The parts of an nbformat 4 output this check reads. */
export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  execution_count?: number | null;
}

/** The parts of an nbformat 4 cell this check reads. */
export interface NotebookCell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { tags?: string[]; execution?: Record<string, string>; [key: string]: unknown };
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

/** An nbformat 4 notebook, as far as the check reads it. */
export interface Notebook {
  cells: NotebookCell[];
  metadata: { trellis?: NotebookExpectations; [key: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

/**
 * What a notebook declares about its outputs, in its metadata under `trellis`.
 * @example { "trellis": { "expectOutputs": { "text/html": 3, "image/svg+xml": 1 }, "maxOutputBytes": 200000 } }
 */
export interface NotebookExpectations {
  /** Minimum number of outputs per MIME type over the whole notebook. */
  expectOutputs?: Record<string, number>;
  /** Upper bound on the size of all outputs together (JSON bytes), so committed outputs stay readable. */
  maxOutputBytes?: number;
}

/** One reason a notebook fails the check; `cell` is the 0-based index in the notebook's cells. */
export interface NotebookProblem {
  notebook: string;
  cell?: number;
  message: string;
}

/** Every notebook shows at least one table and one chart unless it declares otherwise. */
export const DEFAULT_EXPECTED_OUTPUTS: Readonly<Record<string, number>> = { "text/html": 1, "image/svg+xml": 1 };
/** 256 KiB of outputs: enough for a few tables and charts, far from a megabyte table. */
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024;
/** A cell with this tag may write to stderr (e.g. a warning the notebook explains). */
export const ALLOW_STDERR_TAG = "allow-stderr";

/**
 * Formats a problem as one line: `01-features.ipynb, cell 4: …`.
 * @example formatProblem({ notebook: "a.ipynb", cell: 2, message: "did not run" }) // "a.ipynb, cell 2: did not run"
 */
export function formatProblem(p: NotebookProblem): string {
  return p.cell === undefined ? `${p.notebook}: ${p.message}` : `${p.notebook}, cell ${p.cell}: ${p.message}`;
}

/**
 * Joins nbformat's multi-line strings (a string or an array of lines).
 * @example joinSource(["a\n", "b"]) // "a\nb"
 */
export function joinSource(s: string | string[] | undefined): string {
  return Array.isArray(s) ? s.join("") : (s ?? "");
}

/**
 * True when a code cell was executed: Jupyter's execution count, or nbclient's record of the
 * kernel's reply (tslab sends no `execute_input` message, so nbclient leaves the count null).
 * @example cellRan({ cell_type: "code", source: "1", metadata: {}, execution_count: 3 }) // true
 */
export function cellRan(cell: NotebookCell): boolean {
  return (
    (typeof cell.execution_count === "number" && cell.execution_count > 0) ||
    typeof cell.metadata.execution?.["shell.execute_reply"] === "string"
  );
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Checks an executed notebook and returns every problem found (an empty list when it passes).
 * - a non-empty code cell that did not run;
 * - an `error` output, or text on stderr in a cell without the `allow-stderr` tag (tslab reports
 *   compile and run-time errors on stderr);
 * - fewer outputs of a MIME type than `metadata.trellis.expectOutputs` asks for (default: one
 *   `text/html` and one `image/svg+xml`);
 * - outputs larger than `metadata.trellis.maxOutputBytes` (default 256 KiB).
 * @example
 * const problems = checkNotebook(JSON.parse(readFileSync(path, "utf8")), "01-features.ipynb");
 * if (problems.length) throw new Error(problems.map(formatProblem).join("\n"));
 */
export function checkNotebook(nb: Notebook, name: string): NotebookProblem[] {
  const problems: NotebookProblem[] = [];
  if (!nb || !Array.isArray(nb.cells)) return [{ notebook: name, message: "is not an nbformat 4 notebook (no cells array)" }];
  const declared = nb.metadata?.trellis ?? {};
  const expected = declared.expectOutputs ?? DEFAULT_EXPECTED_OUTPUTS;
  const maxBytes = declared.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const seen = new Map<string, number>();
  let bytes = 0;

  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code" || joinSource(cell.source).trim() === "") return;
    const at = (message: string) => problems.push({ notebook: name, cell: index, message });
    if (!cellRan(cell)) at("did not run (no execution count): execute the notebook with `npm run notebooks`");
    for (const out of cell.outputs ?? []) {
      bytes += JSON.stringify(out).length;
      if (out.output_type === "error") {
        at(`raised ${out.ename ?? "an error"}: ${firstLine(out.evalue ?? "")}`);
      } else if (out.output_type === "stream" && out.name === "stderr" && !(cell.metadata.tags ?? []).includes(ALLOW_STDERR_TAG)) {
        at(`wrote to stderr: ${firstLine(joinSource(out.text))}`);
      }
      for (const mime of Object.keys(out.data ?? {})) seen.set(mime, (seen.get(mime) ?? 0) + 1);
    }
  });

  for (const [mime, min] of Object.entries(expected)) {
    const n = seen.get(mime) ?? 0;
    if (n < min) {
      problems.push({
        notebook: name,
        message: `has ${n} ${mime} output${n === 1 ? "" : "s"}, expected at least ${min} (declare others in metadata.trellis.expectOutputs)`,
      });
    }
  }
  if (bytes > maxBytes) {
    problems.push({
      notebook: name,
      message: `outputs take ${Math.round(bytes / 1024)} KiB, over the ${Math.round(maxBytes / 1024)} KiB limit: show fewer rows or a smaller chart (or raise metadata.trellis.maxOutputBytes)`,
    });
  }
  return problems;
}
