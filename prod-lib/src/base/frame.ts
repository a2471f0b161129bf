import { Float64, Table, Utf8, makeData, makeVector, vectorFromArray, type Vector, type DataType } from "apache-arrow";
import { InvalidArgumentError, SchemaMismatchError, type MistypedColumn } from "@trellis/shared";
import { Matrix, SparseMatrix, isArrowTable, numericVectorToFloat64 } from "./matrix";

/** What an estimator learns about one input column at fit: numbers, or categories (strings). */
export type ColumnKind = "number" | "category";

/** A numeric column: missing values are `NaN`. */
export interface NumberColumn {
  kind: "number";
  values: Float64Array;
}

/**
 * A categorical column, dictionary coded: row `i` holds `levels[codes[i]]`, or is missing when
 * `codes[i] === -1`. Levels are unique but in no particular order; encoders map them to their
 * learned categories once per batch, not once per row.
 */
export interface CategoryColumn {
  kind: "category";
  codes: Int32Array;
  levels: string[];
}

/** One column of a {@link Frame}. */
export type FrameColumn = NumberColumn | CategoryColumn;

/** A plain row object, as read from JSON or a database driver. */
export type RowObject = Readonly<Record<string, unknown>>;

/**
 * The column-oriented table that estimators work on internally: numeric columns as Float64Array
 * (NaN = missing) and categorical columns dictionary coded. Every accepted input (Arrow Table, row
 * objects, {@link Matrix}) converts to a Frame once; slicing rows is free (views), which is how
 * pipelines score big inputs in bounded memory.
 *
 * @example
 * const f = Frame.from([{ age: 31, plan: "pro" }, { age: null, plan: "basic" }], "example");
 * f.column("plan"); // { kind: "category", codes: Int32Array [0, 1], levels: ["pro", "basic"] }
 */
export class Frame {
  readonly names: string[];
  readonly columns: FrameColumn[];
  readonly rows: number;
  /**
   * True when the column buffers were created by the library for the current computation and
   * nothing else reads them, so a step may overwrite them in place (SimpleImputer does). Frames
   * built by users, and anything returned to them, are never owned.
   */
  readonly owned: boolean;
  private readonly index: Map<string, number>;

  /**
   * Assembles a frame from columns of equal length.
   * @example new Frame(["a"], [{ kind: "number", values: Float64Array.of(1, 2) }], 2)
   */
  constructor(names: string[], columns: FrameColumn[], rows: number, owned = false) {
    this.names = names;
    this.columns = columns;
    this.rows = rows;
    this.owned = owned;
    this.index = new Map(names.map((n, j) => [n, j]));
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j];
      const len = c.kind === "number" ? c.values.length : c.codes.length;
      if (len !== rows) {
        throw new InvalidArgumentError(`Frame: column ${JSON.stringify(names[j])} has ${len} rows, expected ${rows}.`);
      }
    }
  }

  /**
   * Converts any accepted input to a frame (row objects, Arrow Table, Matrix, or a Frame as is).
   * `owner` names the caller in errors.
   * @example Frame.from(Matrix.fromArray([[1, 2]]), "StandardScaler").names // ["x0", "x1"]
   */
  static from(X: XInput, owner: string): Frame {
    return toFrame(X, owner);
  }

  /**
   * Column by name, or `undefined`.
   * @example Frame.from([{ a: 1 }], "x").column("a")?.kind // "number"
   */
  column(name: string): FrameColumn | undefined {
    const j = this.index.get(name);
    return j === undefined ? undefined : this.columns[j];
  }

  /**
   * Position of a column, or -1.
   * @example Frame.from([{ a: 1, b: 2 }], "x").indexOf("b") // 1
   */
  indexOf(name: string): number {
    return this.index.get(name) ?? -1;
  }

  /**
   * Rows `start` to `end` (exclusive), sharing buffers with this frame.
   * @example Frame.from([{ a: 1 }, { a: 2 }], "x").slice(1, 2).rows // 1
   */
  slice(start: number, end: number): Frame {
    const cols = this.columns.map((c): FrameColumn =>
      c.kind === "number"
        ? { kind: "number", values: c.values.subarray(start, end) }
        : { kind: "category", codes: c.codes.subarray(start, end), levels: c.levels },
    );
    return new Frame(this.names, cols, end - start, this.owned);
  }

  /**
   * A frame with the named columns, in that order (columns are shared, not copied). The result
   * is owned only with `keepOwned` (the caller guarantees no other selection shares a column).
   * @example Frame.from([{ a: 1, b: 2 }], "x").select(["b"]).names // ["b"]
   */
  select(names: readonly string[], owner = "Frame.select", keepOwned = false): Frame {
    const missing = names.filter((n) => !this.index.has(n));
    if (missing.length) throw new SchemaMismatchError(`${owner} input`, { missing });
    return new Frame([...names], names.map((n) => this.columns[this.index.get(n) as number]), this.rows, keepOwned && this.owned);
  }

  /**
   * The numeric columns as a dense row-major {@link Matrix}; throws naming a categorical column.
   * @example Frame.from([{ a: 1, b: 2 }], "x").toMatrix().toArray() // [[1, 2]]
   */
  toMatrix(owner = "Frame.toMatrix"): Matrix {
    const { rows } = this;
    const cols = this.columns.length;
    const data = new Float64Array(rows * cols);
    for (let j = 0; j < cols; j++) {
      const c = this.columns[j];
      if (c.kind !== "number") {
        throw new SchemaMismatchError(
          `${owner} input`,
          { mistyped: [{ column: this.names[j], expected: "number", actual: "string" }] },
          "Encode categorical columns first (OneHotEncoder or OrdinalEncoder).",
        );
      }
      const v = c.values;
      for (let i = 0, k = j; i < rows; i++, k += cols) data[k] = v[i];
    }
    return new Matrix(data, rows, cols, this.names);
  }

  /**
   * An Arrow table: numeric columns as Float64 (NaN kept), categorical columns as Utf8 with nulls.
   * @example Frame.from([{ a: "x" }], "f").toArrow().getChild("a")?.get(0) // "x"
   */
  toArrow(): Table {
    const cols: Record<string, (string | null)[] | Float64Array> = {};
    for (let j = 0; j < this.columns.length; j++) {
      const c = this.columns[j];
      if (c.kind === "number") cols[this.names[j]] = c.values;
      else cols[this.names[j]] = Array.from(c.codes, (code) => (code < 0 ? null : c.levels[code]));
    }
    return arrowTableFromColumns(cols);
  }
}

