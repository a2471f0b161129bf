/**
 * Lake benchmarks on the 1M-row file of `bench/data.ts`: Parquet → Arrow full read (cold: the
 * first read in a fresh Node process, WASM compilation included; warm: repeated in-process, with
 * the default decoding threads and with one),
 * 4-column read (cold and warm) and Parquet write. Called by `bench/run.ts`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readParquet, writeParquet } from "@trellis/shared";
import { ensureBenchParquet, generateBenchTable } from "./data";
import { type BenchResult, median } from "./util";

const FOUR_COLUMNS = ["customer_id", "event_ts", "f0", "cat20"];

/**
 * One read in a fresh Node process; returns the time of the `readParquet` call alone (the
 * lazy WASM load and compile included, Node start-up and the library import excluded).
 * Uses the built package (`shared/dist`) when present, else the sources through tsx.
 */
function coldRead(path: string, columns?: string[]): { readMs: number; importMs: number; rows: number; via: string } {
  const dist = fileURLToPath(new URL("../shared/dist/index.js", import.meta.url));
  const src = fileURLToPath(new URL("../shared/src/index.ts", import.meta.url));
  const useDist = existsSync(dist);
  const lib = pathToFileURL(useDist ? dist : src).href;
  const script = `
    const t0 = performance.now();
    const { readParquet } = await import(${JSON.stringify(lib)});
    const t1 = performance.now();
    const t = await readParquet(${JSON.stringify(path)}, ${JSON.stringify(columns ? { columns } : {})});
    const t2 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, readMs: t2 - t1, rows: t.numRows }));
  `;
  const args = useDist ? ["--input-type=module", "-e", script] : ["--import", "tsx", "--input-type=module", "-e", script];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`cold read child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { readMs: number; importMs: number; rows: number };
  return { ...out, via: useDist ? "dist" : "src+tsx" };
}

/**
 * Runs the lake benchmarks (`runs` ≥ 3 measured runs each, after a warm-up for warm figures).
 * @example
 * for (const r of await benchLake()) console.log(r.name, r.medianMs.toFixed(0), "ms");
 */
export async function benchLake(runs = 5): Promise<BenchResult[]> {
  const n = Math.max(3, runs);
  const path = await ensureBenchParquet();
  const results: BenchResult[] = [];

  const cold = (columns?: string[]) => {
    const xs = Array.from({ length: n }, () => coldRead(path, columns));
    return {
      medianMs: median(xs.map((x) => x.readMs)),
      extra: { rows: xs[0].rows, importMedianMs: Math.round(median(xs.map((x) => x.importMs))), via: xs[0].via },
    };
  };
  const warm = async (columns?: string[], threads?: number) => {
    const opts = { ...(columns ? { columns } : {}), ...(threads ? { threads } : {}) };
    await readParquet(path, opts);
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      rows = (await readParquet(path, opts)).numRows;
      times.push(performance.now() - t0);
    }
    return { medianMs: median(times), extra: { rows, threads: threads ?? availableParallelism() } };
  };

  const fullCold = cold();
  results.push({ name: "Parquet → Arrow: full read (cold process)", runs: n, ...fullCold });
  const fullWarm = await warm();
  results.push({ name: "Parquet → Arrow: full read (warm)", runs: n, ...fullWarm });
  const fullWarmOne = await warm(undefined, 1);
  results.push({ name: "Parquet → Arrow: full read (warm, one thread)", runs: n, ...fullWarmOne });
  const fourCold = cold(FOUR_COLUMNS);
  results.push({ name: "Parquet → Arrow: 4-column read (cold process)", runs: n, ...fourCold });
  const fourWarm = await warm(FOUR_COLUMNS);
  results.push({ name: "Parquet → Arrow: 4-column read (warm)", runs: n, ...fourWarm });

  const table = generateBenchTable();
  const out = join(tmpdir(), `trellis-bench-${process.pid}.parquet`);
  try {
    await writeParquet(table, out, { rowGroupSize: 125_000 });
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await writeParquet(table, out, { rowGroupSize: 125_000 });
      times.push(performance.now() - t0);
    }
    results.push({ name: "Arrow → Parquet: write (snappy, 8 row groups)", medianMs: median(times), runs: n, extra: { rows: table.numRows } });
  } finally {
    rmSync(out, { force: true });
  }
  return results;
}
