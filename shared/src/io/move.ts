/**
 * `move(from, to, options)`: stream data from any of a warehouse table or query, a Parquet file or
 * hive folder, a CSV, JSON or Arrow IPC file to any other, batch by batch (memory stays bounded by
 * the batch size), atomically at the destination (files: a temporary name renamed into place;
 * warehouse: its atomic load).
 *
 * Endpoints are objects — `{ warehouse: url | Warehouse, table }`, `{ warehouse, query, params }`
 * (sources only), `{ parquet: path }`, `{ csv: path }`, `{ json: path }`, `{ arrow: path }` — or
 * strings (as on the command line):
 * - `postgres://user@host/db#schema.table`, `embedded:<folder>#table`, `embedded:memory#table`: a
 *   warehouse table (the part after `#`);
 * - `parquet:<path>`, `csv:<path>`, `json:<path>`, `jsonl:<path>`, `arrow:<path>`: an explicit kind;
 * - otherwise by extension: `.parquet`/`.pq` Parquet, `.csv`/`.tsv` CSV, `.json`/`.jsonl`/`.ndjson`
 *   JSON, `.arrow`/`.feather`/`.ipc` Arrow IPC file, `.arrows` Arrow IPC stream; a path without an
 *   extension (or an existing folder) is a Parquet dataset folder.
 *
 * Options: `columns` (selected and ordered), `filter` (pushed down to SQL for warehouse tables and to
 * the Parquet reader's row-group pruning; applied batch by batch elsewhere), `partitionBy` (Parquet
 * destinations), `mode`/`key` (warehouse destinations), `batchSize`, `onProgress`.
 *
 * Memory: every source streams except a warehouse query with `params` (the driver's streaming has
 * no parameters, so that result is read whole) and a move between two endpoints of the same
 * warehouse (read whole before loading, since one embedded database runs one statement at a time).
 */
import * as arrow from "apache-arrow";
import { stat } from "node:fs/promises";
import { DataIoError, InvalidArgumentError, redactUrl, TrellisError, WarehouseError } from "../errors";
import { filterTable, validateFilter, type Filter } from "../frame/filter";
import type { ZodShapeInput } from "../frame/schema";
import { describe as describeValue } from "../frame/table";
import { Warehouse, type LoadMode } from "../warehouse/warehouse";
import { readArrowBatches, writeArrow, type ArrowIpcFormat } from "./arrow-ipc";
import { emptyTable, projectBatch, readCsvBatches, writeCsv } from "./csv";
import { readJsonBatches, writeJson, type JsonFormat } from "./json";
import { parquetSchema, readParquetBatches, writeParquet, type ParquetCompression } from "./parquet";
import type { Progress } from "./progress";

/** A warehouse given by URL or as an open {@link Warehouse} (which `move` leaves open). */
export type WarehouseRef = string | Warehouse;

/** Where data comes from or goes to. Strings follow the shorthands of the module documentation. */
export type MoveEndpoint =
  | string
  | { warehouse: WarehouseRef; table: string }
  | { warehouse: WarehouseRef; query: string; params?: readonly unknown[] }
  | { parquet: string }
  | { csv: string; delimiter?: string }
  | { json: string; format?: JsonFormat }
  | { arrow: string; format?: ArrowIpcFormat }
  | { batches: arrow.Table | AsyncIterable<arrow.RecordBatch> };

/** Options of {@link move}. */
export interface MoveOptions {
  /** Columns to move, in this order (default: all). */
  columns?: string[];
  /** Rows to move (AND of predicates). */
  filter?: Filter;
  /** Parquet destinations: partition folders by these columns. */
  partitionBy?: string | string[];
  /** Parquet destinations: the compression codec (default snappy). */
  compression?: ParquetCompression;
  /** Warehouse destinations: `"append"` (default), `"replace"` or `"upsert"` (needs `key`). */
  mode?: LoadMode;
  /** Warehouse destinations: the key column(s) of an upsert. */
  key?: string | string[];
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /** CSV and JSON sources: the column types (otherwise guessed from the first 10000 rows). */
  schema?: ZodShapeInput | arrow.Schema;
  /** Called after every batch with the rows moved so far and the seconds elapsed. */
  onProgress?: (p: Progress) => void;
  /**
   * Applied to every batch after column selection and filtering, before it is written (e.g. to add
   * model scores); it may return a batch of another schema, the same for every batch.
   */
  transform?: (batch: arrow.RecordBatch) => arrow.RecordBatch | Promise<arrow.RecordBatch>;
}

