/**
 * Benchmark of the linear-model solvers alone, on the design matrix the mixed pipeline of issue 4
 * produces: 16 standardised numeric columns plus three one-hot blocks (12 + 40 + 176 levels), i.e.
 * 244 dimensions with 19 stored values per row, as a CSR SparseMatrix; a seeded 0/1 label drawn
 * from a logistic model. Measures LogisticRegression fit on 200k rows with each solver at the
 * default tolerance, and predictProba on 1M rows.
 *
 * Run alone: `npx tsx bench/linear-model.ts` (bench/run.ts calls {@link benchLinearModel}).
 */
import { pathToFileURL } from "node:url";
import { LogisticRegression, SparseMatrix } from "@trellis/prod";
import { type BenchResult, median, mulberry32 } from "./util";

const N_NUMERIC = 16;
const CARDINALITIES = [12, 40, 176];

/** A seeded CSR design (16 numeric + one-hot blocks = 244 columns) and its 0/1 label. */
export function syntheticDesign(rows: number, seed = 7): { X: SparseMatrix; y: Int32Array } {
  const rand = mulberry32(seed);
  const cols = N_NUMERIC + CARDINALITIES.reduce((a, b) => a + b, 0);
  const perRow = N_NUMERIC + CARDINALITIES.length;
  const wTrue = Float64Array.from({ length: cols }, () => rand() * 2 - 1);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * perRow);
  const values = new Float64Array(rows * perRow);
  const y = new Int32Array(rows);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    let z = -0.5;
    for (let j = 0; j < N_NUMERIC; j++) {
      const v = (rand() + rand() + rand() - 1.5) * 2;
      indices[k] = j;
      values[k++] = v;
      z += v * wTrue[j];
    }
    let offset = N_NUMERIC;
    for (const card of CARDINALITIES) {
      const j = offset + Math.floor(rand() * card);
      indices[k] = j;
      values[k++] = 1;
      z += wTrue[j];
      offset += card;
    }
    indptr[i + 1] = k;
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new SparseMatrix(indptr, indices, values, rows, cols), y };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/**
 * Runs the solver benchmark and returns one figure per measurement.
 * @example const results = await benchLinearModel({ runs: 3 });
 */
export async function benchLinearModel(
  options: { fitRows?: number; predictRows?: number; runs?: number } = {},
): Promise<BenchResult[]> {
  const fitRows = options.fitRows ?? 200_000;
  const predictRows = options.predictRows ?? 1_000_000;
  const runs = options.runs ?? 3;
  const train = syntheticDesign(fitRows, 7);
  const labels = Array.from(train.y);
  const results: BenchResult[] = [];
  let model: LogisticRegression | null = null;
  for (const solver of ["newton-cholesky", "newton-cg", "lbfgs"] as const) {
    const times: number[] = [];
    const cpu: number[] = [];
    let nIter = 0;
    for (let r = 0; r < runs; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const clf = new LogisticRegression({ solver, maxIter: 1000 }).fit(train.X, labels);
      times.push(performance.now() - t0);
      cpu.push(cpuMs(c0));
      nIter = clf.nIter_;
      if (solver === "newton-cholesky") model = clf;
    }
    results.push({
      name: `LogisticRegression.fit ${fitRows} rows × 244 (CSR), solver ${solver}, tol 1e-8`,
      medianMs: median(times),
      runs,
      // CPU time of this process: on a shared, loaded machine it is closer to the unloaded wall time.
      extra: { nIter, medianCpuMs: Math.round(median(cpu)) },
    });
  }
  const test = syntheticDesign(predictRows, 11);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    model!.predictProba(test.X);
    times.push(performance.now() - t0);
    cpu.push(cpuMs(c0));
  }
  results.push({
    name: `LogisticRegression.predictProba ${predictRows} rows × 244 (CSR)`,
    medianMs: median(times),
    runs,
    extra: { medianCpuMs: Math.round(median(cpu)) },
  });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  void benchLinearModel().then((results) => {
    for (const r of results) console.log(`${r.name}: median ${r.medianMs.toFixed(1)} ms over ${r.runs} run(s)${r.extra ? " " + JSON.stringify(r.extra) : ""}`);
  });
}
