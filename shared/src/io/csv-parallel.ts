/**
 * Parallel reading of a CSV file held in memory (used by `readCsv`). The bytes after the header
 * are cut into one chunk per thread at line ends; the calling thread reads the first chunk while
 * worker threads read the others, each with a column reader of its own, guessing types from its
 * own rows. The guesses are then merged in file order with `mergeGuess` (what one pass would have
 * widened to); a chunk whose guess differs is read again starting from the merged guess, so the
 * table, its types and the reported guess are those of the one-pass reader.
 *
 * Only files whose data has no quote character and no CR are cut (any line end is then a record
 * end); any error in any chunk, or a worker that cannot start, sends the whole read back to the
 * one-pass reader, which reports it with its usual line number.
 *
 * The workers are started on first use, kept for later reads and never keep the process alive.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type * as arrow from "apache-arrow";
import { type ChunkMessage, type ChunkOutput, type ChunkTask, batchesOfMessage, fieldsToIpc, readChunk } from "./csv-chunk";
import { mergeGuess } from "./csv-parse";

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
    return { script: `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(target)});`, eval: true };
  }
  return { script: join(dir, self.endsWith(".cjs") ? "csv-worker.cjs" : "csv-worker.js"), eval: false };
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
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type") && !a.startsWith("--cpu-prof"));
  const worker = new Worker(entry.script, { eval: entry.eval, execArgv });
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
    pw.worker.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
  });
}

/** What a parallel read needs to know of the reader set up on the header. */
export interface ParallelPlan extends Omit<ChunkTask, "id" | "bytes" | "fields" | "initialGuesses"> {
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

/**
 * Reads `buf[start, end)` (whole records) on `threads` threads, or returns null when the bytes
 * cannot be cut safely, are too small, a worker cannot run, or any chunk fails (the caller then
 * reads them in one pass).
 */
export async function readParallel(buf: Uint8Array, start: number, plan: ParallelPlan, threads: number): Promise<ParallelResult | null> {
  const end = buf.length;
  threads = Math.min(threads, 64);
  if (threads < 2 || end - start < parallelMinBytes) return null;
  const quote = Buffer.from(plan.quote)[0];
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (view.indexOf(quote, start) >= 0 || view.indexOf(13, start) >= 0) return null;
  // Chunk bounds at line ends.
  const bounds = [start];
  const per = (end - start) / threads;
  for (let i = 1; i < threads; i++) {
    const lf = view.indexOf(10, Math.max(bounds[bounds.length - 1], Math.floor(start + i * per)));
    const b = lf < 0 ? end : lf + 1;
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
  const taskOf = (i: number, bytes: Uint8Array, initialGuesses?: number[]): ChunkTask => ({
    id: nextId++,
    bytes,
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
  // The workers' chunks are copied (and the copies transferred); the first chunk is read in place.
  const answers = workers.map((pw, i) => inWorker(pw, taskOf(i + 1, Uint8Array.prototype.slice.call(buf, bounds[i + 1], bounds[i + 2]))));
  const settled = Promise.allSettled(answers);
  let outputs: (ChunkOutput | null)[];
  try {
    const first = readChunk(taskOf(0, buf.subarray(bounds[0], bounds[1])));
    outputs = [first];
  } catch {
    await settled;
    return null;
  }
  for (const r of await settled) {
    if (r.status === "rejected" || !r.value.ok) return null;
    const m = r.value;
    outputs.push({ rows: m.rows, guesses: m.guesses, fields: [], batches: batchesOfMessage(m.ipc) });
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
        again = readChunk(taskOf(c, buf.subarray(bounds[c], bounds[c + 1]), merged));
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
