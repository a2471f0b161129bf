import { z } from "zod";
import { InvalidArgumentError, NotFittedError, SchemaMismatchError, ValidationError, type ValidationIssue } from "@trellis/shared";
import { Matrix, SparseMatrix } from "./matrix";
import { Frame, toFrame, type ColumnKind, type InputSpec, type XInput, type RowObject } from "./frame";

/**
 * The estimator contract (scikit-learn's, in TypeScript). Every estimator in @trellis/prod:
 *
 * - takes ONE options object of hyper-parameters in its constructor and only stores it (a shallow
 *   copy); `getParams()` returns those options merged with the defaults of the estimator's zod
 *   schema ({@link BaseEstimator.paramSchema}); `setParams()` changes them, with `step__param` keys
 *   for nested estimators; {@link clone} builds an unfitted copy with the same options;
 * - validates its options in `fit` with {@link BaseEstimator.checkParams} (a `ValidationError`
 *   naming the option, the value and the allowed values), never in the constructor;
 * - `fit` starts over every time (call {@link BaseEstimator.resetFit} first), never mutates its
 *   inputs, records the input columns ({@link BaseEstimator.specOf}) and stores all learned state as
 *   plain data with {@link BaseEstimator.setFitted}; derived caches are rebuilt in
 *   {@link BaseEstimator.prepare}, which runs after fit and after loading from JSON;
 * - exposes learned state as getters ending in `_` that read {@link BaseEstimator.fitted} (throws
 *   `NotFittedError` before fit);
 * - converts X with {@link BaseEstimator.fitFrame}/{@link BaseEstimator.checkFrame} (columns by
 *   name, extra columns ignored, missing or mistyped columns reported) or, for numeric models,
 *   {@link BaseEstimator.fitNumeric}/{@link BaseEstimator.checkNumeric};
 * - serialises with `toJSON()` to plain JSON and loads with `estimatorFromJSON()` once its class is
 *   registered with {@link registerEstimator}.
 */

/** A JSON value. */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/** The JSON form of an estimator, as produced by `toJSON()`. */
export interface EstimatorJSON {
  format: "trellis.estimator";
  version: 1;
  /** The registered class name, e.g. "StandardScaler". */
  className: string;
  params: { [key: string]: JSONValue };
  /** Columns and kinds seen at fit, or null when unfitted. */
  input: { names: string[]; kinds: ColumnKind[] } | null;
  /** Learned state, or null when unfitted. */
  state: JSONValue;
}

/** Options of `getParams`. */
export interface GetParamsOptions {
  /** Include the parameters of nested estimators as `name__param` (default true). */
  deep?: boolean;
}

/** A constructor of an estimator from its options object. */
export type EstimatorClass<E extends BaseEstimator = BaseEstimator> = new (options: never) => E;

const registry = new Map<string, EstimatorClass>();
const namesByClass = new Map<unknown, string>();

/**
 * Makes a class loadable by {@link estimatorFromJSON}. Call once per class, at module load.
 * @example registerEstimator(StandardScaler)
 */
export function registerEstimator(cls: EstimatorClass, name: string = cls.name): void {
  const prev = registry.get(name);
  if (prev && prev !== cls) {
    throw new InvalidArgumentError(`registerEstimator: the name ${JSON.stringify(name)} is already taken by another class; pass a distinct name.`);
  }
  registry.set(name, cls);
  namesByClass.set(cls, name);
}

/**
 * Names of every registered estimator class.
 * @example registeredEstimators().includes("StandardScaler") // true
 */
