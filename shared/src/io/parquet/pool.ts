/**
 * A small, lazily created pool of worker threads that decode Parquet row groups in parallel.
 * Each worker loads parquet-wasm once, reads the byte ranges of its task from the file itself and
 * transfers the decoded Arrow buffers back (no copy on this side); a caller done with a table can
 * hand its buffers back for the next read of the same ranges ({@link recycleTable}). Idle workers are unref'd — the
 * pool never keeps a process alive — and are terminated after a few idle seconds, which also
 * releases their WebAssembly memory. The worker script is found next to this module:
 * `parquet-worker.js` / `parquet-worker.cjs` in the built package (its own tsup entry), or
 * `worker.ts` when running from sources, loaded through tsx's CommonJS hooks.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError, TrellisError, type TrellisErrorCode } from "../../errors";
import type { ProjectedLayout } from "./project";
import { RECYCLE_MIN_BYTES } from "./ffi";
import type { DecodeReply, DecodeTask } from "./worker";
import { wireToBatches } from "./wire";
import { workerBootstrap } from "../worker-script";

/** Idle workers are terminated after this long. */
const IDLE_MS = 5_000;

/** How to start a worker, or null when no worker script can be found (single-threaded reads then). */
function workerEntry(): { script: string; eval: boolean } | null {
  let self: string;
  try {
    self = fileURLToPath(import.meta.url);
  } catch {
    return null;
  }
  const dir = dirname(self);
  if (/\.[cm]?ts$/.test(self)) {
    const target = join(dir, "worker.ts");
    let api: string;
    try {
      api = createRequire(self).resolve("tsx/cjs/api");
    } catch {
      return null;
    }
    return { script: workerBootstrap(target, api), eval: true };
  }
  const script = join(dir, self.endsWith(".cjs") ? "parquet-worker.cjs" : "parquet-worker.js");
  // A bundler that inlined this package without copying the worker script: decode on this thread.
  return existsSync(script) ? { script: workerBootstrap(script), eval: true } : null;
}

/**
 * The number of decoding threads a read uses: `threads` when given, else the `TRELLIS_THREADS`
 * environment variable, else `os.availableParallelism()`. 1 decodes on the calling thread.
 * @example resolveThreads(undefined) // 2 on a two-core machine without TRELLIS_THREADS
 */
export function resolveThreads(threads: unknown): number {
  if (threads !== undefined) {
    if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
      throw new InvalidArgumentError(`readParquet: threads must be a positive integer (1 decodes on the calling thread), got ${String(threads)}.`);
    }
    return threads;
  }
  const env = process.env.TRELLIS_THREADS;
  if (env !== undefined && env.trim() !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(`TRELLIS_THREADS must be a positive integer (1 decodes Parquet on the calling thread), got ${JSON.stringify(env)}; fix or unset it.`);
    }
    return n;
  }
  return availableParallelism();
}

interface Pending {
  task: DecodeTask;
  /** The read this task belongs to: once it has failed, its tasks still queued are dropped. */
  read: { failed: boolean };
  resolve: (value: { schema: arrow.Schema; batches: arrow.RecordBatch[] }) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Tasks sent to this worker and not answered yet, in the order it runs them. */
  inflight: Pending[];
}

/**
 * Tasks a worker may hold at once: the next one waits in the worker while the current one
 * decodes, so a worker does not sit idle while this thread is busy (a garbage collection, the
 * caller's own work) and has not yet handed it more. Only while at least one task per worker is
 * still queued, though: the last ones go to whichever worker frees up first.
 */
const DEPTH = 2;

let entry: { script: string; eval: boolean } | null | undefined;
const slots: Slot[] = [];
const queue: Pending[] = [];
let nextId = 1;
let idleTimer: NodeJS.Timeout | undefined;

/** Whether parallel decoding is available here (a worker script was found). */
export function workersAvailable(): boolean {
  entry ??= workerEntry();
  return entry !== null;
}

/** Tasks waiting for a worker (for tests and diagnostics). */
export function queuedTaskCount(): number {
  return queue.length;
}

/** Live decoding workers (for tests and diagnostics). */
export function workerCount(): number {
  return slots.length;
}

