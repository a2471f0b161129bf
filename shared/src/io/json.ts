/**
 * JSON to and from Arrow: JSON Lines (one object per line) and JSON arrays of objects, streamed
 * object by object so memory stays bounded, typed by a schema or inferred, written atomically.
 *
 * Format: the `format` option, else the extension — `.jsonl` / `.ndjson` are JSON Lines, `.json` is
 * an array when written; when read, a `.json` file is an array if its first non-blank character is
 * `[`, otherwise JSON Lines.
 *
 * Writing rules: Int64 values are JSON numbers when within ±(2^53 − 1) and decimal strings beyond
 * (so that no JSON reader rounds them); timestamps are ISO 8601 UTC strings
 * (`"2024-01-02T03:04:05.678Z"`, sub-millisecond digits kept), dates `"YYYY-MM-DD"`, binary base64
 * strings, NaN/±Infinity the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; nulls are written as `null`.
 *
 * Reading rules: with a schema, unknown keys are dropped (as `z.object` strips them), a missing key
 * is null, Int64 accepts numbers and decimal strings, timestamps accept ISO strings and epoch
 * milliseconds. Without a schema the types are guessed (all nullable): booleans → Bool, integers
 * (and decimal strings beside them) → Int64, other numbers → Float64, strings that are all
 * `YYYY-MM-DD` → Date(DAY), all ISO date-times → Timestamp(MICROSECOND, "UTC"), other strings →
 * Utf8, nested objects and arrays → Utf8 holding their JSON text. A number beyond 2^53 written as a
 * JSON number is rounded by `JSON.parse` — write such values as strings.
 */
import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { stat } from "node:fs/promises";
import { unwrapTable } from "../frame/table-like";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../errors";
import { filterTable, validateFilter, type Filter } from "../frame/filter";
import type { ZodShapeInput } from "../frame/schema";
import { ColumnBuilder, makeBatch, describe as describeValue } from "../frame/table";
import {
  batchesOf,
  cellFormatter,
  emptyTable,
  fileError,
  formatTimestamp,
  inferenceOf,
  parseIsoDateMs,
  parseIsoTimestampMs,
  positiveInt,
  projectBatch,
  toArrowSchema,
  writeFileAtomic,
  type BatchSource,
  type CsvInference,
} from "./csv";

/** JSON Lines (`"jsonl"`) or one JSON array of objects (`"array"`). */
export type JsonFormat = "jsonl" | "array";

/** Options of {@link readJson} and {@link readJsonBatches}. */
export interface ReadJsonOptions {
  /** Default: by extension and content (see the module documentation). */
  format?: JsonFormat;
  /** Column types: a zod object (or record of zod fields) or an Arrow schema. Omit to infer. */
  schema?: ZodShapeInput | arrow.Schema;
  /** Keep only these columns, in this order. */
  columns?: string[];
  /** Rows per record batch; default 65536. */
  batchSize?: number;
  /** Rows used to guess the types without a schema; default all rows ({@link readJson}) or 10000 (streaming). */
  inferRows?: number;
  /** Keep only the rows matching this filter. */
  filter?: Filter;
}

/** The guessed types of a JSON file (same shape as the CSV guess). */
export type JsonInference = CsvInference;

/** What {@link readJson} returns. */
export interface JsonReadResult {
  table: arrow.Table;
  /** The guessed types, or `null` when a schema was given. */
  inferred: JsonInference | null;
}

/** Options of {@link writeJson}. */
export interface WriteJsonOptions {
  /** Default: `"jsonl"` for `.jsonl`/`.ndjson`, `"array"` otherwise. */
  format?: JsonFormat;
}

const DEFAULT_BATCH = 65_536;

