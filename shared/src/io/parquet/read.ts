/**
 * Reading Parquet files and hive-partitioned folders: planning (partition pruning, row-group
 * pruning by min/max statistics, column projection) and execution through the WASM engine.
 */
import { stat } from "node:fs/promises";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../../errors";
import { filterMask, predicateMayMatch, validateFilter, type Filter, type Predicate } from "../../frame/filter";
import { decodeParquet, decodeSchema, engineMessage } from "./engine";
import { projectedLayout, projectedParquetBuffer } from "./project";
import { Scratch } from "../../frame/scratch";
import { decodeInWorkers, resolveThreads, workersAvailable, type DecodeJob } from "./pool";
import { decodeStat, ioError, readFooter, type ParquetFooter } from "./footer";
import {
  constantData,
  inferPartitionType,
  listDataset,
  parsePartitionText,
  partitionTypeFromName,
  PARTITION_META_KEY,
  type DatasetFile,
} from "./hive";
import { maskToIndices, takeBatch } from "./take";

/** Options of `readParquet` / `readParquetBatches`. */
export interface ReadParquetOptions {
  /** Columns to return, in this order (file and partition columns); default all, file columns first. */
  columns?: string[];
  /** Rows to keep (AND of predicates); prunes partitions and row groups, then applies exactly. */
  filter?: Filter;
  /** Maximum rows per record batch. Default: 65 536 when streaming, one batch per row group for a table. */
  batchSize?: number;
  /**
   * Threads decoding row groups in parallel when reading into a table (`readParquet`), one row
   * group per task; 1 decodes on the calling thread. Given here, it applies to any read of two or
   * more row groups. Default: the `TRELLIS_THREADS` environment variable, else
   * `os.availableParallelism()`, for reads of at least 16 MiB (smaller ones decode on the calling
   * thread). Streaming (`readParquetBatches`) always decodes on the calling thread.
   */
  threads?: number;
}

/** One file of a scan and the row groups that survive pruning. */
export interface PlannedFile {
  path: string;
  /** Row group indexes that will be decoded. */
  rowGroups: number[];
  /** Row groups in the file. */
  rowGroupsTotal: number;
  /** Partition values of the file's folders (storage values: bigint for 64-bit ints…). */
  partitionValues: unknown[];
}

/** A planned file with its decoded footer (internal). */
interface FileScan extends PlannedFile {
  footer: ParquetFooter;
}

/** What a read will touch; see {@link planParquetScan}. */
export interface ParquetScanPlan {
  /** The schema of the result. */
  schema: arrow.Schema;
  /** File columns decoded (the requested ones plus those the filter needs). */
  readColumns: string[];
  /** Partition columns of a hive dataset (empty for a single file). */
  partitionColumns: string[];
  /** Files that survive partition pruning. */
  files: readonly PlannedFile[];
  /** Data files found (before partition pruning). */
  filesTotal: number;
  /** Row groups in the files that survive partition pruning (pruned folders are never opened). */
  rowGroupsTotal: number;
  /** Row groups that will be decoded after min/max statistics pruning. */
  rowGroupsRead: number;
  /** Predicates applied to decoded rows. */
  dataFilter: Filter;
}

function prefixArgError(path: string, err: unknown): never {
  if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`readParquet(${path}): ${err.message}`);
  throw err;
}

/** Validates `batchSize` and returns it. */
export function checkBatchSize(batchSize: unknown): number | undefined {
  if (batchSize === undefined) return undefined;
  if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError(`readParquet: batchSize must be a positive integer (rows per batch), got ${String(batchSize)}.`);
  }
  return batchSize;
}

async function engineSchema(path: string, footer: ParquetFooter): Promise<arrow.Schema> {
  try {
    // A footer-only copy of the file (no row groups) is all the engine needs for the schema.
    const schema = await decodeSchema(await projectedParquetBuffer(path, footer, undefined, []));
    const metadata = new Map(schema.metadata);
    metadata.delete(PARTITION_META_KEY);
    return new arrow.Schema(schema.fields, metadata);
  } catch (err) {
    throw engineError(path, err);
  }
}

