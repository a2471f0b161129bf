/**
 * The estimator conformance suite, like scikit-learn's `check_estimator`: a list of checks that
 * every estimator of the library (and any user estimator built on `BaseEstimator`) must pass.
 */
import { InvalidArgumentError, TrellisError } from "@trellis/shared";
import { BaseEstimator, clone } from "../base/estimator";
import type { EstimatorJSON } from "../base/estimator";
import { arrowTableFromColumns } from "../base/frame";
import type { RowObject, XInput } from "../base/frame";
import type { Label, YInput } from "../base/labels";
import { Matrix } from "../base/matrix";
import { Pipeline } from "../pipeline";
import { StandardScaler } from "../preprocessing/standard-scaler";
import { LogisticRegression } from "../linear-model/logistic-regression";

/** What kind of data the checks feed an estimator. */
export type CheckInput = "numeric" | "categorical" | "mixed";

/** What the checks need to know about an estimator beyond its methods. */
export interface EstimatorTags {
  /**
   * The input the estimator takes: `"numeric"` (default) columns `num0..num2` as a Matrix,
   * `"categorical"` string columns `cat0, cat1` as row objects, `"mixed"` both as row objects.
   */
  input?: CheckInput;
  /** True when missing values (null / NaN) in X are accepted (imputers, encoders). Default false. */
  allowMissing?: boolean;
  /** Overrides the kind detected from the methods (`predictProba` → classifier, …). */
  kind?: "classifier" | "regressor" | "transformer";
}

/** Outcome of one check. */
export interface CheckResult {
  /** The check's name, e.g. `"clone_keeps_params"`. */
  name: string;
  passed: boolean;
  /** True when the check does not apply to this estimator (then `passed` is true). */
  skipped: boolean;
  /** What was verified, or what went wrong. */
  message: string;
}

/** Options of {@link checkEstimator}. */
export interface CheckEstimatorOptions {
  /** Tags of the estimator (input kind, missing-value support). */
  tags?: EstimatorTags;
  /** Run only these checks (names from {@link CHECK_NAMES}). */
  only?: readonly CheckName[];
  /** Skip these checks. */
  skip?: readonly CheckName[];
  /** Throw an {@link EstimatorCheckError} when a check fails (default true). */
  throwOnFailure?: boolean;
}

/** A factory returning a fresh, unfitted estimator on every call. */
export type EstimatorFactory = () => BaseEstimator;

/**
 * One or more conformance checks failed. `results` holds every check's outcome.
 * @example
 * try { checkEstimator(() => new MyScaler()); } catch (e) { if (e instanceof EstimatorCheckError) console.log(e.failed); }
 */
export class EstimatorCheckError extends TrellisError {
  readonly results: CheckResult[];
  readonly failed: CheckResult[];
  constructor(estimator: string, results: CheckResult[]) {
    const failed = results.filter((r) => !r.passed);
    super(
      "VALIDATION",
      `${estimator} failed ${failed.length} of ${results.length} conformance check(s):\n${failed
        .map((r) => `  - ${r.name}: ${r.message}`)
        .join("\n")}`,
    );
    this.results = results;
    this.failed = failed;
  }
}

/** Column names of the data the checks generate. */
export const CHECK_NUMERIC_COLUMNS: readonly string[] = ["num0", "num1", "num2"];
/** Categorical column names of the data the checks generate. */
export const CHECK_CATEGORICAL_COLUMNS: readonly string[] = ["cat0", "cat1"];

// ---------------------------------------------------------------------------------------------
// Data

interface Dataset {
  rows: RowObject[];
  columns: string[];
  format: "matrix" | "rows";
  yClass: Label[];
  yReg: number[];
}

