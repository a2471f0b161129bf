import { z } from "zod";
import { InvalidArgumentError, ValidationError } from "@trellis/shared";
import { BaseEstimator, clone, registerEstimator } from "../base/estimator";
import { Frame, toFrame, type FrameColumn, type XInput } from "../base/frame";
import type { YInput } from "../base/labels";
import { Matrix, SparseMatrix } from "../base/matrix";
import type { StackedDesign } from "../linear-model/design";
import {
  BaseTransformer,
  hasRowTransform,
  isTransformer,
  type RowTransformer,
  type TransformData,
  type Transformer,
} from "../base/mixins";

/** One entry of `transformers`: a name, a transformer (or "passthrough" / "drop") and its columns. */
export type ColumnTransformerEntry = [name: string, transformer: Transformer | "passthrough" | "drop", columns: string | string[]];

/** Options of {@link ColumnTransformer}. */
export interface ColumnTransformerOptions {
  /** `[name, transformer | "passthrough" | "drop", columns]` entries; names must be unique. */
  transformers: ColumnTransformerEntry[];
  /** What happens to columns no entry names: "drop" (default) or "passthrough". */
  remainder?: "drop" | "passthrough";
  /**
   * When some output is sparse and the overall density is below this (default 0.3), the
   * result is a SparseMatrix; 0 always gives a dense Matrix.
   */
  sparseThreshold?: number;
  /** Prefix output names with the transformer name, `name__feature` (default true). */
  verboseFeatureNamesOut?: boolean;
}

const entrySchema = z.tuple([
  z.string().min(1).refine((s) => !s.includes("__"), { message: 'transformer names must not contain "__"' }),
  z.union([z.literal("passthrough"), z.literal("drop"), z.custom<Transformer>((v) => isTransformer(v), { message: "expected a transformer (with fit/transform), \"passthrough\" or \"drop\"" })]),
  z.union([z.string(), z.array(z.string())]),
]);

const schema = z.strictObject({
  transformers: z.array(entrySchema),
  remainder: z.enum(["drop", "passthrough"]).default("drop"),
  sparseThreshold: z.number().min(0).max(1).default(0.3),
  verboseFeatureNamesOut: z.boolean().default(true),
});

type FittedPart = [name: string, transformer: Transformer | "passthrough", columns: string[]];

interface ColumnTransformerState {
  /** Fitted clones (or "passthrough"), remainder last when passed through; dropped entries left out. */
  parts: FittedPart[];
  /** Output width of each part. */
  widths: number[];
  /** Output names. */
  featureNamesOut: string[];
  sparseOutput: boolean;
}

/**
 * Applies a transformer to each group of columns and concatenates the results side by side,
 * naming outputs `name__feature` like scikit-learn. When a part is sparse (one-hot) and the
 * overall density is below `sparseThreshold`, the result stays a SparseMatrix (CSR).
 *
 * Unlike scikit-learn, `featureNamesIn_` lists only the columns the transformers use (all
 * columns with `remainder: "passthrough"`), so a label or id column present at fit is not
 * required at predict time.
 *
 * @example
 * const ct = new ColumnTransformer({
 *   transformers: [
 *     ["num", new StandardScaler(), ["age"]],
 *     ["cat", new OneHotEncoder(), ["plan"]],
 *   ],
 * });
 * ct.fit(rows).getFeatureNamesOut(); // ["num__age", "cat__plan_basic", "cat__plan_pro"]
 */
