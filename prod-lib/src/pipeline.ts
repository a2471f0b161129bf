import { z } from "zod";
import { InvalidArgumentError, ValidationError } from "@trellis/shared";
import { BaseEstimator, extractRow, registerEstimator } from "./base/estimator";
import { Frame, nRows, toFrame, type InputSpec, type RowObject, type XInput } from "./base/frame";
import { toLabels, toNumericTarget, type Label, type YInput } from "./base/labels";
import type { Table } from "apache-arrow";
import { Matrix, SparseMatrix, isArrowTable } from "./base/matrix";
import {
  BaseClassifier,
  argmaxLabels,
  hasRowPredict,
  hasRowPredictProba,
  hasRowTransform,
  isTransformer,
  toTransformOutput,
  type Classifier,
  type Regressor,
  type RowClassifier,
  type RowRegressor,
  type RowTransformer,
  type TransformData,
  type TransformOutput,
  type Transformer,
} from "./base/mixins";
import { ColumnTransformer, hstackSparse, uniqueNames } from "./compose/column-transformer";
import type { StackedDesign } from "./linear-model/design";

/** A pipeline step: a name and an estimator (or "passthrough" to skip it). */
export type PipelineStep<E extends BaseEstimator | "passthrough" = BaseEstimator | "passthrough"> = [name: string, estimator: E];

/** Options of {@link Pipeline}. `F` is the final estimator's type. */
export interface PipelineOptions<F extends BaseEstimator | "passthrough" = BaseEstimator | "passthrough"> {
  /** The steps in order; every step but the last must be a transformer. */
  steps: [...PipelineStep[], PipelineStep<F>];
  /** Rows per chunk when transforming and predicting big inputs (default 16384), bounding memory. */
  chunkSize?: number;
}

const schema = z.strictObject({
  steps: z
    .array(
      z.tuple([
        z.string().min(1).refine((s) => !s.includes("__"), { message: 'step names must not contain "__"' }),
        z.union([z.literal("passthrough"), z.custom<BaseEstimator>((v) => v instanceof BaseEstimator, { message: 'expected an estimator or "passthrough"' })]),
      ]),
    )
    .min(1, { message: "a pipeline needs at least one step" }),
  chunkSize: z.number().int().min(1).default(16384),
});

interface PipelineState {
  /** Set once fitted; the steps themselves hold their learned state. */
  fitted: true;
}

/** What `predictOne` returns for the final estimator `F`: probabilities for a classifier, else a number. */
export type PredictOneResult<F> = F extends RowClassifier ? Float64Array : number;

/**
 * A chain of transformers ending in an estimator, fitted and applied as one (scikit-learn's
 * Pipeline). It exposes the final step's methods: `predict`, `predictProba`, `score`,
 * `transform` are typed to exist only when the final step has them (and checked at run time,
 * naming the step). Nested options use `step__option` keys. Big inputs are processed in row
 * chunks (`chunkSize`) so peak memory stays bounded. `predictOne(row)` scores one row object
 * without building batch structures.
 *
 * @example
 * const pipe = new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression()]] });
 * pipe.fit(X, y).predictProba(X);
 * pipe.setParams({ clf__C: 0.5 });
 */
export class Pipeline<F extends BaseEstimator | "passthrough" = BaseEstimator | "passthrough"> extends BaseEstimator<
  PipelineOptions<F>,
  PipelineState