/** Wraps an engine failure in a DataIoError naming the file. */
export function engineError(path: string, err: unknown): Error {
  if (err instanceof DataIoError || err instanceof InvalidArgumentError || err instanceof SchemaMismatchError) return err;
  return new DataIoError(`cannot read Parquet file ${path}: ${engineMessage(err)}`, { path, cause: err });
}

/**
 * Plans a read without decoding any data: which files and row groups survive partition and
 * statistics pruning, which columns get decoded, and the result schema. `readParquet` and
 * `readParquetBatches` execute exactly this plan.
 * @example
 * const plan = await planParquetScan("lake/events", { filter: [["day", ">=", "2024-06-01"]] });
 * console.log(`${plan.rowGroupsRead}/${plan.rowGroupsTotal} row groups to read`);
 */
export async function planParquetScan(path: string, opts: ReadParquetOptions = {}): Promise<ParquetScanPlan> {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`readParquet: path must be a non-empty string (a .parquet file or a dataset folder), got ${String(path)}.`);
  }
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw ioError(path, err);
  }
  let entries: DatasetFile[];
  if (isDir) {
    entries = await listDataset(path);
    if (entries.length === 0) {
      throw new DataIoError(`cannot read ${path}: the folder holds no data files; check the path or write the dataset first.`, { path });
    }
  } else {
    entries = [{ path, partitions: [] }];
  }

  const firstFooter = await readFooter(entries[0].path);
  const fileSchema = await engineSchema(entries[0].path, firstFooter);
  const fileColumns = fileSchema.fields.map((f) => f.name);

  // Partition columns and their types.
  const partitionKeys = entries[0].partitions.map((p) => p.key);
  const recorded = parseRecordedTypes(firstFooter.keyValue.get(PARTITION_META_KEY));
  const partitionFields = partitionKeys.map((key, k) => {
    const rec = recorded?.get(key);
    const type = rec ? partitionTypeFromName(rec) : inferPartitionType(entries.map((e) => e.partitions[k].text));
    return new arrow.Field(key, type, true);
  });
  for (const key of partitionKeys) {
    if (fileColumns.includes(key)) {
      throw new DataIoError(
        `${path}: column ${JSON.stringify(key)} is both a partition folder key and a column inside the files; rename one of them.`,
        { path },
      );
    }
  }
  const partitionValues = entries.map((e) =>
    e.partitions.map((p, k) => parsePartitionText(p.text, partitionFields[k].type, e.path)),
  );

  // Columns and filter.
  const available = [...fileColumns, ...partitionKeys];
  const columns = opts.columns;
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string")) {
      throw new InvalidArgumentError(`readParquet(${path}): columns must be an array of column names, got ${JSON.stringify(columns)}.`);
    }
    for (const c of columns) {
      if (!available.includes(c)) {
        throw new InvalidArgumentError(
          `readParquet(${path}): unknown column ${JSON.stringify(c)} in columns; available columns: ${available.join(", ")}.`,
        );
      }
    }
    const dup = columns.find((c, i) => columns.indexOf(c) !== i);
    if (dup !== undefined) throw new InvalidArgumentError(`readParquet(${path}): column ${JSON.stringify(dup)} is listed twice in columns.`);
  }
  let filter: Filter;
  try {
    filter = validateFilter(opts.filter, available);
  } catch (err) {
    prefixArgError(path, err);
  }
  checkBatchSize(opts.batchSize);
  const outputNames = columns ?? available;
  const partitionFilter = filter.filter((p) => partitionKeys.includes(p[0]));
  const dataFilter = filter.filter((p) => !partitionKeys.includes(p[0]));
  const readSet = new Set([...outputNames.filter((c) => fileColumns.includes(c)), ...dataFilter.map((p) => p[0])]);
  const readColumns = fileColumns.filter((c) => readSet.has(c));

  // Partition pruning: evaluate partition predicates on a table with one row per file.
  let keepFile: Uint8Array = new Uint8Array(entries.length).fill(1);
  if (partitionFilter.length > 0) {
    const children = partitionFields.map((f, k) => {
      const parts = entries.map((_, i) => constantData(f.type, partitionValues[i][k], 1));
      return new arrow.Vector(parts);
    });
    const table = new arrow.Table(Object.fromEntries(partitionFields.map((f, k) => [f.name, children[k]])));
    keepFile = filterMask(table, partitionFilter);
  }

  const files: FileScan[] = [];
  let rowGroupsTotal = 0;
  let rowGroupsRead = 0;
  for (let i = 0; i < entries.length; i++) {
    if (!keepFile[i]) continue;
    const footer = i === 0 ? firstFooter : await readFooter(entries[i].path);
    const missing = readColumns.filter((c) => !footer.columns.includes(c));
    if (missing.length) {
      throw new SchemaMismatchError(`${entries[i].path} (in dataset ${path})`, { missing }, "Every file of a dataset must have the same columns.");
    }
    const rowGroups: number[] = [];
    footer.rowGroups.forEach((rg, r) => {
      if (rowGroupMayMatch(footer, rg, dataFilter)) rowGroups.push(r);
    });
    rowGroupsTotal += footer.rowGroups.length;
    rowGroupsRead += rowGroups.length;
    files.push({ path: entries[i].path, rowGroups, rowGroupsTotal: footer.rowGroups.length, partitionValues: partitionValues[i], footer });
  }

  const fieldOf = (name: string) => fileSchema.fields.find((f) => f.name === name) ?? partitionFields.find((f) => f.name === name)!;
  const schema = new arrow.Schema(outputNames.map(fieldOf), fileSchema.metadata);
  return {
    schema,
    readColumns,
    partitionColumns: partitionKeys,
    files,
    filesTotal: entries.length,
    rowGroupsTotal,
    rowGroupsRead,
    dataFilter,
  };
}

