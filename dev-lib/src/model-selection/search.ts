/**
 * Hyper-parameter search by cross-validation: scikit-learn's `GridSearchCV` and
 * `RandomizedSearchCV`, with `cvResults_` under its keys and candidates in its order.
 */
import { Table, Utf8, Float64, makeVector, vectorFromArray, type Vector } from "apache-arrow";
import { formatTable, InvalidArgumentError, NotFittedError, tableToHtml, type Report } from "@trellis/shared";
import { BaseEstimator, type Label, type Matrix, type XInput, type YInput } from "@trellis/prod";
import { checkCv, materializeSplits, meanStd, prepareX, prepareY, type CvOption, type FoldOutcome } from "./cv-core";
import { estimatorFor, runTasks, type FoldTask } from "./parallel";
import { parameterGrid, parameterSampler, type ParamDistributions, type ParamGrid } from "./param-grid";
import { resolveScoring, type ResolvedScoring, type ScorerFn, type Scoring } from "./scoring";
import type { LabelInput } from "./splitters";
import { progress, type ProgressOption } from "../progress/progress";
import { ChildRunLogger, type SearchRunOptions } from "../tracking/search-runs";
import type { Tracker } from "../tracking/tracker";

/** What {@link SearchOptions.onCandidate} receives when every split of a candidate is done. */
export interface CandidateReport {
  /** Candidate number, in `cvResults_` order. */
  index: number;
  params: Record<string, unknown>;
  /** Per scorer name ("score" for a single scorer): the test score of each split. */
  testScores: Record<string, number[]>;
  /** Per scorer name, with `returnTrainScore`. */
  trainScores?: Record<string, number[]>;
  /** Mean test score per scorer name. */
  meanTestScore: Record<string, number>;
  fitTimes: number[];
  scoreTimes: number[];
}

/** Options shared by {@link GridSearchCV} and {@link RandomizedSearchCV}. */
export interface SearchOptions {
  /** The estimator (or pipeline) whose parameters are searched; it is cloned, never fitted. */
  estimator: BaseEstimator;
  /** Scorer name, function, list or object (default: the estimator's `score`). */
  scoring?: Scoring;
  /** Folds: a number (StratifiedKFold for classifiers, else KFold) or a splitter. Default 5. */
  cv?: CvOption;
  /**
   * Refit the best candidate on all rows (default true). With several scorers, the name of the
   * scorer that picks the best candidate; false skips the refit.
   */
  refit?: boolean | string;
  /** Worker threads (default 1: this thread; -1: one per core). */
  nJobs?: number;
  /** Also score the training rows (default false). */
  returnTrainScore?: boolean;
  /** Progress display: true/"bar", a callback, or nothing (silent). */
  onProgress?: ProgressOption;
  /** Called once per candidate, in candidate order, when its splits are done — the hook for experiment tracking. */
  onCandidate?: (report: CandidateReport) => void | Promise<void>;
  /**
   * Logs every candidate as a child run of one parent run (started here unless `parentRunId` is
   * given); the ranks and the best candidate are added when the search ends. `trackedRuns_` holds the ids.
   */
  tracker?: Tracker | ({ tracker: Tracker } & SearchRunOptions);
}

/** Options of `fit`. */
export interface SearchFitOptions {
  /** Group ids, one per row, for group splitters. */
  groups?: LabelInput;
}

/**
 * `cvResults_` under scikit-learn's keys: `params`, `param_<name>` (null where a candidate does
 * not set it), `split<k>_test_<scorer>`, `mean_test_<scorer>`, `std_test_<scorer>`,
 * `rank_test_<scorer>` (scorer "score" for a single scorer), train scores when asked,
 * `mean_fit_time`, `std_fit_time`, `mean_score_time`, `std_score_time` (seconds).
 */
export interface CvResults {
  params: Record<string, unknown>[];
  mean_fit_time: Float64Array;
  std_fit_time: Float64Array;
  mean_score_time: Float64Array;
  std_score_time: Float64Array;
  [key: `param_${string}`]: unknown[];
  [key: `split${number}_${string}`]: Float64Array;
  [key: `mean_${string}`]: Float64Array;
  [key: `std_${string}`]: Float64Array;
  [key: `rank_${string}`]: Int32Array;
}

