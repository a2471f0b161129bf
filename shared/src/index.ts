/**
 * @trellis/shared — typed feature definitions, a feature store over a Postgres warehouse and a
 * Parquet lake, and a data-movement toolkit. Apache Arrow is the in-memory interchange format.
 */
export {
  TrellisError,
  NotFittedError,
  SchemaMismatchError,
  ValidationError,
  DataIoError,
  WarehouseError,
  LockedError,
  ArtifactIntegrityError,
  FeatureStoreError,
  InvalidArgumentError,
  redactUrl,
} from "./errors";
export type { TrellisErrorCode, MistypedColumn, ValidationIssue } from "./errors";

// --- filters ---
export { validateFilter, filterMask, filterTable, filterToSql, predicateMayMatch } from "./frame/filter";
export type { Filter, FilterOp, FilterScalar, Predicate } from "./frame/filter";

// --- frame: tables and schemas ---
export { tableFromRows, rowsOf, columnNames, concatBatches } from "./frame/table";
export type { RowsOfOptions, ArrowTypeOf, RowTypeMap } from "./frame/table";
export { zodToArrowSchema, zodFieldToArrow, arrowSchemaToZod } from "./frame/schema";
export type { ZodShapeInput, ArrowSchemaToZodOptions } from "./frame/schema";

// --- warehouse ---
export { Warehouse } from "./warehouse/warehouse";
export type { LoadMode, LoadOptions, StreamOptions, ReadTableOptions, WarehouseOpenOptions } from "./warehouse/warehouse";
export { quoteIdent, quoteTableName, splitTableName } from "./warehouse/identifiers";
export { arrowTypeToPg, pgTypeToArrow } from "./warehouse/types";

// --- lake: Parquet files and hive-partitioned datasets ---
export {
  readParquet,
  readParquetBatches,
  writeParquet,
  parquetSchema,
  planParquetScan,
  escapePartitionValue,
  unescapePartitionValue,
  HIVE_NULL,
  DEFAULT_BATCH_SIZE,
  DEFAULT_ROW_GROUP_SIZE,
} from "./io/parquet";
export type {
  ParquetCompression,
  ReadParquetOptions,
  WriteParquetOptions,
  WriteParquetResult,
  ParquetScanPlan,
  PlannedFile,
} from "./io/parquet";