/** The JSON format of a path by its extension; `undefined` when the extension says nothing. */
export function jsonFormatOfPath(path: string): JsonFormat | undefined {
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  if (/\.json$/i.test(path)) return "array";
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Object scanner: splits JSON text into top-level objects without parsing it twice per character.

const OPEN = 123; // {
const CLOSE = 125; // }
const QUOTE = 34;
const BACKSLASH = 92;
const LBRACKET = 91;
const RBRACKET = 93;

class ObjectScanner {
  line = 1;
  private started = false;
  private ended = false;
  /** Text offset (within the current feed) before which the block fast path already failed. */
  private blockFailedBefore = -1;
  constructor(private readonly label: string, private format: JsonFormat | undefined) {}

  /** Emits complete top-level objects of `text`; returns where the unconsumed rest starts. */
  feed(text: string, final: boolean, sink: (obj: unknown, line: number) => void): number {
    this.blockFailedBefore = -1;
    const n = text.length;
    let p = 0;
    while (p < n) {
      const c = text.charCodeAt(p);
      if (c === 10) {
        this.line++;
        p++;
        continue;
      }
      if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
        p++;
        continue;
      }
      if (!this.started) {
        this.started = true;
        if (this.format === undefined) this.format = c === LBRACKET ? "array" : "jsonl";
        if (this.format === "array") {
          if (c !== LBRACKET) throw this.error(`expected "[" to open a JSON array, found ${JSON.stringify(text[p])}; use format "jsonl" for JSON Lines`);
          p++;
          continue;
        }
      }
      if (this.ended) throw this.error(`unexpected ${JSON.stringify(text[p])} after the closing "]"`);
      if (this.format === "array" && c === 44) {
        p++;
        continue;
      }
      if (this.format === "array" && c === RBRACKET) {
        this.ended = true;
        p++;
        continue;
      }
      if (c !== OPEN) throw this.error(`expected a JSON object, found ${JSON.stringify(text.slice(p, p + 20))}`);
      if (this.format === "jsonl" && p >= this.blockFailedBefore) {
        const used = this.block(text, p, sink);
        if (used > p) {
          p = used;
          continue;
        }
      }
      // Find the matching close brace.
      let depth = 0;
      let q = p;
      let lines = 0;
      let end = -1;
      while (q < n) {
        const d = text.charCodeAt(q);
        if (d === QUOTE) {
          q++;
          while (q < n) {
            const e = text.charCodeAt(q);
            if (e === BACKSLASH) q += 2;
            else if (e === QUOTE) break;
            else q++;
          }
        } else if (d === OPEN || d === LBRACKET) depth++;
        else if (d === CLOSE || d === RBRACKET) {
          depth--;
          if (depth === 0) {
            end = q + 1;
            break;
          }
        } else if (d === 10) lines++;
        q++;
      }
      if (end < 0) {
        if (!final) return p;
        throw this.error("the last object is not closed (truncated file?)");
      }
      let obj: unknown;
      try {
        obj = JSON.parse(text.slice(p, end));
      } catch (e) {
        throw new DataIoError(`${this.label} line ${this.line}: invalid JSON: ${(e as Error).message}.`, { row: this.line, path: this.label, cause: e });
      }
      sink(obj, this.line);
      this.line += lines;
      p = end;
    }
    if (final && this.format === "array" && this.started && !this.ended) throw this.error('the JSON array is not closed with "]" (truncated file?)');
    return p;
  }

  /**
   * JSON Lines fast path: the complete lines from `p` on, one object each, parsed by a single
   * `JSON.parse` of them joined as an array. Returns where it stopped, or `p` when the block is not
   * one object per line (blank lines, objects over several lines, invalid JSON): the object-by-object
   * scan then reads it and names the line of any error.
   */
  private block(text: string, p: number, sink: (obj: unknown, line: number) => void): number {
    const last = text.lastIndexOf("\n");
    if (last <= p) return p;
    const body = text.slice(p, last);
    let values: unknown[];
    try {
      values = JSON.parse(`[${body.replaceAll("\n", ",")}]`) as unknown[];
    } catch {
      this.blockFailedBefore = last;
      return p;
    }
    let lines = 1;
    for (let k = body.indexOf("\n"); k >= 0; k = body.indexOf("\n", k + 1)) lines++;
    if (values.length !== lines) {
      this.blockFailedBefore = last;
      return p;
    }
    for (let i = 0; i < values.length; i++) sink(values[i], this.line + i);
    // The line end at `last` is counted by the caller, like every line end after an object.
    this.line += lines - 1;
    return last;
  }

  private error(what: string): DataIoError {
    return new DataIoError(`${this.label} line ${this.line}: ${what}.`, { row: this.line, path: this.label });
  }
}

