/**
 * The Python side of running notebooks headless: a Jupyter that can execute notebooks (nbconvert)
 * and the tslab kernel registered with it. The repository's own environment lives in
 * `.venv-notebooks/` (git-ignored) and is made by `npm run notebooks`; a `python3` on the PATH that
 * already imports Jupyter works too (its kernel spec then goes into `node_modules/.cache`, never into
 * that Python's own folders).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A Python that imports Jupyter, with the tslab kernel registered where that Jupyter looks. */
export interface JupyterEnvironment {
  /** Where it comes from: the repository's own virtual environment, or the `python3` on the PATH. */
  origin: "venv" | "path";
  /** The Python executable (absolute for the venv; `python3` for the PATH). */
  python: string;
  /** Extra variables for Jupyter processes (JUPYTER_PATH when the kernel spec is outside the Python). */
  env: Record<string, string>;
  /** The kernel spec file tslab writes (`…/kernels/tslab/kernel.json`). */
  kernelSpec: string;
}

/** A log line sink; the command-line runner prints, the tests collect. */
export type Log = (line: string) => void;

/** The repository's notebook environment folder. */
export function venvDir(root: string): string {
  return join(root, ".venv-notebooks");
}

/** The Python executable inside a virtual environment. */
export function venvPython(dir: string): string {
  return process.platform === "win32" ? join(dir, "Scripts", "python.exe") : join(dir, "bin", "python");
}

/** The tslab launcher of this checkout; the kernel spec needs it absolute (Jupyter does not see node_modules/.bin). */
export function tslabBinary(root: string): string {
  return join(root, "node_modules", ".bin", process.platform === "win32" ? "tslab.cmd" : "tslab");
}

/** True when `python` starts and imports what executing a notebook needs. */
export function importsJupyter(python: string): boolean {
  const r = spawnSync(python, ["-c", "import nbconvert, nbclient, jupyter_client, jupyter_core"], { stdio: "ignore", timeout: 60_000 });
  return r.status === 0;
}

function environmentFor(root: string, origin: "venv" | "path"): JupyterEnvironment {
  if (origin === "venv") {
    const dir = venvDir(root);
    return { origin, python: venvPython(dir), env: {}, kernelSpec: join(dir, "share", "jupyter", "kernels", "tslab", "kernel.json") };
  }
  const prefix = join(root, "node_modules", ".cache", "trellis-notebooks", "jupyter");
  return {
    origin,
    python: "python3",
    env: { JUPYTER_PATH: join(prefix, "share", "jupyter") },
    kernelSpec: join(prefix, "share", "jupyter", "kernels", "tslab", "kernel.json"),
  };
}

/**
 * Finds a Python that can execute notebooks: the repository's `.venv-notebooks/` first, then the
 * `python3` on the PATH. Returns the reason when there is none.
 * @example
 * const found = findJupyter(root);
 * if ("reason" in found) console.log(`notebooks skipped: ${found.reason}`);
 */
export function findJupyter(root: string): JupyterEnvironment | { reason: string } {
  const venv = environmentFor(root, "venv");
  if (existsSync(venv.python) && importsJupyter(venv.python)) return venv;
  const path = environmentFor(root, "path");
  if (importsJupyter(path.python)) return path;
  return {
    reason:
      "Jupyter (nbconvert) is importable neither by .venv-notebooks/ nor by the python3 on the PATH; run `npm run notebooks` once to create the environment",
  };
}

/**
 * pip arguments that point at the index this machine is configured for: the URLs of
 * `pip config get global.extra-index-url`, the first as `--index-url` and the others as
 * `--extra-index-url` (a plain install would also try the public index, slow or unreachable offline).
 * Empty when nothing is configured, so pip uses its defaults.
 * @example pipIndexArgs("python3") // ["--index-url", "file:///…/simple", "--extra-index-url", "file:///…/more"]
 */
