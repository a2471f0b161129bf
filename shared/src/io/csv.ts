/**
 * CSV to and from Arrow: RFC 4180 quoting (delimiters, quotes and newlines inside quoted cells), LF
 * or CRLF line ends, a leading byte-order mark, typed by a schema or inferred with a reported guess,
 * streamed batch by batch, written atomically.
 *
 * Reading rules:
 * - An unquoted cell equal to one of `nullValues` (default: only the empty cell) is null; a quoted
 *   cell is never null (`""` is the empty string). Blank lines are skipped.
 * - With `schema` (zod object or Arrow schema) the output has exactly the schema's columns in the
 *   schema's order; file columns the schema does not declare are dropped (as `z.object` strips
 *   unknown keys) and a declared column missing from the file is a {@link SchemaMismatchError}.
 * - Without a schema the types are guessed (every inferred column is nullable), in the same pass as
 *   the read (a column widens when a later value does not fit, see `csv-parse.ts`): `true`/`false` →
 *   Bool, integers → Int64, other decimals → Float64, `YYYY-MM-DD` → Date(DAY), ISO 8601 date-times
 *   → Timestamp(MICROSECOND, "UTC") (no offset means UTC), anything else → Utf8. {@link readCsv}
 *   guesses from every row; {@link readCsvBatches} from the first `inferRows` rows.
 * - Parse errors are {@link DataIoError}s naming the file, the line (1-based, header included) and
 *   the column.
 *
 * Writing rules: numbers in JS's shortest round-trip form, Int64 exact, booleans `true`/`false`,
 * timestamps ISO 8601 UTC (`2024-01-02T03:04:05.678Z`, micro/nanoseconds kept when present), dates
 * `YYYY-MM-DD`, binary as base64, nested values as JSON; null is an empty cell and the empty string
 * `""`, so both survive a round trip.
 */
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import * as arrow from "apache-arrow";
import type { z } from "zod";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../errors";
import { filterTable, validateFilter, type Filter } from "../frame/filter";
import { arrowSchemaToZod, zodToArrowSchema, type ZodShapeInput } from "../frame/schema";
import { ColumnBuilder, makeBatch, describe as describeValue } from "../frame/table";
import { removeStaleTemps, tempPath } from "./temp-files";
import { unwrapTable, type WithTable } from "../frame/table-like";
import { type ColumnSpec, CsvColumns, RecordScanner, cellText, daysFromCivil } from "./csv-parse";
import { defaultCsvThreads, readParallel } from "./csv-parallel";
import { BlockReader, readRangeSync } from "./file-blocks";

/** Options of {@link readCsv}, {@link parseCsv} and {@link readCsvBatches}. */
export interface ReadCsvOptions {
  /** Column types: a zod object (or record of zod fields) or an Arrow schema. Omit to infer. */
  schema?: ZodShapeInput | arrow.Schema;
  /** One character; default `","` (`"\t"` for a `.tsv` path). */
  delimiter?: string;
  /** One character; default `'"'`. */
  quote?: string;
  /** Whether the first record holds the column names; default true. */
  header?: boolean;
  /** Column names to use instead of the header (or `f0, f1, …` when there is no header). */
  names?: string[];
  /** Keep only these columns, in this order. */
  columns?: string[];
  /** Unquoted cell texts read as null; default `[""]`. */
  nullValues?: string[];
  /** Rows per record batch; default 65536. */
  batchSize?: number;
  /** Rows used to guess the types when there is no schema; default all rows ({@link readCsv}) or 10000 (streaming). */
  inferRows?: number;
  /** Keep only the rows matching this filter. */
  filter?: Filter;
  /**
   * Threads {@link readCsv} may use for a file of 16 MiB or more without quote characters (a
   * file with one is read in one pass): the calling thread and worker threads, each reading a part
   * of the file from disk (same table, types and guess as one thread). Default: one per core, at most 4; 1 reads on the calling
   * thread only. Other readers read on the calling thread.
   */
  threads?: number;
}

/** The types guessed for a CSV file, reported so they can be pinned in code. */
export interface CsvInference {
  /** The Arrow schema used to read the file. */
  schema: arrow.Schema;
  /** The same as a zod object schema (Int64 as `z.int()`). */
  zod: z.ZodObject;
  /** A one-line human summary, e.g. `id: Int64, name: Utf8, at: Timestamp<MICROSECOND, UTC>`. */
  summary: string;
  /** How many rows the guess looked at. */
  rowsSampled: number;
}

/** What {@link readCsv} and {@link parseCsv} return. */
export interface CsvReadResult {
  table: arrow.Table;
  /** The guessed types, or `null` when a schema was given. */
  inferred: CsvInference | null;
  /** Threads the read ran on: more than 1 only when {@link readCsv} read a large file in parts (see `threads`). */
  threads: number;
}

/** Options of {@link writeCsv}. */
export interface WriteCsvOptions {
  /** One character; default `","` (`"\t"` for a `.tsv` path). */
  delimiter?: string;
  /** Write a header record; default true. */
  header?: boolean;
  /** One character used to quote cells; default `'"'`. */
  quote?: string;
  /** Text written for nulls; default empty. */
  nullValue?: string;
  /** Line end; default `"\n"`. */
  newline?: "\n" | "\r\n";
}