export function registeredEstimators(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Rebuilds an estimator (fitted or not) from `toJSON()` output. Only registered classes are
 * constructed; no code is ever evaluated.
 * @example const scaler = estimatorFromJSON(JSON.parse(JSON.stringify(fitted.toJSON())));
 */
export function estimatorFromJSON(json: EstimatorJSON): BaseEstimator {
  if (!json || typeof json !== "object" || json.format !== "trellis.estimator") {
    throw new InvalidArgumentError(`estimatorFromJSON: expected an object with format "trellis.estimator" (from toJSON()), got ${json === null ? "null" : typeof json}.`);
  }
  if (json.version !== 1) {
    throw new InvalidArgumentError(`estimatorFromJSON: unsupported version ${JSON.stringify(json.version)}; this library reads version 1.`);
  }
  const cls = registry.get(json.className);
  if (!cls) {
    throw new InvalidArgumentError(
      `estimatorFromJSON: unknown estimator class ${JSON.stringify(json.className)}; registered: ${registeredEstimators().join(", ")}. Import the module that defines it (registerEstimator).`,
    );
  }
  const params = decodeValue(json.params, "params") as Record<string, unknown>;
  const est = new cls(params as never);
  const internals = est as unknown as { inputSpec: InputSpec | null; state: unknown; prepare(): void };
  if (json.state !== null && json.state !== undefined) {
    internals.inputSpec = json.input ? { names: [...json.input.names], kinds: [...json.input.kinds] } : null;
    internals.state = decodeValue(json.state, "state");
    internals.prepare();
  }
  return est;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const typedCtors = {
  Float64Array,
  Float32Array,
  Int32Array,
  Int16Array,
  Int8Array,
  Uint32Array,
  Uint16Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof typedCtors;

function encodeNumber(v: number): JSONValue {
  if (Number.isNaN(v)) return { $num: "NaN" };
  if (v === Infinity) return { $num: "Infinity" };
  if (v === -Infinity) return { $num: "-Infinity" };
  if (v === 0 && 1 / v < 0) return { $num: "-0" };
  return v;
}

/**
 * Encodes params or learned state as JSON: numbers exactly (NaN, ±Infinity and -0 tagged),
 * typed arrays as `{ $typed, data }`, nested estimators as `{ $estimator }`.
 * @example encodeValue(Float64Array.of(1, NaN)) // { $typed: "Float64Array", data: [1, { $num: "NaN" }] }
 */
export function encodeValue(v: unknown, path = "value"): JSONValue {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (v === undefined) return { $undefined: true };
  if (typeof v === "number") return encodeNumber(v);
  if (v instanceof BaseEstimator) return { $estimator: v.toJSON() as unknown as JSONValue };
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name as TypedName;
    if (!(name in typedCtors)) throw new InvalidArgumentError(`toJSON: ${path} is a ${name}, which cannot be serialised.`);
    const arr = v as unknown as ArrayLike<number>;
    const data: JSONValue[] = new Array(arr.length);
    for (let i = 0; i < arr.length; i++) data[i] = encodeNumber(arr[i]);
    return { $typed: name, data };
  }
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, `${path}[${i}]`));
  if (isPlainObject(v)) {
    const out: { [k: string]: JSONValue } = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      out[k] = encodeValue(x, `${path}.${k}`);
    }
    return out;
  }
  throw new InvalidArgumentError(`toJSON: ${path} is a ${(v as object).constructor?.name ?? typeof v}, which cannot be serialised to JSON.`);
}

/**
 * Inverse of {@link encodeValue}.
 * @example decodeValue({ $num: "NaN" }) // NaN
 */
export function decodeValue(v: JSONValue, path = "value"): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x, i) => decodeValue(x, `${path}[${i}]`));
  if ("$num" in v) return Number(v.$num === "-0" ? -0 : v.$num);
  if ("$undefined" in v) return undefined;
  if ("$estimator" in v) return estimatorFromJSON(v.$estimator as unknown as EstimatorJSON);
  if ("$typed" in v) {
    const name = v.$typed as TypedName;
    const Ctor = typedCtors[name];
    if (!Ctor || !Array.isArray(v.data)) throw new InvalidArgumentError(`fromJSON: ${path} has an unknown typed array ${JSON.stringify(name)}.`);
    const data = v.data;
    const out = new Ctor(data.length);
    for (let i = 0; i < data.length; i++) out[i] = decodeValue(data[i], path) as number;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = decodeValue(x, `${path}.${k}`);
  return out;
}

function cloneValue(v: unknown): unknown {
  if (v instanceof BaseEstimator) return clone(v);
  if (ArrayBuffer.isView(v)) return (v as unknown as Float64Array).slice();
  if (Array.isArray(v)) return v.map(cloneValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneValue(x);
    return out;
  }
  return v;
}