export function pipIndexArgs(python: string): string[] {
  const r = spawnSync(python, ["-m", "pip", "config", "get", "global.extra-index-url"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) return [];
  return indexArgsFrom(r.stdout);
}

/**
 * Turns the whitespace-separated URLs pip prints into index arguments.
 * @example indexArgsFrom("a b\n") // ["--index-url", "a", "--extra-index-url", "b"]
 */
export function indexArgsFrom(configured: string): string[] {
  const urls = configured.split(/\s+/).filter((u) => u !== "");
  return urls.flatMap((u, i) => (i === 0 ? ["--index-url", u] : ["--extra-index-url", u]));
}

function run(cmd: string, args: string[], log: Log, env: Record<string, string> = {}): void {
  log(`$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
  if (r.error) throw new Error(`could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args[0] ?? ""} exited with status ${r.status}`);
}

function timed(label: string, log: Log, fn: () => void): number {
  const t0 = performance.now();
  fn();
  const s = (performance.now() - t0) / 1000;
  log(`  ${label} in ${s.toFixed(1)} s`);
  return s;
}

/** The packages the environment holds. */
export const JUPYTER_PACKAGES = ["jupyter", "nbconvert", "ipykernel"] as const;

/**
 * The packages the test suite's cross-checks import (pyarrow, pandas and scikit-learn references; see
 * test/helpers/python.ts), installed into the same environment by `--crosschecks`.
 */
export const CROSSCHECK_PACKAGES = ["pyarrow", "pandas", "numpy", "scikit-learn", "scipy"] as const;

/** True when `python` imports every cross-check package. */
export function importsCrossCheckPackages(python: string): boolean {
  const r = spawnSync(python, ["-c", "import pyarrow, pandas, numpy, sklearn, scipy"], { stdio: "ignore", timeout: 120_000 });
  return r.status === 0;
}

function pipInstall(env: JupyterEnvironment, packages: readonly string[], label: string, log: Log): void {
  const index = pipIndexArgs(env.python);
  timed(label, log, () =>
    run(env.python, ["-m", "pip", "install", "--quiet", "--quiet", "--disable-pip-version-check", ...index, ...packages], log),
  );
}

/**
 * Makes `.venv-notebooks/` (unless it already imports Jupyter, or `recreate` is set): `python3 -m venv`,
 * then `pip install jupyter nbconvert ipykernel` from the configured index. With `crosschecks`, the
 * environment also gets {@link CROSSCHECK_PACKAGES} (in the same pip run when it is new). Returns the environment.
 * @example const env = createVenv(root, { log: console.log, crosschecks: true });
 */
export function createVenv(root: string, opts: { log: Log; recreate?: boolean; python?: string; crosschecks?: boolean }): JupyterEnvironment {
  const env = environmentFor(root, "venv");
  if (!opts.recreate && existsSync(env.python) && importsJupyter(env.python)) {
    opts.log(`reusing ${venvDir(root)}`);
    if (opts.crosschecks && !importsCrossCheckPackages(env.python)) {
      pipInstall(env, CROSSCHECK_PACKAGES, "cross-check packages installed", opts.log);
      if (!importsCrossCheckPackages(env.python)) throw new Error(`${env.python} still cannot import ${CROSSCHECK_PACKAGES.join(", ")} after pip install`);
    }
    return env;
  }
  const base = opts.python ?? "python3";
  const args = ["-m", "venv", ...(opts.recreate ? ["--clear"] : []), venvDir(root)];
  timed("virtual environment created", opts.log, () => run(base, args, opts.log));
  const packages = opts.crosschecks ? [...JUPYTER_PACKAGES, ...CROSSCHECK_PACKAGES] : JUPYTER_PACKAGES;
  pipInstall(env, packages, opts.crosschecks ? "Jupyter and the cross-check packages installed" : "Jupyter installed", opts.log);
  if (!importsJupyter(env.python)) throw new Error(`${env.python} still cannot import nbconvert after pip install`);
  if (opts.crosschecks && !importsCrossCheckPackages(env.python)) {
    throw new Error(`${env.python} still cannot import ${CROSSCHECK_PACKAGES.join(", ")} after pip install`);
  }
  return env;
}

/**
 * Registers the tslab kernel with an environment's Jupyter, pointing at this checkout's launcher.
 * Skipped when the spec already names that launcher. The venv gets it under its `sys.prefix`; the
 * PATH's python3 gets it in `node_modules/.cache/trellis-notebooks/jupyter` (found via JUPYTER_PATH).
 * @example ensureKernel(findJupyter(root) as JupyterEnvironment, root, console.log);
 */
export function ensureKernel(env: JupyterEnvironment, root: string, log: Log): void {
  const binary = tslabBinary(root);
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm ci\` first (tslab is a dev dependency of examples)`);
  if (existsSync(env.kernelSpec)) {
    try {
      const spec = JSON.parse(readFileSync(env.kernelSpec, "utf8")) as { argv?: string[] };
      if (spec.argv?.[0] === binary) return;
    } catch {
      // An unreadable spec is rewritten below.
    }
  }
  const where = env.origin === "venv" ? ["--sys-prefix"] : [`--prefix=${env.env.JUPYTER_PATH.replace(/[\\/]share[\\/]jupyter$/, "")}`];
  timed("tslab kernel installed", log, () => run(binary, ["install", `--python=${env.python}`, ...where, `--binary=${binary}`], log, env.env));
  if (!existsSync(env.kernelSpec)) throw new Error(`tslab install did not write ${env.kernelSpec}`);
}