export class ColumnTransformer
  extends BaseTransformer<ColumnTransformerOptions, ColumnTransformerState>
  implements RowTransformer
{
  private partIndex: Int32Array[] = [];
  private scratch: unknown[][] = [];
  private rowCapable = false;
  private rowWidth = 0;
  private disjoint = false;

  /**
   * Stores the options (validated at fit).
   * @example new ColumnTransformer({ transformers: [["num", new StandardScaler(), ["age"]]] })
   */
  constructor(options: ColumnTransformerOptions) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  protected override children(): [string, BaseEstimator][] {
    const list = (this.params.transformers ?? []) as ColumnTransformerEntry[];
    const out: [string, BaseEstimator][] = [];
    for (const [name, t] of list) if (t instanceof BaseEstimator) out.push([name, t]);
    return out;
  }

  protected override replaceChild(name: string, value: unknown): boolean {
    const list = (this.params.transformers ?? []) as ColumnTransformerEntry[];
    const k = list.findIndex((e) => e[0] === name);
    if (k < 0) return false;
    const next = list.slice();
    next[k] = [name, value as Transformer | "passthrough" | "drop", list[k][2]];
    this.params.transformers = next;
    return true;
  }

  /**
   * The fitted transformers, as `[name, fitted transformer | "passthrough", columns]`.
   * @example ct.transformers_[0][1] // a fitted StandardScaler
   */
  get transformers_(): [string, Transformer | "passthrough", string[]][] {
    return this.fitted("parts").map(([n, t, c]) => [n, t, [...c]]);
  }

  /**
   * Fitted transformers by name.
   * @example (ct.namedTransformers_.num as StandardScaler).mean_
   */
  get namedTransformers_(): Record<string, Transformer | "passthrough"> {
    const out: Record<string, Transformer | "passthrough"> = {};
    for (const [n, t] of this.fitted("parts")) out[n] = t;
    return out;
  }

  /**
   * Whether transform returns a SparseMatrix (decided at fit from the density).
   * @example ct.sparseOutput_ // true
   */
  get sparseOutput_(): boolean {
    return this.fitted("sparseOutput");
  }

  /**
   * Fits a clone of every transformer on its columns. Returns `this`.
   * @example ct.fit(table)
   */
  fit(X: XInput, y?: YInput): this {
    this.fitTransformData(X, y);
    return this;
  }

  private plan(X: XInput, p: z.infer<typeof schema>): { used: string[]; entries: [string, Transformer | "passthrough", string[]][] } {
    const names = new Set<string>();
    for (const [name] of p.transformers) {
      if (names.has(name) || name === "remainder") {
        throw new ValidationError(`${this.estimatorName} hyper-parameters`, [
          { path: ["transformers"], message: `transformer name ${JSON.stringify(name)} is ${name === "remainder" ? "reserved" : "used twice"}; give each entry a unique name` },
        ]);
      }
      names.add(name);
    }
    const all = allColumnNames(X);
    const entries: [string, Transformer | "passthrough", string[]][] = [];
    const used = new Set<string>();
    for (const [name, t, cols] of p.transformers as ColumnTransformerEntry[]) {
      const list = typeof cols === "string" ? [cols] : [...cols];
      for (const c of list) {
        if (all && !all.includes(c)) {
          throw new ValidationError(`${this.estimatorName} input`, [
            { path: [name, c], message: `column ${JSON.stringify(c)} of transformer ${JSON.stringify(name)} is not in X (columns: ${all.slice(0, 20).join(", ")})` },
          ]);
        }
      }
      if (t === "drop") continue;
      list.forEach((c) => used.add(c));
      entries.push([name, t, list]);
    }
    let usedList: string[];
    if (p.remainder === "passthrough" && all) {
      const rest = all.filter((c) => !used.has(c) && !p.transformers.some(([, , cols]) => (typeof cols === "string" ? [cols] : cols).includes(c)));
      if (rest.length) entries.push(["remainder", "passthrough", rest]);
      usedList = [...all.filter((c) => used.has(c)), ...rest];
    } else {
      usedList = all ? all.filter((c) => used.has(c)) : [...used];
    }
    return { used: usedList, entries };
  }

  /**
   * Fits every part and returns the concatenated output in one pass.
   * @example ct.fitTransformData(table)
   */
  override fitTransformData(X: XInput, y?: YInput): TransformData {
    const p = this.checkParams(schema);
    this.resetFit();
    const { used, entries } = this.plan(X, p);
    if (used.length === 0) {
      throw new InvalidArgumentError(`${this.estimatorName}.fit: no column is selected by any transformer; list columns in transformers or use remainder: "passthrough".`);
    }
    const frame = this.fitFrame(X, used);
    const parts: FittedPart[] = [];
    const outputs: TransformData[] = [];
    const disjoint = columnsDisjoint(entries.map((e) => e[2]));
    for (const [name, t, cols] of entries) {
      const sub = frame.select(cols, this.estimatorName, disjoint && t !== "passthrough");
      if (t === "passthrough") {
        parts.push([name, "passthrough", cols]);
        outputs.push(sub);
      } else {
        const est = clone(t);
        outputs.push(est.fitTransformData(sub, y));
        parts.push([name, est, cols]);
      }
    }
    const widths = outputs.map(widthOf);
    const featureNamesOut = this.namesOut(parts, p.verboseFeatureNamesOut);
    // scikit-learn: sparse output when any part is sparse and overall density < sparseThreshold.
    let sparseOutput = false;
    if (outputs.some((o) => o instanceof SparseMatrix)) {
      let nnz = 0;
      let total = 0;
      for (const o of outputs) {
        const size = o.rows * widthOf(o);
        nnz += o instanceof SparseMatrix ? o.nnz : size;
        total += size;
      }
      sparseOutput = total > 0 && nnz / total < p.sparseThreshold;
    }
    this.setFitted(this.specOf(frame), { parts, widths, featureNamesOut, sparseOutput });
    return this.stack(outputs, frame.rows);
  }

  private namesOut(parts: FittedPart[], verbose: boolean): string[] {
    const out: string[] = [];
    for (const [name, t, cols] of parts) {
      const inner = t === "passthrough" ? cols : t.getFeatureNamesOut();
      for (const f of inner) out.push(verbose ? `${name}__${f}` : f);
    }
    if (!verbose && new Set(out).size !== out.length) {
      throw new ValidationError(`${this.estimatorName} hyper-parameters`, [
        { path: ["verboseFeatureNamesOut"], message: "output feature names are not unique without the transformer prefix; set verboseFeatureNamesOut: true" },
      ]);
    }
    return out;
  }

  protected override prepare(): void {
    const { parts } = this.learned;
    const names = this.spec.names;
    const pos = new Map(names.map((n, j) => [n, j]));
    this.partIndex = parts.map(([, , cols]) => Int32Array.from(cols, (c) => pos.get(c) as number));
    this.scratch = parts.map(([, , cols]) => new Array<unknown>(cols.length).fill(0));
    this.rowCapable = parts.every(([, t]) => t === "passthrough" || hasRowTransform(t));
    this.rowWidth = this.learned.widths.reduce((a, b) => a + b, 0);
    this.disjoint = columnsDisjoint(parts.map((p) => p[2]));
  }

  /**
   * Output names, `name__feature` (remainder columns as `remainder__column`).
   * @example ct.getFeatureNamesOut()
   */
  getFeatureNamesOut(): string[] {
    return [...this.fitted("featureNamesOut")];
  }

  /**
   * Transforms every column group with its fitted transformer and concatenates the outputs:
   * a SparseMatrix when `sparseOutput_`, else a Matrix (or a Frame when string columns pass through).
   * @example ct.transformData(table)
   */
  transformData(X: XInput): TransformData {
    const { outputs, rows } = this.partOutputs(X);
    return this.stack(outputs, rows);
  }

  /**
   * The transformed parts side by side, unstacked, when every part is numeric (a Matrix or a
   * SparseMatrix); otherwise the stacked result of {@link transformData}. For a linear final
   * step, which scores the parts block by block (Pipeline's batch path).
   * @internal
   */
  transformStacked(X: XInput): { stacked: StackedDesign; names: readonly string[] } | { data: TransformData } {
    const { featureNamesOut } = this.learned;
    const { outputs, rows } = this.partOutputs(X);
    if (outputs.every((o) => o instanceof Matrix || o instanceof SparseMatrix)) {
      const blocks = outputs as (Matrix | SparseMatrix)[];
      return { stacked: { blocks, rows, cols: featureNamesOut.length }, names: featureNamesOut };
    }
    return { data: this.stack(outputs, rows) };
  }

  /** Every part's transformer applied to its columns of X, in part order. */
  private partOutputs(X: XInput): { outputs: TransformData[]; rows: number } {
    const { parts } = this.learned;
    const frame = this.checkFrame(X);
    const outputs = parts.map(([, t, cols]) => {
      // A part may overwrite its columns in place only when no other part reads them.
      const sub = frame.select(cols, this.estimatorName, this.disjoint && t !== "passthrough");
      return t === "passthrough" ? sub : t.transformData(sub);
    });
    return { outputs, rows: frame.rows };
  }

  private stack(outputs: TransformData[], rows: number): TransformData {
    const { featureNamesOut, sparseOutput } = this.learned;
    if (outputs.some((o) => o instanceof Frame && o.columns.some((c) => c.kind === "category"))) {
      // String columns passed through: the result can only be a frame.
      const cols: FrameColumn[] = [];
      for (const o of outputs) {
        const f = o instanceof Frame ? o : toFrame(o instanceof SparseMatrix ? o.toDense() : o, this.estimatorName);
        cols.push(...f.columns);
      }
      return new Frame(featureNamesOut, cols, rows);
    }
    return sparseOutput ? hstackSparse(outputs, rows, featureNamesOut) : hstackDense(outputs, rows, featureNamesOut);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example ct.rowOutputSize() // 14
   */
  rowOutputSize(): number {
    void this.learned; // throws NotFittedError before fit
    return this.rowWidth;
  }

  /**
   * Transforms one row (values in `featureNamesIn_` order) densely into `out` at `offset`.
   * @example ct.transformRowInto(values, out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    const { parts, widths } = this.learned;
    if (!this.rowCapable) {
      const bad = parts.find(([, t]) => t !== "passthrough" && !hasRowTransform(t));
      throw new InvalidArgumentError(`${this.estimatorName}: transformer ${JSON.stringify(bad?.[0])} has no single-row path (transformRowInto); use transform() on a batch.`);
    }
    let o = offset;
    for (let k = 0; k < parts.length; k++) {
      const idx = this.partIndex[k];
      const t = parts[k][1];
      if (t === "passthrough") {
        for (let j = 0; j < idx.length; j++) out[o + j] = input[idx[j]];
      } else {
        const buf = this.scratch[k];
        for (let j = 0; j < idx.length; j++) buf[j] = input[idx[j]];
        (t as unknown as RowTransformer).transformRowInto(buf, out, o);
      }
      o += widths[k];
    }
  }
}

function columnsDisjoint(lists: string[][]): boolean {
  const seen = new Set<string>();
  for (const list of lists) {
    for (const c of list) {
      if (seen.has(c)) return false;
      seen.add(c);
    }
  }
  return true;
}

function allColumnNames(X: XInput): string[] | null {
  if (X instanceof Matrix || X instanceof SparseMatrix || X instanceof Frame) return [...(X instanceof Frame ? X.names : X.columns)];
  if (Array.isArray(X)) return X.length ? Object.keys(X[0] as object) : [];
  const t = X as { schema?: { fields: { name: string }[] } };
  if (t.schema) return t.schema.fields.map((f) => f.name);
  return null;
}

function widthOf(o: TransformData): number {
  return o instanceof Frame ? o.columns.length : o.cols;
}

function numericColumnsOf(o: Frame): Float64Array[] {
  return o.columns.map((c) => (c as { values: Float64Array }).values);
}

/**
 * Concatenates numeric parts side by side into a dense Matrix.
 * @example hstackDense([Matrix.fromArray([[1]]), Matrix.fromArray([[2]])], 1, ["a", "b"]).toArray() // [[1, 2]]
 */
export function hstackDense(parts: TransformData[], rows: number, names: string[]): Matrix {
  const width = parts.reduce((s, p) => s + widthOf(p), 0);
  const out = new Float64Array(rows * width);
  let off = 0;
  for (const p of parts) {
    const w = widthOf(p);
    if (p instanceof Matrix) {
      const d = p.data;
      for (let i = 0; i < rows; i++) {
        const src = i * w;
        const dst = i * width + off;
        for (let j = 0; j < w; j++) out[dst + j] = d[src + j];
      }
    } else if (p instanceof SparseMatrix) {
      const { indptr, indices, values } = p;
      for (let i = 0; i < rows; i++) {
        const dst = i * width + off;
        for (let k = indptr[i]; k < indptr[i + 1]; k++) out[dst + indices[k]] += values[k];
      }
    } else {
      const cols = numericColumnsOf(p);
      for (let j = 0; j < cols.length; j++) {
        const v = cols[j];
        for (let i = 0, k = off + j; i < rows; i++, k += width) out[k] = v[i];
      }
    }
    off += w;
  }
  return new Matrix(out, rows, width, names);
}

/**
 * Concatenates parts side by side into a CSR SparseMatrix (zeros of dense parts not stored).
 * One pass, row by row, into buffers sized for the worst case (views of them are kept).
 * @example hstackSparse([Matrix.fromArray([[0, 2]])], 1, ["a", "b"]).nnz // 1
 */
export function hstackSparse(parts: TransformData[], rows: number, names: string[]): SparseMatrix {
  const width = parts.reduce((s, p) => s + widthOf(p), 0);
  let upper = 0;
  for (const p of parts) upper += p instanceof SparseMatrix ? p.nnz : rows * widthOf(p);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(upper);
  const values = new Float64Array(upper);
  // Classify parts once so the row loop only branches on a small integer.
  const kind = new Int8Array(parts.length);
  const offs = new Int32Array(parts.length);
  const dense: Float64Array[] = [];
  const cols: Float64Array[][] = [];
  const sp: SparseMatrix[] = [];
  let off = 0;
  parts.forEach((p, k) => {
    offs[k] = off;
    off += widthOf(p);
    if (p instanceof SparseMatrix) kind[k] = 0;
    else if (p instanceof Matrix) kind[k] = 1;
    else kind[k] = 2;
    sp.push(p as SparseMatrix);
    dense.push(p instanceof Matrix ? p.data : new Float64Array(0));
    cols.push(p instanceof Frame ? numericColumnsOf(p) : []);
  });
  const widths = parts.map(widthOf);
  let f = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < parts.length; k++) {
      const o = offs[k];
      if (kind[k] === 0) {
        const { indptr: ip, indices: ix, values: vs } = sp[k];
        for (let q = ip[i]; q < ip[i + 1]; q++) {
          indices[f] = ix[q] + o;
          values[f++] = vs[q];
        }
      } else if (kind[k] === 1) {
        const d = dense[k];
        const w = widths[k];
        for (let j = 0, q = i * w; j < w; j++, q++) {
          const x = d[q];
          if (x !== 0) {
            indices[f] = o + j;
            values[f++] = x;
          }
        }
      } else {
        const c = cols[k];
        for (let j = 0; j < c.length; j++) {
          const x = c[j][i];
          if (x !== 0) {
            indices[f] = o + j;
            values[f++] = x;
          }
        }
      }
    }
    indptr[i + 1] = f;
  }
  return new SparseMatrix(indptr, indices.subarray(0, f), values.subarray(0, f), rows, width, names);
}

