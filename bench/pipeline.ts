/**
 * Benchmark of the mixed pipeline (impute + scale + one-hot + logistic regression) from issue 4:
 * fit on 200k rows, predictProba on 1M rows (with peak memory), and predictOne p50/p99 on plain
 * row objects. Data: the shared benchmark table of bench/data.ts (16 numeric columns, some with
 * nulls, and 3 string categoricals, one-hot encoded) with a seeded synthetic 0/1 label.
 *
 * Run alone: `npx tsx bench/pipeline.ts` (bench/run.ts calls {@link benchPipeline}).
 */
import { pathToFileURL } from "node:url";
import type { Table } from "apache-arrow";
import { z } from "zod";
import {
  ColumnTransformer,
  DeployedModel,
  toFrame,
  type CategoryColumn,
  type NumberColumn,
  LogisticRegression,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  StandardScaler,
} from "@trellis/prod";
import { generateBenchTable } from "./data";
import { type BenchResult, median, mulberry32 } from "./util";

/**
 * The shared benchmark table (bench/data.ts: 16 numeric columns f0..f15, some with nulls, and
 * the string categoricals cat5, cat20, cat200) with a seeded synthetic 0/1 label drawn from a
 * logistic model of the numeric columns and per-level effects of the categoricals.
 */
export function benchTableWithLabel(rows: number, seed = 42): { table: Table; y: Int32Array; numeric: string[]; categorical: string[] } {
  const table = generateBenchTable(rows, seed);
  const numeric = Array.from({ length: 16 }, (_, j) => `f${j}`);
  const categorical = ["cat5", "cat20", "cat200"];
  const rand = mulberry32(seed ^ 0x5eed);
  const frame = toFrame(table, "bench", { names: [...numeric, ...categorical] });
  const logit = new Float64Array(rows);
  for (const name of numeric) {
    const w = rand() * 2 - 1;
    const v = (frame.column(name) as NumberColumn).values;
    for (let i = 0; i < rows; i++) if (v[i] === v[i]) logit[i] += w * v[i];
  }
  for (const name of categorical) {
    const c = frame.column(name) as CategoryColumn;
    const effect = c.levels.map(() => rand() * 2 - 1);
    for (let i = 0; i < rows; i++) if (c.codes[i] >= 0) logit[i] += effect[c.codes[i]];
  }
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = rand() < 1 / (1 + Math.exp(-logit[i])) ? 1 : 0;
  return { table, y, numeric, categorical };
}

/** The benchmark pipeline. */
export function benchPipelineModel(numeric: string[], categorical: string[]): Pipeline<LogisticRegression> {
  return new Pipeline({
    steps: [
      [
        "prep",
        new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), numeric],
            ["cat", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }), categorical],
          ],
        }),
      ],
      ["clf", new LogisticRegression({ C: 1 })],
    ],
  });
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** CPU time of this process (all threads, GC included), in ms: stable when the machine is shared. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs the pipeline benchmarks and returns their figures.
 * @example const results = await benchPipeline({ predictRows: 1_000_000 });
 */