/** Every shape of feature input an estimator accepts. */
export type XInput = Table | Matrix | SparseMatrix | Frame | readonly RowObject[];

/** Expected columns and kinds (recorded at fit) used to convert and check later inputs. */
export interface InputSpec {
  names: string[];
  kinds: ColumnKind[];
}

/** Columns to take from an input, by name, with kinds inferred (a fit-time selection). */
export interface ColumnSelection {
  names: readonly string[];
  kinds?: undefined;
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "object" && v !== null) return Array.isArray(v) ? "array" : "object";
  return `${typeof v} ${String(v)}`;
}

/** Builds a category column from arbitrary values; returns null when a non-string appears. */
function categoryFromValues(get: (i: number) => unknown, rows: number): CategoryColumn {
  const codes = new Int32Array(rows);
  const map = new Map<string, number>();
  const levels: string[] = [];
  for (let i = 0; i < rows; i++) {
    const v = get(i);
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) {
      codes[i] = -1;
      continue;
    }
    const s = v as string;
    let code = map.get(s);
    if (code === undefined) {
      code = levels.length;
      levels.push(s);
      map.set(s, code);
    }
    codes[i] = code;
  }
  return { kind: "category", codes, levels };
}

function rowsColumn(
  rows: readonly RowObject[],
  name: string,
  expected: ColumnKind | undefined,
  rowOffset: number,
  mistyped: MistypedColumn[],
): FrameColumn | null {
  const n = rows.length;
  // Decide the kind from the first present value unless the fit recorded one.
  let kind = expected;
  if (kind === undefined) {
    for (let i = 0; i < n; i++) {
      const v = rows[i][name];
      if (v === null || v === undefined) continue;
      if (typeof v === "number" && Number.isNaN(v)) continue;
      kind = typeof v === "string" ? "category" : "number";
      break;
    }
    kind ??= "number";
  }
  if (kind === "number") {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i][name];
      if (typeof v === "number") values[i] = v;
      else if (v === null || v === undefined) values[i] = NaN;
      else if (typeof v === "boolean") values[i] = v ? 1 : 0;
      else {
        mistyped.push({ column: name, expected: "number", actual: `${describeValue(v)} at row ${i + rowOffset}` });
        return null;
      }
    }
    return { kind: "number", values };
  }
  for (let i = 0; i < n; i++) {
    const v = rows[i][name];
    if (typeof v !== "string" && v !== null && v !== undefined && !(typeof v === "number" && Number.isNaN(v))) {
      mistyped.push({ column: name, expected: "string", actual: `${describeValue(v)} at row ${i + rowOffset}` });
      return null;
    }
  }
  return categoryFromValues((i) => rows[i][name], n);
}

