/**
 * The worker-thread script of parallel Parquet reads (see `pool.ts`): each task names a file and
 * the projected layout of some of its row groups; the worker reads those byte ranges itself,
 * decodes them with its own parquet-wasm instance (loaded once per worker) and posts the Arrow
 * buffers back, transferred rather than copied. Built as its own tsup entry
 * (`dist/parquet-worker.js` / `.cjs`), found next to the bundle at run time.
 */
import { parentPort } from "node:worker_threads";
import * as arrow from "apache-arrow";
import { TrellisError } from "../../errors";
import { decodeParquet, engineMessage } from "./engine";
import { readProjected, type ProjectedLayout } from "./project";
import { batchesToWire, type WireBatches } from "./wire";

/** A decode task. */
export interface DecodeTask {
  id: number;
  path: string;
  layout: ProjectedLayout;
  batchSize: number;
}

/** The answer to a task: its batches, or the failure as text (and code for a TrellisError). */
export type DecodeReply =
  | { id: number; ok: true; result: WireBatches }
  | { id: number; ok: false; message: string; code?: string; name: string };

/** One read buffer per worker, reused across tasks (the engine copies it into WASM memory). */
const scratch: { buffer?: Uint8Array } = {};

async function handle(task: DecodeTask): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  try {
    const bytes = readProjected(task.path, task.layout, scratch);
    const batches = await decodeParquet(bytes, task.batchSize);
    const { wire, transfer } = batchesToWire(batches[0]?.schema ?? new arrow.Schema([]), batches);
    return { reply: { id: task.id, ok: true, result: wire }, transfer };
  } catch (err) {
    const code = err instanceof TrellisError ? err.code : undefined;
    const name = err instanceof Error ? err.name : "Error";
    return { reply: { id: task.id, ok: false, message: code ? (err as Error).message : engineMessage(err), code, name }, transfer: [] };
  }
}

if (parentPort) {
  const port = parentPort;
  // Tasks run one at a time, in arrival order (the pool sends a worker one task at a time).
  let chain = Promise.resolve();
  port.on("message", (task: DecodeTask) => {
    chain = chain.then(async () => {
      const { reply, transfer } = await handle(task);
      port.postMessage(reply, transfer);
    });
  });
}
