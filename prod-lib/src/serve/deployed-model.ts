/**
 * `DeployedModel`: the validated face of a model. Rows (row objects, an Arrow table, record batches
 * or a stream of them) are checked against the model's input schema with one rule set whatever
 * their format (see ./validator), then scored; results are plain, JSON-friendly objects.
 */
import { stat } from "node:fs/promises";
import { RecordBatch, Table } from "apache-arrow";
import type { z } from "zod";
import { InvalidArgumentError } from "@trellis/shared";
import { packModelNow, type ArtifactFiles } from "../artifact/save";
import { loadModel, loadModelFromFiles, type LoadedModel } from "../artifact/load";
import type { ModelManifest, VersionPolicy } from "../artifact/manifest";
import type { BaseEstimator } from "../base/estimator";
import { Frame, toFrame, type FrameColumn, type InputSpec, type RowObject } from "../base/frame";
import type { Label } from "../base/labels";
import { Matrix, isArrowTable } from "../base/matrix";
import { argmaxLabels, hasRowPredict, hasRowPredictProba, hasRowTransform, type Classifier, type Regressor } from "../base/mixins";
import { INVALID_ROWS_LISTED, InvalidRowsError } from "../errors";
import type { ReferenceProfile } from "../monitor/profile";
import { Pipeline } from "../pipeline";
import { checkOneRow, compileFields, validateRows, validateTable, type CompiledField, type RowError, type ValidationOutcome } from "./validator";

/**
 * Where `DeployedModel.load` fetches a registry reference such as `"churn@production"` or
 * `"churn@3"`: the model registry implements it. The files are verified against `digest`.
 */
export interface ModelSource {
  getArtifactFiles(ref: string): Promise<{ files: ArtifactFiles; name: string; version: number; digest: string }>;
}

/** Rows a deployed model scores: row objects, an Arrow table, a record batch or an array of them. */
export type ModelRows = readonly RowObject[] | Table | RecordBatch | readonly RecordBatch[];

/** How rows are checked and what happens to invalid ones. */
export interface PredictOptions {
  /** `"throw"` (default): one InvalidRowsError listing the bad rows. `"null"`: null predictions for bad rows, errors beside. */
  onInvalid?: "throw" | "null";
  /** Fields not in the input schema: `"ignore"` (default; counted and named in `warnings`) or `"reject"` (an error per row). */
  extra?: "ignore" | "reject";
  /** At most this many errors are kept in the result (default 1000; `errorCount` has the total). */
  maxErrors?: number;
}

/** Options of {@link DeployedModel.load}. */
export interface DeployedModelLoadOptions extends Pick<PredictOptions, "onInvalid" | "extra"> {
  /** Resolves registry references (`"name@alias"`, `"name@3"`). */
  registry?: ModelSource;
  /** See `loadModel`: `"strict"` (default) or `"warn"`. */
  versionPolicy?: VersionPolicy;
}

/** One row's prediction (`predictOne`). */
export interface OnePrediction {
  /** The class label (classifier) or the predicted number (regressor). */
  prediction: Label;
  /** Class probabilities in `classes` order (classifier), else null. */
  probabilities: number[] | null;
}

/** A field not in the input schema, with the number of rows that held it. */
export interface ExtraField {
  field: string;
  rows: number;
}

/** The JSON form of a {@link PredictionResult}. */
export interface PredictionResultJSON {
  model: { name: string | null; version: number | null; digest: string };
  rows: number;
  classes: Label[] | null;
  predictions: (Label | null)[];
  /** Per row, probabilities in `classes` order; null for invalid rows; absent unless asked for. */
  probabilities?: (number[] | null)[];
  invalidRows: number[];
  errorCount: number;
  errors: RowError[];
  extraFields: ExtraField[];
  warnings: string[];
}

/**
 * What `predict` and `predictProba` return. JSON-friendly: `JSON.stringify(result)` gives
 * {@link PredictionResultJSON} (probabilities as arrays per row).
 */
