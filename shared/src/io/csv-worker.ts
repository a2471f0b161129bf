/**
 * The worker-thread script of parallel CSV reads (its own tsup entry, `dist/csv-worker.js` and
 * `.cjs`): reads each chunk it is sent and posts the columns back as an Arrow IPC stream, its
 * buffer transferred.
 */
import { parentPort } from "node:worker_threads";
import { type ChunkTask, chunkMessage } from "./csv-chunk";

parentPort?.on("message", (task: ChunkTask) => {
  const m = chunkMessage(task);
  parentPort!.postMessage(m, m.ok && m.ipc ? [m.ipc.buffer as ArrayBuffer] : []);
});
