/**
 * The worker-thread script of parallel Parquet reads (see `pool.ts`): each task names a file and
 * the projected layout of some of its row groups; the worker reads those byte ranges itself,
 * decodes them with its own parquet-wasm instance (loaded once per worker) and posts the Arrow
 * buffers back, transferred rather than copied; buffers a task brings (those of an earlier read of
 * the same ranges) are reused. Built as its own tsup entry (`dist/parquet-worker.js` / `.cjs`), found next to the bundle
 * at run time.
 */
import { parentPort } from "node:worker_threads";
import * as arrow from "apache-arrow";
import { TrellisError } from "../../errors";
import { decodeParquet, engineMessage } from "./engine";
import { dropRecycled, recycleBuffers } from "./ffi";
import { readProjected, type ProjectedLayout } from "./project";
import { Scratch } from "../../frame/scratch";
import { batchesToWire, type WireBatches } from "./wire";

/** A decode task. */
export interface DecodeTask {
  id: number;
  path: string;
  layout: ProjectedLayout;
  batchSize: number;
  /**
   * Buffers of an earlier read of the same byte ranges, handed back for reuse (transferred): the
   * decoded data are copied into those of the right sizes instead of into fresh memory.
   */
  reuse?: ArrayBuffer[];
}

/** The answer to a task: its batches, or the failure as text (and code for a TrellisError). */
export type DecodeReply =
  | { id: number; ok: true; result: WireBatches }
  | { id: number; ok: false; message: string; code?: string; name: string };

async function handle(task: DecodeTask): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  // The bytes handed to the engine (which copies them into WASM memory) go into memory reused across tasks.
  const scratch = new Scratch();
  try {
    const bytes = readProjected(task.path, task.layout, (n) => scratch.bytes(n));
    if (task.reuse) recycleBuffers(task.reuse);
    let batches: arrow.RecordBatch[];
    try {
      batches = await decodeParquet(bytes, task.batchSize);
    } finally {
      // Buffers of an earlier read of other sizes are of no use to later tasks.
      dropRecycled();
    }
    const { wire, transfer } = batchesToWire(batches[0]?.schema ?? new arrow.Schema([]), batches);
    return { reply: { id: task.id, ok: true, result: wire }, transfer };
  } catch (err) {
    const code = err instanceof TrellisError ? err.code : undefined;
    const name = err instanceof Error ? err.name : "Error";
    return { reply: { id: task.id, ok: false, message: code ? (err as Error).message : engineMessage(err), code, name }, transfer: [] };
  } finally {
    scratch.release();
  }
}

if (parentPort) {
  const port = parentPort;
  // Tasks run one at a time, in arrival order (the pool may send the next while one runs).
  let chain = Promise.resolve();
  port.on("message", (task: DecodeTask) => {
    chain = chain.then(async () => {
      const { reply, transfer } = await handle(task);
      port.postMessage(reply, transfer);
    });
  });
}