export class PredictionResult {
  /** Rows given. */
  readonly rows: number;
  /** Per row: the label or number predicted, or null for an invalid row (`onInvalid: "null"`). */
  readonly predictions: (Label | null)[];
  /** `rows × classes` probabilities (NaN rows for invalid rows) from `predictProba`; null otherwise. */
  readonly probabilities: Matrix | null;
  readonly classes: Label[] | null;
  /** Indices of the invalid rows, ascending. */
  readonly invalidRows: number[];
  /** The errors, in row order (at most `maxErrors`). */
  readonly errors: RowError[];
  /** All errors found (may exceed `errors.length`). */
  readonly errorCount: number;
  /** Fields not in the input schema that were ignored (or rejected). */
  readonly extraFields: ExtraField[];
  /** Sentences for people (ignored fields, invalid rows scored as null). */
  readonly warnings: string[];
  /** The model that scored the rows. */
  readonly model: { name: string | null; version: number | null; digest: string };

  constructor(init: {
    rows: number;
    predictions: (Label | null)[];
    probabilities: Matrix | null;
    classes: Label[] | null;
    invalidRows: number[];
    errors: RowError[];
    errorCount: number;
    extraFields: ExtraField[];
    warnings: string[];
    model: { name: string | null; version: number | null; digest: string };
  }) {
    this.rows = init.rows;
    this.predictions = init.predictions;
    this.probabilities = init.probabilities;
    this.classes = init.classes;
    this.invalidRows = init.invalidRows;
    this.errors = init.errors;
    this.errorCount = init.errorCount;
    this.extraFields = init.extraFields;
    this.warnings = init.warnings;
    this.model = init.model;
  }

  /**
   * The probabilities of row `i` in `classes` order (null for an invalid row or without probabilities).
   * @example result.probabilitiesOf(0) // [0.82, 0.18]
   */
  probabilitiesOf(i: number): number[] | null {
    const p = this.probabilities;
    if (!p || i < 0 || i >= p.rows) return null;
    const row = Array.from(p.data.subarray(i * p.cols, (i + 1) * p.cols));
    return row.some((x) => x !== x) ? null : row;
  }

  /**
   * The JSON form (see {@link PredictionResultJSON}); `JSON.stringify` calls it.
   * @example JSON.stringify(model.predictProba(rows))
   */
  toJSON(): PredictionResultJSON {
    const out: PredictionResultJSON = {
      model: this.model,
      rows: this.rows,
      classes: this.classes,
      predictions: this.predictions,
      invalidRows: this.invalidRows,
      errorCount: this.errorCount,
      errors: this.errors,
      extraFields: this.extraFields,
      warnings: this.warnings,
    };
    if (this.probabilities) out.probabilities = Array.from({ length: this.rows }, (_, i) => this.probabilitiesOf(i));
    return out;
  }
}

/** What `validate` returns. */
export interface ValidationReport {
  rows: number;
  valid: boolean;
  invalidRows: number[];
  errors: RowError[];
  errorCount: number;
  extraFields: ExtraField[];
  warnings: string[];
}

function isRecordBatch(x: unknown): x is RecordBatch {
  return x instanceof RecordBatch || (typeof x === "object" && x !== null && (x as { constructor?: { name?: string } }).constructor?.name === "RecordBatch" && "schema" in x && "numRows" in x);
}

function asTable(rows: ModelRows, owner: string): Table | readonly RowObject[] {
  if (isArrowTable(rows)) return rows as Table;
  if (isRecordBatch(rows)) return new Table(rows);
  if (Array.isArray(rows)) {
    if (rows.length > 0 && isRecordBatch(rows[0])) {
      if (!rows.every(isRecordBatch)) throw new InvalidArgumentError(`${owner}: the array mixes record batches and other values; pass row objects, an Arrow table or record batches.`);
      return new Table(rows as RecordBatch[]);
    }
    return rows as readonly RowObject[];
  }
  throw new InvalidArgumentError(
    `${owner}: rows must be an array of row objects, an Arrow table or record batches, got ${rows === null ? "null" : typeof rows === "object" ? (rows as object).constructor?.name ?? "an object" : typeof rows}.`,
  );
}