/** Terminates every decoding worker now (they are also terminated when idle, and never keep a process alive). */
export async function closeWorkers(): Promise<void> {
  clearTimeout(idleTimer);
  reusable.clear();
  reusableBytes = 0;
  const all = slots.splice(0);
  for (const p of queue.splice(0)) p.reject(new DataIoError(`cannot read Parquet file ${p.task.path}: the decoding workers were closed.`, { path: p.task.path }));
  for (const s of all) {
    for (const p of s.inflight.splice(0)) p.reject(new DataIoError(`cannot read Parquet file ${p.task.path}: the decoding workers were closed.`, { path: p.task.path }));
  }
  await Promise.all(all.map((s) => s.worker.terminate()));
}

function rebuildError(path: string, m: Extract<DecodeReply, { ok: false }>): Error {
  if (m.code === "DATA_IO") return new DataIoError(m.message, { path });
  if (m.code === "INVALID_ARGUMENT") return new InvalidArgumentError(m.message);
  if (m.code) return new TrellisError(m.code as TrellisErrorCode, m.message);
  return new DataIoError(`cannot read Parquet file ${path}: ${m.message}`, { path });
}

function spawn(): Slot {
  const e = entry as { script: string; eval: boolean };
  // No execArgv: the worker inherits the process's Node options (see worker-script.ts).
  const worker = new Worker(e.script, { eval: e.eval });
  worker.unref();
  const slot: Slot = { worker, inflight: [] };
  const fail = (err: Error) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    for (const p of slot.inflight.splice(0)) {
      p.read.failed = true;
      p.reject(new DataIoError(`cannot read Parquet file ${p.task.path}: a decoding worker thread failed: ${err.message}`, { path: p.task.path, cause: err }));
    }
    void worker.terminate();
    pump();
  };
  worker.on("error", fail);
  worker.on("exit", (code) => {
    if (slots.includes(slot)) fail(new Error(`the worker stopped with exit code ${code}`));
  });
  worker.on("message", (m: DecodeReply) => {
    const p = slot.inflight[0];
    if (!p || p.task.id !== m.id) return;
    slot.inflight.shift();
    if (slot.inflight.length === 0) worker.unref();
    if (m.ok) {
      try {
        const result = wireToBatches(m.result);
        const key = taskKey(p.task.path, p.task.layout, p.task.batchSize);
        for (const b of ownedBuffers(new arrow.Table(result.schema, result.batches), RECYCLE_MIN_BYTES)) origin.set(b, key);
        p.resolve(result);
      } catch (err) {
        p.reject(err as Error);
      }
    } else {
      p.read.failed = true; // its tasks still queued are dropped now, not handed out
      p.reject(rebuildError(p.task.path, m));
    }
    pump();
  });
  slots.push(slot);
  return slot;
}

let wanted = 1;

/** Drops the queued tasks of reads that have failed. */
function dropFailed(): void {
  for (let i = queue.length - 1; i >= 0; i--) {
    const p = queue[i];
    if (!p.read.failed) continue;
    queue.splice(i, 1);
    p.reject(new DataIoError(`cannot read Parquet file ${p.task.path}: another part of the read failed.`, { path: p.task.path }));
  }
}

function pump(): void {
  dropFailed();
  while (queue.length > 0) {
    // The least busy worker with room; a new one while every worker is busy and the pool may grow.
    let slot: Slot | undefined;
    for (const s of slots) if (s.inflight.length < DEPTH && (!slot || s.inflight.length < slot.inflight.length)) slot = s;
    if ((!slot || slot.inflight.length > 0) && slots.length < wanted) slot = spawn();
    if (slot && slot.inflight.length > 0 && queue.length < slots.length) slot = undefined;
    if (!slot) return;
    const p = queue.shift() as Pending;
    slot.inflight.push(p);
    if (slot.inflight.length === 1) slot.worker.ref(); // a task in flight keeps the process alive until it settles
    slot.worker.postMessage(p.task, p.task.reuse ?? []);
  }
  if (slots.every((s) => s.inflight.length === 0)) {
    clearTimeout(idleTimer);
    if (slots.length > 0) {
      idleTimer = setTimeout(() => void closeWorkers(), IDLE_MS);
      idleTimer.unref();
    }
  }
}