// ------------------------------------------------------------------------------------------------
// Inference and conversion

const K_BOOL = 1;
const K_INT = 2;
const K_FLOAT = 4;
const K_DIGITS = 8;
const K_DATE = 16;
const K_TS = 32;
const K_STRING = 64;
const K_NESTED = 128;
const DIGITS_RE = /^[+-]?\d+$/;

function kindOf(v: unknown): number {
  switch (typeof v) {
    case "boolean":
      return K_BOOL;
    case "number":
      return Number.isInteger(v) ? K_INT : K_FLOAT;
    case "string":
      if (DIGITS_RE.test(v)) return K_DIGITS;
      if (!Number.isNaN(parseIsoDateMs(v))) return K_DATE;
      if (!Number.isNaN(parseIsoTimestampMs(v))) return K_TS;
      return K_STRING;
    default:
      return K_NESTED;
  }
}

/**
 * The kinds of values seen per key, keys in first-seen order. A row whose keys come in the order
 * of the previous row's finds each key's slot without a map lookup; a string in a column that has
 * already held a plain string is not classified again (every string kind then gives Utf8, or the
 * same mixed-types error).
 */
class JsonGuesser {
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  private kinds: number[] = [];
  /** Slot of the i-th key of the previous row. */
  private order: number[] = [];
  rows = 0;
  add(obj: Record<string, unknown>): void {
    this.rows++;
    const order = this.order;
    const kinds = this.kinds;
    let i = 0;
    for (const key in obj) {
      let slot = i < order.length ? order[i] : -1;
      if (slot < 0 || this.names[slot] !== key) {
        slot = this.slots.get(key) ?? -1;
        if (slot < 0) {
          slot = this.names.length;
          this.slots.set(key, slot);
          this.names.push(key);
          kinds.push(0);
        }
        if (i < order.length) order[i] = slot;
        else order.push(slot);
      }
      i++;
      const v = obj[key];
      if (v === null || v === undefined) continue;
      const seen = kinds[slot];
      if (typeof v === "string" && seen & K_STRING) continue;
      kinds[slot] = seen | kindOf(v);
    }
  }
  schema(label: string): arrow.Schema {
    const fields: arrow.Field[] = [];
    for (let s = 0; s < this.names.length; s++) {
      const name = this.names[s];
      const k = this.kinds[s];
      let type: arrow.DataType;
      if (k === 0) type = new arrow.Utf8();
      else if (k === K_BOOL) type = new arrow.Bool();
      else if ((k & ~(K_INT | K_DIGITS)) === 0 && k & K_INT) type = new arrow.Int64();
      else if ((k & ~(K_INT | K_FLOAT)) === 0) type = new arrow.Float64();
      else if (k === K_DATE) type = new arrow.DateDay();
      else if ((k & ~(K_DATE | K_TS)) === 0) type = new arrow.TimestampMicrosecond("UTC");
      else if ((k & ~(K_DIGITS | K_DATE | K_TS | K_STRING)) === 0 || k === K_NESTED) type = new arrow.Utf8();
      else {
        throw new DataIoError(
          `${label}: key ${JSON.stringify(name)} holds values of mixed JSON types (${kindNames(k)}); make them one type or pass a schema.`,
        );
      }
      fields.push(new arrow.Field(name, type, true));
    }
    return new arrow.Schema(fields);
  }
}

function kindNames(k: number): string {
  const names: string[] = [];
  if (k & K_BOOL) names.push("boolean");
  if (k & (K_INT | K_FLOAT)) names.push("number");
  if (k & (K_DIGITS | K_DATE | K_TS | K_STRING)) names.push("string");
  if (k & K_NESTED) names.push("object/array");
  return names.join(", ");
}

