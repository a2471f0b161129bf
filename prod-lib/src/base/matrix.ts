import { Float64, Table, Vector, makeData, makeVector, type DataType } from "apache-arrow";
import { InvalidArgumentError } from "@trellis/shared";

/**
 * True for an Apache Arrow Table, also one made by another copy or version of apache-arrow
 * (checked by shape, not `instanceof`, so tables from the caller's own Arrow build work).
 * @example isArrowTable(tableFromArrays({ a: Float64Array.of(1) })) // true
 */
export function isArrowTable(x: unknown): x is Table {
  if (x instanceof Table) return true;
  const t = x as { schema?: { fields?: unknown }; getChild?: unknown; numRows?: unknown } | null;
  return typeof t === "object" && t !== null && Array.isArray(t.schema?.fields) && typeof t.getChild === "function" && typeof t.numRows === "number";
}

/**
 * True for an Apache Arrow Vector (by shape, see {@link isArrowTable}).
 * @example isArrowVector(vectorFromArray([1, 2])) // true
 */
export function isArrowVector(x: unknown): x is Vector<DataType> {
  if (x instanceof Vector) return true;
  const v = x as { data?: unknown; get?: unknown; length?: unknown; type?: unknown } | null;
  return typeof v === "object" && v !== null && Array.isArray(v.data) && typeof v.get === "function" && typeof v.length === "number" && typeof v.type === "object";
}

/**
 * Default column names for unnamed data, as scikit-learn names generated features: `x0`, `x1`, …
 * @example defaultColumnNames(2) // ["x0", "x1"]
 */
export function defaultColumnNames(n: number): string[] {
  const out = new Array<string>(n);
  for (let j = 0; j < n; j++) out[j] = `x${j}`;
  return out;
}

function checkColumns(owner: string, columns: readonly string[] | undefined, cols: number): string[] {
  if (columns === undefined) return defaultColumnNames(cols);
  if (columns.length !== cols) {
    throw new InvalidArgumentError(
      `${owner}: got ${columns.length} column name(s) for ${cols} column(s); pass exactly one name per column.`,
    );
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (typeof c !== "string") throw new InvalidArgumentError(`${owner}: column name ${String(c)} is not a string.`);
    if (seen.has(c)) throw new InvalidArgumentError(`${owner}: duplicate column name ${JSON.stringify(c)}; names must be unique.`);
    seen.add(c);
  }
  return [...columns];
}

/**
 * A dense, row-major matrix of doubles with named columns: what `transform` returns and what
 * `predictProba` returns (one column per class). Missing values are `NaN`.
 *
 * `data[i * cols + j]` is row `i`, column `j`. The matrix owns `data` but never copies it on
 * construction, so wrapping an existing buffer is free.
 *
 * @example
 * const m = Matrix.fromArray([[1, 2], [3, 4]], ["a", "b"]);
 * m.get(1, 0); // 3
 */
export class Matrix {
  /** Row-major values, `rows * cols` long. */
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** One name per column. */
  readonly columns: string[];