function utf8VectorToCategory(vec: Vector<DataType>): CategoryColumn {
  const n = vec.length;
  const codes = new Int32Array(n);
  const levels: string[] = [];
  const map = new Map<string, number>();
  let offset = 0;
  for (const chunk of vec.data) {
    const typeId = chunk.type.typeId;
    if (typeId === -1) {
      // Dictionary: translate the chunk's dictionary once, then its integer indices.
      const dict = chunk.dictionary;
      const dictLen = dict ? dict.length : 0;
      const translate = new Int32Array(dictLen);
      for (let d = 0; d < dictLen; d++) {
        const s = dict!.get(d) as string | null;
        if (s === null || s === undefined) {
          translate[d] = -1;
          continue;
        }
        let code = map.get(s);
        if (code === undefined) {
          code = levels.length;
          levels.push(s);
          map.set(s, code);
        }
        translate[d] = code;
      }
      const idx = chunk.values as ArrayLike<number | bigint>;
      const bm = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
      // Arrow JS slices the index buffer (index i) but not the validity bitmap (offset + i).
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk.offset + i;
        if (bm && ((bm[b >> 3] >> (b & 7)) & 1) === 0) codes[offset + i] = -1;
        else codes[offset + i] = translate[Number(idx[i])];
      }
    } else {
      const c = categoryFromChunkStrings(chunk as unknown as { length: number; offset: number; nullCount: number; nullBitmap?: Uint8Array; valueOffsets: Int32Array | BigInt64Array; values: Uint8Array }, map, levels);
      codes.set(c, offset);
    }
    offset += chunk.length;
  }
  return { kind: "category", codes, levels };
}

const decoder = new TextDecoder();

/**
 * Codes a Utf8 chunk without decoding every string: each row's bytes are hashed into an
 * open-addressing table (typed arrays, so nothing is allocated per row) and a string is decoded
 * only the first time its bytes are seen.
 */
function categoryFromChunkStrings(
  chunk: { length: number; offset: number; nullCount: number; nullBitmap?: Uint8Array; valueOffsets: Int32Array | BigInt64Array; values: Uint8Array },
  map: Map<string, number>,
  levels: string[],
): Int32Array {
  const n = chunk.length;
  const out = new Int32Array(n);
  const offs = chunk.valueOffsets;
  if (offs instanceof BigInt64Array) {
    // LargeUtf8: rare; decode through the generic path.
    for (let i = 0; i < n; i++) {
      const b = chunk.offset + i;
      const bm = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
      if (bm && ((bm[b >> 3] >> (b & 7)) & 1) === 0) {
        out[i] = -1;
        continue;
      }
      const s = decoder.decode(chunk.values.subarray(Number(offs[i]), Number(offs[i + 1])));
      let c = map.get(s);
      if (c === undefined) {
        c = levels.length;
        levels.push(s);
        map.set(s, c);
      }
      out[i] = c;
    }
    return out;
  }
  const bytes = chunk.values;
  const bm = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
  let cap = 1024;
  let mask = cap - 1;
  let slots = new Int32Array(cap).fill(-1); // entry index per slot
  let entStart = new Int32Array(256);
  let entLen = new Int32Array(256);
  let entCode = new Int32Array(256);
  let entHash = new Int32Array(256);
  let nEnt = 0;
  for (let i = 0; i < n; i++) {
    const b = chunk.offset + i;
    if (bm !== undefined && ((bm[b >> 3] >> (b & 7)) & 1) === 0) {
      out[i] = -1;
      continue;
    }
    // The offsets buffer is sliced with the chunk (index i); the validity bitmap is not (offset + i).
    const start = offs[i];
    const end = offs[i + 1];
    const len = end - start;
    let h = 0x811c9dc5 ^ len;
    for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], 16777619);
    let slot = h & mask;
    let code = -1;
    for (;;) {
      const e = slots[slot];
      if (e < 0) break;
      if (entHash[e] === h && entLen[e] === len) {
        const s0 = entStart[e];
        let k = 0;
        while (k < len && bytes[s0 + k] === bytes[start + k]) k++;
        if (k === len) {
          code = entCode[e];
          break;
        }
      }
      slot = (slot + 1) & mask;
    }
    if (code < 0) {
      const s = decoder.decode(bytes.subarray(start, end));
      let c = map.get(s);
      if (c === undefined) {
        c = levels.length;
        levels.push(s);
        map.set(s, c);
      }
      code = c;
      if (nEnt === entStart.length) {
        const grow = (a: Int32Array) => {
          const g = new Int32Array(a.length * 2);
          g.set(a);
          return g;
        };
        entStart = grow(entStart);
        entLen = grow(entLen);
        entCode = grow(entCode);
        entHash = grow(entHash);
      }
      entStart[nEnt] = start;
      entLen[nEnt] = len;
      entCode[nEnt] = code;
      entHash[nEnt] = h;
      slots[slot] = nEnt++;
      if (nEnt * 2 > cap) {
        // Keep the load factor below one half.
        cap *= 4;
        mask = cap - 1;
        slots = new Int32Array(cap).fill(-1);
        for (let e = 0; e < nEnt; e++) {
          let sl = entHash[e] & mask;
          while (slots[sl] >= 0) sl = (sl + 1) & mask;
          slots[sl] = e;
        }
      }
    }
    out[i] = code;
  }
  return out;
}

