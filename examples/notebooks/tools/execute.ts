/**
 * Executes one notebook headless with the tslab kernel (`jupyter nbconvert --execute`) into a
 * temporary copy and checks the result. Never with `--allow-errors`: with it nbconvert exits 0 and
 * tslab skips every cell after a failed one without a word.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { type Notebook, type NotebookProblem, cellRan, checkNotebook, joinSource } from "./check";
import type { JupyterEnvironment } from "./environment";

/** The outcome of executing one notebook. */
export interface NotebookRun {
  notebook: string;
  ok: boolean;
  problems: NotebookProblem[];
  /** The executed notebook (execution counts filled in), when nbconvert finished. */
  executed?: Notebook;
  seconds: number;
  /** Seconds each executed code cell took (kernel busy to idle), by cell index. */
  cellSeconds: { cell: number; seconds: number }[];
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Seconds a single cell may take (nbconvert's ExecutePreprocessor.timeout). */
  cellTimeout?: number;
}

const RULE = "------------------";

/**
 * Reads nbconvert's report of a failed cell: the cell's source between the first two rules, and
 * what the kernel said (tslab writes compile and run-time errors to stderr) between the next ones.
 * Returns the cell index when the source matches exactly one code cell.
 * @example failedCell(stderr, notebook) // { cell: 4, detail: "1:7 - Type 'number' is not assignable to type 'string'." }
 */
export function failedCell(stderr: string, nb: Notebook): { cell?: number; detail: string } | undefined {
  const marker = "An error occurred while executing the following cell:";
  const at = stderr.lastIndexOf(marker);
  if (at < 0) return undefined;
  // After the marker: "\n<rule>\n<source>\n<rule>\n\n----- stderr -----\n<what the kernel said>\n<rule>\n"
  const [, source = "", ...rest] = stderr.slice(at + marker.length).split(`\n${RULE}\n`);
  const detail =
    rest
      .join("\n")
      .split("\n")
      .map((l) => l.trimEnd())
      .filter((l) => l.trim() !== "" && l !== RULE && !/^-{5} .* -{5}$/.test(l) && !/^\s+at /.test(l))
      .slice(0, 6)
      .join("\n") || "the kernel reported an error";
  const matches = nb.cells.flatMap((c, i) => (c.cell_type === "code" && joinSource(c.source).trim() === source.trim() ? [i] : []));
  return { cell: matches.length === 1 ? matches[0] : undefined, detail };
}

/**
 * Seconds each executed code cell took, from nbclient's record of the kernel going busy and idle.
 * @example cellTimings(executed) // [{ cell: 1, seconds: 0.8 }, …]
 */
export function cellTimings(nb: Notebook): { cell: number; seconds: number }[] {
  return nb.cells.flatMap((cell, i) => {
    const t = cell.metadata.execution;
    const busy = Date.parse(t?.["iopub.status.busy"] ?? ""), idle = Date.parse(t?.["iopub.status.idle"] ?? "");
    return Number.isFinite(busy) && Number.isFinite(idle) ? [{ cell: i, seconds: (idle - busy) / 1000 }] : [];
  });
}

/**
 * The notebooks of a folder in name order; `names` picks some, by file name with or without
 * `.ipynb`, or by the number it starts with (`01`).
 * @example listNotebooks("examples/notebooks", ["01"]) // ["01-features.ipynb"]
 */
export function listNotebooks(dir: string, names: readonly string[] = []): string[] {
  const all = readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  if (names.length === 0) return all;
  return names.map((n) => {
    const hit = all.find((f) => f === n || f === `${n}.ipynb` || f.startsWith(`${n}-`));
    if (!hit) throw new Error(`no notebook "${n}" in ${dir} (there are: ${all.join(", ") || "none"})`);
    return hit;
  });
}

/**
 * Numbers the cells that ran 1, 2, 3 … as Jupyter would (tslab sends no execute_input message, so
 * nbclient leaves the counts null), and drops nbclient's per-cell timestamps so a committed notebook
 * changes only when its outputs do.
 * @example const clean = numberCells(executed);
 */
export function numberCells(nb: Notebook): Notebook {
  let n = 0;
  const cells = nb.cells.map((cell) => {
    if (cell.cell_type !== "code") return cell;
    const ran = cellRan(cell);
    const count = ran ? ++n : null;
    const { execution: _timing, ...metadata } = cell.metadata;
    const outputs = (cell.outputs ?? []).map((o) => (o.output_type === "execute_result" ? { ...o, execution_count: count } : o));
    return { ...cell, metadata, outputs, execution_count: count };
  });
  return { ...nb, cells };
}

function nbconvert(env: JupyterEnvironment, args: string[], cwd: string): Promise<{ status: number; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(env.python, ["-m", "jupyter", "nbconvert", ...args], {
      cwd,
      env: { ...process.env, ...env.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => (stderr += s));
    child.on("error", fail);
    child.on("close", (status) => done({ status: status ?? 1, stderr }));
  });
}

/**
 * Executes `path` with the tslab kernel into a temporary copy (the kernel's working folder is the
 * notebook's own, as in Jupyter) and checks it with {@link checkNotebook}. The committed file is not
 * touched; `executed` holds the result for the caller to write back.
 * @example
 * const run = await executeNotebook(env, "examples/notebooks/01-features.ipynb");
 * if (!run.ok) console.error(run.problems.map(formatProblem).join("\n"));
 */
export async function executeNotebook(env: JupyterEnvironment, path: string, opts: ExecuteOptions = {}): Promise<NotebookRun> {
  const name = basename(path);
  const source = JSON.parse(readFileSync(path, "utf8")) as Notebook;
  const out = mkdtempSync(join(tmpdir(), "trellis-notebook-"));
  const t0 = performance.now();
  try {
    const { status, stderr } = await nbconvert(
      env,
      [
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.kernel_name=tslab",
        `--ExecutePreprocessor.timeout=${opts.cellTimeout ?? 120}`,
        `--output-dir=${out}`,
        `--output=${name}`,
        resolve(path),
      ],
      dirname(resolve(path)),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (status !== 0) {
      const failed = failedCell(stderr, source);
      const timedOut = /CellTimeoutError|timed out/.test(stderr);
      const message = failed
        ? `failed:\n${failed.detail}`
        : timedOut
          ? `a cell ran longer than ${opts.cellTimeout ?? 120} s (ExecutePreprocessor.timeout)`
          : `nbconvert exited with status ${status}:\n${stderr.trim().split("\n").slice(-12).join("\n")}`;
      return { notebook: name, ok: false, problems: [{ notebook: name, cell: failed?.cell, message }], seconds, cellSeconds: [] };
    }
    const raw = JSON.parse(readFileSync(join(out, name), "utf8")) as Notebook;
    const executed = numberCells(raw);
    const problems = checkNotebook(executed, name);
    return { notebook: name, ok: problems.length === 0, problems, executed, seconds, cellSeconds: cellTimings(raw) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
