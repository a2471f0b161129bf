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
export { SHARED_VERSION, SHARED_DEPENDENCIES } from "./version";

// --- filters ---
export { validateFilter, filterMask, filterTable, filterToSql, predicateMayMatch, takeRows } from "./frame/filter";
export type { Filter, FilterOp, FilterScalar, Predicate } from "./frame/filter";

// --- frame: tables and schemas ---
export { tableFromRows, rowsOf, columnNames, concatBatches } from "./frame/table";
export type { RowsOfOptions, ArrowTypeOf, RowTypeMap } from "./frame/table";
export { zodToArrowSchema, zodFieldToArrow, arrowSchemaToZod, zodToPgColumns } from "./frame/schema";
export type { ZodShapeInput, ArrowSchemaToZodOptions, PgColumn } from "./frame/schema";
export { formatTable, tableToHtml, formatValue, escapeHtml } from "./frame/report";
export type { Report, ReportTableOptions } from "./frame/report";

// --- io: CSV, JSON, Arrow IPC, move ---
export { readCsv, parseCsv, readCsvBatches, inferCsvSchema, writeCsv } from "./io/csv";
export type { ReadCsvOptions, WriteCsvOptions, CsvReadResult, CsvInference, BatchSource } from "./io/csv";
export { readJson, readJsonBatches, writeJson } from "./io/json";
export type { ReadJsonOptions, WriteJsonOptions, JsonReadResult, JsonInference, JsonFormat } from "./io/json";
export { readArrow, readArrowBatches, writeArrow } from "./io/arrow-ipc";
export type { ReadArrowOptions, WriteArrowOptions, ArrowIpcFormat } from "./io/arrow-ipc";
export { move, resolveEndpoint } from "./io/move";
export type { MoveEndpoint, MoveOptions, MoveResult, ResolvedEndpoint, WarehouseRef } from "./io/move";
export { createProgressBar, progressLine, formatDuration } from "./io/progress";
export type { Progress, ProgressBar, ProgressBarOptions, ProgressOutput } from "./io/progress";
export { runCli } from "./cli/run";
export { parseFilterExpression } from "./cli/filter-expression";
export type { CliIo } from "./cli/run";

// --- warehouse ---
export { Warehouse } from "./warehouse/warehouse";
export type { WithTable } from "./frame/table-like";
export type { LoadMode, LoadOptions, StreamOptions, ReadTableOptions, WarehouseOpenOptions } from "./warehouse/warehouse";
export { quoteIdent, quoteTableName, splitTableName } from "./warehouse/identifiers";
export { arrowTypeToPg, pgTypeToArrow } from "./warehouse/types";
export { ensureOwnedSchema, ownedSchemaVersion, schemaLockKey } from "./warehouse/owned-schema";
export type { OwnedSchemaSpec } from "./warehouse/owned-schema";

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

// --- feature store ---
export { entity } from "./features/entity";
export type { Entity, InferKey, ZodShape } from "./features/entity";
export { featureView, isFeatureRef } from "./features/feature-view";
export type {
  FeatureView,
  AnyFeatureView,
  FeatureViewDefinition,
  FeatureRef,
  FeatureRefs,
  SelectedRefs,
  FeatureExpectation,
  Expectations,
  InferRow,
  InferFeatures,
} from "./features/feature-view";
export { warehouseTable, sqlQuery, lakeDataset } from "./features/sources";
export type { FeatureSource, WarehouseTableSource, SqlQuerySource, LakeDatasetSource } from "./features/sources";
export type { Ttl } from "./features/ttl";
export { FeatureStore, FeatureFrame } from "./features/store";
export type { FeatureStoreOptions, EntityQuery, JoinEngine, HistoricalRequest, EntityOutput, OnlineRequest, PrepareResult } from "./features/store";
export type { PointInTimeIndexResult } from "./features/point-in-time-index";
export type { PointInTimePlan } from "./features/point-in-time-sql";
export type { FeatureItem, FeatureRefString, FeaturesRow, EntityKeyOf, Simplify } from "./features/feature-refs";
export type { MaterializeResult, OnlineResult, OnlineMiss } from "./features/online";
export type { QualityReport, QualityViolation } from "./features/quality";
export type { RegisteredView } from "./features/registry";
export { pointInTimeJoin } from "./features/point-in-time";
export type { PointInTimeJoinOptions } from "./features/point-in-time";
