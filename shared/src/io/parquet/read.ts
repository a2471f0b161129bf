/**
 * Reading Parquet files and hive-partitioned folders: planning (partition pruning, row-group
 * pruning by min/max statistics, column projection) and execution through the WASM engine.
 */
import { stat } from "node:fs/promises";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../../errors";
import { filterMask, predicateMayMatch, validateFilter, type Filter, type Predicate } from "../../frame/filter";
import { decodeParquet, decodeSchema, engineMessage } from "./engine";
import { projectedParquetBuffer } from "./project";
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

/** Applies the data filter and partition constants to decoded batches of one file. */
function finishBatches(plan: ParquetScanPlan, file: FileScan, batches: arrow.RecordBatch[], out: arrow.RecordBatch[]): void {
  for (let b of batches) {
    checkBatchSchema(plan, file, b);
    if (plan.dataFilter.length > 0) {
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

/** A read buffer reused across the row groups of one scan (the engine copies it into WASM memory). */
type Scratch = { buffer?: Uint8Array };

async function decodeRowGroups(plan: ParquetScanPlan, file: FileScan, rowGroups: number[], batchSize: number, scratch: Scratch): Promise<arrow.RecordBatch[]> {
  const out: arrow.RecordBatch[] = [];
  if (plan.readColumns.length === 0) {
    constantBatches(plan, file, rowGroups, batchSize, out);
    return out;
  }
  const all = plan.readColumns.length === file.footer.columns.length;
  let decoded: arrow.RecordBatch[];
  try {
    const bytes = await projectedParquetBuffer(file.path, file.footer, all ? undefined : plan.readColumns, rowGroups, scratch);
    decoded = await decodeParquet(bytes, batchSize);
  } catch (err) {
    throw engineError(file.path, err);
  }
  finishBatches(plan, file, decoded, out);
  return out;
}

/** Executes a plan, yielding batches file by file and row group by row group. */
export async function* executeScan(plan: ParquetScanPlan, batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  const scratch: Scratch = {};
  for (const file of plan.files as FileScan[]) {
    for (const r of file.rowGroups) {
      for (const b of await decodeRowGroups(plan, file, [r], batchSize, scratch)) yield b;
    }
  }
}

/**
 * Executes a plan into one table. Row groups are decoded one at a time: WASM memory then only
 * has to hold one row group (input and output), which keeps it small and reused — growing it
 * for a whole file is what makes a first read slow.
 */
export async function executeScanToTable(plan: ParquetScanPlan, batchSize: number | undefined): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = [];
  const scratch: Scratch = {};
  for (const file of plan.files as FileScan[]) {
    for (const r of file.rowGroups) {
      const size = batchSize ?? Math.max(1, file.footer.rowGroups[r].numRows);
      batches.push(...(await decodeRowGroups(plan, file, [r], size, scratch)));
    }
  }
  return batches.length ? new arrow.Table(plan.schema, batches) : new arrow.Table(plan.schema, []);
}