  /**
   * Wraps a row-major buffer (not copied).
   * @example new Matrix(new Float64Array([1, 2, 3, 4]), 2, 2, ["a", "b"])
   */
  constructor(data: Float64Array, rows: number, cols: number, columns?: readonly string[]) {
    if (!(data instanceof Float64Array)) throw new InvalidArgumentError("Matrix: data must be a Float64Array.");
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new InvalidArgumentError(`Matrix: rows (${rows}) and cols (${cols}) must be non-negative integers.`);
    }
    if (data.length !== rows * cols) {
      throw new InvalidArgumentError(
        `Matrix: data has ${data.length} values but rows * cols = ${rows} * ${cols} = ${rows * cols}; pass a buffer of that length.`,
      );
    }
    this.data = data;
    this.rows = rows;
    this.cols = cols;
    this.columns = checkColumns("Matrix", columns, cols);
  }

  /**
   * Builds a matrix from an array of rows (copied). Missing values may be given as `null`/`NaN`.
   * @example Matrix.fromArray([[1, 2], [3, null]], ["a", "b"]).get(1, 1) // NaN
   */
  static fromArray(rows: readonly (readonly (number | null | undefined)[])[], columns?: readonly string[]): Matrix {
    if (!Array.isArray(rows)) throw new InvalidArgumentError("Matrix.fromArray: expected an array of rows (number[][]).");
    const n = rows.length;
    const cols = n > 0 ? rows[0].length : (columns?.length ?? 0);
    const data = new Float64Array(n * cols);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!Array.isArray(r) || r.length !== cols) {
        throw new InvalidArgumentError(
          `Matrix.fromArray: row ${i} has ${Array.isArray(r) ? r.length : "no"} values, expected ${cols}; every row needs the same length.`,
        );
      }
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = r[j];
        if (v === null || v === undefined) data[base + j] = NaN;
        else if (typeof v === "number") data[base + j] = v;
        else {
          throw new InvalidArgumentError(
            `Matrix.fromArray: value at row ${i}, column ${j} is ${JSON.stringify(v)}; only numbers, null or NaN are allowed.`,
          );
        }
      }
    }
    return new Matrix(data, n, cols, columns);
  }

  /**
   * Builds a matrix from numeric columns of an Arrow table (nulls become `NaN`). `columns` picks and
   * orders the columns; by default every column is taken.
   * @example Matrix.fromArrow(tableFromArrays({ a: Float64Array.of(1, 2) })).toArray() // [[1], [2]]
   */
  static fromArrow(table: Table, columns?: readonly string[]): Matrix {
    if (!isArrowTable(table)) throw new InvalidArgumentError("Matrix.fromArrow: expected an Apache Arrow Table.");
    const names = columns ? [...columns] : table.schema.fields.map((f) => f.name);
    const rows = table.numRows;
    const cols = names.length;
    const data = new Float64Array(rows * cols);
    for (let j = 0; j < cols; j++) {
      const vec = table.getChild(names[j]);
      if (!vec) {
        throw new InvalidArgumentError(
          `Matrix.fromArrow: column ${JSON.stringify(names[j])} is not in the table; available: ${table.schema.fields.map((f) => f.name).join(", ")}.`,
        );
      }
      const col = numericVectorToFloat64(vec, names[j], "Matrix.fromArrow");
      for (let i = 0, k = j; i < rows; i++, k += cols) data[k] = col[i];
    }
    return new Matrix(data, rows, cols, names);
  }

  /**
   * Value at row `i`, column `j`.
   * @example Matrix.fromArray([[1, 2]]).get(0, 1) // 2
   */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  /**
   * One column as a new Float64Array.
   * @example Matrix.fromArray([[1, 2], [3, 4]]).column(1) // Float64Array [2, 4]
   */
  column(j: number): Float64Array {
    const out = new Float64Array(this.rows);
    const { data, cols } = this;
    for (let i = 0, k = j; i < this.rows; i++, k += cols) out[i] = data[k];
    return out;
  }

  /**
   * Rows as nested arrays.
   * @example Matrix.fromArray([[1, 2]]).toArray() // [[1, 2]]
   */
  toArray(): number[][] {
    const out: number[][] = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols));
    return out;
  }

  /**
   * An Arrow table with one Float64 column per matrix column (NaN stays NaN).
   * @example Matrix.fromArray([[1, 2]], ["a", "b"]).toArrow().getChild("b")?.get(0) // 2
   */
  toArrow(): Table {
    const vectors: Record<string, Vector<Float64>> = {};
    for (let j = 0; j < this.cols; j++) {
      vectors[this.columns[j]] = makeVector(makeData({ type: new Float64(), length: this.rows, data: this.column(j) }));
    }
    return new Table(vectors);
  }

  /**
   * Rows `start` (inclusive) to `end` (exclusive) as a matrix sharing this one's buffer.
   * @example Matrix.fromArray([[1], [2], [3]]).sliceRows(1, 3).toArray() // [[2], [3]]
   */
  sliceRows(start: number, end: number): Matrix {
    return new Matrix(this.data.subarray(start * this.cols, end * this.cols), end - start, this.cols, this.columns);
  }
}

/**
 * A compressed-sparse-row matrix of doubles: row `i` holds `values[k]` at column `indices[k]` for
 * `k` in `indptr[i] .. indptr[i + 1]`. Produced by one-hot encoding so that wide categorical
 * features never need a dense buffer. Column indices within a row are sorted ascending.
 *
 * @example
 * const s = new SparseMatrix(Int32Array.of(0, 1, 2), Int32Array.of(1, 0), Float64Array.of(1, 1), 2, 2);
 * s.toDense().toArray(); // [[0, 1], [1, 0]]
 */
export class SparseMatrix {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly columns: string[];

  /**
   * Wraps CSR buffers (not copied).
   * @example new SparseMatrix(Int32Array.of(0, 1), Int32Array.of(0), Float64Array.of(5), 1, 1, ["a"])
   */
  constructor(
    indptr: Int32Array,
    indices: Int32Array,
    values: Float64Array,
    rows: number,
    cols: number,
    columns?: readonly string[],
  ) {
    if (indptr.length !== rows + 1) {
      throw new InvalidArgumentError(`SparseMatrix: indptr has length ${indptr.length}, expected rows + 1 = ${rows + 1}.`);
    }
    const nnz = indptr[rows];
    if (indices.length < nnz || values.length < nnz) {
      throw new InvalidArgumentError(
        `SparseMatrix: indptr says ${nnz} stored values but indices/values hold ${indices.length}/${values.length}.`,
      );
    }
    this.indptr = indptr;
    this.indices = indices;
    this.values = values;
    this.rows = rows;
    this.cols = cols;
    this.columns = checkColumns("SparseMatrix", columns, cols);
  }

  /**
   * Number of stored values.
   * @example new SparseMatrix(Int32Array.of(0, 1), Int32Array.of(0), Float64Array.of(5), 1, 1).nnz // 1
   */
  get nnz(): number {
    return this.indptr[this.rows];
  }

  /**
   * Value at row `i`, column `j` (0 when not stored).
   * @example new SparseMatrix(Int32Array.of(0, 1), Int32Array.of(1), Float64Array.of(5), 1, 2).get(0, 1) // 5
   */
  get(i: number, j: number): number {
    for (let k = this.indptr[i]; k < this.indptr[i + 1]; k++) if (this.indices[k] === j) return this.values[k];
    return 0;
  }

