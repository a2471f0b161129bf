/**
 * Benchmark of the search (issue 11): GridSearchCV over 8 candidates (C × numeric imputation) × 5
 * folds of the benchmark pipeline on 200k rows of the benchmark table, `nJobs: 2`, refit included,
 * beside scikit-learn's GridSearchCV(n_jobs=2) on the very same rows and labels in the same run
 * (`bench/search_peer.py`, which reads the table this group writes to bench/data/search-200k.arrow).
 * The peer is skipped with a message where Python or its packages are missing.
 *
 * Run alone: `npx tsx bench/search.ts` (bench/run.ts calls {@link benchSearch}).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Table, makeVector, tableToIPC } from "apache-arrow";
import { GridSearchCV, KFold } from "@trellis/dev";
import { benchPipelineModel, benchTableWithLabel } from "./pipeline";
import { type BenchResult, median } from "./util";

/** Where the search data is written for the Python peer (git-ignored). */
export const SEARCH_ARROW = fileURLToPath(new URL("./data/search-200k.arrow", import.meta.url));

/** The grid both sides search: 4 values of C × 2 numeric imputations = 8 candidates. */
export const SEARCH_GRID = { clf__C: [0.01, 0.1, 1, 10], prep__num__impute__strategy: ["mean", "median"] };

/**
 * Runs the search benchmark and, in the same run, scikit-learn's.
 * @example const results = await benchSearch({ runs: 3 });
 */
export async function benchSearch(options: { rows?: number; runs?: number; nJobs?: number } = {}): Promise<BenchResult[]> {
  const rows = options.rows ?? 200_000;
  const runs = options.runs ?? 3;
  const nJobs = options.nJobs ?? 2;
  const { table, y, numeric, categorical } = benchTableWithLabel(rows, 42);
  const X = table.select([...numeric, ...categorical]);

  // The same rows and labels for the peer.
  mkdirSync(dirname(SEARCH_ARROW), { recursive: true });
  const withLabel = new Table({ ...Object.fromEntries(X.schema.fields.map((f) => [f.name, X.getChild(f.name)!])), y: makeVector(y) });
  writeFileSync(SEARCH_ARROW, tableToIPC(withLabel, "file"));

  const times: number[] = [];
  let means: number[] = [];
  let best = "";
  for (let r = 0; r < runs; r++) {
    const search = new GridSearchCV({
      estimator: benchPipelineModel(numeric, categorical),
      paramGrid: SEARCH_GRID,
      scoring: "roc_auc",
      cv: new KFold({ nSplits: 5 }),
      nJobs,
    });
    const t0 = performance.now();
    await search.fit(X, y);
    times.push(performance.now() - t0);
    means = Array.from(search.cvResults_.mean_test_score);
    best = JSON.stringify(search.bestParams_);
  }
  const results: BenchResult[] = [
    {
      name: `search: Trellis GridSearchCV 8 candidates × 5 folds, ${rows / 1000}k rows, nJobs ${nJobs} (refit included)`,
      medianMs: median(times),
      runs,
      extra: { best, bestMeanAuc: +Math.max(...means).toFixed(6) },
    },
  ];

  const peer = runPeer(runs, nJobs);
  if (peer) {
    // The ratio is the figure to read on a shared machine: both sides ran in this run, one after the other.
    const diff = Math.max(...means.map((m, i) => Math.abs(m - peer.means[i])));
    results.push({
      ...peer.result,
      extra: {
        ...peer.result.extra,
        trellisOverSklearn: +(results[0].medianMs / peer.result.medianMs).toFixed(3),
        target: "<= 1.0",
        maxMeanAucDifference: diff.toExponential(2),
        sameBest: String(best === JSON.stringify(peer.best)),
      },
    });
  }
  return results;
}

function runPeer(runs: number, nJobs: number): { result: BenchResult; means: number[]; best: Record<string, unknown> } | null {
  const python = process.env.PYTHON ?? "python3";
  const script = fileURLToPath(new URL("./search_peer.py", import.meta.url));
  const child = spawnSync(python, [script, SEARCH_ARROW, String(runs), String(nJobs)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (child.error || child.status !== 0) {
    const why = child.error ? `${python} not found` : child.stderr.trim().split("\n").pop();
    console.error(`search: scikit-learn peer skipped (${why})`);
    return null;
  }
  const line = child.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop() as string;
  const out = JSON.parse(line) as { medianMs: number; runs: number; means: number[]; best: Record<string, unknown>; sklearn: string };
  return {
    result: {
      name: `search: scikit-learn ${out.sklearn} GridSearchCV(n_jobs=${nJobs}) same grid, folds and rows (refit included)`,
      medianMs: out.medianMs,
      runs: out.runs,
      extra: { best: JSON.stringify(out.best) },
    },
    means: out.means,
    best: out.best,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await benchSearch();
  for (const r of res) console.log(JSON.stringify(r));
}