function parseRecordedTypes(text: string | undefined): Map<string, string> | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { name: string; type: string }[];
    return new Map(parsed.map((p) => [p.name, p.type]));
  } catch {
    return undefined;
  }
}

function rowGroupMayMatch(footer: ParquetFooter, rg: ParquetFooter["rowGroups"][number], filter: Filter): boolean {
  for (const p of filter) {
    const leaf = footer.leaves.get(p[0]);
    if (!leaf) continue;
    const chunk = rg.columns.find((c) => c.path === p[0]);
    const st = chunk?.stats;
    if (!st) continue;
    const stats = {
      min: decodeStat(leaf, st.min, st.legacy, "min"),
      max: decodeStat(leaf, st.max, st.legacy, "max"),
      nullCount: st.nullCount,
      rowCount: rg.numRows,
    };
    if (!valuesComparable(p)) {
      stats.min = undefined;
      stats.max = undefined;
    }
    if (!predicateMayMatch(p, stats)) return false;
  }
  return true;
}

/** Each comparison with the opposite one: no row can match the opposite ⇔ every row matches. */
const OPPOSITE: Partial<Record<Predicate[1], Predicate[1]>> = { ">=": "<", ">": "<=", "<": ">=", "<=": ">", "=": "!=", "!=": "=" };
/** Stat kinds whose min/max bound every value exactly (floats are not: NaN is left out of statistics). */
const EXACT_STATS = new Set(["int32", "int64", "timestamp", "date32", "string"]);

/**
 * Whether min/max statistics prove that every row of the row group satisfies the filter, so
 * applying it to the decoded rows can be skipped (a time window over a lake usually keeps whole
 * row groups). Conservative: any doubt (no statistics, nulls, floats, `in`) answers false.
 */
