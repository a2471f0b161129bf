/**
 * Benchmark of the mixed pipeline (impute + scale + one-hot + logistic regression) from issue 4:
 * fit on 200k rows, predictProba on 1M rows (with peak memory), and predictOne p50/p99 on plain
 * row objects. Data: 16 numeric columns with ~5% nulls and 3 string categoricals whose one-hot
 * encoding brings the model to 244 dimensions, with a seeded synthetic 0/1 label.
 *
 * Run alone: `npx tsx bench/pipeline.ts` (the lead's bench/run.ts calls {@link benchPipeline}).
 */
import { pathToFileURL } from "node:url";
import { Float64, Table, Utf8, makeData, makeVector, type Vector, type DataType } from "apache-arrow";
import {
  ColumnTransformer,
  LogisticRegression,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  StandardScaler,
} from "@trellis/prod";

/** One benchmark figure, as the bench runner expects. */
export interface BenchResult {
  name: string;
  medianMs: number;
  runs: number;
  extra?: Record<string, number | string>;
}

const N_NUMERIC = 16;
/** Category counts: 16 numeric + 12 + 40 + 176 one-hot columns = 244 model dimensions. */
const CARDINALITIES = [12, 40, 176];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The synthetic table and label (deterministic for a seed). */
export function syntheticBenchTable(rows: number, seed = 42): { table: Table; y: Int32Array; numeric: string[]; categorical: string[] } {
  const rand = mulberry32(seed);
  const numeric = Array.from({ length: N_NUMERIC }, (_, j) => `num_${j}`);
  const categorical = CARDINALITIES.map((_, j) => `cat_${j}`);
  const weights = numeric.map(() => rand() * 2 - 1);
  const levelEffects = CARDINALITIES.map((k) => Array.from({ length: k }, () => rand() * 2 - 1));
  const levelNames = CARDINALITIES.map((k, j) => Array.from({ length: k }, (_, v) => `c${j}_level_${v}`));
  const logit = new Float64Array(rows);
  const vectors: Record<string, Vector<DataType>> = {};
  for (let j = 0; j < N_NUMERIC; j++) {
    const values = new Float64Array(rows);
    const valid = new Uint8Array(Math.ceil(rows / 8));
    const scale = 1 + j * 3;
    for (let i = 0; i < rows; i++) {
      const x = (rand() + rand() + rand() - 1.5) * scale + j;
      if (rand() < 0.05) continue; // null
      values[i] = x;
      valid[i >> 3] |= 1 << (i & 7);
      logit[i] += (weights[j] * (x - j)) / scale;
    }
    const nullCount = rows - popcount(valid, rows);
    vectors[numeric[j]] = makeVector(makeData({ type: new Float64(), length: rows, data: values, nullBitmap: valid, nullCount }));
  }
  const encoder = new TextEncoder();
  CARDINALITIES.forEach((k, j) => {
    // Built straight into Arrow buffers (offsets + UTF-8 bytes) so the generator itself stays lean.
    const levelBytes = levelNames[j].map((s) => encoder.encode(s));
    const maxLen = Math.max(...levelBytes.map((b) => b.length));
    const offsets = new Int32Array(rows + 1);
    const bytes = new Uint8Array(rows * maxLen);
    const valid = new Uint8Array(Math.ceil(rows / 8));
    let pos = 0;
    let nulls = 0;
    for (let i = 0; i < rows; i++) {
      // Skewed level frequencies, ~3% missing.
      if (rand() < 0.03) {
        nulls++;
        offsets[i + 1] = pos;
        continue;
      }
      const v = Math.floor(k * rand() * rand());
      bytes.set(levelBytes[v], pos);
      pos += levelBytes[v].length;
      offsets[i + 1] = pos;
      valid[i >> 3] |= 1 << (i & 7);
      logit[i] += levelEffects[j][v];
    }
    vectors[categorical[j]] = makeVector(
      makeData({ type: new Utf8(), length: rows, valueOffsets: offsets, data: bytes.slice(0, pos), nullBitmap: valid, nullCount: nulls }),
    ) as Vector<DataType>;
  });
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = rand() < 1 / (1 + Math.exp(-logit[i])) ? 1 : 0;
  return { table: new Table(vectors), y, numeric, categorical };
}

function popcount(bits: Uint8Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) c += (bits[i >> 3] >> (i & 7)) & 1;
  return c;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
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

  const { table, y, numeric, categorical } = syntheticBenchTable(predictRows, 42);
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
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await benchPipeline();
  for (const r of res) console.log(JSON.stringify(r));
}