const INVALID = Symbol("invalid");
type ValueConverter = (v: unknown) => unknown;

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

function valueConverter(type: arrow.DataType, label: string, column: string): ValueConverter {
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || (arrow.DataType.isDictionary(type) && arrow.DataType.isUtf8(type.dictionary))) {
    return (v) => (typeof v === "string" ? v : JSON.stringify(v));
  }
  if (arrow.DataType.isFloat(type)) {
    return (v) => (typeof v === "number" ? v : typeof v === "string" && v in SPECIAL ? SPECIAL[v] : INVALID);
  }
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 64) {
      return (v) => (typeof v === "number" && Number.isInteger(v) ? v : typeof v === "string" && DIGITS_RE.test(v) ? BigInt(v) : INVALID);
    }
    return (v) => (typeof v === "number" && Number.isInteger(v) ? v : INVALID);
  }
  if (arrow.DataType.isBool(type)) return (v) => (typeof v === "boolean" ? v : INVALID);
  if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) {
    const dateFirst = arrow.DataType.isDate(type);
    return (v) => {
      if (typeof v === "number") return v;
      if (typeof v !== "string") return INVALID;
      let ms = dateFirst ? parseIsoDateMs(v) : parseIsoTimestampMs(v);
      if (Number.isNaN(ms)) ms = dateFirst ? parseIsoTimestampMs(v) : parseIsoDateMs(v);
      return Number.isNaN(ms) ? INVALID : ms;
    };
  }
  if (arrow.DataType.isBinary(type)) return (v) => (typeof v === "string" ? new Uint8Array(Buffer.from(v, "base64")) : INVALID);
  throw new InvalidArgumentError(
    `${label}: column ${JSON.stringify(column)} has type ${type}, which cannot be read from JSON; use a number, integer, bigint, string, boolean or date type.`,
  );
}

// ------------------------------------------------------------------------------------------------
// Reading

interface Resolved {
  format?: JsonFormat;
  schema?: arrow.Schema;
  columns?: string[];
  batchSize: number;
  inferRows: number;
  filter: Filter;
}

function resolve(path: string, opts: ReadJsonOptions, caller: string, inferDefault: number): Resolved {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`${caller}: path must be a non-empty string, got ${describeValue(path)}.`);
  }
  if (opts === null || typeof opts !== "object") throw new InvalidArgumentError(`${caller}: options must be an object.`);
  if (opts.format !== undefined && opts.format !== "jsonl" && opts.format !== "array") {
    throw new InvalidArgumentError(`${caller}: option format must be "jsonl" or "array", got ${describeValue(opts.format)}.`);
  }
  if (opts.columns !== undefined && (!Array.isArray(opts.columns) || !opts.columns.every((c) => typeof c === "string"))) {
    throw new InvalidArgumentError(`${caller}: option columns must be an array of column names.`);
  }
  const ext = jsonFormatOfPath(path);
  return {
    format: opts.format ?? (ext === "jsonl" ? "jsonl" : undefined),
    schema: toArrowSchema(opts.schema),
    columns: opts.columns,
    batchSize: positiveInt(opts.batchSize, "batchSize", DEFAULT_BATCH, caller),
    inferRows: positiveInt(opts.inferRows, "inferRows", inferDefault, caller),
    filter: validateFilter(opts.filter),
  };
}

class JsonAssembler {
  private builders: ColumnBuilder[] = [];
  private count = 0;
  readonly out: arrow.RecordBatch[] = [];
  private readonly names: string[];
  private readonly converters: ValueConverter[];
  private readonly buildSchema: arrow.Schema;
  readonly schema: arrow.Schema;

