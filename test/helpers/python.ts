/**
 * The one place where tests find the Python they cross-check against (pyarrow, pandas, scikit-learn).
 *
 * The interpreter is, in order: `TRELLIS_PYTHON` when set (and then only it), else the repository's
 * own environment `.venv-notebooks/` when it exists and imports what the test needs (`npm run
 * notebooks -- --setup-only --crosschecks` installs the cross-check packages there), else the
 * `python3` on the PATH. A test without such a Python is skipped with the reason in its name, unless
 * `TRELLIS_CROSSCHECKS_REQUIRED=1` (CI sets it): then finding no Python throws, and the test file
 * fails instead of skipping.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The modules the cross-checks import, as `pip install` names them (see `npm run notebooks -- --crosschecks`). */
export const CROSSCHECK_MODULES = ["pyarrow", "pandas", "numpy", "sklearn", "scipy"] as const;

/** What a test learns about Python: the interpreter to run, or why there is none. */
export type PythonProbe = { python: string; missing?: undefined } | { python?: undefined; missing: string };

/** Interpreters to try, best first. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const chosen = env.TRELLIS_PYTHON?.trim();
  if (chosen) return [chosen];
  const venv = join(root, ".venv-notebooks", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  return existsSync(venv) ? [venv, "python3"] : ["python3"];
}

/** True when the cross-checks must run: a missing Python is then an error, not a skip. */
export function crossChecksRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.TRELLIS_CROSSCHECKS_REQUIRED?.trim();
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

const probes = new Map<string, string | undefined>();

/** Undefined when `python` starts and imports `modules`; otherwise the last line of what went wrong. */
function importFailure(python: string, modules: readonly string[]): string | undefined {
  const key = `${python}\0${modules.join(",")}`;
  if (probes.has(key)) return probes.get(key);
  const code = modules.length === 0 ? "pass" : `import ${modules.join(", ")}`;
  const r = spawnSync(python, ["-c", code], { encoding: "utf8", timeout: 120_000 });
  const failure =
    r.status === 0 ? undefined : ((r.error?.message ?? r.stderr ?? "").trim().split("\n").pop() || `exit status ${r.status}`);
  probes.set(key, failure);
  return failure;
}

/**
 * Finds a Python that imports every module of `modules` (an empty list: any Python at all).
 * Throws instead of returning the reason when cross-checks are required.
 * @example
 * const py = findPython(["pyarrow", "pandas"]);
 * it.skipIf(py.missing !== undefined)(`matches pandas${py.missing ? ` (skipped: ${py.missing})` : ""}`, () => {
 *   runPython(py, "import pandas; print(pandas.__version__)");
 * });
 */
export function findPython(modules: readonly string[], env: NodeJS.ProcessEnv = process.env): PythonProbe {
  const tried: string[] = [];
  for (const python of pythonCandidates(env)) {
    const failure = importFailure(python, modules);
    if (failure === undefined) return { python };
    tried.push(`${python === "python3" ? "python3" : python.startsWith(root) ? python.slice(root.length) : python}: ${failure}`);
  }
  const what = modules.length === 0 ? "no Python starts" : `no Python imports ${modules.join(", ")}`;
  const missing = `${what} (${tried.join("; ")}); run \`npm run notebooks -- --setup-only --crosschecks\` or set TRELLIS_PYTHON`;
  if (crossChecksRequired(env)) throw new Error(`cross-checks are required (TRELLIS_CROSSCHECKS_REQUIRED is set) but ${missing}`);
  return { missing };
}

/** The interpreter of a probe that found one; throws with the reason otherwise. */
export function pythonOf(probe: PythonProbe): string {
  if (probe.python === undefined) throw new Error(probe.missing);
  return probe.python;
}

/**
 * Runs a Python script (`python -c script args…`) with the probe's interpreter; returns stdout and
 * throws with stderr on failure.
 * @example JSON.parse(runPython(findPython(["pyarrow"]), "import pyarrow, json; print(json.dumps(pyarrow.__version__))"))
 */
export function runPython(probe: PythonProbe, script: string, args: string[] = [], input?: string): string {
  const python = pythonOf(probe);
  const r = spawnSync(python, ["-c", script, ...args], { encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`could not start ${python}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${python} exited with status ${r.status}: ${r.stderr}`);
  return r.stdout;
}