const TEXT_LABEL = "CSV text";

const DEFAULT_BATCH = 65_536;

// ------------------------------------------------------------------------------------------------
// Text → value conversion

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  NaN: NaN, nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity, Infinity: Infinity, "+Infinity": Infinity, "-Infinity": -Infinity,
};
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The common shape `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM|)` parsed by char codes (no regex, no Date);
 * NaN for anything else, which then goes through the general regex.
 */
function parseIsoFast(s: string): number {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60)) return NaN;
  let ms = (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
  let p = 19;
  if (p < n && s.charCodeAt(p) === 46) {
    p++;
    let frac = 0;
    let scale = 1;
    const start = p;
    while (p < n) {
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 9) break;
      if (p - start < 9) {
        frac = frac * 10 + c;
        scale *= 10;
      }
      p++;
    }
    if (p === start) return NaN;
    ms += (frac / scale) * 1000;
  }
  if (p === n) return ms;
  const z = s.charCodeAt(p);
  if ((z === 90 || z === 122) && p + 1 === n) return ms;
  if ((z === 43 || z === 45) && (p + 6 === n || p + 5 === n || p + 3 === n)) {
    const oh = digits(s, p + 1, 2);
    const om = p + 3 === n ? 0 : digits(s, n - 2, 2);
    if (p + 6 === n && s.charCodeAt(p + 3) !== 58) return NaN;
    if (!(oh <= 23 && om <= 59)) return NaN;
    return ms - (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return NaN;
}

/**
 * Parses an ISO 8601 date-time (`2024-01-02T03:04:05.123456Z`, a space instead of `T`, an offset
 * or none = UTC) to epoch milliseconds with the sub-millisecond part as a fraction; NaN when it is
 * not one.
 */
export function parseIsoTimestampMs(s: string): number {
  const fast = parseIsoFast(s);
  if (fast === fast) return fast;
  const m = TS_RE.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const month = +mo;
  const day = +d;
  if (month < 1 || month > 12 || day < 1 || day > 31 || +h > 23 || +mi > 59 || (sec !== undefined && +sec > 60)) return NaN;
  let ms = Date.UTC(+y, month - 1, day, +h, +mi, sec ? +sec : 0);
  if (frac) ms += Number(`0.${frac}`) * 1000;
  if (tz && tz !== "Z" && tz !== "z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    const offMin = +digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2, 4) : 0);
    ms -= sign * offMin * 60_000;
  }
  return ms;
}

/** Parses `YYYY-MM-DD` to the epoch milliseconds of that UTC midnight; NaN when it is not one. */
export function parseIsoDateMs(s: string): number {
  const m = DATE_RE.exec(s);
  if (!m) return NaN;
  const month = +m[2];
  const day = +m[3];
  if (month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  return Date.UTC(+m[1], month - 1, day);
}

const TRUE_TEXT = new Set(["true", "True", "TRUE", "t", "T", "1", "yes", "Yes", "YES", "y", "Y"]);
const FALSE_TEXT = new Set(["false", "False", "FALSE", "f", "F", "0", "no", "No", "NO", "n", "N"]);

type TextConverter = (s: string) => unknown;
const INVALID = Symbol("invalid");
/** What the text converters return for a text that is not a value of their type. */
export const CSV_INVALID: symbol = INVALID;

/** A converter from cell text to the JS value the column builder takes, or INVALID. */
export function textConverter(type: arrow.DataType, subject: string, column: string): TextConverter {
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return (s) => s;
  if (arrow.DataType.isFloat(type)) {
    return (s) => {
      if (FLOAT_RE.test(s)) return Number(s);
      const x = SPECIAL_FLOATS[s];
      return x === undefined ? INVALID : x;
    };
  }
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 64) {
      return (s) => {
        if (!INT_RE.test(s)) return INVALID;
        return s.length < 16 ? Number(s) : BigInt(s);
      };
    }
    const bits = type.bitWidth;
    const min = type.isSigned ? -(2 ** (bits - 1)) : 0;
    const max = type.isSigned ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    return (s) => {
      if (!INT_RE.test(s)) return INVALID;
      const x = Number(s);
      return x < min || x > max ? INVALID : x;
    };
  }
  if (arrow.DataType.isBool(type)) {
    return (s) => (TRUE_TEXT.has(s) ? true : FALSE_TEXT.has(s) ? false : INVALID);
  }
  if (arrow.DataType.isTimestamp(type)) {
    return (s) => {
      const ms = parseIsoTimestampMs(s);
      if (!Number.isNaN(ms)) return ms;
      const d = parseIsoDateMs(s);
      return Number.isNaN(d) ? INVALID : d;
    };
  }
  if (arrow.DataType.isDate(type)) {
    return (s) => {
      const d = parseIsoDateMs(s);
      if (!Number.isNaN(d)) return d;
      const ms = parseIsoTimestampMs(s);
      return Number.isNaN(ms) ? INVALID : ms;
    };
  }
  if (arrow.DataType.isBinary(type)) return (s) => new Uint8Array(Buffer.from(s, "base64"));
  if (arrow.DataType.isDictionary(type) && arrow.DataType.isUtf8(type.dictionary)) return (s) => s;
  throw new InvalidArgumentError(
    `${subject}: column ${JSON.stringify(column)} has type ${type}, which cannot be read from text; use a number, integer, bigint, string, boolean or date type.`,
  );
}