/** Deterministic pseudo-random numbers (mulberry32), so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVELS: Record<string, string[]> = { cat0: ["a", "b", "c"], cat1: ["x", "y"] };

function makeDataset(input: CheckInput, n = 40, seed = 7): Dataset {
  const r = rng(seed);
  const rows: Record<string, unknown>[] = [];
  const yClass: Label[] = [];
  const yReg: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    const nums = [r() * 4 - 2, r() * 10, Math.round(r() * 5)];
    const cats = [LEVELS.cat0[Math.floor(r() * 3)], LEVELS.cat1[Math.floor(r() * 2)]];
    if (input !== "categorical") CHECK_NUMERIC_COLUMNS.forEach((c, j) => (row[c] = nums[j]));
    if (input !== "numeric") CHECK_CATEGORICAL_COLUMNS.forEach((c, j) => (row[c] = cats[j]));
    rows.push(row);
    const signal = nums[0] - 0.2 * nums[1] + (cats[0] === "a" ? 1 : 0) + (r() - 0.5) * 1.5;
    // Alternate labels on the first rows so that any prefix of two rows already holds both classes.
    yClass.push(i < 4 ? i % 2 : signal > -1 ? 1 : 0);
    yReg.push(2 * nums[0] - 0.5 * nums[1] + (cats[1] === "x" ? 3 : 0) + r());
  }
  const columns = [
    ...(input !== "categorical" ? CHECK_NUMERIC_COLUMNS : []),
    ...(input !== "numeric" ? CHECK_CATEGORICAL_COLUMNS : []),
  ];
  return { rows, columns, format: input === "numeric" ? "matrix" : "rows", yClass, yReg };
}

function materialize(rows: readonly RowObject[], columns: readonly string[], format: "matrix" | "rows" | "table"): XInput {
  if (format === "matrix") {
    return Matrix.fromArray(
      rows.map((row) => columns.map((c) => row[c] as number | null)),
      columns,
    );
  }
  if (format === "table") {
    const cols: Record<string, (string | null)[] | Float64Array> = {};
    for (const c of columns) {
      const first = rows.find((row) => row[c] !== null && row[c] !== undefined)?.[c];
      cols[c] =
        typeof first === "string"
          ? rows.map((row) => (row[c] as string | null) ?? null)
          : Float64Array.from(rows, (row) => (typeof row[c] === "number" ? (row[c] as number) : NaN));
    }
    return arrowTableFromColumns(cols);
  }
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) out[c] = row[c];
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Reading outputs

type Cell = number | string | null;
type Kind = "classifier" | "regressor" | "transformer";

interface AnyEstimator {
  estimatorName: string;
  fit(X: XInput, y?: unknown): unknown;
  getParams(options?: { deep?: boolean }): Record<string, unknown>;
  setParams(params: Record<string, unknown>): unknown;
  toJSON(): EstimatorJSON;
  isFitted(): boolean;
  predict?(X: XInput): ArrayLike<Label>;
  predictProba?(X: XInput): Matrix;
  transform?(X: XInput): unknown;
  decisionFunction?(X: XInput): Matrix;
  nFeaturesIn_: number;
  featureNamesIn_: string[];
}

function kindOf(est: AnyEstimator, tags: EstimatorTags): Kind {
  if (tags.kind) return tags.kind;
  // A pipeline has every method of its possible final steps: its kind is its final step's.
  const desc = findGetter(est, "finalEstimator");
  if (desc) {
    const final = (est as unknown as { finalEstimator: unknown }).finalEstimator;
    return isEstimatorLike(final) ? kindOf(final as AnyEstimator, {}) : "transformer";
  }
  if (typeof est.predictProba === "function") return "classifier";
  if (typeof est.predict === "function") return "regressor";
  return "transformer";
}

function targetFor(kind: Kind, ds: Dataset, idx?: readonly number[]): Label[] | number[] {
  const y = kind === "regressor" ? ds.yReg : ds.yClass;
  return idx ? idx.map((i) => y[i]) : [...y];
}

function cellsOfTransform(out: unknown): Cell[][] {
  const o = out as {
    data?: Float64Array;
    indptr?: Int32Array;
    numRows?: number;
    rows?: number;
    cols?: number;
    toDense?: () => Matrix;
    schema?: { fields: { name: string }[] };
    getChild?: (name: string) => { get(i: number): unknown } | null;
  };
  if (o && typeof o.toDense === "function") return cellsOfTransform(o.toDense());
  if (o && o.data instanceof Float64Array && typeof o.rows === "number" && typeof o.cols === "number") {
    const { rows, cols, data } = o as { rows: number; cols: number; data: Float64Array };
    const out2: Cell[][] = [];
    for (let i = 0; i < rows; i++) out2.push(Array.from(data.subarray(i * cols, (i + 1) * cols)));
    return out2;
  }
  if (o && typeof o.numRows === "number" && o.schema && typeof o.getChild === "function") {
    const names = o.schema.fields.map((f) => f.name);
    const vecs = names.map((n) => o.getChild!(n)!);
    const out2: Cell[][] = [];
    for (let i = 0; i < o.numRows; i++) {
      out2.push(
        vecs.map((v) => {
          const x = v.get(i);
          if (x === null || x === undefined) return null;
          if (typeof x === "bigint") return Number(x);
          return x as number | string;
        }),
      );
    }
    return out2;
  }
  throw new Error(`transform returned ${out === null ? "null" : typeof out}, expected a Matrix, SparseMatrix or Arrow Table`);
}

/** Every output of the fitted estimator on X, one array of cells per row. */
function outputsOf(est: AnyEstimator, kind: Kind, X: XInput): Cell[][] {
  if (kind === "classifier") {
    const proba = est.predictProba!(X);
    const labels = est.predict!(X);
    const rows = cellsOfTransform(proba);
    if (labels.length !== rows.length) throw new Error(`predict returned ${labels.length} labels for ${rows.length} rows`);
    return rows.map((r, i) => [...r, labels[i]]);
  }
  if (kind === "regressor") {
    const pred = est.predict!(X);
    return Array.from(pred as ArrayLike<number>, (v) => [v]);
  }
  return cellsOfTransform(est.transform!(X));
}

function sameCells(a: Cell[][], b: Cell[][]): string | null {
  if (a.length !== b.length) return `${a.length} rows vs ${b.length} rows`;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return `row ${i}: ${a[i].length} values vs ${b[i].length}`;
    for (let j = 0; j < a[i].length; j++) {
      if (!Object.is(a[i][j], b[i][j])) return `row ${i}, column ${j}: ${String(a[i][j])} vs ${String(b[i][j])}`;
    }
  }
  return null;
}