  constructor(full: arrow.Schema, private readonly o: Resolved, private readonly label: string, private readonly strictKeys: boolean) {
    let fields = full.fields;
    if (o.columns) {
      const names = fields.map((f) => f.name);
      const unknown = o.columns.filter((c) => !names.includes(c));
      if (unknown.length) {
        throw new InvalidArgumentError(
          `${label}: unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} in option columns; available columns: ${names.join(", ")}.`,
        );
      }
      fields = o.columns.map((c) => full.fields.find((f) => f.name === c)!);
    }
    this.schema = new arrow.Schema(fields);
    if (o.filter.length) validateFilter(o.filter, full.fields.map((f) => f.name));
    const extra = [...new Set(o.filter.map((p) => p[0]))].filter((c) => !fields.some((f) => f.name === c)).map((c) => full.fields.find((f) => f.name === c)!);
    this.buildSchema = new arrow.Schema([...fields, ...extra]);
    this.names = this.buildSchema.fields.map((f) => f.name);
    this.converters = this.buildSchema.fields.map((f) => valueConverter(f.type, label, f.name));
    this.knownKeys = new Set(full.fields.map((f) => f.name));
    this.reset();
  }
  private readonly knownKeys: Set<string>;

  private reset(): void {
    const cap = Math.min(this.o.batchSize, 65_536);
    this.builders = this.buildSchema.fields.map((f) => new ColumnBuilder(f.name, f.type, cap, this.label));
    this.count = 0;
  }

  add(obj: unknown, line: number): void {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new DataIoError(`${this.label} line ${line}: expected a JSON object, got ${describeValue(obj)}.`, { row: line, path: this.label });
    }
    const row = obj as Record<string, unknown>;
    if (this.strictKeys) {
      for (const key in row) {
        if (!this.knownKeys.has(key)) {
          throw new DataIoError(
            `${this.label} line ${line}: key ${JSON.stringify(key)} was not in the rows used to guess the types; pass a schema or raise inferRows.`,
            { row: line, path: this.label },
          );
        }
      }
    }
    const fields = this.buildSchema.fields;
    for (let j = 0; j < this.builders.length; j++) {
      const v = row[this.names[j]];
      if (v === null || v === undefined) {
        if (!fields[j].nullable) {
          throw new DataIoError(
            `${this.label} line ${line}: key ${JSON.stringify(this.names[j])} is null or missing but the schema does not allow nulls; fill it or make the field nullable.`,
            { row: line, path: this.label },
          );
        }
        this.builders[j].appendNull();
        continue;
      }
      const x = this.converters[j](v);
      if (x === INVALID) {
        throw new DataIoError(
          `${this.label} line ${line}: key ${JSON.stringify(this.names[j])} holds ${describeValue(v)}, which is not a valid ${fields[j].type}; fix the value or declare another type.`,
          { row: line, path: this.label },
        );
      }
      try {
        this.builders[j].append(x, line);
      } catch (e) {
        throw new DataIoError(`${this.label} line ${line}: key ${JSON.stringify(this.names[j])} holds ${describeValue(v)}, which does not fit ${fields[j].type}.`, {
          row: line,
          path: this.label,
          cause: e,
        });
      }
    }
    if (++this.count >= this.o.batchSize) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const batch = makeBatch(this.buildSchema, this.builders.map((b) => b.finish()), this.count);
    this.reset();
    if (!this.o.filter.length) {
      this.out.push(batch);
      return;
    }
    const kept = filterTable(new arrow.Table([batch]), this.o.filter);
    const names = this.schema.fields.map((f) => f.name);
    for (const b of kept.batches) if (b.numRows) this.out.push(projectBatch(b, this.schema, names));
  }
}

/**
 * Reads a JSON Lines file or a JSON array of objects into an Arrow table (see the module rules).
 * Without a schema the types are guessed from every row and reported in `inferred`.
 * @example
 * const { table, inferred } = await readJson("events.jsonl");
 * inferred?.summary; // "id: Int64, at: Timestamp<MICROSECOND, UTC>, kind: Utf8"
 */
