/**
 * Runs fit-and-score tasks (one candidate on one split) in this thread or, with `nJobs > 1`, in a
 * pool of worker threads. Workers receive the data once, as shared buffers (SharedArrayBuffer
 * copies of the Matrix or Frame columns; nothing row by row), and each task as JSON: the
 * estimator's `toJSON()`, the candidate's parameters encoded by `encodeValue`, the split number.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { BaseEstimator, clone, type EstimatorJSON } from "@trellis/prod";
import type { SplitIndices } from "./splitters";
import { runFold, type FoldOutcome, type PreparedX, type PreparedY } from "./cv-core";
import type { ResolvedScoring } from "./scoring";
import { runInWorkers } from "./worker-pool";

/** One unit of work: the estimator with `params` set, fitted on split `split`. */
export interface FoldTask {
  /** Position of the task in the result list. */
  index: number;
  /** Parameters to set on a clone of the estimator (null: as given). */
  params: Record<string, unknown> | null;
  /** Which split. */
  split: number;
}

/** What every task shares. */
export interface FoldContext {
  estimator: BaseEstimator;
  X: PreparedX;
  y: PreparedY | undefined;
  splits: SplitIndices[];
  scoring: ResolvedScoring;
  returnTrain: boolean;
  returnEstimator: boolean;
}

/**
 * Clones parameter values that are estimators, so candidates never share a fitted step (as
 * scikit-learn's `clone(parameters, safe=False)`).
 */
export function cloneParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = v instanceof BaseEstimator ? clone(v) : v;
  return out;
}

/** A fresh unfitted estimator for a task. */
export function estimatorFor(base: BaseEstimator, params: Record<string, unknown> | null): BaseEstimator {
  const est = clone(base);
  if (params) est.setParams(cloneParams(params));
  return est;
}

function checkNJobs(nJobs: number | undefined): number {
  const n = nJobs ?? 1;
  if (n === -1) return 0; // all cores, resolved by the pool
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`nJobs must be a positive integer or -1 (all cores), got ${String(nJobs)}.`);
  return n;
}

/**
 * Runs every task and calls `onResult` as each finishes (in completion order). Returns outcomes in
 * task order. `nJobs` 1 runs here, between tasks yielding to the event loop so progress displays
 * can draw; more runs in worker threads.
 */
export async function runTasks(
  ctx: FoldContext,
  tasks: FoldTask[],
  nJobs: number | undefined,
  onResult: (task: FoldTask, outcome: FoldOutcome) => void | Promise<void>,
): Promise<FoldOutcome[]> {
  const jobs = checkNJobs(nJobs);
  if (jobs !== 1 && tasks.length > 1) {
    return runInWorkers(ctx, tasks, jobs, onResult);
  }
  const out: FoldOutcome[] = new Array(tasks.length);
  for (const task of tasks) {
    const est = estimatorFor(ctx.estimator, task.params);
    const outcome = runFold(est, ctx.X, ctx.y, ctx.splits[task.split], ctx.scoring.fns, ctx.returnTrain);
    if (ctx.returnEstimator) outcome.estimator = est;
    out[task.index] = outcome;
    await onResult(task, outcome);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

/** The JSON an estimator travels as. */
export function estimatorToJSON(est: BaseEstimator): EstimatorJSON {
  return (est as unknown as { toJSON(): EstimatorJSON }).toJSON();
}
