/**
 * `npm run bench`: every benchmark of the project, each group in a fresh Node process (so one
 * group's heap and JIT state never colour another's figures), medians printed as a table and
 * written to `bench/data/results.json`.
 *
 *   npm run bench                      # all groups
 *   npm run bench -- lake pipeline     # some groups
 *
 * Server figures (PostgreSQL → Arrow, Arrow → PostgreSQL, the warehouse-path point-in-time join,
 * online lookups on the server) use `TRELLIS_BENCH_PG_URL`, else `TRELLIS_TEST_PG_URL`; without
 * either they are skipped with a message, and the embedded (PGlite) figures still run.
 * The machine is shared and noisy: compare figures of one run, and read medians. The "peers" group
 * (`bench/peers.py`: scikit-learn's pipeline, pandas' merge_asof — in memory and end to end with
 * read_parquet — and pyarrow's full read on the same data) gives the reference figures of the same
 * run, and the same-run ratios of the lake figures to them are printed last
 * (`npm run bench -- lake feature-store peers`); it is skipped with a message where Python or
 * those packages are missing. The "search" group times GridSearchCV (8 candidates × 5 folds, 200k rows, nJobs 2)
 * beside scikit-learn's GridSearchCV(n_jobs=2) on the same rows in the same run (bench/search_peer.py).
 * are missing. The "io" group (CSV and JSON readers, `move` CSV → partitioned Parquet) runs
 * pyarrow's single-threaded readers on the same files in the same run (`bench/io_peers.py`).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchResult } from "./util";

const GROUPS = ["lake", "warehouse", "feature-store", "pipeline", "linear-model", "io", "monitor", "search", "tracking", "service", "scoring", "peers"] as const;
type Group = (typeof GROUPS)[number];

const pgUrl = process.env.TRELLIS_BENCH_PG_URL || process.env.TRELLIS_TEST_PG_URL || undefined;

/** Runs one group in this process and returns its figures. */
async function runGroup(group: Group): Promise<BenchResult[]> {
  switch (group) {
    case "lake": {
      const { benchLake } = await import("./lake");
      return benchLake(5);
    }
    case "warehouse": {
      const { benchWarehouse } = await import("./warehouse");
      const { generateBenchTable } = await import("./data");
      const table = generateBenchTable();
      const results: BenchResult[] = [];
      if (pgUrl) results.push(...(await benchWarehouse(table, pgUrl, 3)));
      else console.error("warehouse: server figures skipped (set TRELLIS_BENCH_PG_URL or TRELLIS_TEST_PG_URL to a PostgreSQL URL)");
      // The embedded reference on a 200k-row slice: PGlite is single-threaded WASM, 1M rows would dominate the run.
      results.push(...(await benchWarehouse(table.slice(0, 200_000), "embedded:memory", 3)));
      return results;
    }
    case "feature-store": {
      const { benchFeatureStore } = await import("./feature-store");
      if (!pgUrl) console.error("feature-store: warehouse-path join and server lookups skipped (set TRELLIS_BENCH_PG_URL or TRELLIS_TEST_PG_URL)");
      return benchFeatureStore({ pgUrl, runs: 5 });
    }
    case "pipeline": {
      const { benchPipeline } = await import("./pipeline");
      return benchPipeline({ runs: 3 });
    }
    case "linear-model": {
      const { benchLinearModel } = await import("./linear-model");
      return benchLinearModel({ runs: 3 });
    }
    case "monitor": {
      const { benchMonitor } = await import("./monitor");
      return benchMonitor(3);
    }
    case "search": {
      const { benchSearch } = await import("./search");
      // One run each: a search is 41 fits of 160k–200k rows on each side, minutes on a shared machine.
      return benchSearch({ runs: 1 });
    }
    case "tracking": {
      const { benchTracking } = await import("./tracking");
      return benchTracking({ pgUrl });
    }
    case "io": {
      const { benchIo } = await import("./io");
      return benchIo(3);
    }
    case "service": {
      const { benchService } = await import("./service");
      return benchService();
    }
    case "scoring": {
      const { benchScoring } = await import("./scoring");
      return benchScoring({ runs: 3 });
    }
    case "peers":
      return runPeers();
  }
}

