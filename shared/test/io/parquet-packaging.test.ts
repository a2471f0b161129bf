/**
 * The built package loads parquet-wasm (an external dependency, not bundled) from both its ESM
 * and its CommonJS entry points, and reads and writes Parquet there. Needs `npm run build`
 * (which `npm test` runs first); skipped with the reason shown when shared/dist is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, loadExpected, tempDir } from "./parquet-helpers";

const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const built = existsSync(join(dist, "index.cjs")) && existsSync(join(dist, "index.js"));
const tmp = tempDir("parquet-packaging");
afterAll(() => tmp.cleanup());

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: tmp.dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)(`Parquet from the built package${built ? "" : " (skipped: shared/dist is not built; run npm run build)"}`, () => {
  const fixture = join(FIXTURES, "default.parquet");

  it("works through require() (CommonJS build)", () => {
    const out = join(tmp.dir, "cjs.parquet");
    const script = `
      const { readParquet, writeParquet } = require(${JSON.stringify(join(dist, "index.cjs"))});
      (async () => {
        const t = await readParquet(${JSON.stringify(fixture)}, { columns: ["big", "cat"] });
        await writeParquet(t, ${JSON.stringify(out)});
        const back = await readParquet(${JSON.stringify(out)});
        console.log(JSON.stringify({ rows: back.numRows, big: String(back.getChild("big").get(0)) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = run(["-e", script]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ rows: 300, big: "9007199254740993" });
  });

  it("works through import (ESM build)", () => {
    const script = `
      const { readParquet } = await import(${JSON.stringify(new URL("index.js", `file://${dist}`).href)});
      const t = await readParquet(${JSON.stringify(fixture)}, { columns: ["id"], filter: [["id", ">=", 295]] });
      console.log(JSON.stringify({ rows: t.numRows }));`;
    const r = run(["--input-type=module", "-e", script]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ rows: 5 });
  });

  // Counts the worker threads the package starts: the bundles call node:worker_threads' Worker
  // at run time, so a patched export (synced to the ESM namespace) sees them.
  const countWorkers = `
    const wt = require("node:worker_threads");
    const Base = wt.Worker;
    globalThis.__workers = 0;
    wt.Worker = class extends Base { constructor(...a) { super(...a); globalThis.__workers++; } };
    require("node:module").syncBuiltinESMExports();`;

  it("ships the worker script of parallel reads in both builds, and reads on workers through require()", () => {
    expect(existsSync(join(dist, "parquet-worker.js"))).toBe(true);
    expect(existsSync(join(dist, "parquet-worker.cjs"))).toBe(true);
    const file = join(FIXTURES, "small_row_groups.parquet");
    const script = `${countWorkers}
      const { readParquet } = require(${JSON.stringify(join(dist, "index.cjs"))});
      (async () => {
        const one = await readParquet(${JSON.stringify(file)}, { threads: 1 });
        const many = await readParquet(${JSON.stringify(file)}, { threads: 2 });
        const same = JSON.stringify(one.toArray(), (k, v) => (typeof v === "bigint" ? String(v) : v)) === JSON.stringify(many.toArray(), (k, v) => (typeof v === "bigint" ? String(v) : v));
        console.log(JSON.stringify({ rows: many.numRows, batches: many.batches.length, same, workers: globalThis.__workers }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = run(["-e", script]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0); // the idle workers do not keep the process alive
    expect(JSON.parse(r.stdout)).toEqual({ rows: 300, batches: 3, same: true, workers: 2 });
  });

  it("reads on workers through import (ESM build)", () => {
    const file = join(FIXTURES, "small_row_groups.parquet");
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      ${countWorkers}
      const { readParquet } = await import(${JSON.stringify(new URL("index.js", `file://${dist}`).href)});
      const t = await readParquet(${JSON.stringify(file)}, { threads: 2, columns: ["big", "cat"] });
      console.log(JSON.stringify({ rows: t.numRows, big: String(t.getChild("big").get(299)), workers: globalThis.__workers }));`;
    const r = run(["--input-type=module", "-e", script]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { rows: number; big: string; workers: number };
    expect(out.rows).toBe(300);
    expect(out.big).toBe(String(loadExpected().big[299]));
    expect(out.workers).toBe(2);
  });
});
