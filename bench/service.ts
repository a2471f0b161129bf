/**
 * Benchmark of the model service (issue 10): the benchmark pipeline (bench/pipeline.ts; 16
 * numeric + 3 categorical columns) served by `serve` with input validation, single-row JSON POSTs
 * to `/v2/models/bench/predict` and to `/v2/models/bench/infer` at 10 connections for 10 s each
 * (autocannon, 127.0.0.1 only). Beside it, in the same run: a bare `node:http` server that only
 * parses the JSON and answers, and FastAPI + uvicorn serving the same scikit-learn pipeline
 * (bench/service_peer.py, run with `python3`; skipped with a reason when fastapi, uvicorn or
 * scikit-learn are missing). Each server runs in its own process; autocannon runs in this one.
 *
 * Run alone: `npx tsx bench/service.ts` (bench/run.ts calls {@link benchService}).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { z } from "zod";
import { DeployedModel, serve } from "@trellis/prod";
import { benchPipelineModel, benchTableWithLabel } from "./pipeline";
import type { BenchResult } from "./util";

const FIT_ROWS = 20_000;
const DURATION_S = Number(process.env.TRELLIS_BENCH_SERVICE_SECONDS ?? 10);
const CONNECTIONS = 10;

/** The benchmark rows as plain objects (nulls kept), with their labels. */
function benchRows(n: number): { rows: Record<string, number | string | null>[]; y: Int32Array; numeric: string[]; categorical: string[] } {
  const { table, y, numeric, categorical } = benchTableWithLabel(n, 42);
  const cols = [...numeric, ...categorical].map((name) => [name, table.getChild(name)!] as const);
  const rows = Array.from({ length: n }, (_, i) => {
    const row: Record<string, number | string | null> = {};
    for (const [name, col] of cols) row[name] = (col.get(i) as number | string | null) ?? null;
    return row;
  });
  return { rows, y, numeric, categorical };
}

/** Starts one of the servers in this process and prints `PORT <n>` (child mode). */
async function runServer(kind: string): Promise<void> {
  if (kind === "bare") {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        const out = JSON.stringify({ predictions: [Object.keys(body).length > 0 ? 1 : 0] });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
        res.end(out);
      });
    });
    server.listen(0, "127.0.0.1", () => console.log(`PORT ${(server.address() as { port: number }).port}`));
    return;
  }
  const { rows, y, numeric, categorical } = benchRows(FIT_ROWS);
  const model = benchPipelineModel(numeric, categorical).fit(rows, y);
  const shape: Record<string, z.ZodType> = {};
  for (const n of numeric) shape[n] = z.number().nullable();
  for (const c of categorical) shape[c] = z.string().nullable();
  const deployed = DeployedModel.fromEstimator(model, { inputSchema: z.object(shape), name: "bench" });
  const svc = await serve({ models: { bench: deployed }, port: 0 });
  console.log(`PORT ${svc.port}`);
}

function startChild(command: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${command} did not start within 120 s: ${err.trim().split("\n").pop() ?? ""}`));
    }, 120_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m && !out.includes("@@")) {
        out += "@@";
        const port = Number(m[1]);
        void waitForPort(port).then(() => {
          clearTimeout(timer);
          resolve({ child, port });
        }, reject);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${err.trim().split("\n").pop() ?? ""}`));
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a connection (polled every 50 ms, up to 60 s). */
async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 60 s`);
}

async function load(name: string, url: string, body: string): Promise<BenchResult> {
  // A short warm-up (JIT, connection set-up), then the measured run.
  await autocannon({ url, method: "POST", body, headers: { "content-type": "application/json" }, connections: CONNECTIONS, duration: 1 });
  const r = await autocannon({ url, method: "POST", body, headers: { "content-type": "application/json" }, connections: CONNECTIONS, duration: DURATION_S });
  return {
    name,
    medianMs: r.latency.p50,
    runs: 1,
    extra: { reqPerSec: Math.round(r.requests.average), p99Ms: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, requests: r.requests.total },
  };
}

/**
 * Runs the service benchmark and returns its figures (median latency as `medianMs`; requests/s,
 * p99, errors and non-2xx answers in `extra`).
 * @example const results = await benchService();
 */
export async function benchService(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const { rows, y, numeric, categorical } = benchRows(FIT_ROWS);
  const row = rows[123];
  const predictBody = JSON.stringify(row);
  const inferBody = JSON.stringify({
    inputs: [...numeric, ...categorical].map((name) => ({ name, shape: [1], datatype: numeric.includes(name) ? "FP64" : "BYTES", data: [row[name]] })),
  });
  const self = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  try {
    const trellis = await startChild(process.execPath, ["--import", "tsx", self, "--server", "trellis"]);
    children.push(trellis.child);
    results.push(await load(`service: trellis /predict, 1 row, ${CONNECTIONS} connections, ${DURATION_S} s`, `http://127.0.0.1:${trellis.port}/v2/models/bench/predict`, predictBody));
    results.push(await load(`service: trellis /infer, 1 row, ${CONNECTIONS} connections, ${DURATION_S} s`, `http://127.0.0.1:${trellis.port}/v2/models/bench/infer`, inferBody));
    trellis.child.kill();
    const bare = await startChild(process.execPath, ["--import", "tsx", self, "--server", "bare"]);
    children.push(bare.child);
    results.push(await load(`service: bare node:http (parse JSON only), ${CONNECTIONS} connections, ${DURATION_S} s`, `http://127.0.0.1:${bare.port}/`, predictBody));
    bare.child.kill();
    // The Python peer fits the same pipeline on the same rows.
    const dir = mkdtempSync(join(tmpdir(), "trellis-bench-service-"));
    try {
      const train = join(dir, "train.json");
      writeFileSync(train, JSON.stringify({ numeric, categorical, rows, y: Array.from(y) }));
      const python = process.env.PYTHON ?? "python3";
      let peer: { child: ChildProcess; port: number } | null = null;
      try {
        peer = await startChild(python, [fileURLToPath(new URL("./service_peer.py", import.meta.url)), train]);
      } catch (e) {
        console.error(`service: FastAPI peer skipped (${(e as Error).message})`);
      }
      if (peer) {
        children.push(peer.child);
        results.push(await load(`service: FastAPI + uvicorn + scikit-learn, ${CONNECTIONS} connections, ${DURATION_S} s`, `http://127.0.0.1:${peer.port}/predict`, predictBody));
        peer.child.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--server");
  if (i > 0) await runServer(process.argv[i + 1]);
  else for (const r of await benchService()) console.log(r.name, r.medianMs, JSON.stringify(r.extra));
}
