/**
 * Experiment tracking in the warehouse: the latency of single metric writes, batched metric and
 * param writes, and a filtered, ordered `searchRuns` over many runs — on the server (inside a
 * throwaway schema) and on embedded PGlite. No peer figure: MLflow's tracking server is not part of
 * the Python environment the peers group uses.
 */
import { randomBytes } from "node:crypto";
import { Warehouse } from "@trellis/shared";
import { Tracker } from "@trellis/dev";
import { type BenchResult, median, mulberry32 } from "./util";

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function benchOne(label: string, wh: Warehouse, schema: string, runsForSearch: number): Promise<BenchResult[]> {
  const tracker = await Tracker.open(wh, { schema, git: false });
  const results: BenchResult[] = [];
  const run = await tracker.startRun({ experiment: "bench" });
  const single = await timed(500, (i) => run.logMetric("loss", 1 / (i + 1), { step: i }));
  results.push({ name: `tracking: logMetric, one value per call (${label})`, medianMs: median(single), runs: single.length });
  const keys = Array.from({ length: 100 }, (_, k) => `m${k}`);
  const batch = await timed(20, (step) => run.logMetrics(Object.fromEntries(keys.map((k, j) => [k, j + step])), { step }));
  results.push({ name: `tracking: logMetrics, 100 keys per call (${label})`, medianMs: median(batch), runs: batch.length });
  const params = await timed(20, (i) => run.logParams(Object.fromEntries(Array.from({ length: 20 }, (_, j) => [`p${i}_${j}`, j]))));
  results.push({ name: `tracking: logParams, 20 keys per call (${label})`, medianMs: median(params), runs: params.length });
  await run.end();

  const rand = mulberry32(7);
  for (let i = 0; i < runsForSearch; i++) {
    const r = await tracker.startRun({ experiment: "search", name: `r${i}` });
    await r.logParams({ C: ["0.01", "0.1", "1", "10"][i % 4], solver: i % 2 ? "lbfgs" : "newton-cg" });
    await r.logMetrics({ auc: rand(), loss: rand() });
    await r.end();
  }
  const search = await timed(10, () =>
    tracker.searchRuns({ experiment: "search", filter: "metrics.auc > 0.5 and params.C IN ('0.1', '1') and params.solver = 'lbfgs'", orderBy: ["metrics.auc DESC"], limit: 50 }),
  );
  results.push({ name: `tracking: searchRuns, filter + order over ${runsForSearch} runs, 50 returned (${label})`, medianMs: median(search), runs: search.length });
  return results;
}

/** The tracking figures: the server when `pgUrl` is given, and embedded PGlite. */
export async function benchTracking(opts: { pgUrl?: string }): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  if (opts.pgUrl) {
    const schema = `trellis_bench_tracking_${randomBytes(4).toString("hex")}`;
    const wh = await Warehouse.open(opts.pgUrl, { poolSize: 4 });
    try {
      results.push(...(await benchOne("server", wh, schema, 1000)));
    } finally {
      await wh.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await wh.close();
    }
  } else {
    console.error("tracking: server figures skipped (set TRELLIS_BENCH_PG_URL or TRELLIS_TEST_PG_URL)");
  }
  const lite = await Warehouse.open("embedded:memory");
  try {
    results.push(...(await benchOne("PGlite", lite, "trellis_tracking", 200)));
  } finally {
    await lite.close();
  }
  console.error("tracking: no peer figure (MLflow is not installed in the peers' Python environment)");
  return results;
}