> {
  private buffers: unknown[][] = [];
  private rowSteps: RowTransformer[] = [];
  private probaOut: Float64Array = new Float64Array(0);
  /** The final step when it is a transformer with a single-row path. */
  private rowLast: RowTransformer | null = null;
  /** True when every step has a single-row path (set in prepare). */
  private rowReady = false;
  /** Row count of the input being processed by `chunked`. */
  private totalRows = 0;

  /**
   * Stores the steps (validated at fit).
   * @example new Pipeline({ steps: [["scale", new StandardScaler()]] })
   */
  constructor(options: PipelineOptions<F>) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  protected override children(): [string, BaseEstimator][] {
    const out: [string, BaseEstimator][] = [];
    for (const [name, est] of (this.params.steps ?? []) as PipelineStep[]) if (est instanceof BaseEstimator) out.push([name, est]);
    return out;
  }

  protected override replaceChild(name: string, value: unknown): boolean {
    const steps = (this.params.steps ?? []) as PipelineStep[];
    const k = steps.findIndex((s) => s[0] === name);
    if (k < 0) return false;
    const next = steps.slice();
    next[k] = [name, value as BaseEstimator | "passthrough"];
    this.params.steps = next as PipelineOptions<F>["steps"];
    return true;
  }

  /**
   * The steps by name.
   * @example (pipe.namedSteps.scale as StandardScaler).mean_
   */
  get namedSteps(): Record<string, BaseEstimator | "passthrough"> {
    const out: Record<string, BaseEstimator | "passthrough"> = {};
    for (const [name, est] of this.params.steps as PipelineStep[]) out[name] = est;
    return out;
  }

  /**
   * The steps as given.
   * @example pipe.steps.map(([name]) => name) // ["scale", "clf"]
   */
  get steps(): PipelineStep[] {
    return [...(this.params.steps as PipelineStep[])];
  }

  /**
   * The final step.
   * @example pipe.finalEstimator.estimatorName // "LogisticRegression"
   */
  get finalEstimator(): F {
    const steps = this.params.steps as PipelineStep[];
    return steps[steps.length - 1][1] as F;
  }

  private validated(): { steps: PipelineStep[]; chunkSize: number } {
    const p = this.checkParams(schema);
    const steps = p.steps as PipelineStep[];
    const seen = new Set<string>();
    steps.forEach(([name, est], k) => {
      if (seen.has(name) || name === "steps" || name === "chunkSize") {
        throw new ValidationError(`${this.estimatorName} hyper-parameters`, [
          { path: ["steps", k, 0], message: `step name ${JSON.stringify(name)} is ${seen.has(name) ? "used twice" : "reserved"}; give each step a unique name` },
        ]);
      }
      seen.add(name);
      if (k < steps.length - 1 && est !== "passthrough" && !isTransformer(est)) {
        throw new ValidationError(`${this.estimatorName} hyper-parameters`, [
          { path: ["steps", k, 1], message: `step ${JSON.stringify(name)} (${est.estimatorName}) is not a transformer; only the last step may be a predictor` },
        ]);
      }
    });
    return { steps, chunkSize: p.chunkSize };
  }

  /**
   * Fits every transformer in turn on the previous output, then the final estimator. Returns `this`.
   * @example pipe.fit(table, y)
   */
  fit(X: XInput, y?: YInput): this {
    this.fitChain(X, y, false);
    return this;
  }

  private fitChain(X: XInput, y: YInput | undefined, transformLast: boolean): TransformData | null {
    const { steps } = this.validated();
    this.resetFit();
    const first = steps.find(([, e]) => e !== "passthrough")?.[1] as BaseEstimator | undefined;
    // The first step converts X itself, so columns it does not use (a label, an id, a timestamp
    // a ColumnTransformer leaves out) are never read. Only an all-"passthrough" pipeline converts here.
    let data: XInput | TransformData = X;
    let spec: InputSpec | null = null;
    if (!first) {
      if (X instanceof SparseMatrix) spec = this.specOfMatrix(X);
      else {
        const frame = this.fitFrame(X);
        data = frame;
        spec = this.specOf(frame);
      }
    }
    for (let k = 0; k < steps.length - 1; k++) {
      const est = steps[k][1];
      if (est === "passthrough") continue;
      data = (est as Transformer).fitTransformData(data, y);
    }
    const last = steps[steps.length - 1][1];
    let out: TransformData | null = null;
    if (last !== "passthrough") {
      if (transformLast) {
        if (!isTransformer(last)) this.missingMethod("fitTransform", last);
        out = last.fitTransformData(data, y);
      } else {
        last.fit(data, y);
      }
    } else if (transformLast) out = data as TransformData;
    // The pipeline needs exactly what its first step needs, so later inputs and single rows
    // need nothing more.
    if (first) spec = { names: first.featureNamesIn_, kinds: first.featureKindsIn_ };
    this.setFitted(spec as InputSpec, { fitted: true });
    return out;
  }

  protected override prepare(): void {
    const steps = (this.params.steps as PipelineStep[]).filter(([, e]) => e !== "passthrough");
    const inner = steps.slice(0, steps.length - 1).map(([, e]) => e);
    const last = steps.length ? steps[steps.length - 1][1] : "passthrough";
    this.rowSteps = [];
    this.rowReady = false;
    this.rowLast = null;
    this.buffers = [new Array<unknown>(this.spec.names.length).fill(0)];
    if (!inner.every((e) => hasRowTransform(e) && (e as BaseEstimator).isFitted())) return;
    for (const e of inner) {
      const t = e as unknown as RowTransformer;
      this.rowSteps.push(t);
      this.buffers.push(new Array<unknown>(t.rowOutputSize()).fill(0));
    }
    if (hasRowPredictProba(last)) this.probaOut = new Float64Array(last.classes_.length);
    if (hasRowTransform(last)) this.rowLast = last;
    this.rowReady = steps.length > 0 && (hasRowPredictProba(last) || hasRowPredict(last));
  }

  /**
   * Number of values written per row by {@link transformRowInto} (a pipeline of transformers).
   * @example pipe.rowOutputSize() // 3
   */
  rowOutputSize(): number {
    void this.learned;
    if (this.rowLast) return this.rowLast.rowOutputSize();
    if (this.rowSteps.length === this.buffers.length - 1 && (this.params.steps as PipelineStep[]).every(([, e]) => e === "passthrough")) {
      return this.spec.names.length;
    }
    return this.rowPathError();
  }

  /**
   * Transforms one row (values in `featureNamesIn_` order, already validated) through every
   * step into `out` at `offset`; lets a pipeline of transformers sit inside a ColumnTransformer
   * on the single-row path.
   * @example pipe.transformRowInto([NaN, "pro"], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    void this.learned;
    const steps = this.rowSteps;
    const bufs = this.buffers;
    let cur: ArrayLike<unknown> = input;
    for (let k = 0; k < steps.length; k++) {
      const next = bufs[k + 1];
      steps[k].transformRowInto(cur, next, 0);
      cur = next;
    }
    if (this.rowLast) this.rowLast.transformRowInto(cur, out, offset);
    else if ((this.params.steps as PipelineStep[]).every(([, e]) => e === "passthrough")) {
      for (let j = 0; j < cur.length; j++) out[offset + j] = cur[j];
    } else this.rowPathError();
  }

  private missingMethod(method: string, est: BaseEstimator | "passthrough"): never {
    const steps = this.params.steps as PipelineStep[];
    const name = steps[steps.length - 1][0];
    throw new InvalidArgumentError(
      `Pipeline: the final step ${JSON.stringify(name)} (${est === "passthrough" ? "passthrough" : est.estimatorName}) has no ${method}(); ${method} is available only when the last step provides it.`,
    );
  }

  /** Runs the transformers (not the final step) on one chunk. */
  /** Applies the transformer steps (all but the final one, and `skipLast` more) to a chunk. */
  private transformChunk(data: TransformData, skipLast = 0): TransformData {
    const steps = this.params.steps as PipelineStep[];
    let cur = data;
    for (let k = 0; k < steps.length - 1 - skipLast; k++) {
      const est = steps[k][1];
      if (est === "passthrough") continue;
      cur = (est as Transformer).transformData(cur);
    }
    return cur;
  }

  /** The input as a frame with the fit columns (or a sparse matrix as is). */
  /** Rows `start`..`end` of any input, without copying values (Arrow and Matrix slices are views). */
  private static sliceInput(X: XInput, start: number, end: number): XInput {
    if (X instanceof Frame) return X.slice(start, end);
    if (X instanceof Matrix || X instanceof SparseMatrix) return X.sliceRows(start, end);
    if (Array.isArray(X)) return X.slice(start, end);
    return (X as Table).slice(start, end);
  }

  /** Applies `fn` to row chunks of the transformed input and returns the per-chunk results. */
  private chunked<T>(X: XInput, fn: (data: TransformData, start: number, end: number) => T, transform: (data: TransformData) => TransformData = (d) => this.transformChunk(d)): T[] {
    void this.learned;
    const { chunkSize } = this.checkParams(schema);
    const spec = this.spec;
    const total = nRows(X);
    if (total === 0) {
      if (!isArrowTable(X) && !Array.isArray(X) && !(X instanceof Frame) && !(X instanceof Matrix) && !(X instanceof SparseMatrix)) {
        toFrame(X, this.estimatorName, spec); // throws the "not tabular" error
      }
      throw new InvalidArgumentError(`${this.estimatorName}: X has 0 rows; pass at least one row.`);
    }
    this.totalRows = total;
    const out: T[] = [];
    // Convert chunk by chunk: the converted buffers are still in cache when the steps read them,
    // and memory stays bounded by the chunk size, not the input size.
    for (let start = 0; start < total; start += chunkSize) {
      const end = Math.min(total, start + chunkSize);
      const piece = start === 0 && end === total ? X : Pipeline.sliceInput(X, start, end);
      const data = piece instanceof SparseMatrix ? piece : toFrame(piece, this.estimatorName, spec, { owned: true, rowOffset: start });
      out.push(fn(transform(data), start, end));
    }
    return out;
  }

  private finalAs<M extends string>(method: M): BaseEstimator & Record<M, (X: XInput) => unknown> {
    const last = this.finalEstimator as BaseEstimator | "passthrough";
    if (last === "passthrough" || typeof (last as unknown as Record<string, unknown>)[method] !== "function") this.missingMethod(method, last);
    return last as BaseEstimator & Record<M, (X: XInput) => unknown>;
  }

  /**
   * Class probabilities from the final classifier, one column per class in `classes_` order.
   * @example pipe.predictProba(table).get(0, 1)
   */
  predictProba(this: Pipeline<Classifier>, X: XInput): Matrix {
    const self = this as Pipeline<BaseEstimator | "passthrough">;
    const final = self.finalAs("predictProba");
    let data: Float64Array | null = null;
    let cols = 0;
    let names: string[] = [];
    let rowsTotal = 0;
    const stacked = self.stackedProba();
    const score = stacked ? stacked.score : (chunk: TransformData) => final.predictProba(chunk) as Matrix;
    self.chunked(
      X,
      (chunk, start) => {
        const m = score(chunk);
        if (data === null) {
          cols = m.cols;
          names = m.columns;
          rowsTotal = self.totalRows;
          data = new Float64Array(rowsTotal * cols);
        }
        data.set(m.data, start * cols);
      },
      stacked?.transform,
    );
    return new Matrix(data ?? new Float64Array(0), rowsTotal, cols, names);
  }

  /**
   * The batch path of a ColumnTransformer right before a final step that scores its parts side
   * by side (`transformStacked` + `predictProbaStacked`): the parts are never stacked into one
   * matrix. `transform` runs the steps before the ColumnTransformer, `score` the rest. Null when
   * the pipeline has no such pair.
   */
  private stackedProba(): { transform: (d: TransformData) => TransformData; score: (chunk: TransformData) => Matrix } | null {
    const steps = this.params.steps as PipelineStep[];
    const ct = steps.length >= 2 ? steps[steps.length - 2][1] : null;
    const final = steps[steps.length - 1][1] as unknown as {
      predictProba?: (X: XInput) => Matrix;
      predictProbaStacked?: (X: StackedDesign, names: readonly string[]) => Matrix | null;
    };
    if (!(ct instanceof ColumnTransformer) || typeof final.predictProbaStacked !== "function" || typeof final.predictProba !== "function") return null;
    return {
      transform: (d) => this.transformChunk(d, 1),
      score: (chunk) => {
        const r = ct.transformStacked(chunk);
        if ("data" in r) return final.predictProba!(r.data);
        // Null: names differ or a score is NaN; the stacked matrix goes the usual way, which says why.
        const m = final.predictProbaStacked!(r.stacked, r.names);
        return m ?? final.predictProba!(hstackSparse([...r.stacked.blocks] as (Matrix | SparseMatrix)[], r.stacked.rows, [...r.names]));
      },
    };
  }

  /**
   * Predictions of the final step: class labels for a classifier, a Float64Array for a regressor.
   * @example pipe.predict(table)
   */
  predict(this: Pipeline<Classifier>, X: XInput): Label[];
  predict(this: Pipeline<Regressor>, X: XInput): Float64Array;
  predict(this: Pipeline<Classifier> | Pipeline<Regressor>, X: XInput): Label[] | Float64Array {
    const self = this as unknown as Pipeline<BaseEstimator | "passthrough">;
    const final = self.finalAs("predict");
    // Classifiers whose labels are the arg-max of their probabilities take the side-by-side path too.
    const stacked = final instanceof BaseClassifier && final.predict === BaseClassifier.prototype.predict ? self.stackedProba() : null;
    const parts = stacked
      ? self.chunked(X, (chunk) => argmaxLabels(stacked.score(chunk), (final as unknown as Classifier).classes_), stacked.transform)
      : self.chunked(X, (chunk) => final.predict(chunk) as Label[] | Float64Array);
    if (parts.length === 1) return parts[0];
    if (parts[0] instanceof Float64Array) {
      const out = new Float64Array(self.totalRows);
      let o = 0;
      for (const p of parts as Float64Array[]) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
    return ([] as Label[]).concat(...(parts as Label[][]));
  }

  /**
   * The final step's score (accuracy for classifiers, R² for regressors) on X, y.
   * @example pipe.score(table, y) // 0.93
   */
  score(this: Pipeline<Classifier> | Pipeline<Regressor>, X: XInput, y: YInput): number {
    const self = this as unknown as Pipeline<BaseEstimator | "passthrough">;
    const final = self.finalAs("score");
    if (typeof (final as unknown as Classifier).predictProba === "function") {
      const pred = (self as unknown as Pipeline<Classifier>).predict(X);
      const truth = toLabels(y, self.estimatorName, pred.length);
      let hit = 0;
      for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) hit++;
      return hit / pred.length;
    }
    const pred = (self as unknown as Pipeline<Regressor>).predict(X);
    const truth = toNumericTarget(y, self.estimatorName, pred.length);
    let mean = 0;
    for (let i = 0; i < truth.length; i++) mean += truth[i];
    mean /= truth.length;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < truth.length; i++) {
      ssRes += (truth[i] - pred[i]) ** 2;
      ssTot += (truth[i] - mean) ** 2;
    }
    return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }

  /**
   * Class labels of the final classifier.
   * @example pipe.classes_ // [0, 1]
   */
  get classes_(): Label[] {
    void this.learned;
    const final = this.finalAs("predictProba") as unknown as Classifier;
    return final.classes_;
  }

  /**
   * Transforms X through every step (the final step must be a transformer or "passthrough").
   * @example pipe.transform(table)
   */
  transform(this: Pipeline<Transformer | "passthrough">, X: XInput): TransformOutput {
    return toTransformOutput((this as Pipeline<BaseEstimator | "passthrough">).transformData(X));
  }

  /**
   * Like `transform`, keeping internal data types (for nesting a pipeline in a ColumnTransformer).
   * @example pipe.transformData(table)
   */
  transformData(X: XInput): TransformData {
    const last = this.finalEstimator as BaseEstimator | "passthrough";
    if (last !== "passthrough" && !isTransformer(last)) this.missingMethod("transform", last);
    const parts = this.chunked(X, (chunk) => (last === "passthrough" ? chunk : (last as Transformer).transformData(chunk)));
    return parts.length === 1 ? parts[0] : concatRows(parts);
  }

  /**
   * Fits all steps and returns the transformed X.
   * @example pipe.fitTransform(table)
   */
  fitTransform(this: Pipeline<Transformer | "passthrough">, X: XInput, y?: YInput): TransformOutput {
    return toTransformOutput((this as Pipeline<BaseEstimator | "passthrough">).fitTransformData(X, y));
  }

  /**
   * Like `fitTransform`, keeping internal data types.
   * @example pipe.fitTransformData(table)
   */
  fitTransformData(X: XInput, y?: YInput): TransformData {
    return this.fitChain(X, y, true) as TransformData;
  }

  /**
   * Output names of the last transformer (the final step when it is one).
   * @example pipe.getFeatureNamesOut()
   */
  getFeatureNamesOut(): string[] {
    void this.learned;
    const steps = (this.params.steps as PipelineStep[]).filter(([, e]) => e !== "passthrough");
    for (let k = steps.length - 1; k >= 0; k--) {
      const e = steps[k][1];
      if (isTransformer(e)) return e.getFeatureNamesOut();
    }
    return this.featureNamesIn_;
  }

  /**
   * Scores one row object without batch overhead: class probabilities (in `classes_` order, a new
   * Float64Array) for a classifier, the prediction for a regressor. The row is validated (missing
   * or mistyped column → SchemaMismatchError; extra keys ignored).
   * @example pipe.predictOne({ tenure_months: 12, plan: "pro", region: null }) // Float64Array [0.8, 0.2]
   */
  predictOne(this: Pipeline<RowClassifier & BaseEstimator> | Pipeline<RowRegressor & BaseEstimator>, row: RowObject): PredictOneResult<F> {
    const self = this as unknown as Pipeline<BaseEstimator | "passthrough">;
    const spec = self.spec;
    const bufs = self.buffers;
    const steps = self.rowSteps;
    const last = self.finalEstimator;
    if (!self.rowReady) self.rowPathError();
    extractRow(row, spec, self.estimatorName, bufs[0]);
    let cur = bufs[0];
    for (let k = 0; k < steps.length; k++) {
      const next = bufs[k + 1];
      steps[k].transformRowInto(cur, next, 0);
      cur = next;
    }
    if (hasRowPredictProba(last)) {
      const out = self.probaOut;
      last.predictProbaRow(cur as unknown as ArrayLike<number>, out);
      return out.slice() as PredictOneResult<F>;
    }
    if (hasRowPredict(last)) return last.predictRow(cur as unknown as ArrayLike<number>) as PredictOneResult<F>;
    return self.rowPathError();
  }

  private rowPathError(): never {
    const steps = (this.params.steps as PipelineStep[]).filter(([, e]) => e !== "passthrough");
    const bad = steps.find(([, e], k) => (k < steps.length - 1 ? !hasRowTransform(e) : !hasRowPredictProba(e) && !hasRowPredict(e)));
    throw new InvalidArgumentError(
      `Pipeline.predictOne: step ${JSON.stringify(bad?.[0] ?? "?")} has no single-row path (transformRowInto / predictProbaRow / predictRow); use predictProba([row]).`,
    );
  }

  /**
   * Class labels predicted for one row object (classifiers).
   * @example pipe.predictLabelOne(row) // 1
   */
  predictLabelOne(this: Pipeline<RowClassifier & BaseEstimator>, row: RowObject): Label {
    const proba = this.predictOne(row) as Float64Array;
    const classes = (this.finalEstimator as RowClassifier).classes_;
    return argmaxLabels(new Matrix(proba, 1, proba.length, classes.map(String)), classes)[0];
  }
}