// ------------------------------------------------------------------------------------------------
// Inference

/** Builds the reported guess from an inferred schema. */
export function inferenceOf(schema: arrow.Schema, rowsSampled: number): CsvInference {
  return {
    schema,
    zod: arrowSchemaToZod(schema),
    summary: schema.fields.map((f) => `${f.name}: ${f.type}`).join(", "),
    rowsSampled,
  };
}

// ------------------------------------------------------------------------------------------------
// Options and schema resolution

interface ResolvedCsvOptions {
  delimiter: string;
  quote: string;
  header: boolean;
  names?: string[];
  columns?: string[];
  nullValues: string[];
  batchSize: number;
  inferRows: number;
  schema?: arrow.Schema;
  filter: Filter;
  threads: number;
}

/** Resolves a zod or Arrow schema option to an Arrow schema. */
export function toArrowSchema(schema: ZodShapeInput | arrow.Schema | undefined): arrow.Schema | undefined {
  if (schema === undefined) return undefined;
  return schema instanceof arrow.Schema ? schema : zodToArrowSchema(schema);
}

function oneChar(v: unknown, name: string, fallback: string, caller: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || v.length !== 1 || v === "\n" || v === "\r") {
    throw new InvalidArgumentError(`${caller}: option ${name} must be one character (not a line end), got ${describeValue(v)}.`);
  }
  return v;
}