/** A JSON-like snapshot of params in which nested estimators appear as their class and params. */
function snapshot(v: unknown, seen = new Set<unknown>()): unknown {
  if (v instanceof BaseEstimator || isEstimatorLike(v)) {
    if (seen.has(v)) return "[cycle]";
    seen.add(v);
    const e = v as AnyEstimator;
    return { $estimator: e.estimatorName, params: snapshot(e.getParams({ deep: false }), seen) };
  }
  if (ArrayBuffer.isView(v)) return { $typed: v.constructor.name, data: Array.from(v as unknown as ArrayLike<number>).map(numKey) };
  if (Array.isArray(v)) return v.map((x) => snapshot(x, seen));
  if (typeof v === "number") return numKey(v);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = snapshot((v as Record<string, unknown>)[k], seen);
    return out;
  }
  return v === undefined ? { $undefined: true } : v;
}

function numKey(v: number): unknown {
  return Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0) ? { $num: String(Object.is(v, -0) ? "-0" : v) } : v;
}

function isEstimatorLike(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as AnyEstimator).getParams === "function" &&
    typeof (v as AnyEstimator).fit === "function"
  );
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(snapshot(a)) === JSON.stringify(snapshot(b));
}

function show(v: unknown): string {
  const s = JSON.stringify(snapshot(v));
  return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + "…" : s;
}

function isClearError(e: unknown): e is TrellisError {
  return (
    e instanceof TrellisError ||
    (typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && e instanceof Error)
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function deepCopyRows(rows: readonly RowObject[]): RowObject[] {
  return rows.map((r) => ({ ...r }));
}

function findGetter(est: object, name: string): PropertyDescriptor | undefined {
  for (let proto = Object.getPrototypeOf(est); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d && typeof d.get === "function") return d;
  }
  return undefined;
}

/** Getter names ending in `_` along the prototype chain (learned attributes). */
function learnedGetters(est: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(est); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const [name, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (name.endsWith("_") && typeof desc.get === "function") names.add(name);
    }
  }
  return [...names].sort();
}

// ---------------------------------------------------------------------------------------------
// Checks

interface Context {
  factory: () => AnyEstimator;
  tags: Required<Pick<EstimatorTags, "input" | "allowMissing">>;
  kind: Kind;
  data: Dataset;
  name: string;
}

type CheckOutcome = string | { skipped: string };
type CheckFn = (ctx: Context) => CheckOutcome;

function fitDefault(ctx: Context, est: AnyEstimator, idx?: number[], format?: "matrix" | "rows" | "table"): XInput {
  const rows = idx ? idx.map((i) => ctx.data.rows[i]) : ctx.data.rows;
  const X = materialize(rows, ctx.data.columns, format ?? ctx.data.format);
  const ret = est.fit(X, targetFor(ctx.kind, ctx.data, idx));
  if (ret !== est) throw new Error("fit did not return this");
  return X;
}

function fail(message: string): never {
  throw new CheckFailure(message);
}

class CheckFailure extends Error {}