function concatRows(parts: TransformData[]): TransformData {
  const first = parts[0];
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  if (first instanceof Matrix) {
    const data = new Float64Array(rows * first.cols);
    let o = 0;
    for (const p of parts as Matrix[]) {
      data.set(p.data, o);
      o += p.data.length;
    }
    return new Matrix(data, rows, first.cols, first.columns);
  }
  if (first instanceof SparseMatrix) {
    const nnz = (parts as SparseMatrix[]).reduce((s, p) => s + p.nnz, 0);
    const indptr = new Int32Array(rows + 1);
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let r = 0;
    let o = 0;
    for (const p of parts as SparseMatrix[]) {
      for (let i = 0; i < p.rows; i++) indptr[r + i + 1] = o + p.indptr[i + 1];
      indices.set(p.indices.subarray(0, p.nnz), o);
      values.set(p.values.subarray(0, p.nnz), o);
      r += p.rows;
      o += p.nnz;
    }
    return new SparseMatrix(indptr, indices, values, rows, first.cols, first.columns);
  }
  const frames = parts as Frame[];
  const f0 = frames[0];
  const cols = f0.columns.map((c, j) => {
    if (c.kind === "number") {
      const v = new Float64Array(rows);
      let o = 0;
      for (const f of frames) {
        const src = (f.columns[j] as { values: Float64Array }).values;
        v.set(src, o);
        o += src.length;
      }
      return { kind: "number" as const, values: v };
    }
    // Re-code every chunk against one shared level list.
    const levels: string[] = [];
    const map = new Map<string, number>();
    const codes = new Int32Array(rows);
    let o = 0;
    for (const f of frames) {
      const src = f.columns[j] as { codes: Int32Array; levels: string[] };
      const tr = src.levels.map((l) => {
        let k = map.get(l);
        if (k === undefined) {
          k = levels.length;
          levels.push(l);
          map.set(l, k);
        }
        return k;
      });
      for (let i = 0; i < src.codes.length; i++) codes[o + i] = src.codes[i] < 0 ? -1 : tr[src.codes[i]];
      o += src.codes.length;
    }
    return { kind: "category" as const, codes, levels };
  });
  return new Frame(f0.names, cols, rows);
}

/**
 * Builds a Pipeline naming each step after its class in lower case (numbered when repeated),
 * like scikit-learn's `make_pipeline`.
 * @example makePipeline(new StandardScaler(), new LogisticRegression()).steps.map(([n]) => n) // ["standardscaler", "logisticregression"]
 */
export function makePipeline<F extends BaseEstimator | "passthrough">(
  ...estimators: [...(BaseEstimator | "passthrough")[], F]
): Pipeline<F> {
  if (estimators.length === 0) throw new InvalidArgumentError("makePipeline: pass at least one estimator.");
  const names = uniqueNames(estimators.map((e) => (e === "passthrough" ? "passthrough" : e.estimatorName.toLowerCase())));
  const steps = estimators.map((e, k) => [names[k], e]) as PipelineOptions<F>["steps"];
  return new Pipeline<F>({ steps });
}

registerEstimator(Pipeline, "Pipeline");
