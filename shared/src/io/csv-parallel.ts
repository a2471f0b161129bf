/**
 * Parallel reading of a CSV file (used by `readCsv`). The data after the header is cut into one
 * part per thread at line ends; the calling thread reads the first part while worker threads read
 * the others, each from the file itself, block by block, with a column reader of its own, guessing
 * types from its own rows. The guesses are then merged in file order with `mergeGuess` (what one
 * pass would have widened to); a part whose guess differs is read again starting from the merged
 * guess, so the table, its types and the reported guess are those of the one-pass reader.
 *
 * Only data without a quote character is cut (any line end is then a record end; LF, CRLF and CR
 * line ends alike): the first block is checked before anything starts, every part checks its own
 * bytes as it reads them. A quote in a part, any error in any part, or a worker that cannot start
 * sends the whole read back to the one-pass reader, which reports errors with its usual line
 * numbers.
 *
 * The workers are started on first use, kept for later reads and never keep the process alive.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type * as arrow from "apache-arrow";
import type { FileHandle } from "node:fs/promises";
import { type ChunkMessage, type ChunkOutput, type ChunkTask, fieldsToIpc, outputOfMessage, readChunk } from "./csv-chunk";
import { mergeGuess } from "./csv-parse";
import { workerBootstrap } from "./worker-script";

/** Files smaller than this are read on the calling thread (workers would not pay for themselves). */
let parallelMinBytes = 16 << 20;

/** Changes the size from which reads go parallel; returns the previous one (for tests). */
export function setParallelMinBytes(bytes: number): number {
  const before = parallelMinBytes;
  parallelMinBytes = bytes;
  return before;
}

/** The default thread count of a parallel read: one per core, at most 4. */
export function defaultCsvThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** How to start a worker: the built script beside this bundle, or the TypeScript one through tsx. */
function workerEntry(): { script: string; eval: boolean } | null {
  const self = fileURLToPath(import.meta.url);
  const dir = dirname(self);
  if (/\.[cm]?ts$/.test(self)) {
    let api: string;
    try {
      api = createRequire(self).resolve("tsx/cjs/api");
    } catch {
      return null;
    }
    const target = join(dir, "csv-worker.ts");
    return { script: workerBootstrap(target, api), eval: true };
  }
  return { script: workerBootstrap(join(dir, self.endsWith(".cjs") ? "csv-worker.cjs" : "csv-worker.js")), eval: true };
}

interface PooledWorker {
  worker: Worker;
  busy: boolean;
  /** The answer awaited from it, if any. */
  waiting: ((m: ChunkMessage | Error) => void) | null;
}

const pool: PooledWorker[] = [];
let nextId = 1;

function startWorker(): PooledWorker | null {
  const entry = workerEntry();
  if (!entry) return null;
  // No execArgv: the worker inherits the process's Node options (see worker-script.ts).
  const worker = new Worker(entry.script, { eval: entry.eval });
  const pw: PooledWorker = { worker, busy: false, waiting: null };
  const drop = (err: Error) => {
    const i = pool.indexOf(pw);
    if (i >= 0) pool.splice(i, 1);
    const w = pw.waiting;
    pw.waiting = null;
    w?.(err);
  };
  worker.on("message", (m: ChunkMessage) => {
    const w = pw.waiting;
    pw.waiting = null;
    pw.busy = false;
    worker.unref();
    w?.(m);
  });
  worker.on("error", drop);
  worker.on("exit", (code) => drop(new Error(`CSV worker thread exited with code ${code}`)));
  worker.unref();
  pool.push(pw);
  return pw;
}

/** Reads a chunk in a worker (its bytes transferred); rejects when the worker fails. */
function inWorker(pw: PooledWorker, task: ChunkTask): Promise<ChunkMessage> {
  return new Promise((resolve, reject) => {
    pw.busy = true;
    pw.waiting = (m) => (m instanceof Error ? reject(m) : resolve(m));
    // Keep the process alive while an answer is awaited.
    pw.worker.ref();
    pw.worker.postMessage(task);
  });
}

/** What a parallel read needs to know of the reader set up on the header. */
export interface ParallelPlan extends Omit<ChunkTask, "id" | "file" | "from" | "to" | "fields" | "initialGuesses"> {
  /** Output columns then filter-only columns, as the one-pass reader reads them. */
  fields: arrow.Field[];
}

