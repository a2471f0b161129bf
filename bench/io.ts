/**
 * CSV and JSON benchmarks on the 1M-row benchmark table written as CSV (21 columns) and its first
 * 300k rows as JSON Lines: `readCsv` typed by the table's schema and with types inferred (on its
 * default threads, the count in `threads`, and on one thread),
 * `readCsvBatches`, `readJson`, and `move` of the CSV into a Parquet folder partitioned by `cat5`.
 * The pyarrow figures of the same run (`bench/io_peers.py`: single-threaded `read_csv`,
 * `read_json`, `read_csv` + `write_to_dataset`) are measured right after, on the same files; they
 * are skipped with a message where Python or pyarrow is missing. Called by `bench/run.ts`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { move, readCsv, readCsvBatches, readJson, writeCsv, writeJson } from "@trellis/shared";
import { generateBenchTable } from "./data";
import { type BenchResult, median } from "./util";

const CSV_PATH = fileURLToPath(new URL("./data/bench.csv", import.meta.url));
const JSONL_PATH = fileURLToPath(new URL("./data/bench-300k.jsonl", import.meta.url));

/** Writes the benchmark CSV and JSON Lines files once (git-ignored, beside the Parquet file). */
async function ensureFiles(): Promise<void> {
  const big = (p: string, min: number) => existsSync(p) && statSync(p).size > min;
  if (big(CSV_PATH, 300e6) && big(JSONL_PATH, 100e6)) return;
  const table = generateBenchTable();
  if (!big(CSV_PATH, 300e6)) await writeCsv(table, CSV_PATH);
  if (!big(JSONL_PATH, 100e6)) await writeJson(table.slice(0, 300_000), JSONL_PATH);
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** The pyarrow figures (one JSON object per line), or none with a message when they cannot run. */
function pyarrowPeers(runs: number, out: string): BenchResult[] {
  const python = process.env.PYTHON ?? "python3";
  const child = spawnSync(python, [fileURLToPath(new URL("./io_peers.py", import.meta.url)), CSV_PATH, JSONL_PATH, out, String(runs)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.error || child.status !== 0) {
    console.error(`io: pyarrow figures skipped (${child.error ? `${python} not found` : child.stderr.trim().split("\n").pop()})`);
    return [];
  }
  return child.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as BenchResult);
}

/**
 * Runs the CSV / JSON benchmarks and returns one figure per measurement (milliseconds), with the
 * pyarrow figures of the same run and each Trellis figure's ratio to its pyarrow counterpart.
 * @example
 * const results = await benchIo(3);
 */
export async function benchIo(runs = 3): Promise<BenchResult[]> {
  await ensureFiles();
  const schema = generateBenchTable(16).schema;
  const csvMb = statSync(CSV_PATH).size / 1e6;
  const jsonMb = statSync(JSONL_PATH).size / 1e6;
  const results: BenchResult[] = [];
  const add = (name: string, times: number[], extra: Record<string, number | string>) => results.push({ name, medianMs: median(times), runs: times.length, extra });
  const tmp = mkdtempSync(join(tmpdir(), "trellis-io-bench-"));
  try {
    let rows = 0;
    // readCsv reads a large file on one thread per core (at most 4); `threads` says how many ran.
    let threads = 0;
    const read = async (options: Parameters<typeof readCsv>[1]) => {
      const r = await readCsv(CSV_PATH, options);
      rows = r.table.numRows;
      threads = r.threads;
    };
    add("io: readCsv typed by schema (1M rows, 21 columns)", await time(runs, () => read({ schema })), { mb: Math.round(csvMb), rows, threads });
    add("io: readCsv with types inferred", await time(runs, () => read({})), { mb: Math.round(csvMb), rows, threads });
    add("io: readCsv typed by schema, one thread", await time(runs, () => read({ schema, threads: 1 })), { mb: Math.round(csvMb), rows, threads });
    add("io: readCsv with types inferred, one thread", await time(runs, () => read({ threads: 1 })), { mb: Math.round(csvMb), rows, threads });
    add("io: readCsvBatches with types inferred", await time(runs, async () => {
      rows = 0;
      for await (const b of readCsvBatches(CSV_PATH)) rows += b.numRows;
    }), { mb: Math.round(csvMb), rows });
    add("io: readJson JSON Lines with types inferred (300k rows)", await time(runs, async () => (rows = (await readJson(JSONL_PATH)).table.numRows)), { mb: Math.round(jsonMb), rows });
    let k = 0;
    add("io: move CSV -> Parquet folder partitioned by cat5", await time(runs, async () => {
      const dest = join(tmp, `moved-${k++}`);
      rows = (await move({ csv: CSV_PATH }, { parquet: dest }, { partitionBy: "cat5" })).rows;
      rmSync(dest, { recursive: true, force: true });
    }), { mb: Math.round(csvMb), rows });
    const peers = pyarrowPeers(runs, join(tmp, "pyarrow-dataset"));
    const pairs: [string, string][] = [
      ["io: readCsv typed by schema (1M rows, 21 columns)", "pyarrow: read_csv typed, one thread"],
      ["io: readCsv with types inferred", "pyarrow: read_csv inferred, one thread"],
      ["io: readCsv typed by schema, one thread", "pyarrow: read_csv typed, one thread"],
      ["io: readCsv with types inferred, one thread", "pyarrow: read_csv inferred, one thread"],
      ["io: readCsvBatches with types inferred", "pyarrow: read_csv inferred, one thread"],
      ["io: readJson JSON Lines with types inferred (300k rows)", "pyarrow: read_json, one thread"],
      ["io: move CSV -> Parquet folder partitioned by cat5", "pyarrow: read_csv + write_to_dataset partitioned by cat5, one thread"],
    ];
    for (const [ours, theirs] of pairs) {
      const a = results.find((r) => r.name === ours);
      const b = peers.find((r) => r.name === theirs);
      if (a && b) a.extra = { ...a.extra, vsPyarrow: Number((a.medianMs / b.medianMs).toFixed(2)) };
    }
    results.push(...peers);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}