function extraList(m: Map<string, number>): ExtraField[] {
  return [...m].map(([field, rows]) => ({ field, rows })).sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

function extraWarning(extras: ExtraField[], rejected: boolean): string | null {
  if (!extras.length || rejected) return null;
  const list = extras.map((e) => `${JSON.stringify(e.field)} (${e.rows} row${e.rows === 1 ? "" : "s"})`).join(", ");
  return `ignored ${extras.length} field${extras.length === 1 ? "" : "s"} not in the input schema: ${list}`;
}

/** Numeric or categorical column of the model's frame, built from checked values. */
function frameFromRows(rows: readonly RowObject[], spec: InputSpec, keep: Int32Array | null): Frame {
  const n = keep ? keep.length : rows.length;
  const cols: FrameColumn[] = spec.names.map((name, j) => {
    if (spec.kinds[j] === "number") {
      const values = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        const v = rows[keep ? keep[k] : k][name];
        values[k] = typeof v === "number" ? v : v === null || v === undefined ? NaN : typeof v === "boolean" ? (v ? 1 : 0) : Number(v as bigint);
      }
      return { kind: "number", values };
    }
    const codes = new Int32Array(n);
    const levels: string[] = [];
    const index = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const v = rows[keep ? keep[k] : k][name];
      if (typeof v !== "string") {
        codes[k] = -1;
        continue;
      }
      let c = index.get(v);
      if (c === undefined) {
        c = levels.length;
        levels.push(v);
        index.set(v, c);
      }
      codes[k] = c;
    }
    return { kind: "category", codes, levels };
  });
  return new Frame([...spec.names], cols, n, true);
}

function frameFromTable(table: Table, spec: InputSpec, keep: Int32Array | null, owner: string): Frame {
  const present = spec.names.filter((n) => table.getChild(n) !== null);
  const presentSpec: InputSpec = { names: present, kinds: present.map((n) => spec.kinds[spec.names.indexOf(n)]) };
  const part = present.length ? toFrame(table, owner, presentSpec, { owned: true }) : null;
  const n = keep ? keep.length : table.numRows;
  const cols: FrameColumn[] = spec.names.map((name, j) => {
    const c = part?.column(name);
    if (!c) {
      // An optional field absent from the table: all null.
      return spec.kinds[j] === "number" ? { kind: "number", values: new Float64Array(n).fill(NaN) } : { kind: "category", codes: new Int32Array(n).fill(-1), levels: [] };
    }
    if (!keep) return c;
    if (c.kind === "number") {
      const values = new Float64Array(n);
      for (let k = 0; k < n; k++) values[k] = c.values[keep[k]];
      return { kind: "number", values };
    }
    const codes = new Int32Array(n);
    for (let k = 0; k < n; k++) codes[k] = c.codes[keep[k]];
    return { kind: "category", codes, levels: c.levels };
  });
  return new Frame([...spec.names], cols, n, true);
}

/** Whether every step of a pipeline (or the model itself) has a single-row path. */
function rowPathOf(model: BaseEstimator): "pipeline" | "numeric" | null {
  if (model instanceof Pipeline) {
    const steps = model.steps.filter(([, e]) => e !== "passthrough").map(([, e]) => e);
    if (!steps.length) return null;
    const ok = steps.every((e, k) => (k < steps.length - 1 ? hasRowTransform(e) : hasRowPredictProba(e) || hasRowPredict(e)));
    return ok ? "pipeline" : null;
  }
  if ((hasRowPredictProba(model) || hasRowPredict(model)) && model.featureKindsIn_.every((k) => k === "number")) return "numeric";
  return null;
}

/**
 * A model ready to serve: a verified artifact (or an in-memory estimator) with its input schema
 * compiled into a per-row checker. Every scoring method validates its rows first (see the rules in
 * ARCHITECTURE.md, "Deployed models"); nothing is coerced except what the schema states (an
 * integer into a number field).
 *
 * @example
 * const m = await DeployedModel.load("models/churn");
 * m.predictOne({ tenure_months: 12, monthly_spend: 40, plan: "pro", ... }); // { prediction: 0, probabilities: [0.83, 0.17] }
 * const r = m.predictProba(rows, { onInvalid: "null" });
 * r.predictions; r.probabilitiesOf(0); r.errors;
 */