/** The columns of a parallel read, in the shape of the one-pass reader's output. */
export interface ParallelResult {
  rows: number;
  fields: arrow.Field[];
  batches: { rows: number; data: arrow.Data[] }[];
  threads: number;
}

/** Where to look for a line end near each cut (more is read when none is found). */
const CUT_PROBE = 64 << 10;

/** The offset just after the first LF at or after `at` (before `end`), or `end` when there is none. */
async function lineEndAfter(fh: FileHandle, at: number, end: number): Promise<number> {
  const probe = Buffer.allocUnsafe(CUT_PROBE);
  for (let pos = at; pos < end; pos += CUT_PROBE) {
    const { bytesRead } = await fh.read(probe, 0, Math.min(CUT_PROBE, end - pos), pos);
    if (bytesRead === 0) break;
    const lf = probe.subarray(0, bytesRead).indexOf(10);
    if (lf >= 0) return pos + lf + 1;
  }
  return end;
}

/**
 * Reads the records in `[start, end)` of the open file `file` on `threads` threads, or returns
 * null when the range is too small to pay for it, holds a quote character, a worker cannot run, or
 * any part fails (the caller then reads the file in one pass).
 */
export async function readParallel(file: string, fh: FileHandle, start: number, end: number, plan: ParallelPlan, threads: number): Promise<ParallelResult | null> {
  threads = Math.min(threads, 64);
  if (threads < 2 || end - start < parallelMinBytes) return null;
  // Part bounds at line ends.
  const bounds = [start];
  const per = (end - start) / threads;
  for (let i = 1; i < threads; i++) {
    const b = await lineEndAfter(fh, Math.max(bounds[bounds.length - 1], Math.floor(start + i * per)), end);
    if (b < end && b > bounds[bounds.length - 1]) bounds.push(b);
  }
  bounds.push(end);
  const chunks = bounds.length - 1;
  if (chunks < 2) return null;
  // Idle workers, more started as needed (reads running at the same time each get their own).
  const workers = pool.filter((w) => !w.busy).slice(0, chunks - 1);
  while (workers.length < chunks - 1) {
    if (pool.length >= 16) return null;
    const pw = startWorker();
    if (!pw) return null;
    workers.push(pw);
  }
  const fieldsIpc = fieldsToIpc(plan.fields);
  const taskOf = (i: number, initialGuesses?: number[]): ChunkTask => ({
    id: nextId++,
    file,
    from: bounds[i],
    to: bounds[i + 1],
    fields: fieldsIpc,
    sources: plan.sources,
    guess: plan.guess,
    initialGuesses,
    delimiter: plan.delimiter,
    quote: plan.quote,
    nullValues: plan.nullValues,
    batchSize: plan.batchSize,
    fileColumns: plan.fileColumns,
    label: plan.label,
    path: plan.path,
  });
  const answers = workers.map((pw, i) => inWorker(pw, taskOf(i + 1)));
  const settled = Promise.allSettled(answers);
  let outputs: (ChunkOutput | null)[];
  try {
    outputs = [await readChunk(taskOf(0))];
  } catch {
    await settled;
    return null;
  }
  for (const r of await settled) {
    if (r.status === "rejected" || !r.value.ok) return null;
    const m = r.value;
    outputs.push({ ...outputOfMessage(m), guesses: m.guesses });
  }
  let fields = outputs[0]!.fields;
  if (plan.guess) {
    const merged = outputs[0]!.guesses.slice();
    for (let c = 1; c < chunks; c++) for (let k = 0; k < merged.length; k++) merged[k] = mergeGuess(merged[k], outputs[c]!.guesses[k]);
    for (let c = 0; c < chunks; c++) {
      if (outputs[c]!.guesses.every((g, k) => g === merged[k])) continue;
      // Read again from the merged guess: every value fits it, so nothing widens.
      let again: ChunkOutput;
      try {
        again = await readChunk(taskOf(c, merged));
      } catch {
        return null;
      }
      if (!again.guesses.every((g, k) => g === merged[k])) return null;
      outputs[c] = again;
      if (c === 0) fields = again.fields;
    }
  }
  const batches = outputs.flatMap((o) => o!.batches);
  const rows = outputs.reduce((s, o) => s + o!.rows, 0);
  return { rows, fields, batches, threads: chunks };
}
