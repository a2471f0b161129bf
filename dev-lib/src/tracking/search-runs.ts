/**
 * Hyper-parameter searches and cross-validation as runs: each candidate of a search becomes a
 * child run of one parent run (its params and scores under scikit-learn's `cv_results_` names, as
 * MLflow's autologging does), and a cross-validation becomes one run with a score per fold.
 *
 * Two ways in: {@link ChildRunLogger} receives each candidate while the search runs (pass
 * `logger.onCandidate` as the search's `onCandidate` hook), and {@link logSearchCandidates} logs a
 * fitted search afterwards from its `cvResults_`. Both only need the shapes below, so any search
 * keyed like scikit-learn's works.
 */
import { InvalidArgumentError } from "@trellis/shared";
import type { ActiveRun, Tracker } from "./tracker";

/** One finished candidate, as a search's `onCandidate` hook reports it. */
export interface CandidateResult {
  /** Candidate number, in `cvResults_` order. */
  index: number;
  params: Record<string, unknown>;
  /** Per scorer name ("score" for a single scorer): the test score of each split. */
  testScores: Record<string, readonly number[]>;
  /** Per scorer name, when train scores were computed. */
  trainScores?: Record<string, readonly number[]>;
  fitTimes: readonly number[];
  scoreTimes: readonly number[];
}

/** A fitted search: `cvResults_` keyed as scikit-learn's, and optionally its best candidate. */
export interface FittedSearchLike {
  /** `params` plus scikit-learn's numeric columns (`mean_test_score`, `rank_test_score`, `split0_test_score`, …). */
  readonly cvResults_: { readonly params: readonly Record<string, unknown>[] };
  readonly bestIndex_?: number;
  readonly bestScore_?: number;
  readonly bestParams_?: Record<string, unknown>;
}

/** Options of {@link ChildRunLogger} and {@link logSearchCandidates}. */
export interface SearchRunOptions {
  /** The parent run; without it a parent run is started (and ended by `finish`). */
  parentRunId?: string;
  /** Experiment of a new parent run (default `"Default"`); child runs go to the parent's experiment. */
  experiment?: string;
  /** Name of a new parent run (default: the search's class name, or `"search"`). */
  name?: string;
  /** Tags set on every child run. */
  tags?: Record<string, string>;
}

/**
 * A search parameter as text: estimators by class name, other objects as JSON.
 * @example paramToText(new LogisticRegression()); // "LogisticRegression"
 */
export function paramToText(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  const named = value as { estimatorName?: unknown; getParams?: unknown; constructor?: { name?: string } };
  if (typeof named.estimatorName === "string") return named.estimatorName;
  if (typeof named.getParams === "function" && named.constructor?.name) return named.constructor.name;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** numpy's mean and population standard deviation. */
function meanStd(values: readonly number[]): [number, number] {
  const n = values.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
  return [mean, Math.sqrt(variance)];
}

/** scikit-learn's per-candidate metrics for one candidate, from its split scores and times. */
function candidateMetrics(c: CandidateResult): Record<string, number> {
  const out: Record<string, number> = {};
  const scores = (kind: "test" | "train", byScorer: Record<string, readonly number[]>) => {
    for (const [scorer, values] of Object.entries(byScorer)) {
      values.forEach((v, k) => (out[`split${k}_${kind}_${scorer}`] = v));
      [out[`mean_${kind}_${scorer}`], out[`std_${kind}_${scorer}`]] = meanStd(values);
    }
  };
  scores("test", c.testScores);
  if (c.trainScores) scores("train", c.trainScores);
  [out.mean_fit_time, out.std_fit_time] = meanStd(c.fitTimes);
  [out.mean_score_time, out.std_score_time] = meanStd(c.scoreTimes);
  return out;
}

function paramsText(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramToText(v)]));
}

/**
 * Logs each candidate of a running search as a child run of one parent run. Pass
 * `logger.onCandidate` as the search's `onCandidate` option; after `fit`, `finish(search)` adds the
 * ranks and the best candidate (and ends a parent run it started).
 * @example
 * const logger = new ChildRunLogger(tracker, { experiment: "churn" });
 * const search = new GridSearchCV({ estimator: pipe, paramGrid: { clf__C: [0.1, 1, 10] }, onCandidate: logger.onCandidate });
 * await search.fit(X, y);
 * const { parentRunId, childRunIds } = await logger.finish(search);
 */
export class ChildRunLogger {
  private parent: Promise<ParentRun> | null = null;
  private readonly children = new Map<number, string>();
  private finished = false;

  constructor(
    private readonly tracker: Tracker,
    private readonly options: SearchRunOptions = {},
  ) {
    if (options.parentRunId !== undefined && typeof options.parentRunId !== "string") {
      throw new InvalidArgumentError(`ChildRunLogger: parentRunId must be a run id string, got ${typeof options.parentRunId}.`);
    }
  }