export class DeployedModel {
  /** The estimator (a Pipeline, LogisticRegression, ...). */
  readonly model: BaseEstimator;
  readonly manifest: ModelManifest;
  /** SHA-256 hex of the canonical manifest: the model's identity. */
  readonly digest: string;
  /** The model's name (from the registry, the options or the manifest), or null. */
  readonly name: string | null;
  /** The registry version, or null when loaded from a folder or built in memory. */
  readonly version: number | null;
  /** The input schema (zod), rebuilt from the artifact. */
  readonly inputSchema: z.ZodObject;
  /** The reference profile of the training data, when the artifact has one. */
  readonly reference: ReferenceProfile | null;
  /** Class labels of a classifier (in probability order), null for a regressor. */
  readonly classes: Label[] | null;
  /** Output columns of scoring: `prediction`, then `proba_<class>` per class. */
  readonly outputColumns: string[];

  private readonly fields: CompiledField[];
  private readonly known: ReadonlySet<string>;
  private readonly spec: InputSpec;
  private readonly modelFields: CompiledField[];
  private readonly rowPath: "pipeline" | "numeric" | null;
  private readonly rowBuffer: Float64Array;
  private readonly probaBuffer: Float64Array;
  private readonly defaults: PredictOptions;
  private readonly label: string;

  private constructor(loaded: LoadedModel, meta: { name?: string | null; version?: number | null; defaults?: PredictOptions }) {
    this.model = loaded.model;
    this.manifest = loaded.manifest;
    this.digest = loaded.digest;
    this.name = meta.name ?? loaded.manifest.name ?? null;
    this.version = meta.version ?? null;
    this.inputSchema = loaded.inputSchema;
    this.reference = loaded.reference ?? null;
    this.classes = loaded.manifest.output.classes ? [...loaded.manifest.output.classes] : null;
    this.outputColumns = [...loaded.manifest.output.columns];
    this.fields = compileFields(loaded.manifest.inputSchema.fields);
    this.known = new Set(this.fields.map((f) => f.name));
    this.spec = { names: loaded.manifest.estimator.inputColumns.map((c) => c.name), kinds: loaded.manifest.estimator.inputColumns.map((c) => c.kind) };
    this.modelFields = this.spec.names.map((n) => this.fields.find((f) => f.name === n)!);
    this.rowPath = rowPathOf(this.model);
    this.rowBuffer = new Float64Array(this.spec.names.length);
    this.probaBuffer = new Float64Array(this.classes ? this.classes.length : 0);
    this.defaults = { ...meta.defaults };
    this.label = this.name ? `model ${JSON.stringify(this.name)}${this.version !== null ? ` version ${this.version}` : ""}` : "the deployed model";
  }