  /**
   * The same values as a dense {@link Matrix}.
   * @example new SparseMatrix(Int32Array.of(0, 1), Int32Array.of(1), Float64Array.of(5), 1, 2).toDense().toArray() // [[0, 5]]
   */
  toDense(): Matrix {
    const { rows, cols, indptr, indices, values } = this;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let k = indptr[i]; k < indptr[i + 1]; k++) data[base + indices[k]] += values[k];
    }
    return new Matrix(data, rows, cols, this.columns);
  }

  /**
   * Rows `start` to `end` (exclusive) as a new sparse matrix (buffers copied, indptr rebased).
   * @example SparseMatrix.fromDense(Matrix.fromArray([[1], [0], [2]])).sliceRows(2, 3).toDense().toArray() // [[2]]
   */
  sliceRows(start: number, end: number): SparseMatrix {
    const lo = this.indptr[start];
    const hi = this.indptr[end];
    const indptr = new Int32Array(end - start + 1);
    for (let i = start; i <= end; i++) indptr[i - start] = this.indptr[i] - lo;
    return new SparseMatrix(indptr, this.indices.slice(lo, hi), this.values.slice(lo, hi), end - start, this.cols, this.columns);
  }

  /**
   * Converts a dense matrix, storing only non-zero values (NaN is stored).
   * @example SparseMatrix.fromDense(Matrix.fromArray([[0, 2]])).nnz // 1
   */
  static fromDense(m: Matrix): SparseMatrix {
    const { rows, cols, data } = m;
    let nnz = 0;
    for (let k = 0; k < data.length; k++) if (data[k] !== 0) nnz++;
    const indptr = new Int32Array(rows + 1);
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let p = 0;
    for (let i = 0; i < rows; i++) {
      const base = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[base + j];
        if (v !== 0) {
          indices[p] = j;
          values[p++] = v;
        }
      }
      indptr[i + 1] = p;
    }
    return new SparseMatrix(indptr, indices, values, rows, cols, m.columns);
  }
}

/**
 * Reads a numeric Arrow vector into a new Float64Array with nulls as NaN; throws naming the
 * column for non-numeric types.
 * @example numericVectorToFloat64(vectorFromArray([1, null]), "a", "Matrix.fromArrow") // Float64Array [1, NaN]
 */
export function numericVectorToFloat64(vec: Vector<DataType>, name: string, owner: string): Float64Array {
  const n = vec.length;
  const out = new Float64Array(n);
  let offset = 0;
  for (const chunk of vec.data) {
    const typeId = chunk.type.typeId;
    // Arrow Type ids: Int = 2, Float = 3, Bool = 6, Decimal etc. are refused.
    if (typeId !== 2 && typeId !== 3 && typeId !== 6) {
      throw new InvalidArgumentError(
        `${owner}: column ${JSON.stringify(name)} has Arrow type ${String(chunk.type)}, expected a numeric type; encode it first (e.g. OneHotEncoder).`,
      );
    }
    const len = chunk.length;
    const values = chunk.values as ArrayLike<number | bigint>;
    if (typeId === 6) {
      const bits = chunk.values as Uint8Array;
      for (let i = 0; i < len; i++) {
        const b = chunk.offset + i;
        out[offset + i] = (bits[b >> 3] >> (b & 7)) & 1;
      }
    } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      // Arrow JS slices fixed-width value buffers (index i), but not validity or boolean bitmaps (offset + i).
      for (let i = 0; i < len; i++) out[offset + i] = Number(values[i]);
    } else if ((chunk.type as { precision?: number }).precision === 0 && typeId === 3) {
      // Float16 stores raw half-precision bits: decode through the vector.
      for (let i = 0; i < len; i++) out[offset + i] = Number(vec.get(offset + i) ?? NaN);
    } else if (values instanceof Float64Array) {
      out.set(values.subarray(0, len), offset);
    } else {
      const v = values as ArrayLike<number>;
      for (let i = 0; i < len; i++) out[offset + i] = v[i];
    }
    if (chunk.nullCount > 0 && chunk.nullBitmap) {
      const bm = chunk.nullBitmap;
      const o = chunk.offset;
      let i = 0;
      // Bit by bit until the bitmap is byte aligned, then a byte at a time (0xff = all valid).
      for (; i < len && ((o + i) & 7) !== 0; i++) {
        const b = o + i;
        if (((bm[b >> 3] >> (b & 7)) & 1) === 0) out[offset + i] = NaN;
      }
      for (; i + 8 <= len; i += 8) {
        const byte = bm[(o + i) >> 3];
        if (byte === 0xff) continue;
        for (let k = 0; k < 8; k++) if (((byte >> k) & 1) === 0) out[offset + i + k] = NaN;
      }
      for (; i < len; i++) {
        const b = o + i;
        if (((bm[b >> 3] >> (b & 7)) & 1) === 0) out[offset + i] = NaN;
      }
    }
    offset += len;
  }
  return out;
}
