/**
 * `npm run notebooks [-- [name …] [--write] [--timings] [--timeout=SECONDS] [--setup-only] [--recreate] [--crosschecks]]`
 *
 * Makes (or reuses) the notebook environment `.venv-notebooks/`, registers the tslab kernel in it,
 * executes each notebook of examples/notebooks (or the named ones) into a temporary copy and checks
 * it. `--write` stores the executed outputs in the committed notebook when it passes.
 * `--setup-only` stops after the environment (CI uses it before `npm test`). `--crosschecks` also installs
 * pyarrow, pandas, numpy, scikit-learn and scipy into it, for the test suite's cross-checks.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatProblem } from "./check";
import { createVenv, ensureKernel } from "./environment";
import { executeNotebook, listNotebooks } from "./execute";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const notebooksDir = join(root, "examples", "notebooks");

function parseArgs(argv: string[]) {
  const opts = { names: [] as string[], write: false, setupOnly: false, recreate: false, crosschecks: false, timings: false, timeout: 120 };
  for (const a of argv) {
    if (a === "--write") opts.write = true;
    else if (a === "--setup-only") opts.setupOnly = true;
    else if (a === "--recreate") opts.recreate = true;
    else if (a === "--crosschecks") opts.crosschecks = true;
    else if (a === "--timings") opts.timings = true;
    else if (a.startsWith("--timeout=")) {
      opts.timeout = Number(a.slice("--timeout=".length));
      if (!Number.isInteger(opts.timeout) || opts.timeout < 1) throw new Error(`--timeout wants whole seconds, got "${a}"`);
    } else if (a === "--help" || a === "-h") {
      console.log("usage: npm run notebooks -- [name …] [--write] [--timings] [--timeout=SECONDS] [--setup-only] [--recreate] [--crosschecks]");
      process.exit(0);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a} (see --help)`);
    else opts.names.push(a);
  }
  return opts;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  const env = createVenv(root, { log, recreate: opts.recreate, crosschecks: opts.crosschecks });
  ensureKernel(env, root, log);
  if (opts.setupOnly) return 0;

  for (const dir of ["shared", "prod-lib", "dev-lib"]) {
    if (!existsSync(join(root, dir, "dist", "index.cjs"))) {
      console.error(`${dir}/dist is missing: run \`npm run build\` first (notebooks import the built packages)`);
      return 1;
    }
  }
  let failed = 0;
  for (const name of listNotebooks(notebooksDir, opts.names)) {
    const path = join(notebooksDir, name);
    const run = await executeNotebook(env, path, { cellTimeout: opts.timeout });
    if (run.ok) {
      console.log(`✓ ${name} (${run.seconds.toFixed(1)} s)`);
      if (opts.timings) {
        for (const t of run.cellSeconds) console.log(`  cell ${String(t.cell).padStart(2)}: ${t.seconds.toFixed(2)} s`);
      }
      if (opts.write && run.executed) {
        writeFileSync(path, `${JSON.stringify(run.executed, null, 1)}\n`);
        console.log(`  outputs written to examples/notebooks/${name}`);
      }
    } else {
      failed++;
      console.error(`✗ ${name} (${run.seconds.toFixed(1)} s)`);
      for (const p of run.problems) console.error(`  ${formatProblem(p).replace(/\n/g, "\n    ")}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