  /** The parent run, started on first use when no `parentRunId` was given. */
  private parentRun(name?: string): Promise<ParentRun> {
    if (!this.parent) this.parent = openParent(this.tracker, this.options, name);
    return this.parent;
  }

  /** Logs one candidate as a child run (bound: pass it as a callback). */
  readonly onCandidate = async (candidate: CandidateResult): Promise<void> => {
    if (this.finished) throw new InvalidArgumentError("ChildRunLogger: finish() was already called; use a new logger for another search.");
    if (!candidate || !Number.isInteger(candidate.index) || typeof candidate.params !== "object") {
      throw new InvalidArgumentError("ChildRunLogger.onCandidate: expected { index, params, testScores, fitTimes, scoreTimes }.");
    }
    const parent = await this.parentRun();
    const id = await this.tracker.run(
      {
        experiment: parent.experiment,
        name: `candidate ${candidate.index}`,
        parentRunId: parent.id,
        tags: { ...this.options.tags, "trellis.search.candidate": String(candidate.index) },
      },
      async (run) => {
        await run.logParams(paramsText(candidate.params));
        await run.logMetrics(candidateMetrics(candidate));
        return run.id;
      },
    );
    this.children.set(candidate.index, id);
  };

  /**
   * After `fit`: logs each child's `rank_test_<scorer>` from the search's `cvResults_`, tags the
   * parent with the best candidate (`bestParams_` as params, `bestScore_` as metric
   * `best_cv_score`) and ends a parent run this logger started. Returns the run ids.
   * @example const { parentRunId, childRunIds } = await logger.finish(search);
   */
  async finish(search?: FittedSearchLike): Promise<{ parentRunId: string; childRunIds: string[] }> {
    this.finished = true;
    const parent = await this.parentRun(search ? searchName(search) : undefined);
    const childRunIds = [...this.children.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id);
    if (search) {
      const results = search.cvResults_ as unknown as Readonly<Record<string, unknown>>;
      const ranks = Object.keys(results).filter((k) => k.startsWith("rank_"));
      for (const [index, id] of this.children) {
        const metrics: Record<string, number> = {};
        for (const k of ranks) metrics[k] = Number((results[k] as ArrayLike<number>)[index]);
        if (ranks.length) {
          const run = await this.tracker.resumeRun(id);
          await run.logMetrics(metrics);
          await run.end();
        }
      }
      await logBest(this.tracker, parent, search, this.children);
    }
    if (parent.run && !parent.run.isEnded) await parent.run.end();
    return { parentRunId: parent.id, childRunIds };
  }
}

/** The parent of a search's child runs: given (run null: not ours to end) or started here. */
interface ParentRun {
  run: ActiveRun | null;
  id: string;
  experiment: string;
}

async function openParent(tracker: Tracker, opts: SearchRunOptions, name?: string): Promise<ParentRun> {
  const given = opts.parentRunId;
  if (given !== undefined) return { run: null, id: given, experiment: (await tracker.getRun(given)).info.experiment };
  const run = await tracker.startRun({ experiment: opts.experiment, name: opts.name ?? name ?? "search", tags: { "trellis.search": "parent" } });
  return { run, id: run.id, experiment: run.experiment };
}