/** scipy's `rankdata(-x, method="min")`, NaN ranked with the worst (as scikit-learn). */
function minRank(means: Float64Array): Int32Array {
  const n = means.length;
  const finite = Array.from(means).filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return new Int32Array(n).fill(1);
  const floor = Math.min(...finite) - 1;
  const v = Float64Array.from(means, (x) => (Number.isNaN(x) ? floor : x));
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 1;
    for (let j = 0; j < n; j++) if (v[j] > v[i]) r++;
    out[i] = r;
  }
  return out;
}

function showValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof BaseEstimator) return v.estimatorName;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/**
 * A search's results as a report: an Arrow table, aligned text and HTML.
 * @example
 * const report = search.report();
 * console.log(report.toString()); // candidates ranked best first
 */
export class SearchReport implements Report {
  readonly table: Table;
  private readonly title: string;

  constructor(table: Table, title: string) {
    this.table = table;
    this.title = title;
  }

  /**
   * Aligned text, best candidates first.
   * @example console.log(search.report().toString())
   */
  toString(): string {
    return formatTable(this.table, { title: this.title });
  }

  /**
   * Self-contained HTML.
   * @example display.html(search.report().toHTML())
   */
  toHTML(): string {
    return tableToHtml(this.table, { title: this.title });
  }
}

/**
 * The common machinery of the searches. Not exported: use {@link GridSearchCV} or
 * {@link RandomizedSearchCV}.
 */
abstract class BaseSearchCV {
  readonly options: SearchOptions;
  private results: CvResults | null = null;
  private best: { index: number; score: number; params: Record<string, unknown> } | null = null;
  private bestEst: BaseEstimator | null = null;
  private refitSeconds = NaN;
  private tracked: { parentRunId: string; childRunIds: string[] } | null = null;
  private scoringResolved: ResolvedScoring | null = null;
  private splitsCount = 0;

  constructor(options: SearchOptions) {
    if (!options || !(options.estimator instanceof BaseEstimator)) {
      throw new InvalidArgumentError(`${new.target.name}: options.estimator must be a Trellis estimator or pipeline.`);
    }
    this.options = { ...options };
  }

  /** The candidates to evaluate, in order. */
  protected abstract candidates(): Record<string, unknown>[];

  /** The search's name in messages. */
  protected abstract get name(): string;

  private refitMetric(scoring: ResolvedScoring): string | null {
    const refit = this.options.refit ?? true;
    if (scoring.multi) {
      if (refit === false) return null;
      if (typeof refit !== "string" || !scoring.names.includes(refit)) {
        throw new InvalidArgumentError(
          `${this.name}: with several scorers, refit must name the one that picks the best candidate (one of ${scoring.names.join(", ")}) or be false; got ${JSON.stringify(refit)}.`,
        );
      }
      return refit;
    }
    if (typeof refit === "string" && refit !== "score") {
      throw new InvalidArgumentError(`${this.name}: refit ${JSON.stringify(refit)} names no scorer; with one scorer pass true or false.`);
    }
    return "score";
  }