/** Checks a positive integer option. */
export function positiveInt(v: unknown, name: string, fallback: number, caller: string): number {
  if (v === undefined) return fallback;
  if (v === Infinity) return v;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${caller}: option ${name} must be a positive integer, got ${describeValue(v)}.`);
  }
  return v;
}

function resolveOptions(opts: ReadCsvOptions, caller: string, path: string | undefined, inferDefault: number): ResolvedCsvOptions {
  if (opts === null || typeof opts !== "object") throw new InvalidArgumentError(`${caller}: options must be an object.`);
  const tsv = path !== undefined && /\.tsv$/i.test(path);
  const delimiter = oneChar(opts.delimiter, "delimiter", tsv ? "\t" : ",", caller);
  const quote = oneChar(opts.quote, "quote", '"', caller);
  if (quote === delimiter) throw new InvalidArgumentError(`${caller}: quote and delimiter must differ (both ${JSON.stringify(quote)}).`);
  const strList = (v: unknown, name: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      throw new InvalidArgumentError(`${caller}: option ${name} must be an array of strings, got ${describeValue(v)}.`);
    }
    return v;
  };
  return {
    delimiter,
    quote,
    header: opts.header ?? true,
    names: strList(opts.names, "names"),
    columns: strList(opts.columns, "columns"),
    nullValues: strList(opts.nullValues, "nullValues") ?? [""],
    batchSize: positiveInt(opts.batchSize, "batchSize", DEFAULT_BATCH, caller),
    inferRows: positiveInt(opts.inferRows, "inferRows", inferDefault, caller),
    schema: toArrowSchema(opts.schema),
    filter: validateFilter(opts.filter),
    threads: positiveInt(opts.threads, "threads", defaultCsvThreads(), caller),
  };
}

function headerNames(first: (string | null)[] | null, o: ResolvedCsvOptions, label: string): string[] {
  let names: string[];
  if (o.header) {
    if (!first) return o.names ?? [];
    names = first.map((c, i) => (c === null || c === "" ? `f${i}` : c));
  } else names = first ? first.map((_, i) => `f${i}`) : [];
  if (o.names) {
    if (first && o.names.length !== first.length) {
      throw new InvalidArgumentError(
        `${label}: option names lists ${o.names.length} column(s) but the file has ${first.length}; give one name per column.`,
      );
    }
    names = o.names;
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new DataIoError(`${label}: the header names column ${JSON.stringify(n)} twice; rename one or pass names.`);
    seen.add(n);
  }
  return names;
}

/** Which file column feeds which output column, and how each is typed. */
interface Plan {
  /** The file's column names. */
  fileNames: string[];
  /** Selected columns, then the filter's columns that are not selected. */
  specs: ColumnSpec[];
  /** How many of `specs` are output columns. */
  selected: number;
  /** Metadata of the schema given (kept on the output schema). */
  metadata: Map<string, string> | undefined;
  inferred: boolean;
}

function makePlan(fileNames: string[], o: ResolvedCsvOptions, label: string): Plan {
  const schema = o.schema;
  let fields: arrow.Field[];
  if (schema) {
    const missing = schema.fields.map((f) => f.name).filter((n) => !fileNames.includes(n));
    if (missing.length) {
      throw new SchemaMismatchError(label, { missing }, `The file has columns ${fileNames.map((n) => JSON.stringify(n)).join(", ")}.`);
    }
    fields = schema.fields;
  } else fields = fileNames.map((n) => new arrow.Field(n, new arrow.Utf8(), true));
  const all = fields;
  if (o.columns) {
    const available = fields.map((f) => f.name);
    const unknown = o.columns.filter((c) => !available.includes(c));
    if (unknown.length) {
      throw new InvalidArgumentError(
        `${label}: unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} in option columns; available columns: ${available.join(", ")}.`,
      );
    }
    fields = o.columns.map((c) => all.find((f) => f.name === c)!);
  }
  if (o.filter.length) validateFilter(o.filter, all.map((f) => f.name));
  const selectedNames = new Set(fields.map((f) => f.name));
  // Filter columns that are not selected still have to be read to evaluate the filter.
  const extra = [...new Set(o.filter.map((p) => p[0]))].filter((c) => !selectedNames.has(c)).map((c) => all.find((f) => f.name === c)!);
  const specs = [...fields, ...extra].map(
    (f): ColumnSpec => ({ field: f, source: fileNames.indexOf(f.name), guess: !schema, convert: schema ? textConverter(f.type, label, f.name) : (s) => s }),
  );
  return { fileNames, specs, selected: fields.length, metadata: schema?.metadata, inferred: !schema };
}

/** Turns the column data of finished batches into record batches (filtered and projected). */
class BatchOutput {
  readonly out: arrow.RecordBatch[] = [];
  constructor(private readonly plan: Plan, private readonly o: ResolvedCsvOptions) {}

  schemaOf(cols: CsvColumns): arrow.Schema {
    return this.schemaOfFields(cols.schemaFields);
  }

  schemaOfFields(fields: arrow.Field[]): arrow.Schema {
    return new arrow.Schema(fields.slice(0, this.plan.selected), this.plan.metadata);
  }

  add(cols: CsvColumns, batches: { rows: number; data: arrow.Data[] }[]): void {
    this.addWith(cols.schemaFields, batches);
  }

  /** Adds batches read with `fields` (output columns, then filter-only columns). */
  addWith(fields: arrow.Field[], batches: { rows: number; data: arrow.Data[] }[]): void {
    if (batches.length === 0) return;
    const schema = this.schemaOfFields(fields);
    if (!this.o.filter.length) {
      for (const b of batches) this.out.push(makeBatch(schema, b.data.slice(0, this.plan.selected), b.rows));
      return;
    }
    const full = new arrow.Schema(fields);
    const names = schema.fields.map((f) => f.name);
    for (const b of batches) {
      const kept = filterTable(new arrow.Table([makeBatch(full, b.data, b.rows)]), this.o.filter);
      for (const k of kept.batches) if (k.numRows) this.out.push(projectBatch(k, schema, names));
    }
  }
}
/** Keeps the named columns of a batch, in that order, without copying. */
export function projectBatch(batch: arrow.RecordBatch, schema: arrow.Schema, names: readonly string[]): arrow.RecordBatch {
  const idx = names.map((n) => batch.schema.fields.findIndex((f) => f.name === n));
  const children = idx.map((i) => batch.data.children[i]);
  return makeBatch(schema, children as arrow.Data[], batch.numRows);
}

export function emptyTable(schema: arrow.Schema): arrow.Table {
  return new arrow.Table(schema, [makeBatch(schema, schema.fields.map((f) => new ColumnBuilder(f.name, f.type, 0, "").finish()), 0)]);
}

// ------------------------------------------------------------------------------------------------
// Public readers

/** The guessing rules' date and date-time parsers, for the byte-level reader. */
const GUESSING = { isoDateMs: parseIsoDateMs, isoTimestampMs: parseIsoTimestampMs };

/** A reader at the start of the data: the plan and the column reader, or null when the header is not complete yet. */
interface Opened {
  plan: Plan;
  cols: CsvColumns;
  output: BatchOutput;
  /** Where the data starts. */
  start: number;
}

/**
 * Reads the header (or peeks at the first record without one) from `buf[p, n)` and sets up the
 * column reader; null when more bytes are needed for the first record.
 */
function openReader(
  buf: Uint8Array,
  p: number,
  n: number,
  final: boolean,
  o: ResolvedCsvOptions,
  label: string,
  path: string | undefined,
  reread?: (start: number, end: number) => Uint8Array,
): Opened | null {
  const sc = new RecordScanner(o.delimiter, o.quote, label, path);
  const next = sc.next(buf, p, n, final);
  if (next < 0) return null;
  const quote = Buffer.from(o.quote)[0];
  const first = sc.count ? Array.from({ length: sc.count }, (_, i) => cellText(buf, sc.starts[i], sc.ends[i], sc.kinds[i], quote)) : null;
  let names: string[];
  if (o.header) {
    names = headerNames(first, o, label);
  } else {
    // Without a header the first record is data: its cell count names the columns f0, f1, ….
    names = headerNames(first ? first.map(() => "") : null, { ...o, header: false }, label);
  }
  const plan = makePlan(names, o, label);
  const cols = new CsvColumns(plan.specs, {
    delimiter: o.delimiter,
    quote: o.quote,
    nullValues: o.nullValues,
    batchSize: o.batchSize,
    inferRows: o.inferRows,
    fileColumns: names.length,
    label,
    path,
    invalid: INVALID,
    guessing: GUESSING,
    reread,
  });
  const start = o.header && sc.count ? next : p;
  cols.scanner.nextLine = o.header && sc.count ? sc.nextLine : sc.line || 1;
  return { plan, cols, output: new BatchOutput(plan, o), start };
}

/** Offset after a UTF-8 byte-order mark at the start of `buf`, else 0. */
function bomLength(buf: Uint8Array): number {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

/** Reads CSV bytes held in memory into a table. */
function parseBytes(buf: Uint8Array, o: ResolvedCsvOptions, label: string, path: string | undefined): CsvReadResult {
  const bom = bomLength(buf);
  const opened = openReader(buf, bom, buf.length, true, o, label, path)!;
  const { cols, output, plan } = opened;
  cols.feed(buf, opened.start, buf.length, true);
  output.add(cols, cols.take(true));
  const schema = output.schemaOf(cols);
  const table = output.out.length ? new arrow.Table(schema, output.out) : emptyTable(schema);
  return { table, inferred: plan.inferred ? inferenceOf(schema, Math.min(cols.rows, o.inferRows)) : null, threads: 1 };
}

/**
 * Parses CSV text held in memory (see the module rules).
 * @example
 * const { table, inferred } = parseCsv("id,name\n1,ada\n2,\n");
 * inferred?.summary; // "id: Int64, name: Utf8"
 */
export function parseCsv(text: string, options: ReadCsvOptions = {}): CsvReadResult {
  if (typeof text !== "string") throw new InvalidArgumentError(`parseCsv: text must be a string, got ${describeValue(text)}.`);
  const o = resolveOptions(options, "readCsv", undefined, Infinity);
  return parseBytes(Buffer.from(text, "utf8"), o, TEXT_LABEL, undefined);
}

/**
 * Reads a whole CSV file into an Arrow table (see the module rules). Without a schema the types are
 * guessed in the same pass as the read, from every row, and reported in `inferred` (for the columns
 * read: with `columns`, those and the filter's).
 * @example
 * const { table, inferred } = await readCsv("orders.csv");
 * console.log(inferred?.summary); // "order_id: Int64, amount: Float64, placed_at: Timestamp<MICROSECOND, UTC>"
 * const typed = await readCsv("orders.csv", { schema: z.object({ order_id: z.int(), amount: z.number() }) });
 */
export async function readCsv(path: string, options: ReadCsvOptions = {}): Promise<CsvReadResult> {
  const o = resolveOptions(options, "readCsv", typeof path === "string" ? path : undefined, Infinity);
  const fh = await openFile(path, "readCsv");
  try {
    const st = await fh.stat();
    // A pipe or a device is read once, to its end.
    const size = st.isFile() ? st.size : Infinity;
    if (o.threads > 1 && o.inferRows === Infinity && st.isFile()) {
      const got = await readFileParallel(fh, size, o, path);
      if (got) return got;
    }
    return await readFileOnePass(fh, size, o, path);
  } catch (e) {
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    throw fileError(e, path, "readCsv");
  } finally {
    await fh.close();
  }
}

/** Opens a file for reading, turning a missing file or a folder into a DataIoError naming the path. */
async function openFile(path: string, caller: string): Promise<FileHandle> {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`${caller}: path must be a non-empty string, got ${describeValue(path)}.`);
  }
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, "r");
    if ((await fh.stat()).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    return fh;
  } catch (e) {
    await fh?.close();
    throw fileError(e, path, caller);
  }
}

/**
 * Reads a file held open in one pass, block by block, yielding the batches as they finish;
 * `state.opened` holds the column reader once the header is read.
 */
async function* blockBatches(fh: FileHandle, size: number, o: ResolvedCsvOptions, path: string, state: { opened: Opened | null }): AsyncGenerator<arrow.RecordBatch> {
  const { reader: r, reread } = blocksOf(fh, size);
  do {
    await r.fill();
    let p = 0;
    let opened = state.opened;
    if (!opened) {
      if (r.base === 0) p = bomLength(r.buf.subarray(0, r.n));
      opened = state.opened = openReader(r.buf, p, r.n, r.final, o, path, path, reread);
      if (!opened) continue;
      p = opened.start;
    }
    r.consume(opened.cols.feed(r.buf, p, r.n, r.final, Infinity, r.base));
    opened.output.add(opened.cols, opened.cols.take(r.final));
    yield* opened.output.out.splice(0);
  } while (!r.final);
}

/**
 * The blocks of a file held open (`size` Infinity: a pipe or a device, read to its end), and how to
 * read bytes again for a widening: from the file by range, or (for a pipe) from the blocks kept.
 */
function blocksOf(fh: FileHandle, size: number): { reader: BlockReader; reread: ((start: number, end: number) => Uint8Array) | undefined } {
  if (size === Infinity) return { reader: new BlockReader(fh, 0, Infinity, false), reread: undefined };
  return { reader: new BlockReader(fh, 0, size), reread: (start, end) => readRangeSync(fh.fd, start, end) };
}

/** {@link readCsv} on the calling thread. */
async function readFileOnePass(fh: FileHandle, size: number, o: ResolvedCsvOptions, path: string): Promise<CsvReadResult> {
  const state: { opened: Opened | null } = { opened: null };
  const batches: arrow.RecordBatch[] = [];
  for await (const b of blockBatches(fh, size, o, path, state)) batches.push(b);
  const { cols, output, plan } = state.opened!;
  const schema = output.schemaOf(cols);
  const table = batches.length ? new arrow.Table(schema, batches) : emptyTable(schema);
  return { table, inferred: plan.inferred ? inferenceOf(schema, Math.min(cols.rows, o.inferRows)) : null, threads: 1 };
}

/** Bytes of the first block, read to find the header and check the data before a parallel read. */
const HEAD_BYTES = 1 << 20;

/** {@link readCsv} on several threads (see `csv-parallel.ts`), or null when it does not apply. */
async function readFileParallel(fh: FileHandle, size: number, o: ResolvedCsvOptions, path: string): Promise<CsvReadResult | null> {
  const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  const buf = head.subarray(0, bytesRead);
  const bom = bomLength(buf);
  const opened = openReader(buf, bom, buf.length, bytesRead >= size, o, path, path);
  // A header longer than the first block, or a quote in the first block: one pass.
  if (!opened || buf.indexOf(Buffer.from(o.quote), opened.start) >= 0) return null;
  const { plan, output } = opened;
  const got = await readParallel(
    path,
    fh,
    opened.start,
    size,
    {
      fields: plan.specs.map((s) => s.field),
      sources: plan.specs.map((s) => s.source),
      guess: plan.inferred,
      delimiter: o.delimiter,
      quote: o.quote,
      nullValues: o.nullValues,
      batchSize: o.batchSize,
      fileColumns: plan.fileNames.length,
      label: path,
      path,
    },
    o.threads,
  );
  if (!got) return null;
  output.addWith(got.fields, got.batches);
  const schema = output.schemaOfFields(got.fields);
  const table = output.out.length ? new arrow.Table(schema, output.out) : emptyTable(schema);
  return { table, inferred: plan.inferred ? inferenceOf(schema, got.rows) : null, threads: got.threads };
}

/** A DataIoError for a failed file access, naming the path and the fix. */
export function fileError(e: unknown, path: string, caller: string): DataIoError {
  const code = (e as { code?: string }).code;
  const why =
    code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder, not a file" : code === "EACCES" ? "permission denied" : String((e as Error).message ?? e);
  return new DataIoError(`${caller}: cannot read ${path}: ${why}.`, { path, cause: e });
}

const CHUNK = 1 << 20;

/**
 * The byte chunks of a file (1 MiB each), joined with the unread rest of the previous chunk: each
 * step gets `{ buf, final }` and returns how many bytes of `buf` it used.
 */
async function forEachChunk(path: string, step: (buf: Uint8Array, final: boolean) => number | "stop"): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK });
  let rest: Buffer | null = null;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = rest && rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const used = step(buf, false);
      if (used === "stop") return;
      rest = buf.subarray(used);
    }
    step(rest ?? Buffer.alloc(0), true);
  } finally {
    stream.destroy();
  }
}

/**
 * Streams a CSV file as record batches of `batchSize` rows, reading it in 1 MiB chunks so memory
 * stays bounded. Without a schema the types are guessed from the first `inferRows` rows (default
 * 10000; the batches wait until then); a later cell that does not fit the guess throws a
 * DataIoError naming its line (pass a schema, or use {@link inferCsvSchema} to see the guess).
 * @example
 * for await (const batch of readCsvBatches("events.csv", { batchSize: 10_000 })) console.log(batch.numRows);
 */
export async function* readCsvBatches(path: string, options: ReadCsvOptions = {}): AsyncGenerator<arrow.RecordBatch> {
  const o = resolveOptions(options, "readCsvBatches", path, 10_000);
  const fh = await openFile(path, "readCsvBatches");
  const state: { opened: Opened | null } = { opened: null };
  let yielded = false;
  try {
    const st = await fh.stat();
    for await (const b of blockBatches(fh, st.isFile() ? st.size : Infinity, o, path, state)) {
      yielded = true;
      yield b;
    }
    // An empty result still carries its schema downstream.
    if (!yielded) {
      const opened = state.opened;
      const schema = opened ? opened.output.schemaOf(opened.cols) : new arrow.Schema((o.names ?? []).map((n) => new arrow.Field(n, new arrow.Utf8(), true)));
      yield emptyTable(schema).batches[0];
    }
  } catch (e) {
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    throw fileError(e, path, "readCsvBatches");
  } finally {
    await fh.close();
  }
}

async function assertFile(path: string, caller: string): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  } catch (e) {
    throw fileError(e, path, caller);
  }
}

/**
 * Guesses the column types of a CSV file from its first `inferRows` rows (default 10000) without
 * reading the rest.
 * @example
 * const guess = await inferCsvSchema("orders.csv");
 * guess.summary; // "order_id: Int64, amount: Float64"
 */
export async function inferCsvSchema(path: string, options: Omit<ReadCsvOptions, "schema" | "filter"> = {}): Promise<CsvInference> {
  const o = resolveOptions({ ...options, schema: undefined, filter: undefined }, "inferCsvSchema", path, 10_000);
  await assertFile(path, "inferCsvSchema");
  let opened: Opened | null = null;
  let firstChunk = true;
  try {
    await forEachChunk(path, (buf, final) => {
      let p = 0;
      if (firstChunk) {
        if (buf.length < 3 && !final) return 0;
        p = bomLength(buf);
      }
      if (!opened) {
        opened = openReader(buf, p, buf.length, final, o, path, path);
        if (!opened) return 0;
        p = opened.start;
      }
      firstChunk = false;
      const used = opened.cols.feed(buf, p, buf.length, final, o.inferRows);
      // Finished batches are not needed, only the types.
      opened.cols.take(false);
      return opened.cols.rows >= o.inferRows ? "stop" : used;
    });
  } catch (e) {
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    throw fileError(e, path, "inferCsvSchema");
  }
  const got = opened as Opened | null;
  if (!got) return inferenceOf(new arrow.Schema((o.names ?? []).map((n) => new arrow.Field(n, new arrow.Utf8(), true))), 0);
  return inferenceOf(got.output.schemaOf(got.cols), Math.min(got.cols.rows, o.inferRows));
}

// ------------------------------------------------------------------------------------------------
// Writing

/** Data a writer accepts: a table, record batches, or an async stream of record batches. */
export type BatchSource = arrow.Table | WithTable | Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>;

/** Iterates the batches of a table or a (sync or async) batch source. */
export async function* batchesOf(source: BatchSource, caller: string): AsyncGenerator<arrow.RecordBatch> {
  const data = unwrapTable(source);
  if (data instanceof arrow.Table) {
    yield* data.batches;
    return;
  }
  if (data === null || typeof data !== "object" || !(Symbol.asyncIterator in data || Symbol.iterator in data)) {
    throw new InvalidArgumentError(`${caller}: data must be an Arrow Table or an iterable of RecordBatches, got ${describeValue(data)}.`);
  }
  let i = 0;
  for await (const b of data as AsyncIterable<arrow.RecordBatch>) {
    if (!(b instanceof arrow.RecordBatch)) {
      throw new InvalidArgumentError(`${caller}: item ${i} of data is ${describeValue(b)}, not an Arrow RecordBatch.`);
    }
    i++;
    yield b;
  }
}

/**
 * Writes a file atomically: `write` receives a handle on a temporary file beside `path`, which is
 * renamed over `path` only when `write` resolves; on any error the temporary file is removed and
 * nothing appears at `path`. The parent folder is created when missing.
 */
export async function writeFileAtomic(
  path: string,
  caller: string,
  write: (append: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`${caller}: path must be a non-empty string, got ${describeValue(path)}.`);
  }
  const dir = dirname(path);
  const temp = tempPath(path, "tmp");
  const tmp = temp.path;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    await mkdir(dir, { recursive: true });
    await removeStaleTemps(path);
    handle = await open(tmp, "wx");
    const h = handle;
    await write(async (chunk) => {
      await h.write(chunk as Uint8Array);
    });
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    const code = (e as { code?: string }).code;
    throw new DataIoError(
      `${caller}: cannot write ${path}: ${code === "EACCES" ? "permission denied" : code === "ENOENT" ? "no such folder" : String((e as Error).message ?? e)}.`,
      { path, cause: e },
    );
  } finally {
    temp.done();
  }
}

type CellFormatter = (i: number) => string | null;
const decoder = new TextDecoder();

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/** Formats epoch days as YYYY-MM-DD. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

let cachedDay = NaN;
let cachedDayText = "";

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** ISO 8601 UTC text of epoch milliseconds (integer) plus optional sub-millisecond digits. */
function isoOfMs(ms: number, sub: string): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayText = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  let rest = ms - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${cachedDayText}${two(h)}:${two(mi)}:${two(sec)}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}${sub}Z`;
}