const CHECKS: Record<string, { title: string; run: CheckFn }> = {
  constructor_stores_params: {
    title: "the constructor stores its options unchanged",
    run(ctx) {
      const est = ctx.factory();
      const params = est.getParams({ deep: false });
      const Ctor = est.constructor as new (options: Record<string, unknown>) => AnyEstimator;
      const given: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(params)) if (v !== null) given[k] = v;
      const rebuilt = new Ctor(given);
      const back = rebuilt.getParams({ deep: false });
      for (const [k, v] of Object.entries(given)) {
        if (!Object.is(back[k], v)) fail(`option ${k}: passed ${show(v)} but getParams() returned ${show(back[k])} (not the same value)`);
      }
      if (rebuilt.isFitted()) fail("a new estimator reports isFitted() === true");
      // The constructor must not validate: an invalid value is accepted and reported at fit.
      const key = Object.keys(params).find((k) => !isEstimatorLike(params[k]) && !Array.isArray(params[k]));
      if (key !== undefined) {
        const bad = { ...given, [key]: { invalid: true } };
        let built: AnyEstimator;
        try {
          built = new Ctor(bad);
        } catch (e) {
          fail(`the constructor validated option ${key} (${errorText(e)}); validate in fit instead`);
        }
        try {
          fitDefault(ctx, built);
        } catch (e) {
          if (!isClearError(e)) fail(`fit with an invalid ${key} threw a non-Trellis error: ${errorText(e)}`);
          if (!(e as Error).message.includes(key)) fail(`fit with an invalid ${key} threw an error that does not name it: ${(e as Error).message}`);
          return `options stored as given; invalid ${key} reported at fit`;
        }
        fail(`fit accepted ${key} = {"invalid":true}; validate options at fit`);
      }
      return "options stored as given";
    },
  },

  clone_keeps_params: {
    title: "clone() gives an unfitted copy with the same params",
    run(ctx) {
      const est = ctx.factory();
      fitDefault(ctx, est);
      const c = clone(est as unknown as BaseEstimator) as unknown as AnyEstimator;
      if (c === est) fail("clone returned the same object");
      if (c.constructor !== est.constructor) fail(`clone returned a ${c.constructor.name}`);
      if (c.isFitted()) fail("the clone of a fitted estimator is fitted; it must be fresh");
      if (!same(c.getParams({ deep: true }), est.getParams({ deep: true }))) {
        fail(`params differ: ${show(c.getParams())} vs ${show(est.getParams())}`);
      }
      const orig = est.getParams({ deep: false });
      const copy = c.getParams({ deep: false });
      for (const [k, v] of Object.entries(orig)) {
        if (isEstimatorLike(v) && copy[k] === v) fail(`nested estimator ${k} is shared with the original; clone must copy it`);
      }
      return "clone has equal params, is unfitted and shares no nested estimator";
    },
  },

  get_set_params_roundtrip: {
    title: "getParams / setParams round trip (nested too)",
    run(ctx) {
      const est = ctx.factory();
      const before = est.getParams({ deep: true });
      est.setParams(est.getParams({ deep: false }));
      if (!same(est.getParams({ deep: true }), before)) fail("setParams(getParams({ deep: false })) changed the params");
      const nestedKeys = Object.keys(before).filter((k) => k.includes("__"));
      for (const k of nestedKeys) est.setParams({ [k]: before[k] });
      if (!same(est.getParams({ deep: true }), before)) fail("setting every nested key to its own value changed the params");
      // Change one boolean (or number) option, nested if possible, and read it back.
      const candidates = [...nestedKeys, ...Object.keys(before).filter((k) => !k.includes("__"))];
      const key =
        candidates.find((k) => typeof before[k] === "boolean") ??
        candidates.find((k) => typeof before[k] === "number" && Number.isFinite(before[k]));
      if (key !== undefined) {
        const next = typeof before[key] === "boolean" ? !before[key] : (before[key] as number) + 1;
        est.setParams({ [key]: next });
        const got = est.getParams({ deep: true })[key];
        if (!Object.is(got, next)) fail(`setParams({ ${key}: ${show(next)} }) then getParams() gave ${show(got)}`);
        const sep = key.lastIndexOf("__");
        if (sep > 0) {
          const path = key.slice(0, sep).split("__");
          let child: unknown = est;
          for (const p of path) child = (child as AnyEstimator).getParams({ deep: false })[p] ?? (child as AnyEstimator).getParams({ deep: true })[p];
          const leaf = key.slice(sep + 2);
          if (!isEstimatorLike(child) || !Object.is((child as AnyEstimator).getParams({ deep: false })[leaf], next)) {
            fail(`setParams({ ${key} }) did not reach the nested estimator`);
          }
        }
      }
      let threw: unknown = null;
      try {
        est.setParams({ __no_such_option__: 1 });
      } catch (e) {
        threw = e;
      }
      if (!isClearError(threw)) fail(`setParams with an unknown name did not throw a clear error (${threw === null ? "no error" : errorText(threw)})`);
      return `round trip exact${key ? `; ${key} changed and read back` : ""}; unknown names refused`;
    },
  },

  fit_returns_this_and_keeps_params: {
    title: "fit returns this and does not change params",
    run(ctx) {
      const est = ctx.factory();
      const before = snapshot(est.getParams({ deep: true }));
      const X = materialize(ctx.data.rows, ctx.data.columns, ctx.data.format);
      const ret = est.fit(X, targetFor(ctx.kind, ctx.data));
      if (ret !== est) fail("fit did not return this");
      const after = snapshot(est.getParams({ deep: true }));
      if (JSON.stringify(before) !== JSON.stringify(after)) fail(`params changed by fit: ${show(before)} → ${show(after)}`);
      if (!est.isFitted()) fail("isFitted() is false after fit");
      return "fit returned this; params unchanged";
    },
  },

  not_fitted_error: {
    title: "learned attributes and predictions throw NotFittedError before fit",
    run(ctx) {
      const est = ctx.factory();
      const attrs = learnedGetters(est);
      const calls: [string, () => unknown][] = attrs.map((a) => [a, () => (est as unknown as Record<string, unknown>)[a]]);
      const X = materialize(ctx.data.rows.slice(0, 3), ctx.data.columns, ctx.data.format);
      const methods =
        ctx.kind === "classifier"
          ? (["predict", "predictProba", "decisionFunction"] as const)
          : ctx.kind === "regressor"
            ? (["predict"] as const)
            : (["transform"] as const);
      for (const m of methods) {
        if (typeof est[m] === "function") calls.push([`${m}()`, () => (est[m] as (x: XInput) => unknown).call(est, X)]);
      }
      for (const [what, call] of calls) {
        let err: unknown = null;
        try {
          call();
        } catch (e) {
          err = e;
        }
        if (err === null) fail(`${what} did not throw before fit`);
        if ((err as { code?: unknown }).code !== "NOT_FITTED") fail(`${what} threw ${errorText(err)} instead of NotFittedError`);
      }
      return `${calls.length} attribute(s)/method(s) throw NotFittedError: ${calls.map((c) => c[0]).join(", ")}`;
    },
  },

  n_features_in_after_fit: {
    title: "nFeaturesIn_ and featureNamesIn_ after fit",
    run(ctx) {
      const est = ctx.factory();
      fitDefault(ctx, est);
      if (est.nFeaturesIn_ !== ctx.data.columns.length) fail(`nFeaturesIn_ is ${est.nFeaturesIn_}, expected ${ctx.data.columns.length}`);
      if (!same(est.featureNamesIn_, ctx.data.columns)) fail(`featureNamesIn_ is ${show(est.featureNamesIn_)}, expected ${show(ctx.data.columns)}`);
      return `nFeaturesIn_ = ${est.nFeaturesIn_}, featureNamesIn_ = ${show(est.featureNamesIn_)}`;
    },
  },

  fit_idempotent: {
    title: "fitting twice gives identical results, and refitting starts over",
    run(ctx) {
      const est = ctx.factory();
      const X = fitDefault(ctx, est);
      const first = outputsOf(est, ctx.kind, X);
      fitDefault(ctx, est);
      const diff = sameCells(first, outputsOf(est, ctx.kind, X));
      if (diff) fail(`second fit on the same data differs: ${diff}`);
      // Fit on other data, then on the original again: nothing of the other fit may remain.
      const other = makeDataset(ctx.tags.input, 25, 99);
      est.fit(materialize(other.rows, other.columns, other.format), targetFor(ctx.kind, other));
      fitDefault(ctx, est);
      const diff2 = sameCells(first, outputsOf(est, ctx.kind, X));
      if (diff2) fail(`refit after fitting other data differs: ${diff2}`);
      return "identical outputs after refitting";
    },
  },

  input_not_mutated: {
    title: "fit and predict never mutate their inputs",
    run(ctx) {
      const est = ctx.factory();
      for (const format of [ctx.data.format, "rows"] as const) {
        const X = materialize(ctx.data.rows, ctx.data.columns, format);
        const copyRows = format === "rows" ? deepCopyRows(X as RowObject[]) : null;
        const copyData = X instanceof Matrix ? X.data.slice() : null;
        const y = targetFor(ctx.kind, ctx.data);
        const yCopy = [...y];
        est.fit(X, y);
        outputsOf(est, ctx.kind, X);
        if (copyRows && !same(copyRows, X)) fail(`row objects changed by fit/predict (${format})`);
        if (copyData && !same(copyData, (X as Matrix).data)) fail("Matrix data changed by fit/predict");
        if (!same(yCopy, y)) fail("y changed by fit");
      }
      return "X (Matrix and row objects) and y unchanged";
    },
  },

  batch_order_invariance: {
    title: "predictions do not depend on the row order of the batch",
    run(ctx) {
      const est = ctx.factory();
      const X = fitDefault(ctx, est);
      const base = outputsOf(est, ctx.kind, X);
      const n = ctx.data.rows.length;
      const perm = Array.from({ length: n }, (_, i) => (i * 7 + 3) % n);
      const permuted = outputsOf(est, ctx.kind, materialize(perm.map((i) => ctx.data.rows[i]), ctx.data.columns, ctx.data.format));
      const diff = sameCells(perm.map((i) => base[i]), permuted);
      if (diff) fail(`permuted batch differs: ${diff}`);
      return `${n} rows scored in a permuted order give the permuted outputs`;
    },
  },

  batch_size_invariance: {
    title: "one row at a time equals the batch (and the single-row fast path agrees)",
    run(ctx) {
      const est = ctx.factory();
      const X = fitDefault(ctx, est);
      const base = outputsOf(est, ctx.kind, X);
      const n = ctx.data.rows.length;
      for (let i = 0; i < n; i++) {
        const one = outputsOf(est, ctx.kind, materialize([ctx.data.rows[i]], ctx.data.columns, ctx.data.format));
        const diff = sameCells([base[i]], one);
        if (diff) fail(`row ${i} alone differs from the batch: ${diff}`);
      }
      const fast: string[] = [];
      const e = est as unknown as {
        predictProbaRow?: (x: ArrayLike<number>, out: Float64Array) => void;
        predictRow?: (x: ArrayLike<number>) => number;
        predictOne?: (row: RowObject) => unknown;
        classes_?: Label[];
      };
      const numericRow = (i: number) => est.featureNamesIn_.map((c) => ctx.data.rows[i][c] as number);
      if (typeof e.predictProbaRow === "function" && ctx.tags.input === "numeric") {
        const out = new Float64Array(e.classes_!.length);
        for (let i = 0; i < n; i++) {
          e.predictProbaRow(numericRow(i), out);
          const diff = sameCells([base[i].slice(0, out.length)], [Array.from(out)]);
          if (diff) fail(`predictProbaRow differs from predictProba at row ${i}: ${diff}`);
        }
        fast.push("predictProbaRow");
      }
      if (typeof e.predictRow === "function" && ctx.tags.input === "numeric") {
        for (let i = 0; i < n; i++) {
          const v = e.predictRow(numericRow(i));
          if (!Object.is(v, base[i][0])) fail(`predictRow differs from predict at row ${i}: ${v} vs ${String(base[i][0])}`);
        }
        fast.push("predictRow");
      }
      const t = est as unknown as {
        rowOutputSize?: () => number;
        transformRowInto?: (input: ArrayLike<unknown>, out: unknown[], offset: number) => void;
      };
      if (ctx.kind === "transformer" && typeof t.transformRowInto === "function" && typeof t.rowOutputSize === "function") {
        const size = t.rowOutputSize();
        const out: unknown[] = new Array(size + 1).fill("sentinel");
        for (let i = 0; i < n; i++) {
          const input = est.featureNamesIn_.map((c) => {
            const v = ctx.data.rows[i][c];
            return typeof v === "number" ? v : v === null || v === undefined ? (ctx.tags.input === "numeric" ? NaN : null) : v;
          });
          t.transformRowInto(input, out, 1);
          if (out[0] !== "sentinel") fail("transformRowInto wrote before its offset");
          const diff = sameCells([base[i]], [out.slice(1) as Cell[]]);
          if (diff) fail(`transformRowInto differs from transform at row ${i}: ${diff}`);
        }
        fast.push("transformRowInto");
      }
      let predictOneAvailable = typeof e.predictOne === "function" && ctx.kind === "classifier";
      if (predictOneAvailable) {
        try {
          e.predictOne!(ctx.data.rows[0]);
        } catch (err) {
          // An optional fast path may be unavailable for some compositions, if it says so clearly.
          if (!isClearError(err)) fail(`predictOne threw an unclear error: ${errorText(err)}`);
          predictOneAvailable = false;
          fast.push(`predictOne unavailable (${(err as Error).message.slice(0, 100)})`);
        }
      }
      if (predictOneAvailable) {
        for (let i = 0; i < n; i++) {
          const got = e.predictOne!(ctx.data.rows[i]);
          const arr = ArrayBuffer.isView(got) ? Array.from(got as Float64Array) : Array.isArray(got) ? (got as number[]) : null;
          if (arr === null) fail(`predictOne returned ${typeof got}, expected the class probabilities`);
          const diff = sameCells([base[i].slice(0, arr.length)], [arr]);
          if (diff) fail(`predictOne differs from predictProba at row ${i}: ${diff}`);
        }
        fast.push("predictOne");
      }
      return `${n} single-row calls equal the batch${fast.length ? `; fast paths checked: ${fast.join(", ")}` : ""}`;
    },
  },

  input_format_invariance: {
    title: "Matrix, row objects and Arrow Table inputs give the same outputs; column order of rows does not matter",
    run(ctx) {
      const est = ctx.factory();
      const X = fitDefault(ctx, est);
      const base = outputsOf(est, ctx.kind, X);
      const formats = ctx.tags.input === "numeric" ? (["matrix", "rows", "table"] as const) : (["rows", "table"] as const);
      for (const f of formats) {
        const diff = sameCells(base, outputsOf(est, ctx.kind, materialize(ctx.data.rows, ctx.data.columns, f)));
        if (diff) fail(`${f} input differs: ${diff}`);
      }
      const reversed = [...ctx.data.columns].reverse();
      const withExtra = ctx.data.rows.map((r) => {
        const o: Record<string, unknown> = { extra_column: "ignored" };
        for (const c of reversed) o[c] = r[c];
        return o;
      });
      const diff = sameCells(base, outputsOf(est, ctx.kind, withExtra));
      if (diff) fail(`row objects with reversed keys and an extra column differ: ${diff}`);
      return `same outputs for ${formats.join(", ")}; key order and extra columns ignored`;
    },
  },

  one_sample_one_feature: {
    title: "one sample and one feature are handled or refused clearly",
    run(ctx) {
      const notes: string[] = [];
      {
        const est = ctx.factory();
        try {
          const X = fitDefault(ctx, est, [0]);
          const out = outputsOf(est, ctx.kind, X);
          if (out.length !== 1) fail(`fit on one sample then predict gave ${out.length} rows`);
          notes.push("one sample: fitted");
        } catch (e) {
          if (e instanceof CheckFailure) throw e;
          if (!isClearError(e)) fail(`one sample: unclear error ${errorText(e)}`);
          notes.push(`one sample: refused (${(e as Error).message.slice(0, 80)})`);
        }
      }
      {
        const est = ctx.factory();
        const col = ctx.data.columns[0];
        const X = materialize(ctx.data.rows, [col], ctx.data.format);
        try {
          est.fit(X, targetFor(ctx.kind, ctx.data));
          const out = outputsOf(est, ctx.kind, X);
          if (out.length !== ctx.data.rows.length) fail(`one feature: ${out.length} output rows for ${ctx.data.rows.length}`);
          if (est.nFeaturesIn_ !== 1) fail(`one feature: nFeaturesIn_ is ${est.nFeaturesIn_}`);
          notes.push("one feature: fitted");
        } catch (e) {
          if (e instanceof CheckFailure) throw e;
          if (!isClearError(e)) fail(`one feature: unclear error ${errorText(e)}`);
          notes.push(`one feature: refused (${(e as Error).message.slice(0, 80)})`);
        }
      }
      return notes.join("; ");
    },
  },

  empty_input: {
    title: "empty input gives a clear error",
    run(ctx) {
      const est = ctx.factory();
      let err: unknown = null;
      try {
        est.fit(materialize([], ctx.data.columns, ctx.data.format), []);
      } catch (e) {
        err = e;
      }
      if (err === null) fail("fit on 0 rows did not throw");
      if (!isClearError(err)) fail(`fit on 0 rows threw an unclear error: ${errorText(err)}`);
      fitDefault(ctx, est);
      try {
        const out = outputsOf(est, ctx.kind, materialize([], ctx.data.columns, ctx.data.format));
        if (out.length !== 0) fail(`predicting 0 rows returned ${out.length} rows`);
      } catch (e) {
        if (e instanceof CheckFailure) throw e;
        if (!isClearError(e)) fail(`predicting 0 rows threw an unclear error: ${errorText(e)}`);
      }
      return `fit on 0 rows refused: ${(err as Error).message}`;
    },
  },

  missing_values: {
    title: "missing values are refused naming the column, unless supported",
    run(ctx) {
      const col = ctx.data.columns[ctx.data.columns.length - 1];
      const rows = ctx.data.rows.map((r, i) => (i === 5 ? { ...r, [col]: null } : r));
      const X = materialize(rows, ctx.data.columns, ctx.data.format);
      const est = ctx.factory();
      let err: unknown = null;
      try {
        est.fit(X, targetFor(ctx.kind, ctx.data));
      } catch (e) {
        err = e;
      }
      if (ctx.tags.allowMissing) {
        if (err !== null) fail(`declared allowMissing but fit threw: ${errorText(err)}`);
        const out = outputsOf(est, ctx.kind, X);
        if (out.length !== rows.length) fail(`predict on data with a missing value gave ${out.length} rows`);
        return `missing value in ${col} accepted (allowMissing)`;
      }
      if (err === null) fail(`fit accepted a missing value in ${col}; refuse it or declare allowMissing`);
      if (!isClearError(err)) fail(`missing value gave an unclear error: ${errorText(err)}`);
      if (!(err as Error).message.includes(col)) fail(`the error does not name the column ${col}: ${(err as Error).message}`);
      return `refused: ${(err as Error).message.slice(0, 120)}`;
    },
  },

  json_roundtrip: {
    title: "toJSON → fromJSON gives identical outputs",
    run(ctx) {
      const est = ctx.factory();
      const Ctor = est.constructor as unknown as { fromJSON(json: EstimatorJSON): AnyEstimator };
      const fresh = Ctor.fromJSON(JSON.parse(JSON.stringify(est.toJSON())) as EstimatorJSON);
      if (fresh.isFitted()) fail("an unfitted estimator came back fitted");
      if (!same(fresh.getParams(), est.getParams())) fail("params of the unfitted round trip differ");
      const X = fitDefault(ctx, est);
      const text = JSON.stringify(est.toJSON());
      const back = Ctor.fromJSON(JSON.parse(text) as EstimatorJSON);
      if (back.constructor !== est.constructor) fail(`fromJSON built a ${back.constructor.name}`);
      if (!same(back.getParams(), est.getParams())) fail("params differ after the round trip");
      const diff = sameCells(outputsOf(est, ctx.kind, X), outputsOf(back, ctx.kind, X));
      if (diff) fail(`outputs differ after the round trip: ${diff}`);
      if (!same(back.featureNamesIn_, est.featureNamesIn_)) fail("featureNamesIn_ differs after the round trip");
      return `${text.length} characters of JSON; outputs bit-identical`;
    },
  },

  pipeline_equivalence: {
    title: "a Pipeline equals its steps applied by hand",
    run(ctx) {
      const X = materialize(ctx.data.rows, ctx.data.columns, ctx.data.format);
      if (ctx.kind === "transformer") {
        const alone = ctx.factory();
        const y = targetFor("classifier", ctx.data);
        const Xt = (alone as unknown as { fitTransform(X: XInput, y?: unknown): unknown }).fitTransform(X, y);
        const pipe = new Pipeline({ steps: [["step", ctx.factory() as unknown as BaseEstimator]] } as never) as unknown as AnyEstimator;
        pipe.fit(X, y);
        const diff = sameCells(cellsOfTransform(alone.transform!(X)), cellsOfTransform(pipe.transform!(X)));
        if (diff) fail(`Pipeline([step]).transform differs from step.transform: ${diff}`);
        const cells = cellsOfTransform(Xt);
        const numeric = cells.every((r) => r.every((v) => typeof v === "number" && !Number.isNaN(v)));
        if (!numeric) return "transform through a one-step Pipeline equals the step (output not numeric: no model appended)";
        const model = new LogisticRegression();
        model.fit(Xt as XInput, y);
        const full = new Pipeline({ steps: [["step", ctx.factory() as unknown as BaseEstimator], ["model", new LogisticRegression()]] } as never) as unknown as AnyEstimator;
        full.fit(X, y);
        const diff2 = sameCells(cellsOfTransform(model.predictProba(alone.transform!(X) as XInput)), cellsOfTransform(full.predictProba!(X)));
        if (diff2) fail(`Pipeline([step, LogisticRegression]).predictProba differs from the steps by hand: ${diff2}`);
        return "one-step and step + LogisticRegression pipelines equal the steps by hand";
      }
      if (ctx.tags.input !== "numeric") return { skipped: "a final estimator with non-numeric input cannot follow StandardScaler" };
      const y = targetFor(ctx.kind, ctx.data);
      const scaler = new StandardScaler();
      const Xs = scaler.fitTransform(X) as XInput;
      const est = ctx.factory();
      est.fit(Xs, y);
      const pipe = new Pipeline({ steps: [["scale", new StandardScaler()], ["model", ctx.factory() as unknown as BaseEstimator]] } as never) as unknown as AnyEstimator;
      pipe.fit(X, y);
      const byHand = outputsOf(est, ctx.kind, scaler.transform(X) as XInput);
      const diff = sameCells(byHand, outputsOf(pipe, ctx.kind, X));
      if (diff) fail(`Pipeline([StandardScaler, estimator]) differs from the steps by hand: ${diff}`);
      return "Pipeline([StandardScaler, estimator]) equals the steps by hand";
    },
  },

  classifier_labels: {
    title: "classifiers take string labels and keep classes_ sorted",
    run(ctx) {
      if (ctx.kind !== "classifier") return { skipped: "not a classifier" };
      const est = ctx.factory();
      const names = ["yes", "no"];
      const y = ctx.data.yClass.map((v) => names[v as number]);
      const X = materialize(ctx.data.rows, ctx.data.columns, ctx.data.format);
      est.fit(X, y);
      const classes = (est as unknown as { classes_: Label[] }).classes_;
      if (!same(classes, ["no", "yes"])) fail(`classes_ is ${show(classes)}, expected ["no","yes"]`);
      const proba = est.predictProba!(X);
      if (proba.cols !== 2) fail(`predictProba has ${proba.cols} columns for 2 classes`);
      for (let i = 0; i < proba.rows; i++) {
        const s = proba.get(i, 0) + proba.get(i, 1);
        if (!(Math.abs(s - 1) < 1e-12)) fail(`probabilities of row ${i} sum to ${s}`);
      }
      const pred = Array.from(est.predict!(X));
      if (!pred.every((p) => p === "no" || p === "yes")) fail(`predict returned labels outside classes_: ${show(pred.slice(0, 5))}`);
      return 'classes_ = ["no","yes"]; probabilities sum to 1; predict returns those labels';
    },
  },
};