/**
 * Builds `[name, transformer, columns]` entries with generated names (lower-cased class names,
 * numbered when repeated), like scikit-learn's `make_column_transformer`.
 * @example makeColumnTransformer([new StandardScaler(), ["age"]], [new OneHotEncoder(), ["plan"]])
 */
export function makeColumnTransformer(
  ...entries: [transformer: Transformer | "passthrough" | "drop", columns: string | string[]][]
): ColumnTransformer {
  const base = entries.map(([t]) => (typeof t === "string" ? t : t.estimatorName.toLowerCase()));
  const names = uniqueNames(base);
  return new ColumnTransformer({ transformers: entries.map(([t, c], k) => [names[k], t, c]) });
}

/**
 * scikit-learn's `_name_estimators`: repeated names get `-1`, `-2`, … suffixes.
 * @example uniqueNames(["a", "b", "a"]) // ["a-1", "b", "a-2"]
 */
export function uniqueNames(base: string[]): string[] {
  const counts = new Map<string, number>();
  for (const b of base) counts.set(b, (counts.get(b) ?? 0) + 1);
  const seen = new Map<string, number>();
  return base.map((b) => {
    if ((counts.get(b) ?? 0) === 1) return b;
    const k = (seen.get(b) ?? 0) + 1;
    seen.set(b, k);
    return `${b}-${k}`;
  });
}

registerEstimator(ColumnTransformer, "ColumnTransformer");