/** Formats a timestamp stored in `unit` as ISO 8601 UTC, keeping sub-millisecond digits when present. */
export function formatTimestamp(raw: bigint, unit: arrow.TimeUnit): string {
  const x = Number(raw);
  if (unit === arrow.TimeUnit.SECOND) return isoOfMs(x * 1000, "");
  if (unit === arrow.TimeUnit.MILLISECOND) return isoOfMs(x, "");
  if (unit === arrow.TimeUnit.MICROSECOND && Number.isSafeInteger(x)) {
    const ms = Math.floor(x / 1000);
    const us = x - ms * 1000;
    return isoOfMs(ms, us === 0 ? "" : us < 10 ? "00" + us : us < 100 ? "0" + us : String(us));
  }
  const per = unit === arrow.TimeUnit.MICROSECOND ? 1000n : 1_000_000n;
  let rem = raw % per;
  let ms = raw / per;
  if (rem < 0n) {
    rem += per;
    ms -= 1n;
  }
  return isoOfMs(Number(ms), rem === 0n ? "" : pad(Number(rem), unit === arrow.TimeUnit.MICROSECOND ? 3 : 6));
}

/** Builds a per-row formatter for one column of a batch (nulls → null). */
export function cellFormatter(vector: arrow.Vector, jsonNested: boolean): CellFormatter {
  const type = vector.type as arrow.DataType;
  const data = vector.data[0];
  const valid = (i: number): boolean => vector.isValid(i);
  if (arrow.DataType.isTimestamp(type)) {
    const values = data.values as BigInt64Array;
    const unit = type.unit;
    return (i) => (valid(i) ? formatTimestamp(values[i], unit) : null);
  }
  if (arrow.DataType.isDate(type)) return (i) => (valid(i) ? formatDate(Number(vector.get(i))) : null);
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type) || arrow.DataType.isFixedSizeBinary(type)) {
    return (i) => (valid(i) ? Buffer.from(vector.get(i) as Uint8Array).toString("base64") : null);
  }
  if ((arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF) || (arrow.DataType.isInt(type) && vector.data.length === 1)) {
    // Direct typed-array access: no per-value visitor dispatch.
    const values = data.values as Float64Array | BigInt64Array;
    if (vector.nullCount === 0) return (i) => String(values[i]);
    return (i) => (valid(i) ? String(values[i]) : null);
  }
  if (arrow.DataType.isUtf8(type) && vector.data.length === 1) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const noNulls = vector.nullCount === 0;
    return (i) => {
      if (!noNulls && !valid(i)) return null;
      const a = offsets[i];
      const b = offsets[i + 1];
      // Short ASCII strings: decoding by char codes beats TextDecoder's call overhead.
      if (b - a < 24) {
        let out = "";
        for (let k = a; k < b; k++) {
          const c = bytes[k];
          if (c > 127) return decoder.decode(bytes.subarray(a, b));
          out += String.fromCharCode(c);
        }
        return out;
      }
      return decoder.decode(bytes.subarray(a, b));
    };
  }
  if (arrow.DataType.isFloat(type) || arrow.DataType.isInt(type) || arrow.DataType.isBool(type) || arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isDictionary(type)) {
    return (i) => {
      const v = vector.get(i);
      return v === null || v === undefined ? null : String(v);
    };
  }
  return (i) => {
    const v = vector.get(i);
    if (v === null || v === undefined) return null;
    const plain = typeof (v as { toJSON?: () => unknown }).toJSON === "function" ? (v as { toJSON: () => unknown }).toJSON() : v;
    return jsonNested ? JSON.stringify(plain, (_k, x) => (typeof x === "bigint" ? x.toString() : x)) : String(plain);
  };
}