/**
 * A new, unfitted estimator of the same class with the same (deep-copied) options; nested
 * estimators are cloned too.
 * @example const fresh = clone(new StandardScaler({ withMean: false })); fresh.getParams().withMean // false
 */
export function clone<E extends BaseEstimator>(est: E): E {
  if (!(est instanceof BaseEstimator)) {
    throw new InvalidArgumentError(`clone: expected an estimator, got ${est === null ? "null" : typeof est}.`);
  }
  const Ctor = est.constructor as new (options: unknown) => E;
  return new Ctor(cloneValue((est as unknown as { params: object }).params));
}

function zodIssues(err: z.ZodError, input: Record<string, unknown>, validKeys: string[]): ValidationIssue[] {
  return err.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    let value: unknown = input;
    for (const p of path) value = value === null || value === undefined ? undefined : (value as Record<string | number, unknown>)[p as string | number];
    let shown: string;
    try {
      shown = typeof value === "object" && value !== null ? (value instanceof BaseEstimator ? value.estimatorName : JSON.stringify(value)) : String(value);
      if (typeof value === "string") shown = JSON.stringify(value);
    } catch {
      shown = typeof value;
    }
    const message = issue.code === "unrecognized_keys" ? `${issue.message}; valid options: ${validKeys.join(", ")}` : `${issue.message} (got ${shown})`;
    return { path, message, value };
  });
}

/**
 * Base class of every estimator. `P` is the options object, `S` the learned state (plain data:
 * numbers, strings, arrays, typed arrays, plain objects, nested estimators).
 *
 * @example
 * class Doubler extends BaseEstimator<{ factor?: number }, { factor: number }> {
 *   protected paramSchema() { return z.strictObject({ factor: z.number().default(2) }); }
 *   fit(X: XInput) { this.resetFit(); const f = this.fitFrame(X); this.setFitted(this.specOf(f), { factor: this.checkParams(this.paramSchema()).factor }); return this; }
 * }
 */
export abstract class BaseEstimator<P extends object = object, S extends object = object> {
  /** The options as given to the constructor or `setParams` (a shallow copy). */
  protected params: P;
  /** Learned state; null until fit. */
  protected state: S | null = null;
  /** Columns and kinds seen at fit; null until fit. */
  protected inputSpec: InputSpec | null = null;

