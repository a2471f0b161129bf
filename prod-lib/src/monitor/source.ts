/**
 * The data a drift report reads as "current", as a stream of Arrow record batches: row objects, an
 * Arrow table or batch, an (async) iterable of batches, or any `move` source of @trellis/shared (a
 * warehouse table or query, a Parquet file or folder, CSV, JSON, Arrow IPC), read batch by batch so
 * memory stays bounded by the batch size whatever the size of the source.
 */
import * as arrow from "apache-arrow";
import {
  InvalidArgumentError,
  Warehouse,
  parquetSchema,
  readArrowBatches,
  readCsvBatches,
  readJsonBatches,
  readParquetBatches,
  redactUrl,
  resolveEndpoint,
  tableFromRows,
  type MoveEndpoint,
  type ResolvedEndpoint,
} from "@trellis/shared";

/** What a drift report accepts as current data. */
export type DriftSource =
  | readonly Record<string, unknown>[]
  | arrow.Table
  | arrow.RecordBatch
  | Iterable<arrow.RecordBatch>
  | AsyncIterable<arrow.RecordBatch>
  | MoveEndpoint;

/** Options of {@link sourceBatches}. */
export interface SourceBatchesOptions {
  /** The columns the report needs; sources that can read a subset read only those that exist. */
  columns?: readonly string[];
  /** Rows per batch for the sources that read in batches (default: the reader's, 65536). */
  batchSize?: number;
}

function isBatchIterable(v: unknown): v is Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && (Symbol.asyncIterator in v || Symbol.iterator in v);
}

/**
 * A short, password-free description of a current source for reports and error messages.
 * @example describeSource("lake/predictions") // "parquet lake/predictions"
 */
export function describeSource(source: DriftSource): string {
  if (Array.isArray(source)) return `${source.length} row objects`;
  if (source instanceof arrow.Table) return `an Arrow table of ${source.numRows} rows`;
  if (source instanceof arrow.RecordBatch) return `an Arrow record batch of ${source.numRows} rows`;
  if (typeof source === "string" || (source !== null && typeof source === "object" && !isBatchIterable(source))) {
    const e = resolveEndpoint(source as MoveEndpoint);
    return describeResolved(e);
  }
  return "a stream of record batches";
}

function describeResolved(e: ResolvedEndpoint): string {
  const url = (w: string | Warehouse) => (typeof w === "string" ? redactUrl(w) : w.url);
  if (e.kind === "warehouse") return `table ${e.table} in ${url(e.warehouse)}`;
  if (e.kind === "query") return `a query on ${url(e.warehouse)}`;
  if (e.kind === "batches") return "in-memory record batches";
  return `${e.kind} ${e.path}`;
}

/**
 * Streams the current data as record batches (see the module documentation for what is accepted).
 * Warehouses opened here from a URL are closed when the stream ends or is abandoned.
 * @example
 * for await (const batch of sourceBatches("lake/predictions", { columns: ["age", "plan"] })) console.log(batch.numRows);
 */
export async function* sourceBatches(source: DriftSource, options: SourceBatchesOptions = {}): AsyncGenerator<arrow.RecordBatch> {
  if (Array.isArray(source)) {
    const rows = source as readonly Record<string, unknown>[];
    if (rows.length === 0) return;
    yield* tableFromRows(rows as Record<string, unknown>[]).batches;
    return;
  }
  if (source instanceof arrow.Table) {
    yield* source.batches;
    return;
  }
  if (source instanceof arrow.RecordBatch) {
    yield source;
    return;
  }
  if (isBatchIterable(source)) {
    let i = 0;
    for await (const b of source as AsyncIterable<arrow.RecordBatch>) {
      if (!(b instanceof arrow.RecordBatch)) {
        throw new InvalidArgumentError(
          `driftReport: item ${i} of the current stream is not an Arrow RecordBatch; pass record batches, an Arrow table, row objects or a move source.`,
        );
      }
      i++;
      yield b;
    }
    return;
  }
  if (source === null || source === undefined) {
    throw new InvalidArgumentError(
      "driftReport: current is missing; pass row objects, an Arrow table, record batches or a move source such as \"lake/predictions\".",
    );
  }
  yield* endpointBatches(resolveEndpoint(source as MoveEndpoint), options);
}

async function* endpointBatches(e: ResolvedEndpoint, options: SourceBatchesOptions): AsyncGenerator<arrow.RecordBatch> {
  const batchSize = options.batchSize;
  const pick = (schema: arrow.Schema): string[] | undefined => {
    if (!options.columns) return undefined;
    const names = new Set(schema.fields.map((f) => f.name));
    const present = options.columns.filter((c) => names.has(c));
    // None of the wanted columns exists: read one column anyway, so the rows are still counted.
    return present.length ? present : schema.fields.length ? [schema.fields[0]!.name] : undefined;
  };
  switch (e.kind) {
    case "batches":
      yield* e.batches instanceof arrow.Table ? e.batches.batches : e.batches;
      return;
    case "parquet": {
      const columns = pick(await parquetSchema(e.path));
      yield* readParquetBatches(e.path, { columns, batchSize });
      return;
    }
    case "csv":
      yield* readCsvBatches(e.path, { batchSize, delimiter: e.delimiter });
      return;
    case "json":
      yield* readJsonBatches(e.path, { batchSize, format: e.format });
      return;
    case "arrow":
      yield* readArrowBatches(e.path);
      return;
    case "warehouse":
    case "query": {
      const owned = typeof e.warehouse === "string";
      const wh = typeof e.warehouse === "string" ? await Warehouse.open(e.warehouse) : e.warehouse;
      try {
        if (e.kind === "warehouse") {
          const columns = pick(await wh.tableSchema(e.table));
          yield* wh.stream({ table: e.table, columns }, { batchSize });
        } else if (e.params && e.params.length) {
          // The driver streams only parameterless statements; a parameterised query is read whole.
          yield* (await wh.query(e.query, e.params)).batches;
        } else {
          yield* wh.stream(e.query, { batchSize });
        }
      } finally {
        if (owned) await wh.close();
      }
      return;
    }
  }
}