export async function benchPipeline(options: { fitRows?: number; predictRows?: number; runs?: number; singleRowCalls?: number } = {}): Promise<BenchResult[]> {
  const fitRows = options.fitRows ?? 200_000;
  const predictRows = options.predictRows ?? 1_000_000;
  const runs = options.runs ?? 3;
  const calls = options.singleRowCalls ?? 200_000;
  const results: BenchResult[] = [];

  const { table, y, numeric, categorical } = benchTableWithLabel(predictRows, 42);
  const fitTable = table.slice(0, fitRows);
  const fitY = y.subarray(0, fitRows);

  const fitTimes: number[] = [];
  const fitCpu: number[] = [];
  let model = benchPipelineModel(numeric, categorical);
  for (let r = 0; r < runs; r++) {
    model = benchPipelineModel(numeric, categorical);
    const c0 = cpuMs();
    const t0 = nowMs();
    model.fit(fitTable, fitY);
    fitTimes.push(nowMs() - t0);
    fitCpu.push(cpuMs() - c0);
  }
  const dims = model.getFeatureNamesOut().length;
  results.push({
    name: "pipeline: mixed fit (200k rows)",
    medianMs: median(fitTimes),
    runs,
    extra: { rows: fitRows, modelDimensions: dims, cpuMedianMs: Math.round(median(fitCpu)), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) },
  });

  const heapBefore = process.memoryUsage();
  const predictTimes: number[] = [];
  const predictCpu: number[] = [];
  let positives = 0;
  for (let r = 0; r < runs; r++) {
    const c0 = cpuMs();
    const t0 = nowMs();
    const proba = model.predictProba(table);
    predictTimes.push(nowMs() - t0);
    predictCpu.push(cpuMs() - c0);
    positives = 0;
    for (let i = 0; i < proba.rows; i++) if (proba.data[2 * i + 1] > 0.5) positives++;
  }
  const after = process.memoryUsage();
  results.push({
    name: "pipeline: mixed predictProba (1M rows)",
    medianMs: median(predictTimes),
    runs,
    extra: {
      rows: predictRows,
      cpuMedianMs: Math.round(median(predictCpu)),
      // maxRSS is the process-wide peak (input table, fit and predict included).
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssAfterMB: Math.round(after.rss / 2 ** 20),
      heapDeltaMB: Math.round((after.heapUsed - heapBefore.heapUsed) / 2 ** 20),
      predictedPositiveShare: +(positives / predictRows).toFixed(4),
    },
  });

  // Single rows as plain objects, as a service receives them.
  const sample = Math.min(10_000, predictRows);
  const rows: Record<string, unknown>[] = [];
  const cols = [...numeric, ...categorical].map((n) => [n, table.getChild(n)!] as const);
  for (let i = 0; i < sample; i++) {
    const row: Record<string, unknown> = {};
    for (const [n, v] of cols) row[n] = v.get(i);
    rows.push(row);
  }
  for (let i = 0; i < 20_000; i++) model.predictOne(rows[i % sample]);
  const lat = new Float64Array(calls);
  let sink = 0;
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const p = model.predictOne(rows[i % sample]);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
    sink += p[1];
  }
  lat.sort();
  results.push({
    name: "pipeline: mixed predictOne (row object)",
    medianMs: lat[calls >> 1] / 1000,
    runs: calls,
    extra: { p50us: +lat[calls >> 1].toFixed(2), p99us: +lat[Math.floor(calls * 0.99)].toFixed(2), p999us: +lat[Math.floor(calls * 0.999)].toFixed(2), checksum: +sink.toFixed(3) },
  });

  // The same pipeline behind DeployedModel: every row checked against its input schema first
  // (f0..f3 nullable numbers, f4..f15 numbers, three nullable strings), on the same rows.
  const schema = z.object({
    ...Object.fromEntries(numeric.map((n, j) => [n, j < 4 ? z.number().nullable() : z.number()])),
    ...Object.fromEntries(categorical.map((n) => [n, z.string().nullable()])),
  });
  const deployed = DeployedModel.fromEstimator(model, { inputSchema: schema, name: "bench" });
  for (let i = 0; i < 20_000; i++) deployed.predictOne(rows[i % sample]);
  const dlat = new Float64Array(calls);
  let dsink = 0;
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const p = deployed.predictOne(rows[i % sample]);
    dlat[i] = Number(process.hrtime.bigint() - t0) / 1000;
    dsink += p.probabilities![1];
  }
  dlat.sort();
  results.push({
    name: "pipeline: DeployedModel predictOne, validated (row object)",
    medianMs: dlat[calls >> 1] / 1000,
    runs: calls,
    extra: {
      p50us: +dlat[calls >> 1].toFixed(2),
      p99us: +dlat[Math.floor(calls * 0.99)].toFixed(2),
      p999us: +dlat[Math.floor(calls * 0.999)].toFixed(2),
      // Same run, same rows: the bare pipeline's predictOne above.
      bareP50us: +lat[calls >> 1].toFixed(2),
      bareP99us: +lat[Math.floor(calls * 0.99)].toFixed(2),
      checksumDiff: +Math.abs(dsink - sink).toExponential(2),
    },
  });

  // Batch scoring through DeployedModel (validation of every value + predictProba) beside the bare
  // predictProba on the same 1M-row table.
  const deployedTimes: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = nowMs();
    const res = deployed.predictProba(table);
    deployedTimes.push(nowMs() - t0);
    if (res.rows !== predictRows) throw new Error("DeployedModel scored a different number of rows");
  }
  results.push({
    name: "pipeline: DeployedModel predictProba, validated (1M rows, Arrow)",
    medianMs: median(deployedTimes),
    runs,
    extra: { rows: predictRows, barePredictProbaMedianMs: Math.round(median(predictTimes)) },
  });
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await benchPipeline();
  for (const r of res) console.log(JSON.stringify(r));
}