/** Decodes one projected layout on a worker thread; `poolSize` is the number of workers the pool may grow to. */
function decodeOnWorker(path: string, layout: ProjectedLayout, batchSize: number, poolSize: number, read: { failed: boolean }): Promise<{ schema: arrow.Schema; batches: arrow.RecordBatch[] }> {
  clearTimeout(idleTimer);
  wanted = Math.max(wanted, poolSize);
  const key = taskKey(path, layout, batchSize);
  const reuse = reusable.get(key);
  if (reuse) {
    reusable.delete(key);
    for (const b of reuse) reusableBytes -= b.byteLength;
  }
  return new Promise((resolve, reject) => {
    queue.push({ task: { id: nextId++, path, layout, batchSize, ...(reuse ? { reuse } : {}) }, read, resolve, reject });
    pump();
  });
}

/** The ArrayBuffers a table's data own outright (each viewed whole, from byte 0), of at least `min` bytes. */
function ownedBuffers(table: arrow.Table, min: number, dictionaries = true): Set<ArrayBuffer> {
  const out = new Set<ArrayBuffer>();
  const visit = (d: arrow.Data) => {
    for (const b of d.buffers as unknown as (ArrayBufferView | undefined)[]) {
      if (b && b.byteLength >= min && b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && b.buffer.byteLength === b.byteLength) out.add(b.buffer);
    }
    for (const c of d.children) visit(c);
    if (d.dictionary && dictionaries) for (const x of d.dictionary.data) visit(x);
  };
  for (const batch of table.batches) visit(batch.data);
  return out;
}

/**
 * Hands the buffers of a table read from Parquet back to the decoding pool once nobody uses the
 * table any more. The next parallel read of the same byte ranges (the same row groups and columns
 * of a file) brings them to its workers, which copy the decoded data into those of the right sizes
 * — memory written before — instead of into fresh memory, which costs far more to touch the first
 * time. That read transfers them to its workers, so the table and everything viewing its buffers
 * must not be used after this call. They are kept until that read, or dropped with the workers when
 * the pool goes idle; buffers that did not come from the pool's workers are left alone.
 * @example
 * const t = await readParquet(path, { columns });
 * const summary = summarise(t); // copies what it keeps
 * recycleTable(t);
 */
export function recycleTable(table: arrow.Table): void {
  if (slots.length === 0) return;
  // Dictionaries are left alone: a column gathered from this one may share its dictionary.
  for (const b of ownedBuffers(table, RECYCLE_MIN_BYTES, false)) {
    const key = origin.get(b);
    if (key === undefined || reusableBytes + b.byteLength > REUSABLE_MAX_BYTES) continue;
    origin.delete(b);
    let list = reusable.get(key);
    if (!list) reusable.set(key, (list = []));
    list.push(b);
    reusableBytes += b.byteLength;
  }
}

/** At most this many bytes of buffers are kept for reuse between reads. */
const REUSABLE_MAX_BYTES = 1024 * 1024 * 1024;
/** The task each buffer received from a worker came from (its {@link taskKey}). */
const origin = new WeakMap<ArrayBuffer, string>();
/** Buffers handed back for reuse, by the task key of the read that produced them. */
const reusable = new Map<string, ArrayBuffer[]>();
let reusableBytes = 0;

/** Identifies a task's byte ranges (the same for every read of the same row groups and columns of a file). */
function taskKey(path: string, layout: ProjectedLayout, batchSize: number): string {
  return `${path}\0${batchSize}\0${layout.size}\0${layout.ranges.join(",")}`;
}

/** Buffers kept for reuse between reads (for tests and diagnostics). */
export function reusableByteCount(): number {
  return reusableBytes;
}

/** One unit of a parallel read. */
export interface DecodeJob {
  path: string;
  layout: ProjectedLayout;
  batchSize: number;
}

/**
 * Decodes `jobs` on up to `threads` workers at once and hands each result to `onResult` (in
 * completion order, with the job's index). Every job is queued at once; the first failure drops
 * the jobs not yet started and rejects.
 */
export async function decodeInWorkers(
  jobs: DecodeJob[],
  threads: number,
  onResult: (index: number, result: { schema: arrow.Schema; batches: arrow.RecordBatch[] }) => void,
): Promise<void> {
  const pool = Math.max(1, Math.min(threads, jobs.length));
  const read = { failed: false };
  try {
    await Promise.all(jobs.map(async (job, i) => onResult(i, await decodeOnWorker(job.path, job.layout, job.batchSize, pool, read))));
  } catch (err) {
    read.failed = true;
    throw err;
  }
}
