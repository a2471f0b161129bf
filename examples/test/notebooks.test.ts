/**
 * Notebooks are examples and acceptance tests. The check and the pieces of the runner are tested on
 * notebook JSON here always; executing notebooks needs Jupyter (nbconvert) from `.venv-notebooks/`
 * (made by `npm run notebooks`) or the python3 on the PATH, and is skipped with the reason otherwise
 * (CI sets TRELLIS_NOTEBOOKS_REQUIRED=1 to make a missing Jupyter a failure). Needs `npm run build`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Notebook,
  type NotebookCell,
  DEFAULT_MAX_OUTPUT_BYTES,
  cellRan,
  checkNotebook,
  formatProblem,
  joinSource,
} from "../notebooks/tools/check";
import { type JupyterEnvironment, ensureKernel, findJupyter, indexArgsFrom } from "../notebooks/tools/environment";
import { cellTimings, executeNotebook, failedCell, listNotebooks, numberCells } from "../notebooks/tools/execute";

const root = fileURLToPath(new URL("../..", import.meta.url));
const notebooksDir = join(root, "examples", "notebooks");

const HTML = { output_type: "display_data", data: { "text/html": "<table></table>" }, metadata: {} };
const SVG = { output_type: "display_data", data: { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>' }, metadata: {} };

function code(source: string, extra: Partial<NotebookCell> = {}): NotebookCell {
  return { cell_type: "code", source, metadata: {}, outputs: [], execution_count: null, ...extra };
}
function notebook(cells: NotebookCell[], trellis?: Notebook["metadata"]["trellis"]): Notebook {
  return {
    cells,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, ...(trellis ? { trellis } : {}) },
    nbformat: 4,
    nbformat_minor: 5,
  };
}
const ran = { metadata: { execution: { "shell.execute_reply": "2026-01-01T00:00:01.000000Z" } } };

describe("checkNotebook", () => {
  it("passes an executed notebook with a table and a chart", () => {
    const nb = notebook([
      { cell_type: "markdown", source: "# title", metadata: {} },
      code("show(table)", { execution_count: 1, outputs: [HTML] }),
      code("show(chart)", { execution_count: 2, outputs: [SVG, { output_type: "stream", name: "stdout", text: "ok\n" }] }),
      code("   ", {}),
    ]);
    expect(checkNotebook(nb, "a.ipynb")).toEqual([]);
  });

  it("names each code cell that did not run", () => {
    const nb = notebook([code("1", { execution_count: 1, outputs: [HTML, SVG] }), { cell_type: "markdown", source: "x", metadata: {} }, code("2")]);
    expect(checkNotebook(nb, "a.ipynb").map(formatProblem)).toEqual([
      "a.ipynb, cell 2: did not run (no execution count): execute the notebook with `npm run notebooks`",
    ]);
  });

  it("counts a cell as run from nbclient's record of the reply when the kernel sends no count", () => {
    expect(cellRan(code("1", ran))).toBe(true);
    expect(cellRan(code("1"))).toBe(false);
    expect(cellRan(code("1", { execution_count: 4 }))).toBe(true);
    expect(checkNotebook(notebook([code("1", { ...ran, outputs: [HTML, SVG] })]), "a.ipynb")).toEqual([]);
  });

  it("fails on an error output and on stderr, unless the cell is tagged allow-stderr", () => {
    const err = { output_type: "error", ename: "TypeError", evalue: "x is not a function\nmore", traceback: [] };
    const stderr = { output_type: "stream", name: "stderr", text: ["\n", "1:7 - Type 'number' is not assignable to type 'string'.\n"] };
    const nb = notebook([
      code("a", { execution_count: 1, outputs: [err, HTML, SVG] }),
      code("b", { execution_count: 2, outputs: [stderr] }),
      code("c", { execution_count: 3, outputs: [stderr], metadata: { tags: ["allow-stderr"] } }),
    ]);
    expect(checkNotebook(nb, "n.ipynb").map(formatProblem)).toEqual([
      "n.ipynb, cell 0: raised TypeError: x is not a function",
      "n.ipynb, cell 1: wrote to stderr: 1:7 - Type 'number' is not assignable to type 'string'.",
    ]);
  });

  it("fails when the notebook shows no SVG chart or no HTML table", () => {
    expect(checkNotebook(notebook([code("a", { execution_count: 1, outputs: [HTML] })]), "n.ipynb").map(formatProblem)).toEqual([
      "n.ipynb: has 0 image/svg+xml outputs, expected at least 1 (declare others in metadata.trellis.expectOutputs)",
    ]);
    expect(checkNotebook(notebook([code("a", { execution_count: 1, outputs: [SVG] })]), "n.ipynb").map(formatProblem)).toEqual([
      "n.ipynb: has 0 text/html outputs, expected at least 1 (declare others in metadata.trellis.expectOutputs)",
    ]);
  });

  it("reads the expected outputs a notebook declares in its metadata", () => {
    const cells = [code("a", { execution_count: 1, outputs: [HTML, HTML, SVG] })];
    expect(checkNotebook(notebook(cells, { expectOutputs: { "text/html": 2 } }), "n.ipynb")).toEqual([]);
    expect(checkNotebook(notebook(cells, { expectOutputs: { "text/html": 3, "text/markdown": 1 } }), "n.ipynb").map((p) => p.message)).toEqual([
      "has 2 text/html outputs, expected at least 3 (declare others in metadata.trellis.expectOutputs)",
      "has 0 text/markdown outputs, expected at least 1 (declare others in metadata.trellis.expectOutputs)",
    ]);
  });

  it("fails when the outputs are too large to commit", () => {
    const big = { output_type: "display_data", data: { "text/html": "x".repeat(DEFAULT_MAX_OUTPUT_BYTES) }, metadata: {} };
    const nb = notebook([code("a", { execution_count: 1, outputs: [big, SVG] })]);
    expect(checkNotebook(nb, "n.ipynb").map((p) => p.message)).toEqual([
      "outputs take 256 KiB, over the 256 KiB limit: show fewer rows or a smaller chart (or raise metadata.trellis.maxOutputBytes)",
    ]);
    expect(checkNotebook({ ...nb, metadata: { trellis: { maxOutputBytes: 1_000_000 } } }, "n.ipynb")).toEqual([]);
  });

  it("refuses a file that is not a notebook", () => {
    expect(checkNotebook({} as Notebook, "x.ipynb").map(formatProblem)).toEqual(["x.ipynb: is not an nbformat 4 notebook (no cells array)"]);
  });
});

describe("the runner's pieces", () => {
  it("joins nbformat's multi-line strings", () => {
    expect(joinSource(["a\n", "b"])).toBe("a\nb");
    expect(joinSource("c")).toBe("c");
    expect(joinSource(undefined)).toBe("");
  });

  it("turns pip's configured index URLs into --index-url and --extra-index-url", () => {
    expect(indexArgsFrom("file:///a/simple file:///b/simple\n")).toEqual([
      "--index-url",
      "file:///a/simple",
      "--extra-index-url",
      "file:///b/simple",
    ]);
    expect(indexArgsFrom("https://x/simple")).toEqual(["--index-url", "https://x/simple"]);
    expect(indexArgsFrom("\n")).toEqual([]);
  });

  it("finds the failed cell and what the kernel said in nbconvert's report", () => {
    const nb = notebook([code('console.log("first")'), code("const s: string = 1;"), code('console.log("after")')]);
    const typeError = [
      "Traceback (most recent call last):",
      '  File ".../nbclient/client.py", line 918, in _check_raise_for_error',
      "nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:",
      "------------------",
      "const s: string = 1;",
      "------------------",
      "",
      "----- stderr -----",
      "1:7 - Type 'number' is not assignable to type 'string'.",
      "------------------",
      "",
      "",
    ].join("\n");
    expect(failedCell(typeError, nb)).toEqual({ cell: 1, detail: "1:7 - Type 'number' is not assignable to type 'string'." });

    const runtime = [
      "nbclient.exceptions.CellExecutionError: An error occurred while executing the following cell:",
      "------------------",
      'console.log("after")',
      "------------------",
      "",
      "----- stderr -----",
      "evalmachine.<anonymous>:2",
      'throw new Error("boom");',
      "^",
      "",
      "Error: boom",
      "    at evalmachine.<anonymous>:2:7",
      "    at Script.runInThisContext (node:vm:135:14)",
      "------------------",
      "",
    ].join("\n");
    expect(failedCell(runtime, nb)).toEqual({ cell: 2, detail: 'evalmachine.<anonymous>:2\nthrow new Error("boom");\n^\nError: boom' });
    expect(failedCell("Traceback: DeadKernelError", nb)).toBeUndefined();
  });

  it("numbers the cells that ran and drops nbclient's timestamps", () => {
    const timing = { "iopub.status.busy": "2026-01-01T00:00:00.000000Z", "iopub.status.idle": "2026-01-01T00:00:02.500000Z", "shell.execute_reply": "x" };
    const result = { output_type: "execute_result", data: { "text/plain": "3" }, metadata: {}, execution_count: null };
    const nb = notebook([
      code("1", { metadata: { execution: timing } }),
      { cell_type: "markdown", source: "m", metadata: {} },
      code("2", { metadata: { execution: timing, tags: ["t"] }, outputs: [result] }),
      code("3"),
    ]);
    expect(cellTimings(nb)).toEqual([
      { cell: 0, seconds: 2.5 },
      { cell: 2, seconds: 2.5 },
    ]);
    const numbered = numberCells(nb);
    expect(numbered.cells.map((c) => c.execution_count)).toEqual([1, undefined, 2, null]);
    expect(numbered.cells[2].metadata).toEqual({ tags: ["t"] });
    expect(numbered.cells[2].outputs?.[0].execution_count).toBe(2);
    expect(nb.cells[0].metadata.execution).toBe(timing); // the input is not changed
  });

  it("lists the notebooks in order and picks them by name or number", () => {
    const all = listNotebooks(notebooksDir);
    expect(all[0]).toBe("01-features.ipynb");
    expect(listNotebooks(notebooksDir, ["01"])).toEqual(["01-features.ipynb"]);
    expect(listNotebooks(notebooksDir, ["01-features"])).toEqual(["01-features.ipynb"]);
    expect(() => listNotebooks(notebooksDir, ["99"])).toThrow(`no notebook "99" in ${notebooksDir} (there are: ${all.join(", ")})`);
  });
});

describe("committed notebooks", () => {
  for (const name of listNotebooks(notebooksDir)) {
    it(`${name} is committed executed, with its outputs, and passes the check`, () => {
      const nb = JSON.parse(readFileSync(join(notebooksDir, name), "utf8")) as Notebook;
      expect(nb.metadata.kernelspec).toMatchObject({ name: "tslab" });
      expect(checkNotebook(nb, name).map(formatProblem)).toEqual([]);
      // Written by `npm run notebooks -- --write`: counted cells, no per-run timestamps.
      const codeCells = nb.cells.filter((c) => c.cell_type === "code");
      expect(codeCells.map((c) => c.execution_count)).toEqual(codeCells.map((_, i) => i + 1));
      expect(codeCells.some((c) => c.metadata.execution !== undefined)).toBe(false);
    });
  }
});

const found = findJupyter(root);
const skipReason = "reason" in found ? found.reason : "";
const required = process.env.TRELLIS_NOTEBOOKS_REQUIRED === "1";
const skip = skipReason !== "" && !required;
if (skip) console.log(`notebook execution skipped: ${skipReason}`);
const suffix = skip ? ` (skipped: ${skipReason})` : "";

describe("executing notebooks with the tslab kernel", () => {
  let env: JupyterEnvironment;
  beforeAll(() => {
    if (skip) return;
    if (skipReason) throw new Error(`TRELLIS_NOTEBOOKS_REQUIRED=1 but ${skipReason}`);
    env = found as JupyterEnvironment;
    ensureKernel(env, root, () => {});
  }, 120_000);

  for (const name of listNotebooks(notebooksDir)) {
    it.skipIf(skip)(`runs ${name} top to bottom and passes the check${suffix}`, async () => {
      const run = await executeNotebook(env, join(notebooksDir, name));
      expect(run.problems.map(formatProblem)).toEqual([]);
      expect(run.ok).toBe(true);
    }, 300_000);
  }

  describe.concurrent("fails a notebook that", () => {
    // Inside the repository so that tslab's compiler and require() find node_modules.
    const scratch = join(root, "node_modules", ".cache", `trellis-notebooks-test-${process.pid}`);
    const write = (name: string, cells: NotebookCell[]) => {
      mkdirSync(scratch, { recursive: true });
      const path = join(scratch, name);
      writeFileSync(path, JSON.stringify(notebook(cells)));
      return path;
    };
    const display = 'import * as tslab from "tslab";\ntslab.display.html("<b>table</b>");\ntslab.display.svg(\'<svg xmlns="http://www.w3.org/2000/svg"/>\');';
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it.skipIf(skip)(`has a type error in a cell, naming the cell and the compiler's message${suffix}`, async () => {
      const path = write("type-error.ipynb", [code(display), code("const n: number = 1;\nconst s: string = n;"), code("console.log(s)")]);
      const run = await executeNotebook(env, path);
      expect(run.ok).toBe(false);
      expect(run.problems.map(formatProblem)).toEqual([
        "type-error.ipynb, cell 1: failed:\n2:7 - Type 'number' is not assignable to type 'string'.",
      ]);
    }, 300_000);

    it.skipIf(skip)(`throws at run time, and does not run the cells after it${suffix}`, async () => {
      const path = write("runtime-error.ipynb", [code(display), code('await Promise.resolve();\nthrow new RangeError("boom");'), code('console.log("after")')]);
      const run = await executeNotebook(env, path);
      expect(run.ok).toBe(false);
      expect(run.problems).toHaveLength(1);
      expect(run.problems[0].cell).toBe(1);
      expect(run.problems[0].message).toMatch(/^failed:\n[\s\S]*RangeError: boom/);
      expect(run.executed).toBeUndefined();
    }, 300_000);

    it.skipIf(skip)(`runs but shows no SVG chart (the three packages load through require())${suffix}`, async () => {
      const imports = [
        'import * as shared from "@trellis/shared";',
        'import * as prod from "@trellis/prod";',
        'import * as dev from "@trellis/dev";',
        'import * as tslab from "tslab";',
        'console.log(typeof shared.FeatureStore, typeof prod.Pipeline, typeof dev.trainTestSplit);',
        'tslab.display.html("<b>table</b>");',
      ].join("\n");
      const path = write("no-chart.ipynb", [code(imports)]);
      const run = await executeNotebook(env, path);
      expect(run.problems.map(formatProblem)).toEqual([
        "no-chart.ipynb: has 0 image/svg+xml outputs, expected at least 1 (declare others in metadata.trellis.expectOutputs)",
      ]);
      expect(run.ok).toBe(false);
      const cell = run.executed?.cells[0];
      expect(cell?.execution_count).toBe(1);
      expect(cell?.outputs?.filter((o) => o.output_type === "stream").map((o) => joinSource(o.text))).toEqual(["function function function\n"]);
    }, 300_000);
  });
});
