/**
 * Batch scoring (issue 9): `scoreBatch` of the benchmark pipeline from the 1M-row benchmark Parquet
 * file to a Parquet file (read, validate, predict_proba, write), with the peak RSS of the scoring
 * process, beside pandas + scikit-learn doing the same in the same run (bench/scoring_peer.py); and
 * 10M rows generated on the fly and scored into Parquet, to show that memory stays bounded.
 * Each side scores in a fresh process of its own (so its peak RSS is its own), `runs` times: the
 * median is the headline, the first run (module loading, WebAssembly compilation) is reported too.
 *
 * Run alone: `npx tsx bench/scoring.ts` (bench/run.ts calls {@link benchScoring}).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RecordBatch } from "apache-arrow";
import { z } from "zod";
import { DeployedModel, saveModel, scoreBatch } from "@trellis/prod";
import { BENCH_PARQUET, ensureBenchParquet, generateBenchTable } from "./data";
import { benchPipelineModel, benchTableWithLabel } from "./pipeline";
import type { BenchResult } from "./util";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** The benchmark table's input schema: 16 numbers (f0–f3 with nulls) and 3 categoricals. */
const BenchRow = z.object({
  ...Object.fromEntries(Array.from({ length: 16 }, (_, j) => [`f${j}`, j < 4 ? z.number().nullable() : z.number()])),
  cat5: z.string(),
  cat20: z.string(),
  cat200: z.string(),
});

async function* generated(rows: number, batch: number): AsyncGenerator<RecordBatch> {
  for (let done = 0, seed = 1; done < rows; done += batch, seed++) {
    yield* generateBenchTable(Math.min(batch, rows - done), seed).batches;
  }
}

interface ChildResult {
  /** Median of the runs. */
  ms: number;
  /** The first run, in the fresh process (module loading, WebAssembly compilation, JIT warm-up). */
  firstMs: number;
  rows: number;
  peakRssMB: number;
}

/**
 * `runs` scoring runs in this process (the child side), the same protocol as the Python peer's:
 * prints one JSON line with the median, the first run and the process's peak RSS.
 */
async function child(mode: string, modelDir: string, out: string, runs: number): Promise<void> {
  const model = await DeployedModel.load(modelDir);
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const from = mode === "1m" ? BENCH_PARQUET : { batches: generated(10_000_000, 65_536) };
    const r = await scoreBatch({ model, from, to: out, keep: ["customer_id"], runLog: false });
    times.push(performance.now() - t0);
    rows = r.rowsScored;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result: ChildResult = { ms: sorted[Math.floor(runs / 2)]!, firstMs: times[0]!, rows, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(mode: string, modelDir: string, out: string, runs: number): ChildResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "child", mode, modelDir, out, String(runs)], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`scoring child (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildResult;
}

/**
 * Runs the scoring benchmarks (and the Python peer when python3 has pandas, pyarrow and scikit-learn).
 * @example const results = await benchScoring({ runs: 3 });
 */
export async function benchScoring(options: { runs?: number } = {}): Promise<BenchResult[]> {
  const runs = options.runs ?? 3;
  await ensureBenchParquet();
  const work = mkdtempSync(join(tmpdir(), "trellis-bench-scoring-"));
  try {
    const { table, y, numeric, categorical } = benchTableWithLabel(200_000, 42);
    const model = benchPipelineModel(numeric, categorical).fit(table, y);
    const modelDir = join(work, "model");
    await saveModel(model, modelDir, { inputSchema: BenchRow, name: "bench" });
    const results: BenchResult[] = [];
    // Both sides score `runs` times in one fresh process each and report the median (and the first run).
    const one = runChild("1m", modelDir, join(work, "scores.parquet"), runs);
    results.push({
      name: "scoring: scoreBatch Parquet → Parquet (1M rows, validated)",
      medianMs: one.ms,
      runs,
      extra: { rows: one.rows, firstRunMs: Math.round(one.firstMs), peakRssMB: one.peakRssMB },
    });
    const ten = runChild("10m", modelDir, join(work, "scores-10m.parquet"), 1);
    results.push({ name: "scoring: scoreBatch generated → Parquet (10M rows)", medianMs: ten.ms, runs: 1, extra: { rows: ten.rows, peakRssMB: ten.peakRssMB } });
    const python = process.env.PYTHON ?? "python3";
    const peer = spawnSync(python, [join(HERE, "scoring_peer.py"), BENCH_PARQUET, String(runs)], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (peer.error || peer.status !== 0) {
      console.error(`scoring peer skipped (${peer.error ? `${python} not found` : peer.stderr.trim().split("\n").pop()})`);
    } else {
      const p = JSON.parse(peer.stdout.trim().split("\n").pop()!) as { ms: number; firstMs: number; peakRssMB: number; rows: number };
      results.push({
        name: "peer pandas + scikit-learn: read_parquet, predict_proba, to_parquet (1M rows)",
        medianMs: p.ms,
        runs,
        extra: { rows: p.rows, firstRunMs: Math.round(p.firstMs), peakRssMB: p.peakRssMB },
      });
      results[0]!.extra = {
        ...results[0]!.extra,
        peerOverTrellis: Number((p.ms / results[0]!.medianMs).toFixed(2)),
        firstRunPeerOverTrellis: Number((p.firstMs / one.firstMs).toFixed(2)),
      };
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "child") {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!, Number(process.argv[6] ?? 1));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchScoring()) console.log(JSON.stringify(r));
}