function rowGroupAllMatch(footer: ParquetFooter, rg: ParquetFooter["rowGroups"][number], filter: Filter): boolean {
  for (const p of filter) {
    const leaf = footer.leaves.get(p[0]);
    const st = rg.columns.find((c) => c.path === p[0])?.stats;
    if (!leaf || !st || st.nullCount !== 0 || !EXACT_STATS.has(leaf.stat.kind) || !valuesComparable(p)) return false;
    if (p[1] === "is not null") continue;
    const opposite = OPPOSITE[p[1]];
    if (opposite === undefined || p.length !== 3) return false;
    const stats = {
      min: decodeStat(leaf, st.min, st.legacy, "min"),
      max: decodeStat(leaf, st.max, st.legacy, "max"),
      nullCount: 0,
      rowCount: rg.numRows,
    };
    if (stats.min === undefined || stats.max === undefined) return false;
    if (predicateMayMatch([p[0], opposite, p[2]] as Predicate, stats)) return false;
  }
  return true;
}

/** String values with characters ≥ U+D800 order differently in UTF-8 and UTF-16: no min/max pruning. */
function valuesComparable(p: Predicate): boolean {
  const vals = p.length === 3 ? (Array.isArray(p[2]) ? (p[2] as unknown[]) : [p[2]]) : [];
  return vals.every((v) => typeof v !== "string" || !/[\uD800-\uFFFF]/.test(v));
}

/** Builds the output batch: file columns from `batch`, partition columns as constants. */
function assemble(plan: ParquetScanPlan, file: FileScan, batch: arrow.RecordBatch | null, length: number): arrow.RecordBatch {
  const children = plan.schema.fields.map((f) => {
    const k = plan.partitionColumns.indexOf(f.name);
    if (k >= 0) return constantData(f.type, file.partitionValues[k], length);
    const idx = batch!.schema.fields.findIndex((x) => x.name === f.name);
    return batch!.data.children[idx];
  });
  const data = arrow.makeData({ type: new arrow.Struct(plan.schema.fields), length, nullCount: 0, children });
  return new arrow.RecordBatch(plan.schema, data);
}

function checkBatchSchema(plan: ParquetScanPlan, file: FileScan, batch: arrow.RecordBatch): void {
  const mistyped: { column: string; expected: string; actual: string }[] = [];
  for (const name of plan.readColumns) {
    const want = plan.schema.fields.find((f) => f.name === name);
    const got = batch.schema.fields.find((f) => f.name === name);
    if (want && got && String(want.type) !== String(got.type)) mistyped.push({ column: name, expected: String(want.type), actual: String(got.type) });
  }
  if (mistyped.length) {
    throw new SchemaMismatchError(`${file.path}`, { mistyped }, "Every file of a dataset must have the same column types.");
  }
}

/**
 * Applies the data filter and partition constants to decoded batches of one file's row groups
 * (the filter is skipped when their statistics prove every row matches).
 */
function finishBatches(plan: ParquetScanPlan, file: FileScan, rowGroups: number[], batches: arrow.RecordBatch[], out: arrow.RecordBatch[]): void {
  const filter = plan.dataFilter.length > 0 && !rowGroups.every((r) => rowGroupAllMatch(file.footer, file.footer.rowGroups[r], plan.dataFilter));
  for (let b of batches) {
    checkBatchSchema(plan, file, b);
    if (filter) {
      const mask = filterMask(b, plan.dataFilter);
      const idx = maskToIndices(mask);
      if (idx.length === 0) continue;
      if (idx.length !== b.numRows) b = takeBatch(b, idx);
    }
    out.push(assemble(plan, file, b, b.numRows));
  }
}

/** Batches of partition constants only (no file column decoded): sized by row groups and batchSize. */
function constantBatches(plan: ParquetScanPlan, file: FileScan, rowGroups: number[], batchSize: number, out: arrow.RecordBatch[]): void {
  for (const r of rowGroups) {
    let left = file.footer.rowGroups[r].numRows;
    while (left > 0) {
      const n = Math.min(left, batchSize);
      out.push(assemble(plan, file, null, n));
      left -= n;
    }
  }
}