export async function readJson(path: string, options: ReadJsonOptions = {}): Promise<JsonReadResult> {
  const o = resolve(path, options, "readJson", Infinity);
  if (o.schema) {
    const asm = new JsonAssembler(o.schema, o, path, false);
    await scanFile(path, o.format, "readJson", (obj, line) => {
      asm.add(obj, line);
      return true;
    });
    asm.flush();
    return { table: asm.out.length ? new arrow.Table(asm.schema, asm.out) : emptyTable(asm.schema), inferred: null };
  }
  // One pass over the file. The types are guessed from every row (or the first inferRows); the rows
  // go into columns as they come, typed by the guess of the first rows, while the guess goes on.
  // When the guess of all rows turns out different (a later value widened a type, or a new key
  // appeared), the file is read a second time, typed by that final guess.
  const guess = new JsonGuesser();
  const early: { obj: unknown; line: number }[] = [];
  let asm: JsonAssembler | null = null;
  let early0: arrow.Schema | null = null;
  let optimistic = true;
  const startAfter = Math.min(o.inferRows, EARLY_GUESS_ROWS);
  await scanFile(path, o.format, "readJson", (obj, line) => {
    if (guess.rows < o.inferRows) {
      if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
        throw new DataIoError(`${path} line ${line}: expected a JSON object, got ${describeValue(obj)}.`, { row: line, path });
      }
      guess.add(obj as Record<string, unknown>);
      // The guess is final from here on: the columns typed by the early guess only do if it is the same.
      if (asm && guess.rows === o.inferRows && !sameGuess(guess, early0!, path)) {
        optimistic = false;
        asm = null;
      }
    }
    if (!optimistic) return true;
    if (!asm) {
      early.push({ obj, line });
      if (guess.rows < startAfter) return true;
      try {
        early0 = guess.schema(path);
      } catch {
        // Mixed types already: the final guess reports them.
        optimistic = false;
        early.length = 0;
        return true;
      }
      asm = new JsonAssembler(early0, o, path, o.inferRows !== Infinity);
      for (const e of early.splice(0)) if (!addOrGiveUp(asm, e.obj, e.line)) return true;
      return true;
    }
    addOrGiveUp(asm, obj, line);
    return true;
  });
  function addOrGiveUp(a: JsonAssembler, obj: unknown, line: number): boolean {
    try {
      a.add(obj, line);
      return true;
    } catch (e) {
      // A value that does not fit the early guess: the final guess will differ (or report the error).
      if (o.inferRows !== Infinity && guess.rows >= o.inferRows) throw e;
      optimistic = false;
      early.length = 0;
      return false;
    }
  }
  const schema = guess.schema(path);
  const inferred: JsonInference = inferenceOf(schema, guess.rows);
  if (optimistic && !asm) {
    // Fewer rows than the early guess needs: they are all still here.
    asm = new JsonAssembler(schema, o, path, o.inferRows !== Infinity);
    for (const e of early.splice(0)) asm.add(e.obj, e.line);
  } else if (!optimistic || !asm || !sameFields(schema, early0!)) {
    asm = new JsonAssembler(schema, o, path, o.inferRows !== Infinity);
    const again = asm;
    await scanFile(path, o.format, "readJson", (obj, line) => {
      again.add(obj, line);
      return true;
    });
  }
  asm!.flush();
  const table = asm!.out.length ? new arrow.Table(asm!.schema, asm!.out) : emptyTable(asm!.schema);
  return { table, inferred };
}

/** Rows guessed before the columns start filling (typed by that early guess). */
const EARLY_GUESS_ROWS = 4096;

/** Whether the guess so far gives `schema` (false when it gives an error). */
function sameGuess(guess: JsonGuesser, schema: arrow.Schema, label: string): boolean {
  try {
    return sameFields(guess.schema(label), schema);
  } catch {
    return false;
  }
}

/** Whether two schemas have the same field names, types and nullability in the same order. */
function sameFields(a: arrow.Schema, b: arrow.Schema): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f.name === b.fields[i].name && f.nullable === b.fields[i].nullable && arrow.util.compareTypes(f.type, b.fields[i].type))
  );
}

/**
 * Bytes read at a time. The text of a chunk stays under V8's large-object size (128 KiB), so its
 * strings (the chunk, the block joined for `JSON.parse`) live in the young generation, whose memory
 * is reused, instead of each taking fresh pages: with 1 MiB chunks a read was about 1.7× slower.
 */
const TEXT_CHUNK = 1 << 16;