/** Names of every check, in the order they run. */
export const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

/** The name of one conformance check. */
export type CheckName =
  | "constructor_stores_params"
  | "clone_keeps_params"
  | "get_set_params_roundtrip"
  | "fit_returns_this_and_keeps_params"
  | "not_fitted_error"
  | "n_features_in_after_fit"
  | "fit_idempotent"
  | "input_not_mutated"
  | "batch_order_invariance"
  | "batch_size_invariance"
  | "input_format_invariance"
  | "one_sample_one_feature"
  | "empty_input"
  | "missing_values"
  | "json_roundtrip"
  | "pipeline_equivalence"
  | "classifier_labels";

/**
 * A one-line description of a check (used as the test title by {@link describeEstimator}).
 * @example checkTitle("clone_keeps_params") // "clone() gives an unfitted copy with the same params"
 */
export function checkTitle(name: CheckName): string {
  return CHECKS[name].title;
}

function contextOf(factory: EstimatorFactory, tags: EstimatorTags = {}): Context {
  const probe = factory() as unknown as AnyEstimator;
  if (!isEstimatorLike(probe)) {
    throw new InvalidArgumentError(`checkEstimator: the factory must return a new estimator (with fit and getParams), got ${probe === null ? "null" : typeof probe}; pass () => new MyEstimator().`);
  }
  const input = tags.input ?? "numeric";
  return {
    factory: factory as unknown as () => AnyEstimator,
    tags: { input, allowMissing: tags.allowMissing ?? false },
    kind: kindOf(probe, tags),
    data: makeDataset(input),
    name: probe.estimatorName,
  };
}

