/**
 * The pool of worker threads behind `nJobs > 1`. The worker script is found next to this module:
 * `fold-worker.js` / `fold-worker.cjs` in the built package (its own tsup entry), or
 * `fold-worker.ts` when running from source, loaded through tsx's CommonJS hooks.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InvalidArgumentError, TrellisError, type TrellisErrorCode } from "@trellis/shared";
import { encodeValue, estimatorFromJSON, type EstimatorJSON } from "@trellis/prod";
import type { FoldOutcome } from "./cv-core";
import type { FoldContext, FoldTask } from "./parallel";
import type { InitMessage, ResultMessage, TaskMessage } from "./fold-worker";
import { splitsToMessage, xToMessage, yToMessage } from "./transfer";

/** The file of this module (the bundle it was built into, or the source file). */
function ownFile(): string {
  return fileURLToPath(import.meta.url);
}

/**
 * How to start a worker: an eval'd bootstrap that imports the built script next to this bundle,
 * or — when running from TypeScript sources — registers tsx's loader in the worker and then
 * requires the TypeScript worker. Workers get no `execArgv`, so they inherit the process's Node
 * options as Node inherits them: an explicit list would make Node refuse per-process options such
 * as --max-old-space-size. The bootstrap uses only dynamic imports, so it runs whether Node
 * evaluates it as CommonJS or as a module (a process started with --input-type=module passes that
 * on to its workers, and would refuse to start one from a file).
 * @internal
 */
export function workerEntry(): { script: string; eval: boolean } {
  const self = ownFile();
  const dir = dirname(self);
  if (/\.[cm]?ts$/.test(self)) {
    let api: string;
    try {
      api = createRequire(self).resolve("tsx/cjs/api");
    } catch {
      throw new InvalidArgumentError("nJobs > 1 from TypeScript sources needs the tsx package to load the worker; install tsx or use the built package.");
    }
    // tsx's CommonJS hooks work inside worker threads on every supported Node (its ESM hooks do not on Node 20).
    const target = JSON.stringify(join(dir, "fold-worker.ts"));
    const script = `import("node:module").then(({ createRequire }) => { const r = createRequire(${target}); r(${JSON.stringify(api)}).register(); r(${target}); });`;
    return { script, eval: true };
  }
  const file = join(dir, self.endsWith(".cjs") ? "fold-worker.cjs" : "fold-worker.js");
  return { script: `import(${JSON.stringify(pathToFileURL(file).href)});`, eval: true };
}

function rebuildError(m: Extract<ResultMessage, { type: "error" }>): Error {
  const text = `${m.message} (in a worker thread, nJobs > 1)`;
  const err = m.code ? new TrellisError(m.code as TrellisErrorCode, text) : new Error(text);
  err.name = m.name;
  if (m.stack) err.stack = `${err.name}: ${text}\n${m.stack.split("\n").slice(1).join("\n")}`;
  return err;
}

/**
 * Runs the tasks on `nJobs` worker threads (0: one per core), handing out the next task as each
 * worker finishes. The first failure stops every worker and rejects.
 */
export async function runInWorkers(
  ctx: FoldContext,
  tasks: FoldTask[],
  nJobs: number,
  onResult: (task: FoldTask, outcome: FoldOutcome) => void | Promise<void>,
): Promise<FoldOutcome[]> {
  if (ctx.scoring.portable === null) {
    throw new InvalidArgumentError("nJobs > 1 runs scorers in worker threads, which cannot receive functions; use scorer names (e.g. \"roc_auc\") or nJobs: 1.");
  }
  const size = Math.max(1, Math.min(nJobs === 0 ? availableParallelism() : nJobs, tasks.length));
  const entry = workerEntry();
  const init: InitMessage = {
    type: "init",
    estimator: (ctx.estimator as unknown as { toJSON(): EstimatorJSON }).toJSON(),
    X: xToMessage(ctx.X),
    y: yToMessage(ctx.y),
    splits: splitsToMessage(ctx.splits),
    scorers: ctx.scoring.portable,
    returnTrain: ctx.returnTrain,
    returnEstimator: ctx.returnEstimator,
  };
  const encoded = tasks.map((t): TaskMessage => ({ type: "task", index: t.index, params: t.params === null ? null : encodeValue(t.params, "params"), split: t.split }));
  const byIndex = new Map(tasks.map((t) => [t.index, t]));
  const out: FoldOutcome[] = new Array(tasks.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let pending = tasks.length;
      let failed = false;
      let chain = Promise.resolve();
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const dispatch = (w: Worker) => {
        if (failed || next >= encoded.length) return;
        w.postMessage(encoded[next++]);
      };
      for (let i = 0; i < size; i++) {
        const w = new Worker(entry.script, { eval: entry.eval });
        workers.push(w);
        w.on("error", fail);
        w.on("exit", (code) => {
          if (!failed && pending > 0 && code !== 0) fail(new InvalidArgumentError(`a worker thread stopped with exit code ${code} before finishing its tasks.`));
        });
        w.on("message", (m: ResultMessage) => {
          if (failed) return;
          if (m.type === "error") return fail(rebuildError(m));
          const task = byIndex.get(m.index) as FoldTask;
          const outcome: FoldOutcome = { fitTime: m.fitTime, scoreTime: m.scoreTime, test: m.test };
          if (m.train) outcome.train = m.train;
          if (m.estimator) outcome.estimator = estimatorFromJSON(m.estimator);
          out[m.index] = outcome;
          dispatch(w);
          // Callbacks run one at a time, in completion order.
          chain = chain
            .then(() => onResult(task, outcome))
            .then(() => {
              if (--pending === 0) resolve();
            }, fail);
        });
        w.postMessage(init);
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