  /**
   * Evaluates every candidate on every split, fills `cvResults_` and, unless `refit` is false,
   * refits the best candidate on all rows. Asynchronous because splits may run in worker threads.
   * @example await new GridSearchCV({ estimator, paramGrid: { C: [0.1, 1, 10] } }).fit(X, y)
   */
  async fit(X: XInput, y?: YInput, fitOptions: SearchFitOptions = {}): Promise<this> {
    const o = this.options;
    this.results = null;
    this.best = null;
    this.bestEst = null;
    const candidates = this.candidates();
    for (const c of candidates) estimatorFor(o.estimator, c); // refuses unknown parameter names before any work
    const data = prepareX(X, this.name);
    const yy = prepareY(y, data.rows, this.name);
    const scoring = resolveScoring(o.scoring);
    const refitName = this.refitMetric(scoring);
    const cv = checkCv(o.cv, o.estimator, yy);
    const splits = materializeSplits(cv, X, data.rows, yy, fitOptions.groups);
    const nSplits = splits.length;
    const returnTrain = o.returnTrainScore ?? false;
    const tasks: FoldTask[] = [];
    candidates.forEach((params, c) => splits.forEach((_, s) => tasks.push({ index: c * nSplits + s, params, split: s })));
    const bar = progress(o.onProgress, { total: tasks.length, unit: "fits", label: `${this.name} (${candidates.length} candidates × ${nSplits} splits)` });
    const logger = o.tracker
      ? "tracker" in o.tracker && typeof (o.tracker as { tracker?: unknown }).tracker === "object"
        ? (() => {
            const { tracker, ...runOptions } = o.tracker as { tracker: Tracker } & SearchRunOptions;
            return new ChildRunLogger(tracker, { name: this.name, ...runOptions });
          })()
        : new ChildRunLogger(o.tracker as Tracker, { name: this.name })
      : null;
    this.tracked = null;
    const remaining = new Int32Array(candidates.length).fill(nSplits);
    const outcomes: FoldOutcome[] = new Array(tasks.length);
    let nextCandidate = 0;
    const report = async () => {
      while (nextCandidate < candidates.length && remaining[nextCandidate] === 0) {
        const c = nextCandidate++;
        if (!o.onCandidate && !logger) continue;
        const own = outcomes.slice(c * nSplits, (c + 1) * nSplits);
        const pick = (k: number, side: "test" | "train") => own.map((f) => (f[side] as number[])[k]);
        const testScores: Record<string, number[]> = {};
        const meanTestScore: Record<string, number> = {};
        const trainScores: Record<string, number[]> = {};
        scoring.names.forEach((name, k) => {
          testScores[name] = pick(k, "test");
          meanTestScore[name] = meanStd(testScores[name]).mean;
          if (returnTrain) trainScores[name] = pick(k, "train");
        });
        const candidate: CandidateReport = {
          index: c,
          params: candidates[c],
          testScores,
          ...(returnTrain ? { trainScores } : {}),
          meanTestScore,
          fitTimes: own.map((f) => f.fitTime),
          scoreTimes: own.map((f) => f.scoreTime),
        };
        if (logger) await logger.onCandidate(candidate);
        if (o.onCandidate) await o.onCandidate(candidate);
      }
    };
    await runTasks({ estimator: o.estimator, X: data, y: yy, splits, scoring, returnTrain, returnEstimator: false }, tasks, o.nJobs, async (task, outcome) => {
      outcomes[task.index] = outcome;
      remaining[Math.floor(task.index / nSplits)]--;
      bar.tick();
      await report();
    });
    bar.done();
    this.results = this.summarise(candidates, outcomes, nSplits, scoring, returnTrain);
    this.scoringResolved = scoring;
    this.splitsCount = nSplits;
    if (refitName !== null) {
      const rank = this.results[`rank_test_${refitName}`];
      let index = 0;
      for (let i = 1; i < rank.length; i++) if (rank[i] < rank[index]) index = i;
      this.best = { index, score: this.results[`mean_test_${refitName}`][index], params: candidates[index] };
      if (o.refit !== false) {
        const est = estimatorFor(o.estimator, candidates[index]);
        const t0 = performance.now();
        est.fit(X, y);
        this.refitSeconds = (performance.now() - t0) / 1000;
        this.bestEst = est;
      }
    }
    if (logger) this.tracked = await logger.finish(this);
    return this;
  }

  /**
   * The runs a search with `tracker` logged: the parent run and one child run per candidate, in
   * `cvResults_` order; null when the search was not tracked.
   */
  get trackedRuns_(): { parentRunId: string; childRunIds: string[] } | null {
    return this.tracked;
  }

  private summarise(candidates: Record<string, unknown>[], outcomes: FoldOutcome[], nSplits: number, scoring: ResolvedScoring, returnTrain: boolean): CvResults {
    const nC = candidates.length;
    const stats = (get: (f: FoldOutcome) => number) => {
      const mean = new Float64Array(nC);
      const std = new Float64Array(nC);
      const splits = Array.from({ length: nSplits }, () => new Float64Array(nC));
      for (let c = 0; c < nC; c++) {
        const row = new Float64Array(nSplits);
        for (let s = 0; s < nSplits; s++) row[s] = splits[s][c] = get(outcomes[c * nSplits + s]);
        ({ mean: mean[c], std: std[c] } = meanStd(row));
      }
      return { mean, std, splits };
    };
    const fit = stats((f) => f.fitTime);
    const score = stats((f) => f.scoreTime);
    const out = {
      mean_fit_time: fit.mean,
      std_fit_time: fit.std,
      mean_score_time: score.mean,
      std_score_time: score.std,
    } as CvResults;
    const names = [...new Set(candidates.flatMap((c) => Object.keys(c)))].sort();
    for (const name of names) out[`param_${name}`] = candidates.map((c) => (name in c ? c[name] : null));
    out.params = candidates;
    scoring.names.forEach((name, k) => {
      for (const side of returnTrain ? (["test", "train"] as const) : (["test"] as const)) {
        const st = stats((f) => (f[side] as number[])[k]);
        st.splits.forEach((arr, s) => (out[`split${s}_${side}_${name}`] = arr));
        out[`mean_${side}_${name}`] = st.mean;
        out[`std_${side}_${name}`] = st.std;
        if (side === "test") out[`rank_test_${name}`] = minRank(st.mean);
      }
    });
    return out;
  }