/**
 * Runs one check and returns its result (never throws for a failing check).
 * @example runCheck("json_roundtrip", () => new StandardScaler()).passed // true
 */
export function runCheck(name: CheckName, factory: EstimatorFactory, tags: EstimatorTags = {}): CheckResult {
  const check = Object.prototype.hasOwnProperty.call(CHECKS, name) ? CHECKS[name] : undefined;
  if (!check) {
    throw new InvalidArgumentError(`runCheck: unknown check ${JSON.stringify(name)}; known checks: ${CHECK_NAMES.join(", ")}.`);
  }
  const ctx = contextOf(factory, tags);
  try {
    const outcome = check.run(ctx);
    if (typeof outcome === "object") return { name, passed: true, skipped: true, message: outcome.skipped };
    return { name, passed: true, skipped: false, message: outcome };
  } catch (e) {
    const message = e instanceof CheckFailure ? e.message : `threw ${errorText(e)}`;
    return { name, passed: false, skipped: false, message };
  }
}

/**
 * Runs the conformance checks on estimators made by `factory` (a fresh, unfitted estimator per
 * call) and returns every result; throws an {@link EstimatorCheckError} listing the failures
 * unless `throwOnFailure` is false.
 * @example
 * const results = checkEstimator(() => new StandardScaler(), { tags: { allowMissing: true } });
 * results.every((r) => r.passed); // true
 */
export function checkEstimator(factory: EstimatorFactory, options: CheckEstimatorOptions = {}): CheckResult[] {
  const names = (options.only ?? CHECK_NAMES).filter((n) => !(options.skip ?? []).includes(n));
  const results = names.map((n) => runCheck(n, factory, options.tags));
  if ((options.throwOnFailure ?? true) && results.some((r) => !r.passed)) {
    throw new EstimatorCheckError(contextOf(factory, options.tags).name, results);
  }
  return results;
}
