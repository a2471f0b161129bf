import { z } from "zod";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { Matrix, SparseMatrix } from "../base/matrix";
import { BaseTransformer, type RowTransformer } from "../base/mixins";
import {
  categoryIndices,
  checkGivenCategories,
  uniqueCategories,
  unknownCategoryError,
  valueAt,
  type Category,
} from "./categories";

/** Options of {@link OneHotEncoder}. */
export interface OneHotEncoderOptions {
  /** "error" (default) refuses categories not seen at fit; "ignore" encodes them as all zeros. */
  handleUnknown?: "error" | "ignore";
  /** Drop no column (null, default), the first category of each feature, or it only for two-category features. */
  drop?: null | "first" | "if_binary";
  /** "auto" (default) learns sorted categories; or one list of categories per input column. */
  categories?: "auto" | (string | number)[][];
  /** Return a SparseMatrix (default true, as in scikit-learn) or a dense Matrix. */
  sparseOutput?: boolean;
}

const schema = z.strictObject({
  handleUnknown: z.enum(["error", "ignore"]).default("error"),
  drop: z.enum(["first", "if_binary"]).nullable().default(null),
  categories: z.union([z.literal("auto"), z.array(z.array(z.union([z.string(), z.number()])))]).default("auto"),
  sparseOutput: z.boolean().default(true),
});

interface OneHotState {
  /** Categories per feature; a missing-value category (null) comes last when seen at fit. */
  categories: (Category | null)[][];
  /** Index of the dropped category per feature, or -1. */
  dropIdx: Int32Array;
}

/**
 * Encodes categorical features as one-hot columns named `column_category`, sparse by default.
 * Missing values (null/NaN) seen at fit become their own category, listed last as `null` in
 * `categories_` and named `column_nan`.
 *
 * @example
 * const enc = new OneHotEncoder({ sparseOutput: false }).fit([{ c: "b" }, { c: "a" }]);
 * enc.getFeatureNamesOut(); // ["c_a", "c_b"]
 * enc.transform([{ c: "b" }]).toArray(); // [[0, 1]]
 */
export class OneHotEncoder extends BaseTransformer<OneHotEncoderOptions, OneHotState> implements RowTransformer {
  private lookups: Map<Category, number>[] = [];
  /** Output column of each (feature, category), -1 when dropped. */
  private outIndex: Int32Array[] = [];
  private missingOut: Int32Array = new Int32Array(0);
  private nOut = 0;
  private ignoreUnknown = false;
  private sparse = true;

