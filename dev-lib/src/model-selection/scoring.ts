/**
 * Scorers by scikit-learn's names and signs (greater is better: losses are negated), built on
 * @trellis/prod's metrics.
 */
import { InvalidArgumentError } from "@trellis/shared";
import {
  Pipeline,
  accuracyScore,
  f1Score,
  isClassifier,
  logLoss,
  meanAbsoluteError,
  meanSquaredError,
  precisionScore,
  r2Score,
  recallScore,
  rocAucScore,
  type BaseEstimator,
  type Label,
  type Matrix,
  type XInput,
  type YInput,
} from "@trellis/prod";

/** A scorer: greater is better. */
export type ScorerFn = (estimator: BaseEstimator, X: XInput, y: YInput) => number;

/** The scorer names understood everywhere (as in scikit-learn). */
export type ScorerName =
  | "accuracy"
  | "roc_auc"
  | "neg_log_loss"
  | "f1"
  | "precision"
  | "recall"
  | "r2"
  | "neg_mean_squared_error"
  | "neg_mean_absolute_error";

/**
 * What `scoring` accepts: nothing (the estimator's own `score`), one name or function (results
 * keyed `test_score`), or several as a list of names or an object of names/functions (results
 * keyed `test_<name>`), as in scikit-learn.
 */
export type Scoring = ScorerName | ScorerFn | readonly ScorerName[] | Readonly<Record<string, ScorerName | ScorerFn>>;

interface Predictor {
  predict(X: XInput): Label[] | Float64Array;
}
interface ProbaPredictor {
  predictProba(X: XInput): Matrix;
  readonly classes_: Label[];
}

function predictOf(est: BaseEstimator, name: string): Predictor {
  if (typeof (est as unknown as Partial<Predictor>).predict !== "function") {
    throw new InvalidArgumentError(`scorer "${name}": ${est.estimatorName} has no predict method.`);
  }
  return est as unknown as Predictor;
}

function probaOf(est: BaseEstimator, name: string): ProbaPredictor {
  if (typeof (est as unknown as Partial<ProbaPredictor>).predictProba !== "function") {
    throw new InvalidArgumentError(`scorer "${name}" needs class probabilities; ${est.estimatorName} has no predictProba. Use a classifier or a scorer such as "r2".`);
  }
  return est as unknown as ProbaPredictor;
}

function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

const scorers: Record<ScorerName, ScorerFn> = {
  accuracy: (est, X, y) => accuracyScore(y as never, predictOf(est, "accuracy").predict(X) as never),
  roc_auc: (est, X, y) => {
    const p = probaOf(est, "roc_auc");
    const proba = p.predictProba(X);
    const classes = p.classes_;
    if (classes.length !== 2) {
      throw new InvalidArgumentError(`scorer "roc_auc" scores two classes; ${est.estimatorName} has ${classes.length} (${classes.join(", ")}). Pass a function scorer for one-vs-rest AUC.`);
    }
    return rocAucScore(y as never, column(proba, 1));
  },
  neg_log_loss: (est, X, y) => {
    const p = probaOf(est, "neg_log_loss");
    return -logLoss(y as never, p.predictProba(X), { labels: p.classes_ });
  },
  f1: (est, X, y) => f1Score(y as never, predictOf(est, "f1").predict(X) as never),
  precision: (est, X, y) => precisionScore(y as never, predictOf(est, "precision").predict(X) as never),
  recall: (est, X, y) => recallScore(y as never, predictOf(est, "recall").predict(X) as never),
  r2: (est, X, y) => r2Score(y as never, predictOf(est, "r2").predict(X) as never),
  neg_mean_squared_error: (est, X, y) => -meanSquaredError(y as never, predictOf(est, "neg_mean_squared_error").predict(X) as never),
  neg_mean_absolute_error: (est, X, y) => -meanAbsoluteError(y as never, predictOf(est, "neg_mean_absolute_error").predict(X) as never),
};

/**
 * The scorer of a scikit-learn scoring name.
 * @example getScorer("neg_log_loss")(fittedModel, XTest, yTest) // -0.07…
 */