/** What {@link move} returns. */
export interface MoveResult {
  /** Rows written to the destination. */
  rows: number;
  /** Wall-clock seconds the move took. */
  seconds: number;
}

/** An endpoint after the shorthands have been resolved. */
export type ResolvedEndpoint =
  | { kind: "warehouse"; warehouse: WarehouseRef; table: string }
  | { kind: "query"; warehouse: WarehouseRef; query: string; params?: readonly unknown[] }
  | { kind: "parquet"; path: string }
  | { kind: "csv"; path: string; delimiter?: string }
  | { kind: "json"; path: string; format?: JsonFormat }
  | { kind: "arrow"; path: string; format?: ArrowIpcFormat }
  | { kind: "batches"; batches: arrow.Table | AsyncIterable<arrow.RecordBatch> };

const EXTENSIONS: [RegExp, "parquet" | "csv" | "json" | "arrow"][] = [
  [/\.(parquet|pq)$/i, "parquet"],
  [/\.(csv|tsv)$/i, "csv"],
  [/\.(json|jsonl|ndjson)$/i, "json"],
  [/\.(arrow|arrows|feather|ipc)$/i, "arrow"],
];

/**
 * Resolves an endpoint (object or string shorthand) to its kind and location, without touching it.
 * @example
 * resolveEndpoint("embedded:.trellis/wh#orders"); // { kind: "warehouse", warehouse: "embedded:.trellis/wh", table: "orders" }
 * resolveEndpoint("out/orders.csv"); // { kind: "csv", path: "out/orders.csv" }
 */
