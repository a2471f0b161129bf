import { z } from "zod";
import { ValidationError } from "@trellis/shared";
import { registerEstimator } from "../base/estimator";
import type { XInput } from "../base/frame";
import { Matrix } from "../base/matrix";
import { BaseTransformer, type RowTransformer } from "../base/mixins";
import {
  categoryIndices,
  checkGivenCategories,
  lookupOf,
  uniqueCategories,
  unknownCategoryError,
  valueAt,
  type Category,
} from "./categories";

/** Options of {@link OrdinalEncoder}. */
export interface OrdinalEncoderOptions {
  /** "error" (default) refuses unseen categories; "use_encoded_value" encodes them as `unknownValue`. */
  handleUnknown?: "error" | "use_encoded_value";
  /** Code for unseen categories (required with "use_encoded_value"; an integer not used by a category, or NaN). */
  unknownValue?: number | null;
  /** Code for missing values (default NaN). */
  encodedMissingValue?: number;
  /** "auto" (default) learns sorted categories; or one list of categories per input column. */
  categories?: "auto" | (string | number)[][];
}

const schema = z
  .strictObject({
    handleUnknown: z.enum(["error", "use_encoded_value"]).default("error"),
    unknownValue: z.number().nullable().default(null),
    encodedMissingValue: z.number().default(NaN),
    categories: z.union([z.literal("auto"), z.array(z.array(z.union([z.string(), z.number()])))]).default("auto"),
  })
  .refine((p) => p.handleUnknown !== "use_encoded_value" || p.unknownValue !== null, {
    message: 'unknownValue must be a number (e.g. -1) when handleUnknown is "use_encoded_value"',
    path: ["unknownValue"],
  })
  .refine((p) => p.unknownValue === null || Number.isNaN(p.unknownValue) || Number.isInteger(p.unknownValue), {
    message: "unknownValue must be an integer or NaN",
    path: ["unknownValue"],
  });

interface OrdinalState {
  categories: Category[][];
}

/**
 * Encodes each categorical feature as the index of its value in the sorted categories.
 * Missing values become `encodedMissingValue` (NaN); unseen values raise an error or become
 * `unknownValue`.
 *
 * @example
 * const enc = new OrdinalEncoder().fit([{ c: "b" }, { c: "a" }]);
 * enc.transform([{ c: "b" }]).toArray(); // [[1]]
 */
export class OrdinalEncoder extends BaseTransformer<OrdinalEncoderOptions, OrdinalState> implements RowTransformer {
  private lookups: Map<Category, number>[] = [];
  private unknown: number | null = null;
  private missing = NaN;

  /**
   * Stores the options (validated at fit).
   * @example new OrdinalEncoder({ handleUnknown: "use_encoded_value", unknownValue: -1 })
   */
  constructor(options: OrdinalEncoderOptions = {}) {
    super(options);
  }

  protected paramSchema() {
    return schema;
  }

  /**
   * Categories per input feature; the code of a value is its index here.
   * @example new OrdinalEncoder().fit([{ c: "b" }, { c: "a" }]).categories_ // [["a", "b"]]
   */
  get categories_(): Category[][] {
    return this.fitted("categories").map((c) => [...c]);
  }

  /**
   * Learns the categories of every input column. Returns `this`.
   * @example new OrdinalEncoder().fit(table)
   */
  fit(X: XInput): this {
    const p = this.checkParams(schema);
    this.resetFit();
    const frame = this.fitFrame(X);
    const spec = this.specOf(frame);
    const given = p.categories === "auto" ? null : checkGivenCategories(this.estimatorName, p.categories, spec.names, spec.kinds);
    const categories: Category[][] = frame.columns.map((col, j) => {
      const u = uniqueCategories(col);
      if (!given) return u.values;
      if (p.handleUnknown === "error") {
        const known = new Set<Category>(given[j]);
        const bad = u.values.find((v) => !known.has(v));
        if (bad !== undefined) unknownCategoryError(this.estimatorName, spec.names[j], bad, -1, 'Add it to categories or set handleUnknown: "use_encoded_value".');
      }
      return given[j];
    });
    if (p.unknownValue !== null && Number.isInteger(p.unknownValue)) {
      categories.forEach((cats, j) => {
        if (p.unknownValue! >= 0 && p.unknownValue! < cats.length) {
          throw new ValidationError(`${this.estimatorName} hyper-parameters`, [
            { path: ["unknownValue"], message: `unknownValue ${p.unknownValue} is already the code of category ${JSON.stringify(cats[p.unknownValue!])} of column ${JSON.stringify(spec.names[j])}; use a negative value or NaN`, value: p.unknownValue },
          ]);
        }
      });
    }
    this.setFitted(spec, { categories });
    return this;
  }

  protected override prepare(): void {
    const p = this.checkParams(schema);
    this.lookups = this.learned.categories.map(lookupOf);
    this.unknown = p.handleUnknown === "use_encoded_value" ? p.unknownValue : null;
    this.missing = p.encodedMissingValue;
  }

  /**
   * Input column names (one code per input column).
   * @example new OrdinalEncoder().fit([{ c: "a" }]).getFeatureNamesOut() // ["c"]
   */
  getFeatureNamesOut(): string[] {
    return this.featureNamesIn_;
  }

  /**
   * Encodes X into a Matrix of codes.
   * @example enc.transformData([{ c: "a" }])
   */
  transformData(X: XInput): Matrix {
    const frame = this.checkFrame(X);
    const rows = frame.rows;
    const d = frame.columns.length;
    const out = new Float64Array(rows * d);
    for (let j = 0; j < d; j++) {
      const col = frame.columns[j];
      const idx = categoryIndices(col, this.lookups[j], -2);
      for (let i = 0, k = j; i < rows; i++, k += d) {
        const c = idx[i];
        if (c >= 0) out[k] = c;
        else if (c === -2) out[k] = this.missing;
        else if (this.unknown !== null) out[k] = this.unknown;
        else unknownCategoryError(this.estimatorName, frame.names[j], valueAt(col, i), i, 'Set handleUnknown: "use_encoded_value" with unknownValue: -1 to encode unknown categories.');
      }
    }
    return new Matrix(out, rows, d, this.spec.names);
  }

  /**
   * Number of values written per row by {@link transformRowInto}.
   * @example enc.rowOutputSize() // 3
   */
  rowOutputSize(): number {
    return this.lookups.length;
  }

  /**
   * Encodes one row into `out` at `offset`.
   * @example enc.transformRowInto(["pro"], out, 0)
   */
  transformRowInto(input: ArrayLike<unknown>, out: unknown[], offset: number): void {
    for (let j = 0; j < this.lookups.length; j++) {
      const v = input[j];
      if (v === null || v === undefined || v !== v) {
        out[offset + j] = this.missing;
        continue;
      }
      const k = this.lookups[j].get(v as Category);
      if (k !== undefined) out[offset + j] = k;
      else if (this.unknown !== null) out[offset + j] = this.unknown;
      else unknownCategoryError(this.estimatorName, this.spec.names[j], v, 0, 'Set handleUnknown: "use_encoded_value" with unknownValue: -1.');
    }
  }
}

registerEstimator(OrdinalEncoder, "OrdinalEncoder");
