/**
 * The worker-thread side of `nJobs > 1`: receives the data once (shared memory), then fits and
 * scores one task per message. Built as its own entry (dist/fold-worker.js and .cjs).
 */
import { parentPort } from "node:worker_threads";
import { decodeValue, estimatorFromJSON, type BaseEstimator, type EstimatorJSON, type JSONValue } from "@trellis/prod";
import { TrellisError } from "@trellis/shared";
import { runFold, type PreparedX, type PreparedY } from "./cv-core";
import { estimatorFor } from "./parallel";
import { scorersFromNames, type ScorerFn, type ScorerName } from "./scoring";
import type { SplitIndices } from "./splitters";
import { splitsFromMessage, xFromMessage, yFromMessage, type SharedArray, type XMessage, type YMessage } from "./transfer";

/** The first message: everything every task shares. */
export interface InitMessage {
  type: "init";
  estimator: EstimatorJSON;
  X: XMessage;
  y: YMessage;
  splits: [SharedArray, SharedArray][];
  scorers: (ScorerName | null)[];
  returnTrain: boolean;
  returnEstimator: boolean;
}

/** One task: parameters encoded by `encodeValue`. */
export interface TaskMessage {
  type: "task";
  index: number;
  params: JSONValue | null;
  split: number;
}

/** The answer to a task. */
export type ResultMessage =
  | { type: "result"; index: number; fitTime: number; scoreTime: number; test: number[]; train?: number[]; estimator?: EstimatorJSON }
  | { type: "error"; index: number; name: string; code: string | null; message: string; stack?: string };

let base: BaseEstimator | null = null;
let X: PreparedX;
let y: PreparedY | undefined;
let splits: SplitIndices[];
let scorers: ScorerFn[];
let returnTrain = false;
let returnEstimator = false;

function handle(msg: InitMessage | TaskMessage): ResultMessage | null {
  if (msg.type === "init") {
    base = estimatorFromJSON(msg.estimator);
    X = xFromMessage(msg.X);
    y = yFromMessage(msg.y);
    splits = splitsFromMessage(msg.splits);
    scorers = scorersFromNames(msg.scorers);
    returnTrain = msg.returnTrain;
    returnEstimator = msg.returnEstimator;
    return null;
  }
  try {
    const params = msg.params === null ? null : (decodeValue(msg.params, "params") as Record<string, unknown>);
    const est = estimatorFor(base as BaseEstimator, params);
    const o = runFold(est, X, y, splits[msg.split], scorers, returnTrain);
    const out: ResultMessage = { type: "result", index: msg.index, fitTime: o.fitTime, scoreTime: o.scoreTime, test: o.test };
    if (o.train) out.train = o.train;
    if (returnEstimator) out.estimator = (est as unknown as { toJSON(): EstimatorJSON }).toJSON();
    return out;
  } catch (err) {
    const e = err as Error;
    return { type: "error", index: msg.index, name: e?.name ?? "Error", code: err instanceof TrellisError ? err.code : null, message: e?.message ?? String(err), stack: e?.stack };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on("message", (msg: InitMessage | TaskMessage) => {
    const reply = handle(msg);
    if (reply) port.postMessage(reply);
  });
}