export function resolveEndpoint(endpoint: MoveEndpoint): ResolvedEndpoint {
  if (typeof endpoint === "string") return resolveString(endpoint);
  if (endpoint === null || typeof endpoint !== "object") {
    throw new InvalidArgumentError(`move: an endpoint must be a string or an object such as { parquet: "lake/x" }, got ${describeValue(endpoint)}.`);
  }
  const e = endpoint as Record<string, unknown>;
  const str = (key: string): string => {
    const v = e[key];
    if (typeof v !== "string" || v.length === 0) {
      throw new InvalidArgumentError(`move: endpoint property ${key} must be a non-empty string, got ${describeValue(v)}.`);
    }
    return v;
  };
  if ("warehouse" in e) {
    const wh = e.warehouse;
    if (typeof wh !== "string" && (wh === null || typeof wh !== "object" || typeof (wh as Warehouse).load !== "function")) {
      throw new InvalidArgumentError(`move: endpoint property warehouse must be a URL or an open Warehouse, got ${describeValue(wh)}.`);
    }
    if ("table" in e && "query" in e) throw new InvalidArgumentError("move: a warehouse endpoint takes either table or query, not both.");
    if ("query" in e) {
      const params = e.params;
      if (params !== undefined && !Array.isArray(params)) throw new InvalidArgumentError("move: endpoint property params must be an array.");
      return { kind: "query", warehouse: wh as WarehouseRef, query: str("query"), params: params as unknown[] | undefined };
    }
    return { kind: "warehouse", warehouse: wh as WarehouseRef, table: str("table") };
  }
  if ("parquet" in e) return { kind: "parquet", path: str("parquet") };
  if ("csv" in e) return { kind: "csv", path: str("csv"), delimiter: e.delimiter as string | undefined };
  if ("json" in e) return { kind: "json", path: str("json"), format: e.format as JsonFormat | undefined };
  if ("arrow" in e) return { kind: "arrow", path: str("arrow"), format: e.format as ArrowIpcFormat | undefined };
  if ("batches" in e) {
    const b = e.batches;
    if (!(b instanceof arrow.Table) && (b === null || typeof b !== "object" || typeof (b as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function")) {
      throw new InvalidArgumentError(`move: endpoint property batches must be an Arrow Table or an AsyncIterable of RecordBatch, got ${describeValue(b)}.`);
    }
    return { kind: "batches", batches: b as arrow.Table | AsyncIterable<arrow.RecordBatch> };
  }
  throw new InvalidArgumentError(
    `move: unknown endpoint ${describeValue(endpoint)}; use { warehouse, table }, { warehouse, query }, { parquet }, { csv }, { json } or { arrow }.`,
  );
}

function resolveString(s: string): ResolvedEndpoint {
  if (s.length === 0) throw new InvalidArgumentError("move: an endpoint string must not be empty.");
  if (/^postgres(ql)?:\/\//i.test(s) || s.startsWith("embedded:")) {
    const hash = s.lastIndexOf("#");
    if (hash < 0 || hash === s.length - 1) {
      throw new InvalidArgumentError(
        `move: the warehouse endpoint ${JSON.stringify(redactUrl(s))} names no table; append "#<table>" (e.g. "${redactUrl(s)}#public.orders"), or pass { warehouse, query } for a query.`,
      );
    }
    return { kind: "warehouse", warehouse: s.slice(0, hash), table: decodeURIComponent(s.slice(hash + 1)) };
  }
  const prefix = /^(parquet|csv|tsv|json|jsonl|ndjson|arrow|arrows):(.+)$/i.exec(s);
  if (prefix) {
    const kind = prefix[1].toLowerCase();
    const path = prefix[2];
    if (kind === "parquet") return { kind: "parquet", path };
    if (kind === "csv") return { kind: "csv", path };
    if (kind === "tsv") return { kind: "csv", path, delimiter: "\t" };
    if (kind === "json") return { kind: "json", path };
    if (kind === "jsonl" || kind === "ndjson") return { kind: "json", path, format: "jsonl" };
    if (kind === "arrow") return { kind: "arrow", path, format: "file" };
    return { kind: "arrow", path, format: "stream" };
  }
  for (const [re, kind] of EXTENSIONS) if (re.test(s)) return { kind, path: s };
  const base = s.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? s;
  if (!/\.[A-Za-z0-9]+$/.test(base)) return { kind: "parquet", path: s };
  throw new InvalidArgumentError(
    `move: cannot tell the format of ${JSON.stringify(s)} from its extension; use .parquet, .csv, .tsv, .json, .jsonl, .ndjson, .arrow or .arrows, or a prefix such as "csv:${s}".`,
  );
}

function describeEndpoint(e: ResolvedEndpoint): string {
  switch (e.kind) {
    case "warehouse":
      return `table ${e.table} in ${typeof e.warehouse === "string" ? redactUrl(e.warehouse) : e.warehouse.url}`;
    case "query":
      return `a query on ${typeof e.warehouse === "string" ? redactUrl(e.warehouse) : e.warehouse.url}`;
    case "batches":
      return "in-memory record batches";
    default:
      return `${e.kind} ${e.path}`;
  }
}

/** Keeps the selected columns and the filtered rows of batches read without pushdown. */
async function* selectAndFilter(
  source: AsyncIterable<arrow.RecordBatch>,
  columns: string[] | undefined,
  filter: Filter,
): AsyncGenerator<arrow.RecordBatch> {
  let schema: arrow.Schema | undefined;
  let first: arrow.RecordBatch | undefined;
  let yielded = false;
  for await (const batch of source) {
    first ??= batch;
    const available = batch.schema.fields.map((f) => f.name);
    if (!schema) {
      if (filter.length) validateFilter(filter, available);
      if (columns) {
        const unknown = columns.filter((c) => !available.includes(c));
        if (unknown.length) {
          throw new InvalidArgumentError(
            `move: unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} in option columns; available columns: ${available.join(", ")}.`,
          );
        }
        schema = new arrow.Schema(columns.map((c) => batch.schema.fields.find((f) => f.name === c)!));
      } else schema = batch.schema;
    }
    const parts = filter.length ? filterTable(new arrow.Table([batch]), filter).batches : [batch];
    for (const b of parts) {
      if (!b.numRows) continue;
      yielded = true;
      yield columns ? projectBatch(b, schema, columns) : b;
    }
  }
  // No row survived: one empty batch still carries the schema to the destination.
  if (!yielded && first && schema) {
    const empty = first.slice(0, 0);
    yield columns ? projectBatch(empty, schema, columns) : empty;
  }
}

function checkOptions(options: MoveOptions): void {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("move: options must be an object.");
  const known = new Set(["columns", "filter", "partitionBy", "compression", "mode", "key", "batchSize", "schema", "onProgress", "transform"]);
  for (const k of Object.keys(options)) {
    if (!known.has(k)) throw new InvalidArgumentError(`move: unknown option ${JSON.stringify(k)}; known options: ${[...known].join(", ")}.`);
  }
  if (options.columns !== undefined) {
    if (!Array.isArray(options.columns) || options.columns.length === 0 || !options.columns.every((c) => typeof c === "string" && c.length > 0)) {
      throw new InvalidArgumentError(`move: option columns must be a non-empty array of column names, got ${describeValue(options.columns)}.`);
    }
  }
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new InvalidArgumentError(`move: option batchSize must be a positive integer, got ${describeValue(options.batchSize)}.`);
  }
  if (options.mode !== undefined && !["append", "replace", "upsert"].includes(options.mode)) {
    throw new InvalidArgumentError(`move: option mode must be "append", "replace" or "upsert", got ${describeValue(options.mode)}.`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new InvalidArgumentError("move: option onProgress must be a function.");
  }
  if (options.transform !== undefined && typeof options.transform !== "function") {
    throw new InvalidArgumentError("move: option transform must be a function (batch) => batch.");
  }
}

/**
 * Moves data from one place to another, streaming batch by batch, atomically at the destination
 * (see the module documentation for endpoints and options). Returns the rows written and the
 * seconds taken. On any error nothing appears at the destination.
 * @example
 * await move({ warehouse: "embedded:.trellis/wh", table: "orders" }, { parquet: "lake/orders" }, { partitionBy: ["region"] });
 * await move("lake/orders", "orders.csv", { columns: ["order_id", "amount"], filter: [["amount", ">=", 100]] });
 * const { rows, seconds } = await move("events.jsonl", "postgres://app@db/wh#events", { mode: "replace" });
 */
export async function move(from: MoveEndpoint, to: MoveEndpoint, options: MoveOptions = {}): Promise<MoveResult> {
  checkOptions(options);
  const src = resolveEndpoint(from);
  const dst = resolveEndpoint(to);
  if (dst.kind === "query") throw new InvalidArgumentError("move: a query can only be a source; give the destination as { warehouse, table }.");
  if (dst.kind === "batches") throw new InvalidArgumentError("move: in-memory batches can only be a source; give the destination as a file, folder or { warehouse, table }.");
  const filter = validateFilter(options.filter);
  const partitionBy = options.partitionBy === undefined ? undefined : Array.isArray(options.partitionBy) ? options.partitionBy : [options.partitionBy];
  if (partitionBy && dst.kind !== "parquet") {
    throw new InvalidArgumentError(`move: option partitionBy applies to Parquet destinations only, not to ${describeEndpoint(dst)}.`);
  }
  if (options.compression !== undefined && dst.kind !== "parquet") {
    throw new InvalidArgumentError(`move: option compression applies to Parquet destinations only, not to ${describeEndpoint(dst)}.`);
  }
  if ((options.mode !== undefined || options.key !== undefined) && dst.kind !== "warehouse") {
    throw new InvalidArgumentError(`move: options mode and key apply to warehouse destinations only, not to ${describeEndpoint(dst)}.`);
  }
  if (options.schema !== undefined && src.kind !== "csv" && src.kind !== "json") {
    throw new InvalidArgumentError(`move: option schema applies to CSV and JSON sources only, not to ${describeEndpoint(src)}.`);
  }
  if ("path" in src && "path" in dst && samePath(src.path, dst.path)) {
    throw new InvalidArgumentError(`move: the source and the destination are the same file ${src.path}.`);
  }

  const started = performance.now();
  const opened = new Map<string, Warehouse>();
  const open = async (ref: WarehouseRef): Promise<Warehouse> => {
    if (typeof ref !== "string") return ref;
    let wh = opened.get(ref);
    if (!wh) {
      wh = await Warehouse.open(ref);
      opened.set(ref, wh);
    }
    return wh;
  };
  try {
    const batchSize = options.batchSize;
    let source: AsyncIterable<arrow.RecordBatch>;
    switch (src.kind) {
      case "warehouse": {
        const wh = await open(src.warehouse);
        const table = src.table;
        source = orEmpty(
          wh.stream({ table, columns: options.columns, filter: filter.length ? filter : undefined }, { batchSize }),
          async () => project(await wh.tableSchema(table), options.columns),
        );
        break;
      }
      case "query": {
        const wh = await open(src.warehouse);
        const raw: AsyncIterable<arrow.RecordBatch> = src.params && src.params.length
          ? tableBatches(await wh.query(src.query, src.params))
          : wh.stream(src.query, { batchSize });
        const sql = src.query.replace(/[\s;]+$/, "");
        source = orEmpty(selectAndFilter(raw, options.columns, filter), async () =>
          // The user's own query, wrapped only to learn its columns when it returned no batch at all.
          project((await wh.query(`SELECT * FROM (${sql}) AS trellis_q LIMIT 0`, src.params)).schema, options.columns),
        );
        break;
      }
      case "parquet": {
        await assertExists(src.path);
        const path = src.path;
        source = orEmpty(
          readParquetBatches(path, { columns: options.columns, filter: filter.length ? filter : undefined, batchSize }),
          async () => project(await parquetSchema(path), options.columns),
        );
        break;
      }
      case "csv":
        source = readCsvBatches(src.path, { columns: options.columns, filter, batchSize, schema: options.schema, delimiter: src.delimiter });
        break;
      case "json":
        source = readJsonBatches(src.path, { columns: options.columns, filter, batchSize, schema: options.schema, format: src.format });
        break;
      case "arrow":
        source = rebatch(readArrowBatches(src.path, { columns: options.columns, filter }), batchSize);
        break;
      case "batches": {
        const b = src.batches;
        // A table without batches still carries its schema to the destination, as one empty batch.
        const batches = b instanceof arrow.Table ? tableBatches(b.batches.length ? b : emptyTable(b.schema)) : b;
        source = selectAndFilter(rebatch(batches, batchSize), options.columns, filter);
        break;
      }
    }

    let rows = 0;
    const onProgress = options.onProgress;
    const transform = options.transform;
    const counted = (async function* () {
      for await (const b of source) {
        rows += b.numRows;
        const out = transform ? await transform(b) : b;
        if (onProgress) onProgress({ rows, seconds: (performance.now() - started) / 1000 });
        yield out;
      }
    })();

    let written: number;
    switch (dst.kind) {
      case "warehouse": {
        const wh = await open(dst.warehouse);
        const sameDb = (src.kind === "warehouse" || src.kind === "query") && (await open(src.warehouse)) === wh;
        // One embedded database serves one statement at a time: read the source fully before loading.
        const data = sameDb ? await collect(counted) : counted;
        written = (await wh.load(data, dst.table, { mode: options.mode, key: options.key })).rows;
        break;
      }
      case "parquet":
        written = (await writeParquet(await nonEmptyStream(counted), dst.path, { partitionBy, compression: options.compression })).rows;
        break;
      case "csv":
        written = (await writeCsv(counted, dst.path, { delimiter: dst.delimiter })).rows;
        break;
      case "json":
        written = (await writeJson(counted, dst.path, { format: dst.format })).rows;
        break;
      case "arrow":
        written = (await writeArrow(counted, dst.path, { format: dst.format })).rows;
        break;
    }
    const seconds = (performance.now() - started) / 1000;
    if (onProgress) onProgress({ rows: written, seconds });
    return { rows: written, seconds };
  } catch (e) {
    if (e instanceof WarehouseError && !e.message.startsWith("move ")) {
      // Name the move too: the warehouse's message names its own operation, statement and URL.
      throw new WarehouseError(`move from ${describeEndpoint(src)} to ${describeEndpoint(dst)}: ${e.message}`, { cause: e.cause, sqlState: e.sqlState });
    }
    if (e instanceof TrellisError) throw e;
    throw new DataIoError(`move from ${describeEndpoint(src)} to ${describeEndpoint(dst)} failed: ${(e as Error).message ?? String(e)}`, { cause: e });
  } finally {
    for (const wh of opened.values()) await wh.close().catch(() => undefined);
  }
}

function samePath(a: string, b: string): boolean {
  return a.replace(/[\\/]+$/, "") === b.replace(/[\\/]+$/, "");
}

async function assertExists(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (e) {
    throw new DataIoError(`move: cannot read ${path}: ${(e as { code?: string }).code === "ENOENT" ? "no such file or folder" : (e as Error).message}.`, {
      path,
      cause: e,
    });
  }
}

async function* tableBatches(table: arrow.Table): AsyncGenerator<arrow.RecordBatch> {
  if (table.batches.length === 0) return;
  yield* table.batches;
}

async function collect(source: AsyncIterable<arrow.RecordBatch>): Promise<arrow.Table> {
  const list: arrow.RecordBatch[] = [];
  for await (const b of source) list.push(b);
  return list.length ? new arrow.Table(list[0].schema, list) : new arrow.Table();
}

/** Splits batches larger than `size` rows (zero-copy slices). */
async function* rebatch(source: AsyncIterable<arrow.RecordBatch>, size: number | undefined): AsyncGenerator<arrow.RecordBatch> {
  for await (const b of source) {
    if (!size || b.numRows <= size) {
      yield b;
      continue;
    }
    for (let i = 0; i < b.numRows; i += size) yield b.slice(i, Math.min(b.numRows, i + size));
  }
}

/**
 * The stream itself when it has a row, else an empty table with its schema: the Parquet writer
 * writes a zero-row file from a table but cannot from a stream of empty batches.
 */
async function nonEmptyStream(source: AsyncIterable<arrow.RecordBatch>): Promise<arrow.Table | AsyncIterable<arrow.RecordBatch>> {
  const it = source[Symbol.asyncIterator]();
  let empty: arrow.RecordBatch | undefined;
  for (;;) {
    const r = await it.next();
    if (r.done) return empty ? new arrow.Table(empty.schema, [empty]) : source;
    if (r.value.numRows > 0) {
      const head = r.value;
      return (async function* () {
        yield head;
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
      })();
    }
    empty ??= r.value;
  }
}

/** The source's batches, or one empty batch of `schema()` when the source yields none at all. */
async function* orEmpty(source: AsyncIterable<arrow.RecordBatch>, schema: () => Promise<arrow.Schema>): AsyncGenerator<arrow.RecordBatch> {
  let any = false;
  for await (const b of source) {
    any = true;
    yield b;
  }
  if (!any) yield emptyTable(await schema()).batches[0];
}

/** The schema restricted to `columns`, in that order (all when undefined). */
function project(schema: arrow.Schema, columns: string[] | undefined): arrow.Schema {
  if (!columns) return schema;
  return new arrow.Schema(columns.map((c) => schema.fields.find((f) => f.name === c) ?? new arrow.Field(c, new arrow.Utf8(), true)));
}