  constructor(options?: P) {
    if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
      throw new InvalidArgumentError(`${new.target.name}: the constructor takes one options object, got ${Array.isArray(options) ? "an array" : String(options)}.`);
    }
    this.params = { ...(options ?? ({} as P)) };
  }

  /**
   * The zod schema of the options: its defaults feed `getParams()` and it validates at fit. Use
   * `z.strictObject` so misspelled options are reported.
   */
  protected abstract paramSchema(): z.ZodObject<z.ZodRawShape>;

  /** Fits the estimator and returns `this`. */
  abstract fit(X: XInput, y?: unknown): this;

  /**
   * The registered class name (used in JSON and messages).
   * @example new StandardScaler().estimatorName // "StandardScaler"
   */
  get estimatorName(): string {
    return namesByClass.get(this.constructor) ?? this.constructor.name;
  }

  /**
   * Nested estimators addressable by `name__param` keys. By default every option whose value is an
   * estimator; Pipeline and ColumnTransformer list their steps.
   */
  protected children(): [string, BaseEstimator][] {
    const out: [string, BaseEstimator][] = [];
    for (const [k, v] of Object.entries(this.params)) if (v instanceof BaseEstimator) out.push([k, v]);
    return out;
  }

  /**
   * Replaces a nested estimator named by a plain key (e.g. a pipeline step). Returns false when
   * `name` is not a child, so the key is treated as an option.
   */
  protected replaceChild(name: string, value: unknown): boolean {
    void name;
    void value;
    return false;
  }

  /**
   * The options with defaults filled in; with `deep` (default), also `child__option` entries.
   * @example new StandardScaler({ withMean: false }).getParams() // { withMean: false, withStd: true }
   */
  getParams(options: GetParamsOptions = {}): Record<string, unknown> {
    const deep = options.deep ?? true;
    const out: Record<string, unknown> = {};
    const shape = this.paramSchema().shape as Record<string, z.ZodType>;
    for (const [k, field] of Object.entries(shape)) {
      const r = field.safeParse(undefined);
      if (r.success) out[k] = r.data === undefined ? null : r.data;
    }
    for (const [k, v] of Object.entries(this.params)) if (v !== undefined) out[k] = v;
    if (deep) {
      for (const [name, child] of this.children()) {
        out[name] = child;
        for (const [k, v] of Object.entries(child.getParams({ deep: true }))) out[`${name}__${k}`] = v;
      }
    }
    return out;
  }

  /**
   * Sets options; `child__option` keys reach nested estimators. Unknown names are refused.
   * Returns `this`. Learned state is kept until the next fit.
   * @example pipe.setParams({ scale__withMean: false })
   */
  setParams(params: Record<string, unknown>): this {
    const shape = this.paramSchema().shape as Record<string, unknown>;
    const nested = new Map<string, Record<string, unknown>>();
    const children = new Map(this.children());
    for (const [key, value] of Object.entries(params)) {
      const sep = key.indexOf("__");
      if (sep < 0) {
        if (key in shape) (this.params as Record<string, unknown>)[key] = value;
        else if (!this.replaceChild(key, value)) {
          throw new ValidationError(`${this.estimatorName} parameters`, [
            { path: [key], message: `unknown parameter; valid: ${[...Object.keys(shape), ...children.keys()].join(", ")}` },
          ]);
        }
        continue;
      }
      const head = key.slice(0, sep);
      if (!children.has(head)) {
        throw new ValidationError(`${this.estimatorName} parameters`, [
          { path: [key], message: `no nested estimator named ${JSON.stringify(head)}; nested: ${[...children.keys()].join(", ") || "(none)"}` },
        ]);
      }
      const group = nested.get(head) ?? {};
      group[key.slice(sep + 2)] = value;
      nested.set(head, group);
    }
    for (const [head, group] of nested) children.get(head)!.setParams(group);
    return this;
  }

  /**
   * Validates the options against `schema` and returns them with defaults applied; a
   * `ValidationError` names each bad option, its value and the allowed values.
   */
  protected checkParams<T>(schema: z.ZodType<T>): T {
    const input = this.params as Record<string, unknown>;
    const r = schema.safeParse(input);
    if (!r.success) {
      throw new ValidationError(`${this.estimatorName} hyper-parameters`, zodIssues(r.error, input, Object.keys(this.paramSchema().shape)), "Fix the options given to the constructor or setParams.");
    }
    return r.data;
  }

  /**
   * True once fitted.
   * @example new StandardScaler().isFitted() // false
   */
  isFitted(): boolean {
    return this.state !== null;
  }

  /** Forgets everything learned (called at the start of fit). */
  protected resetFit(): void {
    this.state = null;
    this.inputSpec = null;
  }

  /** Stores the learned state and input spec, then builds caches with {@link prepare}. */
  protected setFitted(spec: InputSpec, state: S): void {
    this.inputSpec = spec;
    this.state = state;
    this.prepare();
  }

  /** Rebuilds derived caches from `state` (after fit and after loading JSON). Default: nothing. */
  protected prepare(): void {}

  /** The learned state; throws `NotFittedError` before fit. */
  protected get learned(): S {
    if (this.state === null) throw new NotFittedError(this.estimatorName);
    return this.state;
  }

  /** One learned attribute; throws `NotFittedError` before fit. Use it in `name_` getters. */
  protected fitted<K extends keyof S>(key: K): S[K] {
    if (this.state === null) {
      throw new NotFittedError(this.estimatorName, `${this.estimatorName} is not fitted yet: call fit() before reading ${String(key)}_.`);
    }
    return this.state[key];
  }

  /** The input spec; throws `NotFittedError` before fit. */
  protected get spec(): InputSpec {
    if (this.inputSpec === null || this.state === null) throw new NotFittedError(this.estimatorName);
    return this.inputSpec;
  }

  /**
   * Names of the columns seen at fit, in order.
   * @example new StandardScaler().fit([{ a: 1 }]).featureNamesIn_ // ["a"]
   */
  get featureNamesIn_(): string[] {
    return [...this.spec.names];
  }

  /**
   * Number of columns seen at fit.
   * @example new StandardScaler().fit([{ a: 1, b: 2 }]).nFeaturesIn_ // 2
   */
  get nFeaturesIn_(): number {
    return this.spec.names.length;
  }

  /**
   * Kind of each column seen at fit ("number" or "category").
   * @example new SimpleImputer({ strategy: "most_frequent" }).fit([{ a: "x" }]).featureKindsIn_ // ["category"]
   */
  get featureKindsIn_(): ColumnKind[] {
    return [...this.spec.kinds];
  }

  /** The input spec of a frame (its names and column kinds). */
  protected specOf(frame: Frame): InputSpec {
    return { names: [...frame.names], kinds: frame.columns.map((c) => c.kind) };
  }

  private refuseEmpty(rows: number, where: string): void {
    if (rows === 0) {
      throw new InvalidArgumentError(`${this.estimatorName}.${where}: X has 0 rows; pass at least one row.`);
    }
  }

  /**
   * Converts fit input to a Frame (all columns of X, or only `names`) and refuses empty input.
   * A fresh conversion is owned (steps may overwrite it); a Frame passed in keeps its flag.
   */
  protected fitFrame(X: XInput, names?: readonly string[]): Frame {
    const frame = toFrame(X, this.estimatorName, names ? { names } : undefined, { owned: true });
    this.refuseEmpty(frame.rows, "fit");
    if (frame.names.length === 0) throw new InvalidArgumentError(`${this.estimatorName}.fit: X has no columns; pass at least one feature.`);
    return frame;
  }

  /** Converts transform/predict input to a Frame holding the fit columns in fit order. */
  protected checkFrame(X: XInput, where = "transform"): Frame {
    const spec = this.spec;
    const frame = toFrame(X, this.estimatorName, spec, { owned: true });
    this.refuseEmpty(frame.rows, where);
    return frame;
  }

  /**
   * Fit input for numeric models: a dense Matrix, or a SparseMatrix when `sparse` is allowed.
   * Missing values are refused (naming column and row) unless `missing` is true.
   */
  protected fitNumeric(X: XInput, options: { sparse?: boolean; missing?: boolean } = {}): Matrix | SparseMatrix {
    let out: Matrix | SparseMatrix;
    if (X instanceof SparseMatrix && options.sparse) out = X;
    else if (X instanceof Matrix) out = X;
    else out = toFrame(X, this.estimatorName).toMatrix(this.estimatorName);
    this.refuseEmpty(out.rows, "fit");
    if (out.cols === 0) throw new InvalidArgumentError(`${this.estimatorName}.fit: X has no columns; pass at least one feature.`);
    if (!options.missing) this.refuseMissing(out);
    return out;
  }

  /** The input spec of a numeric matrix. */
  protected specOfMatrix(m: Matrix | SparseMatrix): InputSpec {
    return { names: [...m.columns], kinds: m.columns.map((): ColumnKind => "number") };
  }

  /**
   * Predict-time input for numeric models, with columns in fit order. A Matrix or SparseMatrix
   * whose columns already match is used without copying.
   */
  protected checkNumeric(X: XInput, options: { sparse?: boolean; missing?: boolean; where?: string } = {}): Matrix | SparseMatrix {
    const spec = this.spec;
    const where = options.where ?? "predict";
    let out: Matrix | SparseMatrix;
    if ((X instanceof Matrix || (X instanceof SparseMatrix && options.sparse)) && sameNames(X.columns, spec.names)) out = X;
    else if (X instanceof SparseMatrix && options.sparse) {
      throw new SchemaMismatchError(`${this.estimatorName} input`, {
        missing: spec.names.filter((n) => !X.columns.includes(n)),
      }, `A SparseMatrix must have exactly the fit columns in fit order (${spec.names.length} columns).`);
    } else out = toFrame(X, this.estimatorName, spec).toMatrix(this.estimatorName);
    this.refuseEmpty(out.rows, where);
    if (!options.missing) this.refuseMissing(out);
    return out;
  }

  /**
   * For linear models that checked their input with `missing: true`: a missing value in a row
   * makes that row's score NaN, so scanning the n·K scores replaces scanning every input value;
   * a NaN score sends the input through the full check, which names the row and column.
   */
  protected refuseMissingByScores(m: Matrix | SparseMatrix, scores: Float64Array): void {
    for (let k = 0; k < scores.length; k++) {
      if (scores[k] !== scores[k]) {
        this.refuseMissing(m);
        return;
      }
    }
  }

  private refuseMissing(m: Matrix | SparseMatrix): void {
    const vals = m instanceof Matrix ? m.data : m.values;
    for (let k = 0; k < vals.length; k++) {
      if (Number.isNaN(vals[k])) {
        let row: number;
        let col: number;
        if (m instanceof Matrix) {
          row = Math.floor(k / m.cols);
          col = k % m.cols;
        } else {
          col = m.indices[k];
          row = 0;
          while (m.indptr[row + 1] <= k) row++;
        }
        throw new ValidationError(
          `${this.estimatorName} input`,
          [{ path: [row, m.columns[col]], message: `missing value (null/NaN) in column ${JSON.stringify(m.columns[col])} at row ${row}` }],
          `${this.estimatorName} does not accept missing values; impute them first (SimpleImputer).`,
        );
      }
    }
  }

  /**
   * Plain JSON: class name, options, input columns and learned state (exact doubles).
   * @example JSON.stringify(new StandardScaler().fit([{ a: 1 }, { a: 3 }]).toJSON())
   */
  toJSON(): EstimatorJSON {
    return {
      format: "trellis.estimator",
      version: 1,
      className: this.estimatorName,
      params: encodeValue(this.params, "params") as { [key: string]: JSONValue },
      input: this.state === null || this.inputSpec === null ? null : { names: [...this.inputSpec.names], kinds: [...this.inputSpec.kinds] },
      state: this.state === null ? null : encodeValue(this.state, "state"),
    };
  }

  /**
   * Loads an estimator of this class from `toJSON()` output (see {@link estimatorFromJSON}).
   * @example const scaler = StandardScaler.fromJSON(json);
   */
  static fromJSON<T extends BaseEstimator>(this: abstract new (...args: never[]) => T, json: EstimatorJSON): T {
    const est = estimatorFromJSON(json);
    if (!(est instanceof this)) {
      throw new InvalidArgumentError(`${this.name}.fromJSON: the JSON holds a ${json.className}; use estimatorFromJSON() or ${json.className}.fromJSON().`);
    }
    return est;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads one row object into `out` in the order of `spec` for the single-row fast path: numeric
 * columns as numbers (null/undefined → NaN), categorical columns as strings (missing → null).
 * Throws a `SchemaMismatchError` naming a missing or mistyped column; extra keys are ignored.
 * @example
 * const out: unknown[] = [];
 * extractRow({ b: "x", a: null }, { names: ["a", "b"], kinds: ["number", "category"] }, "Pipeline", out); // out = [NaN, "x"]
 */
export function extractRow(row: RowObject, spec: InputSpec, owner: string, out: unknown[]): void {
  if (typeof row !== "object" || row === null) {
    throw new InvalidArgumentError(`${owner}: the row is ${row === null ? "null" : typeof row}; pass a row object ({ column: value }).`);
  }
  const { names, kinds } = spec;
  for (let j = 0; j < names.length; j++) {
    const name = names[j];
    const v = row[name];
    if (kinds[j] === "number") {
      if (typeof v === "number") out[j] = v;
      else if (v === null || (v === undefined && name in row)) out[j] = NaN;
      else if (typeof v === "boolean") out[j] = v ? 1 : 0;
      else rowError(owner, row, name, "number", v);
    } else {
      if (typeof v === "string") out[j] = v;
      else if (v === null || (v === undefined && name in row) || (typeof v === "number" && Number.isNaN(v))) out[j] = null;
      else rowError(owner, row, name, "string", v);
    }
  }
}

function rowError(owner: string, row: RowObject, name: string, expected: string, v: unknown): never {
  if (!(name in row)) throw new SchemaMismatchError(`${owner} row`, { missing: [name] }, "Pass every column seen at fit (extra keys are ignored).");
  throw new SchemaMismatchError(`${owner} row`, {
    mistyped: [{ column: name, expected, actual: typeof v === "string" ? `string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}` }],
  });
}
