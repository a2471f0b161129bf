/**
 * The library's worker threads start under the Node options people run data jobs with: a
 * per-process option such as --max-old-space-size (which Node refuses when passed to a worker
 * explicitly) and --input-type=module (a script given with -e or on standard input, which Node
 * passes on to workers and which makes their eval'd bootstrap a module).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, tempDir } from "./parquet-helpers";
import { workerBootstrap } from "../../src/io/worker-script";

const tmp = tempDir("worker-options");
afterAll(() => tmp.cleanup());
const src = (p: string) => JSON.stringify(pathToFileURL(fileURLToPath(new URL(`../../src/${p}`, import.meta.url))).href);
const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("worker threads under the process's Node options", () => {
  it("reads Parquet and CSV on workers in a process started with --max-old-space-size and --input-type=module", () => {
    const csv = join(tmp.dir, "t.csv");
    writeFileSync(csv, "a,b\n" + Array.from({ length: 5_000 }, (_, i) => `${i},${i * 0.5}`).join("\n") + "\n");
    const script = `
      const { readParquet } = await import(${src("io/parquet.ts")});
      const { readCsv } = await import(${src("io/csv.ts")});
      const { setParallelMinBytes } = await import(${src("io/csv-parallel.ts")});
      const { workerCount } = await import(${src("io/parquet/pool.ts")});
      setParallelMinBytes(0);
      const one = await readParquet(${JSON.stringify(join(FIXTURES, "small_row_groups.parquet"))}, { threads: 1, columns: ["id"] });
      const pq = await readParquet(${JSON.stringify(join(FIXTURES, "small_row_groups.parquet"))}, { threads: 2, columns: ["id"] });
      const c = await readCsv(${JSON.stringify(csv)}, { threads: 2 });
      console.log(JSON.stringify({
        rows: pq.numRows, same: String(pq.getChild("id").toArray()) === String(one.getChild("id").toArray()), parquetWorkers: workerCount(),
        csvThreads: c.threads, csvRows: c.table.numRows, bSum: c.table.getChild("b").toArray().reduce((s, v) => s + v, 0),
      }));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--max-old-space-size=512", "--input-type=module", "-e", script], {
      encoding: "utf8",
      cwd: root,
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ rows: 300, same: true, parquetWorkers: 2, csvThreads: 2, csvRows: 5_000, bSum: (4_999 * 5_000) / 4 });
  });

  it("bootstraps a worker script, TypeScript or built, whether Node evaluates the bootstrap as CommonJS or as a module", () => {
    const ts = join(tmp.dir, "hello.ts");
    writeFileSync(ts, `import { parentPort } from "node:worker_threads";\nconst n: number = 42;\nparentPort?.postMessage(n);\n`);
    const js = join(tmp.dir, "hello.cjs");
    writeFileSync(js, `require("node:worker_threads").parentPort.postMessage(43);\n`);
    const api = fileURLToPath(import.meta.resolve("tsx/cjs/api"));
    for (const [boot, want] of [[workerBootstrap(ts, api), "42"], [workerBootstrap(js), "43"]]) {
      const spawner = `const { Worker } = require("node:worker_threads");
        new Worker(${JSON.stringify(boot)}, { eval: true }).on("message", (m) => { console.log(m); process.exit(0); }).on("error", (e) => { console.error(e.message); process.exit(1); });`;
      for (const mode of ["--input-type=commonjs", "--input-type=module"]) {
        const code = mode.endsWith("module") ? `import { createRequire } from "node:module"; const require = createRequire(import.meta.url); ${spawner}` : spawner;
        const r = spawnSync(process.execPath, [mode, "-e", code], { encoding: "utf8", cwd: root, timeout: 30_000 });
        expect({ mode, stderr: r.stderr, out: r.stdout.trim() }).toEqual({ mode, stderr: "", out: want });
      }
    }
  });
});