  /**
   * Stores the options (validated at fit).
   * @example new OneHotEncoder({ handleUnknown: "ignore" })
   */
  constructor(options: OneHotEncoderOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * Categories per input feature, in output order.
   * @example new OneHotEncoder().fit([{ c: "b" }, { c: "a" }]).categories_ // [["a", "b"]]
   */
  get categories_(): (Category | null)[][] {
    return this.fitted("categories").map((c) => [...c]);
  }

  /**
   * Index of the dropped category per feature (null where none is dropped).
   * @example new OneHotEncoder({ drop: "first" }).fit([{ c: "a" }, { c: "b" }]).dropIdx_ // [0]
   */
  get dropIdx_(): (number | null)[] {
    return Array.from(this.fitted("dropIdx"), (k) => (k < 0 ? null : k));
  }

  /**
   * Learns the categories of every input column. Returns `this`.
   * @example new OneHotEncoder().fit(table)
   */
  fit(X: XInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    const frame = this.fitFrame(X);
    const spec = this.specOf(frame);
    const given = p.categories === "auto" ? null : checkGivenCategories(this.estimatorName, p.categories, spec.names, spec.kinds);
    const categories: (Category | null)[][] = [];
    const dropIdx = new Int32Array(frame.columns.length).fill(-1);
    frame.columns.forEach((col, j) => {
      const u = uniqueCategories(col);
      let cats: (Category | null)[];
      if (given) {
        cats = given[j];
        if (p.handleUnknown === "error") {
          const known = new Set<Category>(given[j]);
          const bad = u.values.find((v) => !known.has(v));
          if (bad !== undefined) {
            unknownCategoryError(this.estimatorName, spec.names[j], bad, -1, "Add it to categories or set handleUnknown: \"ignore\".");
          }
        }
      } else {
        cats = u.hasMissing ? [...u.values, null] : u.values;
      }
      categories.push(cats);
      if (p.drop === "first" || (p.drop === "if_binary" && cats.length === 2)) dropIdx[j] = 0;
    });
    this.setFitted(spec, { categories, dropIdx });
    return this;
  }

  protected override prepare(): void {
    const p = this.checkParams(schema);
    const { categories, dropIdx } = this.learned;
    this.ignoreUnknown = p.handleUnknown === "ignore";
    this.sparse = p.sparseOutput;
    this.lookups = [];
    this.outIndex = [];
    this.missingOut = new Int32Array(categories.length).fill(-1);
    let pos = 0;
    categories.forEach((cats, j) => {
      const lookup = new Map<Category, number>();
      const outIdx = new Int32Array(cats.length);
      cats.forEach((c, k) => {
        if (k === dropIdx[j]) outIdx[k] = -1;
        else outIdx[k] = pos++;
        if (c === null) this.missingOut[j] = k;
        else lookup.set(c, k);
      });
      this.lookups.push(lookup);
      this.outIndex.push(outIdx);
    });
    this.nOut = pos;
  }

  /**
   * Output names `column_category` (missing as `column_nan`), dropped categories left out.
   * @example new OneHotEncoder().fit([{ c: "a" }]).getFeatureNamesOut() // ["c_a"]
   */
  getFeatureNamesOut(): string[] {
    const names = this.spec.names;
    const { categories, dropIdx } = this.learned;
    const out: string[] = [];
    categories.forEach((cats, j) => {
      cats.forEach((c, k) => {
        if (k !== dropIdx[j]) out.push(`${names[j]}_${c === null ? "nan" : String(c)}`);
      });
    });
    return out;
  }

  /**
   * One-hot encodes X: a SparseMatrix (CSR, sorted indices) or, with `sparseOutput: false`, a Matrix.
   * @example enc.transformData([{ c: "a" }])
   */
  transformData(X: XInput): Matrix | SparseMatrix {
    const frame = this.checkFrame(X);
    const rows = frame.rows;
    const d = frame.columns.length;
    const colOut: Int32Array[] = [];
    for (let j = 0; j < d; j++) {
      const col = frame.columns[j];
      const idx = categoryIndices(col, this.lookups[j], this.missingOut[j]);
      const map = this.outIndex[j];
      // Translate category index → output column (-1 dropped, -2 unknown).
      for (let i = 0; i < rows; i++) {
        const k = idx[i];
        if (k < 0) {
          if (!this.ignoreUnknown) {
            unknownCategoryError(this.estimatorName, frame.names[j], valueAt(col, i), i, 'Set handleUnknown: "ignore" to encode unknown categories as all zeros.');
          }
          idx[i] = -1;
        } else idx[i] = map[k];
      }
      colOut.push(idx);
    }
    const names = this.getFeatureNamesOut();
    if (!this.sparse) {
      const nOut = this.nOut;
      const data = new Float64Array(rows * nOut);
      for (let j = 0; j < d; j++) {
        const idx = colOut[j];
        for (let i = 0; i < rows; i++) if (idx[i] >= 0) data[i * nOut + idx[i]] = 1;
      }
      return new Matrix(data, rows, nOut, names);
    }
    const indptr = new Int32Array(rows + 1);
    let nnz = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) if (colOut[j][i] >= 0) nnz++;
      indptr[i + 1] = nnz;
    }
    const indices = new Int32Array(nnz);
    let p = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const o = colOut[j][i];
        if (o >= 0) indices[p++] = o;
      }
    }
    return new SparseMatrix(indptr, indices, new Float64Array(nnz).fill(1), rows, this.nOut, names);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example enc.rowOutputSize() // 10
   */
  rowOutputSize(): number {
    return this.nOut;
  }

  /**
   * One-hot encodes one row densely into `out` at `offset` (unknown → zeros or an error).
   * @example enc.transformRowInto(["pro"], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    const end = offset + this.nOut;
    for (let k = offset; k < end; k++) out[k] = 0;
    const lookups = this.lookups;
    for (let j = 0; j < lookups.length; j++) {
      const v = input[j];
      let k: number | undefined;
      if (v === null || v === undefined || v !== v) k = this.missingOut[j] >= 0 ? this.missingOut[j] : undefined;
      else k = lookups[j].get(v as Category);
      if (k === undefined) {
        if (!this.ignoreUnknown) {
          unknownCategoryError(this.estimatorName, this.spec.names[j], v, 0, 'Set handleUnknown: "ignore" to encode unknown categories as all zeros.');
        }
        continue;
      }
      const o = this.outIndex[j][k];
      if (o >= 0) out[offset + o] = 1;
    }
  }
}

registerEstimator(OneHotEncoder, "OneHotEncoder");