function arrowColumn(vec: Vector<DataType>, name: string, expected: ColumnKind | undefined, owner: string, mistyped: MistypedColumn[]): FrameColumn | null {
  const t = vec.type;
  const typeId = t.typeId;
  let actual: ColumnKind | null = null;
  // Utf8 = 5, LargeUtf8 = 20, Dictionary = -1 (with a Utf8 dictionary); Int = 2, Float = 3, Bool = 6.
  if (typeId === 5 || typeId === 20) actual = "category";
  else if (typeId === -1) {
    const dt = (t as unknown as { dictionary: DataType }).dictionary.typeId;
    if (dt === 5 || dt === 20) actual = "category";
  } else if (typeId === 2 || typeId === 3 || typeId === 6) actual = "number";
  if (actual === null) {
    mistyped.push({ column: name, expected: expected === "category" ? "string" : (expected ?? "number or string"), actual: `Arrow ${String(t)}` });
    return null;
  }
  if (expected !== undefined && expected !== actual) {
    // A column that is entirely null carries no type information worth refusing.
    if (vec.nullCount === vec.length) {
      return expected === "number"
        ? { kind: "number", values: new Float64Array(vec.length).fill(NaN) }
        : { kind: "category", codes: new Int32Array(vec.length).fill(-1), levels: [] };
    }
    mistyped.push({ column: name, expected: expected === "category" ? "string" : "number", actual: `Arrow ${String(t)}` });
    return null;
  }
  if (actual === "number") return { kind: "number", values: numericVectorToFloat64(vec, name, owner) };
  return utf8VectorToCategory(vec);
}

function throwMismatch(owner: string, missing: string[], mistyped: MistypedColumn[]): void {
  if (missing.length || mistyped.length) {
    throw new SchemaMismatchError(
      `${owner} input`,
      { missing, mistyped },
      missing.length
        ? "Pass every column seen at fit (extra columns are ignored)."
        : "Numeric columns take numbers (null/NaN = missing); categorical columns take strings.",
    );
  }
}

function isRowArray(X: unknown): X is readonly RowObject[] {
  return Array.isArray(X);
}

/**
 * Converts any accepted input to a {@link Frame}. With `spec` (recorded at fit), the frame holds
 * exactly `spec.names` in that order, and any missing or mistyped column is reported at once in a
 * `SchemaMismatchError`; extra columns are ignored. A {@link ColumnSelection} (names without kinds)
 * takes those columns and infers their kinds. `owned` marks a fresh conversion as owned by the
 * caller (see {@link Frame.owned}); only library internals pass it. `rowOffset` shifts the row
 * numbers in error messages (for inputs converted chunk by chunk). A sparse matrix is refused here: estimators
 * that accept sparse input check for it before converting.
 *
 * @example
 * toFrame([{ b: "x", a: 1 }], "OneHotEncoder", { names: ["a", "b"], kinds: ["number", "category"] }).names // ["a", "b"]
 */