async function decodeRowGroups(plan: ParquetScanPlan, file: FileScan, rowGroups: number[], batchSize: number): Promise<arrow.RecordBatch[]> {
  const out: arrow.RecordBatch[] = [];
  if (plan.readColumns.length === 0) {
    constantBatches(plan, file, rowGroups, batchSize, out);
    return out;
  }
  const all = plan.readColumns.length === file.footer.columns.length;
  let decoded: arrow.RecordBatch[];
  // The bytes handed to the engine (which copies them into WASM memory) go into reused memory.
  const scratch = new Scratch();
  try {
    const bytes = await projectedParquetBuffer(file.path, file.footer, all ? undefined : plan.readColumns, rowGroups, (n) => scratch.bytes(n));
    decoded = await decodeParquet(bytes, batchSize);
  } catch (err) {
    throw engineError(file.path, err);
  } finally {
    scratch.release();
  }
  finishBatches(plan, file, rowGroups, decoded, out);
  return out;
}

/** Executes a plan, yielding batches file by file and row group by row group. */
export async function* executeScan(plan: ParquetScanPlan, batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  for (const file of plan.files as FileScan[]) {
    for (const r of file.rowGroups) {
      for (const b of await decodeRowGroups(plan, file, [r], batchSize)) yield b;
    }
  }
}

/** Reads of fewer bytes than this decode on the calling thread (a worker round trip is not worth it). */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

/** Compressed bytes of the column chunks a plan decodes. */
function planBytes(plan: ParquetScanPlan): number {
  let bytes = 0;
  for (const file of plan.files as FileScan[]) {
    const keep = file.footer.leafTop.map((top) => plan.readColumns.includes(top));
    for (const r of file.rowGroups) file.footer.rowGroups[r].columns.forEach((c, j) => (bytes += keep[j] ? c.compressedSize : 0));
  }
  return bytes;
}

/**
 * Executes a plan into one table. Row groups are decoded one at a time: WASM memory then only
 * has to hold one row group (input and output), which keeps it small and reused — growing it
 * for a whole file is what makes a first read slow. With `threads` > 1 and two or more row
 * groups — and, unless `anySize`, at least 16 MiB to decode — the row groups are decoded on
 * worker threads (see `pool.ts`), each worker reading its own byte ranges; the batches keep
 * file and row-group order.
 */
export async function executeScanToTable(plan: ParquetScanPlan, batchSize: number | undefined, threads = 1, anySize = false): Promise<arrow.Table> {
  const units: { file: FileScan; r: number }[] = [];
  for (const file of plan.files as FileScan[]) for (const r of file.rowGroups) units.push({ file, r });
  const size = (u: { file: FileScan; r: number }) => batchSize ?? Math.max(1, u.file.footer.rowGroups[u.r].numRows);
  const parallel = threads > 1 && units.length > 1 && plan.readColumns.length > 0 && (anySize || planBytes(plan) >= PARALLEL_MIN_BYTES) && workersAvailable();
  let batches: arrow.RecordBatch[];
  if (parallel) {
    const jobs: DecodeJob[] = units.map((u) => {
      const all = plan.readColumns.length === u.file.footer.columns.length;
      return { path: u.file.path, layout: projectedLayout(u.file.footer, all ? undefined : plan.readColumns, [u.r]), batchSize: size(u) };
    });
    const parts: arrow.RecordBatch[][] = new Array(units.length);
    await decodeInWorkers(jobs, threads, (i, result) => {
      const out: arrow.RecordBatch[] = [];
      try {
        finishBatches(plan, units[i].file, [units[i].r], result.batches, out);
      } catch (err) {
        throw engineError(units[i].file.path, err);
      }
      parts[i] = out;
    });
    batches = parts.flat();
  } else {
    batches = [];
    for (const u of units) batches.push(...(await decodeRowGroups(plan, u.file, [u.r], size(u))));
  }
  return batches.length ? new arrow.Table(plan.schema, batches) : new arrow.Table(plan.schema, []);
}