async function scanFile(
  path: string,
  format: JsonFormat | undefined,
  caller: string,
  sink: (obj: unknown, line: number) => boolean,
  onChunk?: () => void,
): Promise<void> {
  await assertFile(path, caller);
  const scanner = new ObjectScanner(path, format);
  const STOP = Symbol("stop");
  const stream = createReadStream(path, { highWaterMark: TEXT_CHUNK });
  const emit = (obj: unknown, line: number): void => {
    if (!sink(obj, line)) throw STOP;
  };
  try {
    let leftover = "";
    for await (const chunk of textChunks(stream as AsyncIterable<Buffer>)) {
      const text = leftover + chunk;
      leftover = text.slice(scanner.feed(text, false, emit));
      onChunk?.();
    }
    scanner.feed(leftover, true, emit);
  } catch (e) {
    if (e === STOP) return;
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    throw fileError(e, path, caller);
  } finally {
    stream.destroy();
  }
}

/**
 * The UTF-8 text of a byte stream, chunk by chunk. An all-ASCII chunk becomes a one-byte string
 * directly (no UTF-8 decoding); the decoder only sees chunks with other bytes, and the ASCII chunk
 * right after one (so a character split between chunks is completed as before).
 */
export async function* textChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let pending = false;
  for await (const chunk of chunks) {
    if (!pending && isAscii(chunk)) yield chunk.toString("latin1");
    else {
      pending = !isAscii(chunk);
      yield decoder.write(chunk);
    }
  }
  const rest = decoder.end();
  if (rest) yield rest;
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
 * Streams a JSON Lines file or a JSON array of objects as record batches, reading 1 MiB at a time.
 * Without a schema the types are guessed from the first `inferRows` rows (default 10000); a later
 * value or key that does not fit the guess throws a DataIoError naming its line.
 * @example
 * for await (const batch of readJsonBatches("events.ndjson", { batchSize: 5000 })) console.log(batch.numRows);
 */
export async function* readJsonBatches(path: string, options: ReadJsonOptions = {}): AsyncGenerator<arrow.RecordBatch> {
  const o = resolve(path, options, "readJsonBatches", 10_000);
  await assertFile(path, "readJsonBatches");
  const scanner = new ObjectScanner(path, o.format);
  let asm: JsonAssembler | null = o.schema ? new JsonAssembler(o.schema, o, path, false) : null;
  const guess = new JsonGuesser();
  let pending: { obj: unknown; line: number }[] = [];
  let yielded = false;
  const start = (): void => {
    asm = new JsonAssembler(guess.schema(path), o, path, true);
    for (const r of pending) asm.add(r.obj, r.line);
    pending = [];
  };
  const sink = (obj: unknown, line: number): void => {
    if (asm) return asm.add(obj, line);
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new DataIoError(`${path} line ${line}: expected a JSON object, got ${describeValue(obj)}.`, { row: line, path });
    }
    guess.add(obj as Record<string, unknown>);
    pending.push({ obj, line });
    if (pending.length >= o.inferRows) start();
  };
  const stream = createReadStream(path, { highWaterMark: TEXT_CHUNK });
  try {
    let leftover = "";
    for await (const chunk of textChunks(stream as AsyncIterable<Buffer>)) {
      const text = leftover + chunk;
      leftover = text.slice(scanner.feed(text, false, sink));
      const a = asm as JsonAssembler | null;
      if (a && a.out.length) {
        yielded = true;
        for (const b of a.out.splice(0)) yield b;
      }
    }
    scanner.feed(leftover, true, sink);
    if (!asm) start();
    const a = asm as unknown as JsonAssembler;
    a.flush();
    for (const b of a.out.splice(0)) {
      yielded = true;
      yield b;
    }
    if (!yielded) yield emptyTable(a.schema).batches[0];
  } catch (e) {
    if (e instanceof DataIoError || e instanceof InvalidArgumentError || e instanceof SchemaMismatchError) throw e;
    throw fileError(e, path, "readJsonBatches");
  } finally {
    stream.destroy();
  }
}