  /**
   * Loads a model from an artifact folder, or from a registry reference (`"churn@production"`,
   * `"churn@3"`) through `options.registry`. The artifact is verified (hashes, digest, version
   * policy) before anything is parsed.
   * @example const m = await DeployedModel.load("churn@production", { registry });
   */
  static async load(dirOrRef: string, options: DeployedModelLoadOptions = {}): Promise<DeployedModel> {
    if (typeof dirOrRef !== "string" || dirOrRef.length === 0) {
      throw new InvalidArgumentError(`DeployedModel.load: expected a model folder or a registry reference such as "churn@production", got ${JSON.stringify(dirOrRef)}.`);
    }
    const defaults = { onInvalid: options.onInvalid, extra: options.extra };
    const isDir = await stat(dirOrRef).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir) return DeployedModel.fromLoaded(await loadModel(dirOrRef, { versionPolicy: options.versionPolicy }), { defaults });
    if (!options.registry) {
      const hint = /^[^/\\]+@[^/\\]+$/.test(dirOrRef)
        ? "it looks like a registry reference: pass { registry } (a ModelRegistry) to load it"
        : "give the path of a folder written by saveModel";
      throw new InvalidArgumentError(`DeployedModel.load: ${JSON.stringify(dirOrRef)} is not a model folder (no such folder); ${hint}.`);
    }
    const fetched = await options.registry.getArtifactFiles(dirOrRef);
    const loaded = await loadModelFromFiles(fetched.files, { versionPolicy: options.versionPolicy, expectedDigest: fetched.digest });
    return DeployedModel.fromLoaded(loaded, { name: fetched.name, version: fetched.version, defaults });
  }

  /**
   * Wraps a model already loaded with `loadModel`.
   * @example const m = DeployedModel.fromLoaded(await loadModel("models/churn"), { name: "churn" });
   */
  static fromLoaded(loaded: LoadedModel, options: { name?: string; version?: number; defaults?: PredictOptions } = {}): DeployedModel {
    return new DeployedModel(loaded, { name: options.name, version: options.version, defaults: options.defaults });
  }

  /**
   * Wraps a fitted estimator in memory (for tests and notebooks): the same manifest and digest
   * `packModel` would compute (without lineage), the same validation.
   * @example const m = DeployedModel.fromEstimator(pipe, { inputSchema: ChurnRow, name: "churn" });
   */
  static fromEstimator(model: BaseEstimator, options: { inputSchema: z.ZodObject; name?: string; defaults?: PredictOptions }): DeployedModel {
    const packed = packModelNow(model, { inputSchema: options.inputSchema, name: options.name, lineage: { git: false } }, "DeployedModel.fromEstimator");
    const loaded: LoadedModel = { model, manifest: packed.manifest, digest: packed.digest, inputSchema: options.inputSchema };
    return new DeployedModel(loaded, { name: options.name, defaults: options.defaults });
  }

  private options(opts: PredictOptions | undefined, caller: string): Required<PredictOptions> {
    const onInvalid = opts?.onInvalid ?? this.defaults.onInvalid ?? "throw";
    const extra = opts?.extra ?? this.defaults.extra ?? "ignore";
    const maxErrors = opts?.maxErrors ?? this.defaults.maxErrors ?? 1000;
    if (onInvalid !== "throw" && onInvalid !== "null") throw new InvalidArgumentError(`${caller}: onInvalid must be "throw" or "null", got ${JSON.stringify(onInvalid)}.`);
    if (extra !== "ignore" && extra !== "reject") throw new InvalidArgumentError(`${caller}: extra must be "ignore" or "reject", got ${JSON.stringify(extra)}.`);
    if (!Number.isInteger(maxErrors) || maxErrors < 0) throw new InvalidArgumentError(`${caller}: maxErrors must be a non-negative integer, got ${maxErrors}.`);
    return { onInvalid, extra, maxErrors };
  }

  private invalidError(outcome: ValidationOutcome): InvalidRowsError {
    return new InvalidRowsError(`input of ${this.label}`, outcome.errors.slice(0, INVALID_ROWS_LISTED), {
      invalidRows: outcome.invalidCount,
      problemCount: outcome.errors.length,
      rows: outcome.rows,
    });
  }

  private check(input: Table | readonly RowObject[], extra: "ignore" | "reject", rowOffset = 0): ValidationOutcome {
    return Array.isArray(input)
      ? validateRows(this.fields, this.known, input as readonly RowObject[], { extra, rowOffset })
      : validateTable(this.fields, this.known, input as Table, { extra, rowOffset });
  }

  /**
   * Checks rows against the input schema without scoring them.
   * @example model.validate([{ tenure_months: "12" }]).errors[0].message // 'field "tenure_months" must be a number, got string "12"'
   */
  validate(rows: ModelRows, options: Pick<PredictOptions, "extra" | "maxErrors"> = {}): ValidationReport {
    const opts = this.options(options, "DeployedModel.validate");
    const outcome = this.check(asTable(rows, "DeployedModel.validate"), opts.extra);
    const extraFields = extraList(outcome.extraFields);
    const warning = extraWarning(extraFields, opts.extra === "reject");
    return {
      rows: outcome.rows,
      valid: outcome.invalidCount === 0,
      invalidRows: invalidIndices(outcome),
      errors: outcome.errors.slice(0, opts.maxErrors),
      errorCount: outcome.errors.length,
      extraFields,
      warnings: warning ? [warning] : [],
    };
  }

  private score(rows: ModelRows, options: PredictOptions | undefined, withProba: boolean, caller: string, rowOffset = 0): PredictionResult {
    const opts = this.options(options, caller);
    if (withProba && !this.classes) throw new InvalidArgumentError(`${caller}: ${this.label} is a regressor; it has no class probabilities (use predict).`);
    const input = asTable(rows, caller);
    const outcome = this.check(input, opts.extra, rowOffset);
    if (outcome.invalidCount > 0 && opts.onInvalid === "throw") throw this.invalidError(outcome);
    const n = outcome.rows;
    let keep: Int32Array | null = null;
    if (outcome.invalidCount > 0) {
      keep = new Int32Array(n - outcome.invalidCount);
      for (let i = 0, k = 0; i < n; i++) if (!outcome.invalid[i]) keep[k++] = i;
    }
    const m = keep ? keep.length : n;
    const predictions = new Array<Label | null>(n).fill(null);
    let probabilities: Matrix | null = null;
    if (m > 0) {
      const frame = Array.isArray(input) ? frameFromRows(input as readonly RowObject[], this.spec, keep) : frameFromTable(input as Table, this.spec, keep, this.label);
      if (this.classes) {
        const proba = (this.model as unknown as Classifier).predictProba(frame);
        const labels = argmaxLabels(proba, this.classes);
        for (let k = 0; k < m; k++) predictions[keep ? keep[k] : k] = labels[k];
        if (withProba) {
          if (!keep) probabilities = new Matrix(proba.data, n, proba.cols, this.classes.map(String));
          else {
            const data = new Float64Array(n * proba.cols).fill(NaN);
            for (let k = 0; k < m; k++) data.set(proba.data.subarray(k * proba.cols, (k + 1) * proba.cols), keep[k] * proba.cols);
            probabilities = new Matrix(data, n, proba.cols, this.classes.map(String));
          }
        }
      } else {
        const pred = (this.model as unknown as Regressor).predict(frame);
        for (let k = 0; k < m; k++) predictions[keep ? keep[k] : k] = pred[k];
      }
    } else if (withProba && this.classes) {
      probabilities = new Matrix(new Float64Array(n * this.classes.length).fill(NaN), n, this.classes.length, this.classes.map(String));
    }
    const extraFields = extraList(outcome.extraFields);
    const warnings: string[] = [];
    const w = extraWarning(extraFields, opts.extra === "reject");
    if (w) warnings.push(w);
    if (outcome.invalidCount > 0) warnings.push(`${outcome.invalidCount} of ${n} row(s) failed validation and were scored as null (${outcome.errors.length} error(s)).`);
    return new PredictionResult({
      rows: n,
      predictions,
      probabilities,
      classes: this.classes ? [...this.classes] : null,
      invalidRows: invalidIndices(outcome, rowOffset),
      errors: outcome.errors.slice(0, opts.maxErrors),
      errorCount: outcome.errors.length,
      extraFields,
      warnings,
      model: { name: this.name, version: this.version, digest: this.digest },
    });
  }

  /**
   * Validates and scores rows: labels (classifier) or numbers (regressor) per row.
   * @example model.predict(rows).predictions // [0, 1, 0]
   */
  predict(rows: ModelRows, options?: PredictOptions): PredictionResult {
    return this.score(rows, options, false, "DeployedModel.predict");
  }

  /**
   * Validates and scores rows with class probabilities (classifiers): `predictions` are the
   * arg-max labels (first class on ties), `probabilities` a rows × classes Matrix.
   * @example model.predictProba(table).probabilitiesOf(0) // [0.91, 0.09]
   */
  predictProba(rows: ModelRows, options?: PredictOptions): PredictionResult {
    return this.score(rows, options, true, "DeployedModel.predictProba");
  }

  /**
   * Validates and scores a stream of batches (record batches, tables or arrays of row objects,
   * sync or async), yielding one result per batch; row numbers in errors count from the start of
   * the stream. With `onInvalid: "throw"` the first bad batch throws.
   * @example for await (const r of model.predictBatches(readParquetBatches("lake/today"))) write(r);
   */
  async *predictBatches(
    batches: AsyncIterable<RecordBatch | Table | readonly RowObject[]> | Iterable<RecordBatch | Table | readonly RowObject[]>,
    options?: PredictOptions & { probabilities?: boolean },
  ): AsyncGenerator<PredictionResult> {
    let offset = 0;
    const withProba = options?.probabilities ?? this.classes !== null;
    for await (const batch of batches as AsyncIterable<RecordBatch | Table | readonly RowObject[]>) {
      const result = this.score(batch, options, withProba, "DeployedModel.predictBatches", offset);
      offset += result.rows;
      yield result;
    }
  }

  /**
   * Validates and scores one row object on the single-row fast path (validation compiled once; no
   * batch conversion). Invalid rows throw an InvalidRowsError; fields not in the schema are ignored
   * unless `extra: "reject"`.
   * @example model.predictOne({ tenure_months: 12, plan: "pro", ... }) // { prediction: 0, probabilities: [0.8, 0.2] }
   */
  predictOne(row: RowObject, options?: Pick<PredictOptions, "extra">): OnePrediction {
    const reject = (options?.extra ?? this.defaults.extra) === "reject";
    const errors = checkOneRow(this.fields, this.known, row, reject);
    if (errors) throw new InvalidRowsError(`input of ${this.label}`, errors, { invalidRows: 1, problemCount: errors.length, rows: 1 });
    if (this.rowPath === "pipeline") {
      const out = (this.model as unknown as { predictOne(r: RowObject): Float64Array | number }).predictOne(this.needsCopy(row) ? this.modelRow(row) : row);
      if (typeof out === "number") return { prediction: out, probabilities: null };
      return this.fromProba(out);
    }
    if (this.rowPath === "numeric") {
      const x = this.rowBuffer;
      const fields = this.modelFields;
      for (let j = 0; j < fields.length; j++) {
        const v = row[fields[j].name];
        x[j] = typeof v === "number" ? v : v === null || v === undefined ? NaN : typeof v === "boolean" ? (v ? 1 : 0) : Number(v as bigint);
      }
      if (hasRowPredictProba(this.model)) {
        this.model.predictProbaRow(x, this.probaBuffer);
        return this.fromProba(this.probaBuffer);
      }
      return { prediction: (this.model as unknown as { predictRow(x: ArrayLike<number>): number }).predictRow(x), probabilities: null };
    }
    const r = this.score([row], { onInvalid: "throw", extra: reject ? "reject" : "ignore" }, this.classes !== null, "DeployedModel.predictOne");
    return { prediction: r.predictions[0] as Label, probabilities: r.probabilitiesOf(0) };
  }

  private fromProba(p: Float64Array): OnePrediction {
    const classes = this.classes!;
    let best = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
    return { prediction: classes[best], probabilities: Array.from(p) };
  }

  /** True when a model column of the row is absent (optional) or a bigint: the pipeline's row reader needs plain values. */
  private needsCopy(row: RowObject): boolean {
    const fields = this.modelFields;
    for (let j = 0; j < fields.length; j++) {
      const v = row[fields[j].name];
      if (v === undefined || typeof v === "bigint") return true;
    }
    return false;
  }

  private modelRow(row: RowObject): RowObject {
    const out: Record<string, unknown> = {};
    for (const f of this.modelFields) {
      const v = row[f.name];
      out[f.name] = v === undefined ? null : typeof v === "bigint" ? Number(v) : v;
    }
    return out;
  }
}

function invalidIndices(outcome: ValidationOutcome, rowOffset = 0): number[] {
  const out: number[] = [];
  if (outcome.invalidCount === 0) return out;
  for (let i = 0; i < outcome.rows; i++) if (outcome.invalid[i]) out.push(i + rowOffset);
  return out;
}