  /** Results per candidate (see {@link CvResults}); throws before fit. */
  get cvResults_(): CvResults {
    if (!this.results) throw new NotFittedError(this.name, `${this.name} is not fitted yet: call await fit(X, y) before reading cvResults_.`);
    return this.results;
  }

  private get bestOrThrow() {
    if (!this.best) {
      if (!this.results) throw new NotFittedError(this.name, `${this.name} is not fitted yet: call await fit(X, y) first.`);
      throw new InvalidArgumentError(`${this.name}: no best candidate with several scorers and refit: false; pass refit: "<scorer name>".`);
    }
    return this.best;
  }

  /** Position of the best candidate in `cvResults_` (lowest rank, first on ties). */
  get bestIndex_(): number {
    return this.bestOrThrow.index;
  }

  /** Mean test score of the best candidate. */
  get bestScore_(): number {
    return this.bestOrThrow.score;
  }

  /** Parameters of the best candidate. */
  get bestParams_(): Record<string, unknown> {
    return this.bestOrThrow.params;
  }

  /** The best candidate refitted on all rows (needs `refit`). */
  get bestEstimator_(): BaseEstimator {
    if (!this.bestEst) {
      this.bestOrThrow;
      throw new InvalidArgumentError(`${this.name}: refit is false, so there is no bestEstimator_; pass refit: true.`);
    }
    return this.bestEst;
  }

  /** Seconds taken by the refit on all rows. */
  get refitTime_(): number {
    this.bestEstimator_;
    return this.refitSeconds;
  }

  /** Number of splits each candidate was evaluated on. */
  get nSplits_(): number {
    this.cvResults_;
    return this.splitsCount;
  }

  /**
   * Predictions of the refitted best estimator.
   * @example search.predict(XTest)
   */
  predict(X: XInput): Label[] | Float64Array {
    const est = this.bestEstimator_ as unknown as { predict?: (X: XInput) => Label[] | Float64Array };
    if (typeof est.predict !== "function") throw new InvalidArgumentError(`${this.name}: the best estimator has no predict.`);
    return est.predict(X);
  }

  /**
   * Class probabilities of the refitted best estimator.
   * @example search.predictProba(XTest)
   */
  predictProba(X: XInput): Matrix {
    const est = this.bestEstimator_ as unknown as { predictProba?: (X: XInput) => Matrix };
    if (typeof est.predictProba !== "function") throw new InvalidArgumentError(`${this.name}: the best estimator has no predictProba.`);
    return est.predictProba(X);
  }

  /**
   * The score of the refitted best estimator on (X, y) with the scorer that chose it, as scikit-learn.
   * @example search.score(XTest, yTest)
   */
  score(X: XInput, y: YInput): number {
    const est = this.bestEstimator_;
    const scoring = this.scoringResolved as ResolvedScoring;
    const refit = scoring.multi ? (this.options.refit as string) : "score";
    const fn: ScorerFn = scoring.fns[scoring.names.indexOf(refit)];
    return fn(est, X, y);
  }

  /**
   * `cvResults_` as an Arrow table, one row per candidate in candidate order: the parameters (as
   * numbers where every value is a number, else as text), then the test (and train) summaries,
   * the split scores and the times.
   * @example search.cvResultsTable().numRows // number of candidates
   */
  cvResultsTable(): Table {
    const r = this.cvResults_;
    const cols: Record<string, Vector> = {};
    for (const key of Object.keys(r)) {
      if (!key.startsWith("param_")) continue;
      const values = r[key as `param_${string}`];
      cols[key] = values.every((v) => v === null || typeof v === "number")
        ? vectorFromArray(values as (number | null)[], new Float64())
        : vectorFromArray(values.map((v) => (v === null ? null : showValue(v))), new Utf8());
    }
    const order = ["rank_", "mean_test_", "std_test_", "mean_train_", "std_train_", "split", "mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"];
    const keys = Object.keys(r).filter((k) => k !== "params" && !k.startsWith("param_"));
    const placed = new Set<string>();
    for (const prefix of order) {
      for (const key of keys) {
        if (placed.has(key) || !key.startsWith(prefix)) continue;
        placed.add(key);
        const v = (r as unknown as Record<string, Float64Array | Int32Array>)[key];
        cols[key] = v instanceof Int32Array ? makeVector(v) : makeVector(v as Float64Array);
      }
    }
    return new Table(cols);
  }