// ------------------------------------------------------------------------------------------------
// Writing

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type JsonFormatter = (i: number) => string;

function jsonFormatter(vector: arrow.Vector): JsonFormatter {
  const type = vector.type as arrow.DataType;
  if (arrow.DataType.isInt(type) && type.bitWidth === 64) {
    const values = vector.data.length === 1 ? (vector.data[0].values as BigInt64Array) : null;
    return (i) => {
      if (!vector.isValid(i)) return "null";
      const v = (values ? values[i] : vector.get(i)) as bigint;
      return v > MAX_SAFE || v < -MAX_SAFE ? `"${v}"` : String(v);
    };
  }
  if (arrow.DataType.isFloat(type)) {
    const text = cellFormatter(vector, false);
    return (i) => {
      const s = text(i);
      if (s === null) return "null";
      return s === "NaN" || s === "Infinity" || s === "-Infinity" ? `"${s}"` : s;
    };
  }
  if (arrow.DataType.isInt(type) || arrow.DataType.isBool(type)) {
    const text = cellFormatter(vector, false);
    return (i) => text(i) ?? "null";
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isDictionary(type)) {
    const text = cellFormatter(vector, false);
    return (i) => {
      const s = text(i);
      return s === null ? "null" : JSON.stringify(s);
    };
  }
  if (arrow.DataType.isTimestamp(type)) {
    const values = vector.data[0].values as BigInt64Array;
    const unit = type.unit;
    return (i) => (vector.isValid(i) ? `"${formatTimestamp(values[i], unit)}"` : "null");
  }
  const text = cellFormatter(vector, false);
  if (arrow.DataType.isDate(type) || arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type)) {
    return (i) => {
      const s = text(i);
      return s === null ? "null" : JSON.stringify(s);
    };
  }
  return (i) => {
    const v = vector.get(i);
    if (v === null || v === undefined) return "null";
    const plain = typeof (v as { toJSON?: () => unknown }).toJSON === "function" ? (v as { toJSON: () => unknown }).toJSON() : v;
    return JSON.stringify(plain, (_k, x) => (typeof x === "bigint" ? (x > MAX_SAFE || x < -MAX_SAFE ? x.toString() : Number(x)) : x));
  };
}

/**
 * Writes a table or a stream of record batches as JSON Lines or a JSON array, atomically (a
 * temporary file renamed into place; a failed write leaves nothing behind). See the module rules
 * for value formats. Returns the number of rows written.
 * @example
 * await writeJson(table, "out/events.jsonl");
 * await writeJson(table, "out/events.json"); // a JSON array
 */
export async function writeJson(data: BatchSource, path: string, options: WriteJsonOptions = {}): Promise<{ rows: number }> {
  const caller = "writeJson";
  data = unwrapTable(data); // readCsv/readJson's { table, inferred }
  if (options.format !== undefined && options.format !== "jsonl" && options.format !== "array") {
    throw new InvalidArgumentError(`${caller}: option format must be "jsonl" or "array", got ${describeValue(options.format)}.`);
  }
  const format = options.format ?? (typeof path === "string" && jsonFormatOfPath(path) === "jsonl" ? "jsonl" : "array");
  let rows = 0;
  await writeFileAtomic(path, caller, async (append) => {
    if (format === "array") await append("[");
    for await (const batch of batchesOf(data, caller)) {
      const n = batch.numRows;
      if (!n) continue;
      const keys = batch.schema.fields.map((f) => JSON.stringify(f.name) + ":");
      const fmts = batch.schema.fields.map((_, c) => jsonFormatter(batch.getChildAt(c)!));
      const parts: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        let s = "{";
        for (let c = 0; c < fmts.length; c++) s += (c ? "," : "") + keys[c] + fmts[c](i);
        parts[i] = s + "}";
      }
      if (format === "array") await append((rows ? ",\n" : "\n") + parts.join(",\n"));
      else await append(parts.join("\n") + "\n");
      rows += n;
    }
    if (format === "array") await append(rows ? "\n]\n" : "]\n");
  });
  return { rows };
}