function searchName(search: object): string {
  const name = (search as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? name : "search";
}

async function logBest(
  tracker: Tracker,
  parent: ParentRun,
  search: FittedSearchLike,
  children: ReadonlyMap<number, string>,
): Promise<void> {
  let best: number | undefined;
  try {
    best = search.bestIndex_;
  } catch {
    best = undefined; // a search without a single best (e.g. refit: false with several scorers)
  }
  if (best === undefined || !Number.isInteger(best)) return;
  // A parent given by the caller keeps its state: a running one stays running, an ended one is
  // reopened for these writes and ended again with its status.
  const before = parent.run && !parent.run.isEnded ? null : (await tracker.getRun(parent.id)).info.status;
  const run = before === null ? parent.run! : await tracker.resumeRun(parent.id);
  const params = search.bestParams_ ?? search.cvResults_.params[best];
  await run.logParams(paramsText(params));
  if (typeof search.bestScore_ === "number") await run.logMetric("best_cv_score", search.bestScore_);
  const tags: Record<string, string> = { "trellis.search.best_candidate": String(best) };
  const child = children.get(best);
  if (child) tags["trellis.search.best_run_id"] = child;
  await run.setTags(tags);
  if (before !== null && before !== "RUNNING") await run.end(before);
}

/**
 * Logs a fitted search afterwards: one child run per candidate of `cvResults_` (params, and every
 * numeric column under scikit-learn's names: `mean_test_score`, `std_test_score`,
 * `rank_test_score`, `split<k>_test_score`, `mean_fit_time`, …) under a parent run (given, or
 * started and ended here, named after the search), and the best candidate on the parent.
 * @example
 * await search.fit(X, y);
 * const { parentRunId, childRunIds } = await logSearchCandidates(tracker, search, { experiment: "churn" });
 */
export async function logSearchCandidates(tracker: Tracker, search: FittedSearchLike, opts: SearchRunOptions = {}): Promise<{ parentRunId: string; childRunIds: string[] }> {
  const results = search?.cvResults_ as (FittedSearchLike["cvResults_"] & Readonly<Record<string, unknown>>) | undefined;
  if (!results || !Array.isArray(results.params)) {
    throw new InvalidArgumentError("logSearchCandidates: expected a fitted search with cvResults_ (call await search.fit(X, y) first).");
  }
  const numeric = Object.keys(results).filter((k) => k !== "params" && !k.startsWith("param_") && isNumbers(results[k], results.params.length));
  const parent = await openParent(tracker, opts, searchName(search));
  const children = new Map<number, string>();
  for (let i = 0; i < results.params.length; i++) {
    const id = await tracker.run(
      { experiment: parent.experiment, name: `candidate ${i}`, parentRunId: parent.id, tags: { ...opts.tags, "trellis.search.candidate": String(i) } },
      async (run) => {
        await run.logParams(paramsText(results.params[i]));
        const metrics: Record<string, number> = {};
        for (const k of numeric) metrics[k] = Number((results[k] as ArrayLike<number>)[i]);
        await run.logMetrics(metrics);
        return run.id;
      },
    );
    children.set(i, id);
  }
  await logBest(tracker, parent, search, children);
  if (parent.run && !parent.run.isEnded) await parent.run.end();
  return { parentRunId: parent.id, childRunIds: [...children.values()] };
}

function isNumbers(value: unknown, length: number): boolean {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return (value as unknown as ArrayLike<unknown>).length === length && typeof (value as unknown as ArrayLike<unknown>)[0] !== "bigint";
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === "number");
}

/** The shape of a `crossValidate` result: `fitTime`, `scoreTime`, and `test_<scorer>` / `train_<scorer>` per split. */
export interface CrossValidationLike {
  readonly fitTime: ArrayLike<number>;
  readonly scoreTime: ArrayLike<number>;
  readonly [key: `test_${string}`]: ArrayLike<number>;
  readonly [key: `train_${string}`]: ArrayLike<number>;
}

/**
 * Logs a cross-validation as one run: each `test_<scorer>` / `train_<scorer>` score at step k for
 * split k, their `mean_…` and `std_…`, the mean fit and score times, and the estimator's params
 * when given.
 * @example
 * const cv = await crossValidate(pipe, X, y, { cv: 5, scoring: ["roc_auc"] });
 * const runId = await logCrossValidation(tracker, cv, { experiment: "churn", params: pipe.getParams() });
 */
export async function logCrossValidation(
  tracker: Tracker,
  result: CrossValidationLike,
  opts: { experiment?: string; name?: string; parentRunId?: string; params?: Record<string, unknown>; tags?: Record<string, string> } = {},
): Promise<string> {
  if (!result || typeof result !== "object" || !result.fitTime || !result.scoreTime) {
    throw new InvalidArgumentError("logCrossValidation: expected a crossValidate result ({ fitTime, scoreTime, test_<scorer> … }).");
  }
  const columns = result as unknown as Readonly<Record<string, unknown>>;
  const scoreKeys = Object.keys(result).filter((k) => (k.startsWith("test_") || k.startsWith("train_")) && isNumbers(columns[k], result.fitTime.length));
  return tracker.run({ experiment: opts.experiment, name: opts.name ?? "cross-validation", parentRunId: opts.parentRunId, tags: opts.tags }, async (run) => {
    if (opts.params) await run.logParams(paramsText(opts.params));
    const n = result.fitTime.length;
    for (let k = 0; k < n; k++) {
      const perSplit: Record<string, number> = {};
      for (const key of scoreKeys) perSplit[key] = Number((columns[key] as ArrayLike<number>)[k]);
      await run.logMetrics(perSplit, { step: k });
    }
    const summary: Record<string, number> = {};
    for (const key of scoreKeys) [summary[`mean_${key}`], summary[`std_${key}`]] = meanStd(Array.from(columns[key] as ArrayLike<number>));
    [summary.mean_fit_time] = meanStd(Array.from(result.fitTime));
    [summary.mean_score_time] = meanStd(Array.from(result.scoreTime));
    await run.logMetrics(summary);
    return run.id;
  });
}