/**
 * Writes a table or a stream of record batches to a CSV file atomically (a temporary file renamed
 * into place; a failed write leaves nothing behind). See the module rules for value formats.
 * Returns the number of data rows written.
 * @example
 * await writeCsv(table, "out/orders.csv");
 * await writeCsv(readParquetBatches("lake/orders"), "orders.csv", { delimiter: ";" });
 */
export async function writeCsv(data: BatchSource, path: string, options: WriteCsvOptions = {}): Promise<{ rows: number }> {
  const caller = "writeCsv";
  data = unwrapTable(data); // readCsv/readJson's { table, inferred }
  const tsv = typeof path === "string" && /\.tsv$/i.test(path);
  const delimiter = oneChar(options.delimiter, "delimiter", tsv ? "\t" : ",", caller);
  const quote = oneChar(options.quote, "quote", '"', caller);
  const nullValue = options.nullValue ?? "";
  const newline = options.newline ?? "\n";
  if (newline !== "\n" && newline !== "\r\n") throw new InvalidArgumentError(`${caller}: option newline must be "\\n" or "\\r\\n".`);
  const header = options.header ?? true;
  const needsQuote = new RegExp(`[${escapeRe(delimiter)}${escapeRe(quote)}\\r\\n]|^\\s|\\s$`);
  const doubled = new RegExp(escapeRe(quote), "g");
  // The empty string is quoted so that it reads back as "" and not as null.
  const q = (s: string): string =>
    s === "" || s === nullValue || needsQuote.test(s) ? quote + s.replace(doubled, quote + quote) + quote : s;
  let rows = 0;
  await writeFileAtomic(path, caller, async (append) => {
    let schema: arrow.Schema | undefined;
    for await (const batch of batchesOf(data, caller)) {
      if (!schema) {
        schema = batch.schema;
        if (header) await append(schema.fields.map((f) => q(f.name)).join(delimiter) + newline);
      }
      const n = batch.numRows;
      const cols = batch.schema.fields.map((_, c) => {
        const f = cellFormatter(batch.getChildAt(c)!, true);
        const t = batch.schema.fields[c].type;
        const isText = !(arrow.DataType.isFloat(t) || arrow.DataType.isInt(t) || arrow.DataType.isBool(t));
        return { f, isText };
      });
      const parts: string[] = new Array(n);
      const cells: string[] = new Array(cols.length);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < cols.length; c++) {
          const v = cols[c].f(i);
          cells[c] = v === null ? nullValue : cols[c].isText ? q(v) : v;
        }
        parts[i] = cells.join(delimiter);
      }
      if (n) await append(parts.join(newline) + newline);
      rows += n;
    }
    if (!schema && header) {
      if (data instanceof arrow.Table && data.schema.fields.length) await append(data.schema.fields.map((f) => q(f.name)).join(delimiter) + newline);
    }
  });
  return { rows };
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}