  /**
   * The results as a report (best candidates first): `toString()` prints an aligned table,
   * `toHTML()` a self-contained HTML table, `table` holds the data.
   * @example console.log(search.report().toString())
   */
  report(): SearchReport {
    const table = this.cvResultsTable();
    const scoring = this.scoringResolved as ResolvedScoring;
    const key = scoring.multi && typeof this.options.refit === "string" ? this.options.refit : scoring.names[0];
    const rank = this.cvResults_[`rank_test_${key}`];
    const order = Array.from(rank.keys()).sort((a, b) => rank[a] - rank[b] || a - b);
    const keep = table.schema.fields.map((f) => f.name).filter((n) => !/^split\d+_/.test(n));
    const cols: Record<string, Vector> = {};
    for (const name of keep) {
      const col = table.getChild(name) as Vector;
      const values = order.map((i) => col.get(i));
      cols[name] = vectorFromArray(values, col.type);
    }
    return new SearchReport(new Table(cols), `${this.name}: ${order.length} candidates × ${this.splitsCount} splits, ranked by ${key}`);
  }
}

/** Options of {@link GridSearchCV}. */
export interface GridSearchOptions extends SearchOptions {
  /** Values per parameter (`step__param` names reach nested estimators), or a list of such grids. */
  paramGrid: ParamGrid;
}

/**
 * Exhaustive search over a parameter grid (scikit-learn's `GridSearchCV`), candidates in
 * `ParameterGrid` order, so `cvResults_` lines up with scikit-learn's row for row.
 * @example
 * const search = new GridSearchCV({
 *   estimator: makePipeline(new StandardScaler(), new LogisticRegression()),
 *   paramGrid: { logisticregression__C: [0.01, 0.1, 1, 10] },
 *   scoring: "roc_auc", cv: 5,
 * });
 * await search.fit(X, y);
 * search.bestParams_; // { logisticregression__C: 1 }
 */
export class GridSearchCV extends BaseSearchCV {
  constructor(options: GridSearchOptions) {
    super(options);
    parameterGrid(options.paramGrid);
  }

  protected get name(): string {
    return "GridSearchCV";
  }

  protected candidates(): Record<string, unknown>[] {
    return parameterGrid((this.options as GridSearchOptions).paramGrid);
  }
}

/** Options of {@link RandomizedSearchCV}. */
export interface RandomizedSearchOptions extends SearchOptions {
  /** Lists (sampled uniformly) or distributions (`uniform`, `loguniform`, `randint`, or any `{ rvs(rng) }`). */
  paramDistributions: ParamDistributions;
  /** Number of candidates (default 10). */
  nIter?: number;
  /** Seed of the draws; the same seed as scikit-learn's `random_state` draws the same candidates (default 0). */
  randomState?: number;
}

/**
 * Search over `nIter` sampled candidates (scikit-learn's `RandomizedSearchCV`), drawn with numpy's
 * legacy generator so an integer seed gives scikit-learn's candidates.
 * @example
 * const search = new RandomizedSearchCV({
 *   estimator: new LogisticRegression(),
 *   paramDistributions: { C: loguniform(1e-3, 1e2) },
 *   nIter: 20, randomState: 0, scoring: "neg_log_loss",
 * });
 * await search.fit(X, y);
 */
export class RandomizedSearchCV extends BaseSearchCV {
  constructor(options: RandomizedSearchOptions) {
    super(options);
    parameterSampler(options.paramDistributions, options.nIter ?? 10, options.randomState ?? 0);
  }

  protected get name(): string {
    return "RandomizedSearchCV";
  }

  protected candidates(): Record<string, unknown>[] {
    const o = this.options as RandomizedSearchOptions;
    return parameterSampler(o.paramDistributions, o.nIter ?? 10, o.randomState ?? 0);
  }
}