export function getScorer(name: ScorerName): ScorerFn {
  const s = (scorers as Record<string, ScorerFn>)[name];
  if (!s) {
    throw new InvalidArgumentError(`unknown scorer ${JSON.stringify(name)}; known: ${Object.keys(scorers).join(", ")}, or pass a function (estimator, X, y) => number.`);
  }
  return s;
}

/**
 * The names of the built-in scorers.
 * @example scorerNames().includes("roc_auc") // true
 */
export function scorerNames(): ScorerName[] {
  return Object.keys(scorers) as ScorerName[];
}

/** The estimator's own `score` (accuracy for classifiers, R² for regressors). */
const defaultScorer: ScorerFn = (est, X, y) => {
  const s = (est as unknown as { score?: (X: XInput, y: YInput) => number }).score;
  if (typeof s !== "function") throw new InvalidArgumentError(`${est.estimatorName} has no score method; pass scoring, e.g. scoring: "accuracy".`);
  return s.call(est, X, y);
};

/** Resolved scoring: names in result order, each scorer, whether names are shown (multi-metric), and a spec for workers. */
export interface ResolvedScoring {
  names: string[];
  fns: ScorerFn[];
  multi: boolean;
  /** The scorer names as strings when every scorer is built in (what workers can rebuild); null otherwise. */
  portable: (ScorerName | null)[] | null;
}

/**
 * Resolves a `scoring` option as scikit-learn: nothing → the estimator's `score`; one name or
 * function → key "score"; a list or object → one key per scorer.
 * @example resolveScoring(["accuracy", "roc_auc"]).names // ["accuracy", "roc_auc"]
 */
export function resolveScoring(scoring: Scoring | undefined): ResolvedScoring {
  if (scoring === undefined || scoring === null) return { names: ["score"], fns: [defaultScorer], multi: false, portable: [null] };
  if (typeof scoring === "string") return { names: ["score"], fns: [getScorer(scoring)], multi: false, portable: [scoring] };
  if (typeof scoring === "function") return { names: ["score"], fns: [scoring], multi: false, portable: null };
  if (Array.isArray(scoring)) {
    if (scoring.length === 0) throw new InvalidArgumentError("scoring: an empty list; name at least one scorer.");
    const names = [...scoring] as ScorerName[];
    if (new Set(names).size !== names.length) throw new InvalidArgumentError(`scoring: the list ${JSON.stringify(names)} names a scorer twice.`);
    return { names, fns: names.map(getScorer), multi: true, portable: names };
  }
  if (typeof scoring === "object") {
    const entries = Object.entries(scoring as Record<string, ScorerName | ScorerFn>);
    if (entries.length === 0) throw new InvalidArgumentError("scoring: an empty object; name at least one scorer.");
    const fns = entries.map(([, v]) => (typeof v === "function" ? v : getScorer(v)));
    const portable = entries.every(([, v]) => typeof v === "string") ? entries.map(([, v]) => v as ScorerName) : null;
    return { names: entries.map(([k]) => k), fns, multi: true, portable };
  }
  throw new InvalidArgumentError(`scoring must be a scorer name, a function, a list or an object of them; got ${typeof scoring}.`);
}

/**
 * Rebuilds scorers from names (in a worker): null stands for the estimator's own `score`.
 * @internal
 */
export function scorersFromNames(names: (ScorerName | null)[]): ScorerFn[] {
  return names.map((n) => (n === null ? defaultScorer : getScorer(n)));
}

/**
 * True when an estimator (or a pipeline's final step) is a classifier: scikit-learn's
 * `is_classifier`, used to pick StratifiedKFold for an integer `cv`.
 * @example isClassifierLike(makePipeline(new StandardScaler(), new LogisticRegression())) // true
 */
export function isClassifierLike(est: BaseEstimator): boolean {
  if (est instanceof Pipeline) {
    const steps = est.steps;
    const last = steps[steps.length - 1]?.[1];
    return last !== undefined && last !== "passthrough" && isClassifierLike(last);
  }
  return isClassifier(est) && "classes_" in est;
}