/** The Python peers' figures (one JSON object per line), or none with a message when they cannot run. */
function runPeers(): BenchResult[] {
  const python = process.env.PYTHON ?? "python3";
  const child = spawnSync(python, [fileURLToPath(new URL("./peers.py", import.meta.url))], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (child.error || child.status !== 0) {
    const why = child.error ? `${python} not found` : child.stderr.trim().split("\n").pop();
    console.error(`peers: skipped (${why})`);
    return [];
  }
  return child.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as BenchResult);
}

/** Same-run ratios of a Trellis figure to its peer, with the target each should meet. */
const RATIOS: { name: string; ours: string; peer: string; target: number }[] = [
  {
    name: "lake path end to end ÷ pandas read_parquet + merge_asof",
    ours: "feature-store: getHistoricalFeatures in-process from the Parquet lake",
    peer: "peer pandas: read_parquet (7 columns) + merge_asof (200k × 1M, end to end from the lake)",
    target: 1.0,
  },
  { name: "warm full read ÷ pyarrow read_table on one thread", ours: "Parquet → Arrow: full read (warm)", peer: "peer pyarrow: read_table full read, one thread (warm)", target: 3.0 },
];

/** The ratios whose two figures were both measured in this run. */
function ratioLines(all: Record<string, BenchResult[]>): string[] {
  const byName = new Map(Object.values(all).flat().map((r) => [r.name, r.medianMs]));
  return RATIOS.flatMap((q) => {
    const a = byName.get(q.ours);
    const b = byName.get(q.peer);
    if (a === undefined || b === undefined) return [];
    const x = a / b;
    return [`  ${x.toFixed(2).padStart(9)} ×   ${q.name} (target ≤ ${q.target.toFixed(1)}×: ${x <= q.target ? "met" : "not met"})`];
  });
}

function format(r: BenchResult): string {
  const ms = r.medianMs >= 100 ? r.medianMs.toFixed(0) : r.medianMs >= 1 ? r.medianMs.toFixed(1) : r.medianMs.toFixed(4);
  const extra = r.extra ? "  " + Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(" ") : "";
  return `  ${ms.padStart(9)} ms  ${r.name} (median of ${r.runs})${extra}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const results = await runGroup(args[1] as Group);
    process.stdout.write("\n@@RESULTS@@" + JSON.stringify(results) + "\n");
    return;
  }
  const unknown = args.filter((a) => !(GROUPS as readonly string[]).includes(a));
  if (unknown.length) {
    console.error(`bench: unknown group ${unknown.map((u) => JSON.stringify(u)).join(", ")}; choose among ${GROUPS.join(", ")} (or none for all)`);
    process.exit(2);
  }
  const groups = (args.length ? args : GROUPS) as Group[];
  console.log(`Trellis benchmarks — ${new Date().toISOString()}, Node ${process.version}, server: ${pgUrl ? "yes" : "no (server figures skipped)"}`);
  const all: Record<string, BenchResult[]> = {};
  let failed = false;
  for (const group of groups) {
    console.log(`\n${group}`);
    const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", group], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 << 20,
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=4096`.trim() },
    });
    const marker = child.stdout.lastIndexOf("@@RESULTS@@");
    if (child.status !== 0 || marker < 0) {
      console.log(child.stdout);
      console.error(`  ${group} failed (exit ${child.status ?? child.signal})`);
      failed = true;
      continue;
    }
    const results = JSON.parse(child.stdout.slice(marker + "@@RESULTS@@".length)) as BenchResult[];
    all[group] = results;
    for (const r of results) console.log(format(r));
  }
  const ratios = ratioLines(all);
  if (ratios.length) console.log(`\nsame-run ratios (medians)\n${ratios.join("\n")}`);
  const out = fileURLToPath(new URL("./data/results.json", import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, server: Boolean(pgUrl), results: all }, null, 2));
  console.log(`\nwritten to bench/data/results.json`);
  if (failed) process.exit(1);
}

await main();