export function toFrame(
  X: XInput,
  owner: string,
  spec?: InputSpec | ColumnSelection,
  options: { owned?: boolean; rowOffset?: number } = {},
): Frame {
  // Fresh conversions may be marked owned by library callers; a given Frame keeps its own flag.
  const owned = options.owned ?? false;
  const missing: string[] = [];
  const mistyped: MistypedColumn[] = [];
  if (X instanceof Frame) {
    if (!spec) return X;
    const cols: FrameColumn[] = [];
    for (let j = 0; j < spec.names.length; j++) {
      const c = X.column(spec.names[j]);
      if (!c) missing.push(spec.names[j]);
      else if (spec.kinds && c.kind !== spec.kinds[j]) mistyped.push({ column: spec.names[j], expected: spec.kinds[j] === "number" ? "number" : "string", actual: c.kind === "number" ? "number" : "string" });
      else cols.push(c);
    }
    throwMismatch(owner, missing, mistyped);
    return new Frame([...spec.names], cols, X.rows, X.owned);
  }
  if (X instanceof Matrix) {
    const names = spec ? spec.names : X.columns;
    const cols: FrameColumn[] = [];
    const pos = new Map(X.columns.map((c, j) => [c, j]));
    for (let j = 0; j < names.length; j++) {
      const p = pos.get(names[j]);
      if (p === undefined) missing.push(names[j]);
      else if (spec?.kinds && spec.kinds[j] !== "number") mistyped.push({ column: names[j], expected: "string", actual: "number (Matrix)" });
      else cols.push({ kind: "number", values: X.column(p) });
    }
    throwMismatch(owner, missing, mistyped);
    return new Frame([...names], cols, X.rows, owned);
  }
  if (X instanceof SparseMatrix) {
    throw new InvalidArgumentError(
      `${owner} does not accept a SparseMatrix here; pass dense data (sparse.toDense()) or a sparse-capable setting.`,
    );
  }
  if (isArrowTable(X)) {
    const names = spec ? spec.names : X.schema.fields.map((f) => f.name);
    const cols: FrameColumn[] = [];
    for (let j = 0; j < names.length; j++) {
      const vec = X.getChild(names[j]);
      if (!vec) {
        missing.push(names[j]);
        continue;
      }
      const c = arrowColumn(vec, names[j], spec?.kinds?.[j], owner, mistyped);
      if (c) cols.push(c);
    }
    throwMismatch(owner, missing, mistyped);
    return new Frame([...names], cols, X.numRows, owned);
  }
  if (isRowArray(X)) {
    const rows = X;
    for (let i = 0; i < Math.min(rows.length, 1); i++) {
      if (typeof rows[i] !== "object" || rows[i] === null || Array.isArray(rows[i])) {
        throw new InvalidArgumentError(
          `${owner}: row ${i} is ${Array.isArray(rows[i]) ? "an array" : describeValue(rows[i])}; pass row objects ({ column: value }), an Arrow Table or a Matrix (Matrix.fromArray for number[][]).`,
        );
      }
    }
    const names = spec ? spec.names : rows.length ? Object.keys(rows[0]) : [];
    const cols: FrameColumn[] = [];
    for (let j = 0; j < names.length; j++) {
      const name = names[j];
      if (spec && rows.length > 0 && !(name in rows[0])) {
        missing.push(name);
        continue;
      }
      const c = rowsColumn(rows, name, spec?.kinds?.[j], options.rowOffset ?? 0, mistyped);
      if (c) cols.push(c);
    }
    throwMismatch(owner, missing, mistyped);
    return new Frame([...names], cols, rows.length, owned);
  }
  throw new InvalidArgumentError(
    `${owner}: X is ${describeValue(X)}; pass an Apache Arrow Table, an array of row objects or a Matrix.`,
  );
}

/**
 * Number of rows of any accepted input.
 * @example nRows([{ a: 1 }, { a: 2 }]) // 2
 */
export function nRows(X: XInput): number {
  if (isArrowTable(X)) return X.numRows;
  if (X instanceof Matrix || X instanceof SparseMatrix || X instanceof Frame) return X.rows;
  if (Array.isArray(X)) return X.length;
  return 0;
}

/**
 * Builds an Arrow table from Float64 columns and nullable string columns.
 * @example arrowTableFromColumns({ a: Float64Array.of(1), s: ["x"] }).numRows // 1
 */
export function arrowTableFromColumns(cols: Record<string, (string | null)[] | Float64Array>): Table {
  const vectors: Record<string, Vector<DataType>> = {};
  for (const [name, c] of Object.entries(cols)) {
    vectors[name] = c instanceof Float64Array ? arrowFloat64(c) : arrowUtf8(c);
  }
  return new Table(vectors);
}

function arrowFloat64(values: Float64Array): Vector<DataType> {
  return makeVector(makeData({ type: new Float64(), length: values.length, data: values })) as Vector<DataType>;
}

function arrowUtf8(values: (string | null)[]): Vector<DataType> {
  return vectorFromArray(values, new Utf8()) as Vector<DataType>;
}
