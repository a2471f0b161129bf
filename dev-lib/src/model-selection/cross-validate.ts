/**
 * scikit-learn's `cross_validate` and `cross_val_score`.
 */
import { InvalidArgumentError } from "@trellis/shared";
import type { BaseEstimator, XInput, YInput } from "@trellis/prod";
import { checkCv, materializeSplits, prepareX, prepareY, type CvOption, type FoldOutcome } from "./cv-core";
import { runTasks, type FoldTask } from "./parallel";
import { resolveScoring, type Scoring } from "./scoring";
import type { LabelInput } from "./splitters";
import { progress, type ProgressOption } from "../progress/progress";
import { logCrossValidation, type CrossValidationLike } from "../tracking/search-runs";
import type { Tracker } from "../tracking/tracker";

/** What {@link CrossValidateOptions.onSplit} receives as each split finishes. */
export interface SplitReport {
  /** Split number (0-based). */
  split: number;
  fitTime: number;
  scoreTime: number;
  /** Test score per scorer name ("score" for a single scorer). */
  test: Record<string, number>;
  /** Train score per scorer name, with `returnTrainScore`. */
  train?: Record<string, number>;
}

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  /** Folds: a number (StratifiedKFold for classifiers, else KFold — scikit-learn's rule) or a splitter. Default 5. */
  cv?: CvOption;
  /** Scorer name, function, list or object (default: the estimator's `score`). */
  scoring?: Scoring;
  /** Group ids, one per row, for group splitters. */
  groups?: LabelInput;
  /** Also score the training rows (default false). */
  returnTrainScore?: boolean;
  /** Keep the estimator fitted on each split (default false). */
  returnEstimator?: boolean;
  /** Worker threads (default 1: this thread; -1: one per core). */
  nJobs?: number;
  /** Progress display: true/"bar", a callback, or nothing (silent). */
  onProgress?: ProgressOption;
  /** Called as each split finishes, in split order — the hook for experiment tracking. */
  onSplit?: (report: SplitReport) => void | Promise<void>;
  /**
   * Logs the cross-validation as one run (each scorer's split scores as steps 0, 1, …; their means
   * as metrics; the estimator's parameters as params), optionally as a child of `parentRunId`.
   */
  tracker?: Tracker | ({ tracker: Tracker } & Parameters<typeof logCrossValidation>[2]);
}

/**
 * The result of {@link crossValidate}: one value per split under scikit-learn's keys —
 * `fitTime`, `scoreTime` (seconds), `test_score` for one scorer or `test_<name>` for several,
 * `train_…` with `returnTrainScore`, `estimator` with `returnEstimator`.
 */
export interface CrossValidateResult {
  fitTime: Float64Array;
  scoreTime: Float64Array;
  estimator?: BaseEstimator[];
  [key: `test_${string}`]: Float64Array;
  [key: `train_${string}`]: Float64Array;
}

function byName(names: string[], values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((n, k) => (out[n] = values[k]));
  return out;
}

/**
 * Evaluates an estimator by cross-validation, as scikit-learn's `cross_validate`: for each split a
 * clone is fitted on the train rows and scored on the test rows. X may be a Matrix, an Arrow
 * table or row objects (converted once).
 * @example
 * const r = await crossValidate(makePipeline(new StandardScaler(), new LogisticRegression()), X, y, { cv: 5, scoring: ["accuracy", "roc_auc"] });
 * r.test_roc_auc; // Float64Array of 5 scores
 */
export async function crossValidate(estimator: BaseEstimator, X: XInput, y?: YInput, options: CrossValidateOptions = {}): Promise<CrossValidateResult> {
  if (!estimator || typeof (estimator as { fit?: unknown }).fit !== "function") {
    throw new InvalidArgumentError("crossValidate: the first argument must be an estimator (with fit).");
  }
  const data = prepareX(X, "crossValidate");
  const yy = prepareY(y, data.rows, "crossValidate");
  const scoring = resolveScoring(options.scoring);
  const cv = checkCv(options.cv, estimator, yy);
  const splits = materializeSplits(cv, X, data.rows, yy, options.groups);
  const returnTrain = options.returnTrainScore ?? false;
  const tasks: FoldTask[] = splits.map((_, k) => ({ index: k, params: null, split: k }));
  const bar = progress(options.onProgress, { total: tasks.length, unit: "fits", label: "crossValidate" });
  // Reports go out in split order even when workers finish out of order.
  const finished = new Map<number, FoldOutcome>();
  let next = 0;
  const outcomes = await runTasks(
    { estimator, X: data, y: yy, splits, scoring, returnTrain, returnEstimator: options.returnEstimator ?? false },
    tasks,
    options.nJobs,
    async (task, outcome) => {
      bar.tick();
      finished.set(task.split, outcome);
      while (finished.has(next)) {
        const o = finished.get(next) as FoldOutcome;
        finished.delete(next);
        if (options.onSplit) {
          await options.onSplit({
            split: next,
            fitTime: o.fitTime,
            scoreTime: o.scoreTime,
            test: byName(scoring.names, o.test),
            ...(o.train ? { train: byName(scoring.names, o.train) } : {}),
          });
        }
        next++;
      }
    },
  );
  bar.done();
  const result: CrossValidateResult = {
    fitTime: Float64Array.from(outcomes, (o) => o.fitTime),
    scoreTime: Float64Array.from(outcomes, (o) => o.scoreTime),
  };
  scoring.names.forEach((name, k) => {
    result[`test_${name}`] = Float64Array.from(outcomes, (o) => o.test[k]);
    if (returnTrain) result[`train_${name}`] = Float64Array.from(outcomes, (o) => (o.train as number[])[k]);
  });
  if (options.returnEstimator) result.estimator = outcomes.map((o) => o.estimator as BaseEstimator);
  if (options.tracker) {
    const t = options.tracker as { tracker?: unknown };
    const { tracker, ...runOptions } =
      typeof t.tracker === "object" && t.tracker !== null ? (options.tracker as { tracker: Tracker }) : { tracker: options.tracker as Tracker };
    // Plain parameter values only (nested `step__param` names included); estimator objects are not params.
    const params = Object.fromEntries(
      Object.entries(estimator.getParams()).filter(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v)),
    );
    await logCrossValidation(tracker, result as unknown as CrossValidationLike, { name: "crossValidate", params, ...runOptions });
  }
  return result;
}

/** Options of {@link crossValScore}: those of {@link crossValidate} with one scorer. */
export type CrossValScoreOptions = Omit<CrossValidateOptions, "scoring" | "returnTrainScore" | "returnEstimator"> & {
  scoring?: Exclude<Scoring, readonly unknown[] | Readonly<Record<string, unknown>>>;
};

/**
 * The test score of each split, as scikit-learn's `cross_val_score`.
 * @example
 * const scores = await crossValScore(new LogisticRegression(), X, y, { cv: 5, scoring: "roc_auc" }); // Float64Array(5)
 */
export async function crossValScore(estimator: BaseEstimator, X: XInput, y?: YInput, options: CrossValScoreOptions = {}): Promise<Float64Array> {
  if (options.scoring !== undefined && typeof options.scoring !== "string" && typeof options.scoring !== "function") {
    throw new InvalidArgumentError("crossValScore takes one scorer (a name or a function); use crossValidate for several.");
  }
  const r = await crossValidate(estimator, X, y, { ...options, scoring: options.scoring });
  return r.test_score;
}
