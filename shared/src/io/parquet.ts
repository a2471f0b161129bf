/**
 * The Parquet lake: read and write Parquet files and hive-partitioned folders as Apache Arrow
 * tables or streams of record batches.
 *
 * - Engine: parquet-wasm (arrow-rs compiled to WebAssembly), chosen by measurement; files are
 *   read by byte ranges, so only the column chunks of the requested columns and surviving row
 *   groups are read and decoded.
 * - Types: Int64 comes back as bigint (exact beyond 2^53), timestamps of any unit and dates as
 *   Arrow JS gives them (epoch milliseconds), strings as UTF-8.
 * - Datasets: `path/col=value/…/part-0.parquet`; see `./parquet/hive` for the folder-name
 *   encoding and the partition-typing rule. Filters on partition columns skip folders, filters on
 *   data columns skip row groups by their min/max statistics, and are then applied exactly.
 * - Writes are atomic (temporary name + rename).
 */
import type * as arrow from "apache-arrow";
import { checkBatchSize, engineError, executeScan, executeScanToTable, planParquetScan, type ReadParquetOptions } from "./parquet/read";
import { resolveThreads } from "./parquet/pool";

export { writeParquet, DEFAULT_ROW_GROUP_SIZE } from "./parquet/write";
export type { ParquetCompression, WriteParquetOptions, WriteParquetResult } from "./parquet/write";
export { planParquetScan } from "./parquet/read";
export type { ReadParquetOptions, ParquetScanPlan, PlannedFile } from "./parquet/read";
export { escapePartitionValue, unescapePartitionValue, HIVE_NULL } from "./parquet/hive";

/** Default rows per batch when streaming with {@link readParquetBatches}. */
export const DEFAULT_BATCH_SIZE = 65_536;

/**
 * Reads a Parquet file, or a hive-partitioned folder of them, into an Arrow table.
 * `columns` selects (and orders) columns — unread columns are never decoded; `filter` keeps the
 * matching rows, skipping partition folders and row groups that cannot match. Large reads decode
 * their row groups on worker threads in parallel (`threads`, `TRELLIS_THREADS`; see
 * {@link ReadParquetOptions}); the table is the same, batch for batch, as a one-thread read.
 * Throws {@link DataIoError} for a missing, non-Parquet or truncated file and
 * {@link InvalidArgumentError} for an unknown column (listing the available ones).
 * @example
 * const t = await readParquet("lake/events", { columns: ["customer_id", "amount"], filter: [["region", "=", "emea"]] });
 */
export async function readParquet(path: string, opts: ReadParquetOptions = {}): Promise<arrow.Table> {
  const threads = resolveThreads(opts.threads);
  const plan = await planParquetScan(path, opts);
  try {
    return await executeScanToTable(plan, opts.batchSize, threads, opts.threads !== undefined);
  } catch (err) {
    throw engineError(path, err);
  }
}

/**
 * Streams a Parquet file or hive-partitioned folder as Arrow record batches of at most
 * `batchSize` rows (default 65 536), decoding one row group at a time so memory stays bounded
 * by the row-group size. Options as for {@link readParquet}.
 * @example
 * for await (const batch of readParquetBatches("lake/events", { batchSize: 10_000 })) total += batch.numRows;
 */
export function readParquetBatches(path: string, opts: ReadParquetOptions = {}): AsyncIterable<arrow.RecordBatch> {
  const batchSize = checkBatchSize(opts.batchSize) ?? DEFAULT_BATCH_SIZE;
  return {
    async *[Symbol.asyncIterator]() {
      const plan = await planParquetScan(path, opts);
      yield* executeScan(plan, batchSize);
    },
  };
}

/**
 * The Arrow schema of a Parquet file or dataset folder (partition columns last), read from the
 * footer without decoding data.
 * @example
 * (await parquetSchema("lake/events.parquet")).fields.map((f) => `${f.name}: ${f.type}`);
 */
export async function parquetSchema(path: string): Promise<arrow.Schema> {
  return (await planParquetScan(path)).schema;
}
