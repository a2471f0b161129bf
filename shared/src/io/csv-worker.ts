/**
 * The worker-thread script of parallel CSV reads (its own tsup entry, `dist/csv-worker.js` and
 * `.cjs`): reads each part of a file it is sent and posts the columns back, their buffers
 * transferred.
 */
import { parentPort } from "node:worker_threads";
import { type ChunkTask, chunkMessage } from "./csv-chunk";

parentPort?.on("message", (task: ChunkTask) => {
  void chunkMessage(task).then(({ message, transfer }) => parentPort!.postMessage(message, transfer));
});
