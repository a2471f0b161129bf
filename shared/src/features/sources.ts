/**
 * Where a feature view's rows live: a warehouse table, a SQL query run in the warehouse, or a Parquet
 * dataset in the lake. Every source names its event-time column and, optionally, a created-time column
 * (when the row was written; used to break ties and to stop late-arriving data leaking into training).
 */
import { InvalidArgumentError } from "../errors";
import { quoteIdent, quoteTableName } from "../warehouse/identifiers";

interface SourceTimestamps {
  /** Event-time column: when the feature values became true. */
  readonly timestamp: string;
  /** Created-time column: when the row was written (optional). */
  readonly createdTimestamp?: string;
}

/** Feature rows in a warehouse table (`"table"` or `"schema.table"`). */
export interface WarehouseTableSource extends SourceTimestamps {
  readonly kind: "warehouseTable";
  readonly table: string;
}

/** Feature rows produced by a SQL query run in the warehouse (no parameters; it is used as a subquery). */
export interface SqlQuerySource extends SourceTimestamps {
  readonly kind: "sqlQuery";
  readonly sql: string;
}

/** Feature rows in a Parquet file or hive-partitioned folder, relative to the store's lake folder. */
export interface LakeDatasetSource extends SourceTimestamps {
  readonly kind: "lakeDataset";
  readonly path: string;
}

/** Any feature source. */
export type FeatureSource = WarehouseTableSource | SqlQuerySource | LakeDatasetSource;

function checkTimestamps(kind: string, def: { timestamp?: unknown; createdTimestamp?: unknown }): void {
  if (typeof def.timestamp !== "string") {
    throw new InvalidArgumentError(`${kind}: timestamp must name the event-time column (e.g. "event_ts"), got ${JSON.stringify(def.timestamp)}.`);
  }
  quoteIdent(def.timestamp);
  if (def.createdTimestamp !== undefined) {
    if (typeof def.createdTimestamp !== "string") {
      throw new InvalidArgumentError(`${kind}: createdTimestamp must be a column name, got ${JSON.stringify(def.createdTimestamp)}.`);
    }
    quoteIdent(def.createdTimestamp);
  }
}

/**
 * A feature source in a warehouse table.
 * @example
 * warehouseTable({ table: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" })
 */
export function warehouseTable(def: { table: string; timestamp: string; createdTimestamp?: string }): WarehouseTableSource {
  checkTimestamps("warehouseTable", def);
  quoteTableName(def.table);
  return Object.freeze({ kind: "warehouseTable" as const, table: def.table, timestamp: def.timestamp, createdTimestamp: def.createdTimestamp });
}

/**
 * A feature source defined by a SQL query over the warehouse (used as a subquery; write it without `$n`
 * parameters and without a trailing semicolon).
 * @example
 * sqlQuery({ sql: "select customer_id, event_ts, count(*) as n from orders group by 1, 2", timestamp: "event_ts" })
 */
export function sqlQuery(def: { sql: string; timestamp: string; createdTimestamp?: string }): SqlQuerySource {
  checkTimestamps("sqlQuery", def);
  if (typeof def.sql !== "string" || def.sql.trim() === "") {
    throw new InvalidArgumentError(`sqlQuery: sql must be a non-empty SELECT statement, got ${JSON.stringify(def.sql)}.`);
  }
  const sql = def.sql.trim().replace(/;\s*$/, "");
  if (/\$\d/.test(sql)) {
    throw new InvalidArgumentError(`sqlQuery: the query uses a $n parameter; feature-source queries take no parameters (put constants in a table or view).`);
  }
  return Object.freeze({ kind: "sqlQuery" as const, sql, timestamp: def.timestamp, createdTimestamp: def.createdTimestamp });
}

/**
 * A feature source in the lake: a Parquet file or hive-partitioned folder, relative to the store's
 * `lake` folder (or absolute).
 * @example
 * lakeDataset({ path: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" })
 */
export function lakeDataset(def: { path: string; timestamp: string; createdTimestamp?: string }): LakeDatasetSource {
  checkTimestamps("lakeDataset", def);
  if (typeof def.path !== "string" || def.path === "") {
    throw new InvalidArgumentError(`lakeDataset: path must be a Parquet file or folder inside the lake, got ${JSON.stringify(def.path)}.`);
  }
  return Object.freeze({ kind: "lakeDataset" as const, path: def.path, timestamp: def.timestamp, createdTimestamp: def.createdTimestamp });
}

/**
 * True when the source's rows are in the warehouse (so point-in-time joins can run there as SQL).
 * @example isWarehouseSource(warehouseTable({ table: "t", timestamp: "ts" })) // true
 */
export function isWarehouseSource(source: FeatureSource): source is WarehouseTableSource | SqlQuerySource {
  return source.kind === "warehouseTable" || source.kind === "sqlQuery";
}
