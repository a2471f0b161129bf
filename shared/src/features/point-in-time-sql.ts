/**
 * SQL generation for the warehouse (pushdown) path of point-in-time retrieval: the whole join runs
 * inside PostgreSQL (or PGlite) as one statement (a range join + `DISTINCT ON` per view), so nothing
 * but the result leaves the database. Identifiers are validated and quoted; the
 * only values (TTLs) are bound parameters.
 */
import { quoteIdent, quoteTableName } from "../warehouse/identifiers";
import type { AnyFeatureView } from "./feature-view";
import type { FeatureSource } from "./sources";

/** Name of the input-order column added to entity rows on the warehouse path. */
export const ROW_ORDER_COLUMN = "__trellis_row";

/** Name of the boolean result column telling whether view number `i` found a feature row. */
export function matchedColumn(i: number): string {
  return `__trellis_matched_v${i}`;
}

/** One view's part of a point-in-time query. */
export interface SqlViewPart {
  view: AnyFeatureView;
  /** Features to bring over and their output column names. */
  features: readonly { feature: string; outputName: string }[];
}

/** Input of {@link pointInTimeSql}. */
export interface PointInTimeSqlInput {
  /**
   * The entity rows: a table name (`"schema.table"`) holding a {@link ROW_ORDER_COLUMN} column, or a
   * SELECT statement (its own row order is kept through `row_number() over ()`).
   */
  entity: { table: string } | { sql: string };
  /** Entity columns to output, in order (the order column excluded). */
  entityColumns: readonly string[];
  /** Entity timestamp column. */
  entityTimestamp: string;
  views: readonly SqlViewPart[];
  /** Ignore feature rows created after the entity row's time. */
  filterByCreatedTimestamp: boolean;
  /** First `$n` parameter number to use. Default 1. */
  firstParam?: number;
}

/**
 * The FROM item of a source: a quoted table name or a parenthesised query.
 * @example sourceFromItem(warehouseTable({ table: "s.t", timestamp: "ts" })) // '"s"."t"'
 */
export function sourceFromItem(source: FeatureSource): string {
  if (source.kind === "warehouseTable") return quoteTableName(source.table);
  if (source.kind === "sqlQuery") return `(${source.sql})`;
  throw new Error(`sourceFromItem: a ${source.kind} source is not in the warehouse`);
}

/**
 * Builds the point-in-time statement: one output row per entity row, in input order, with each
 * view's features from the latest row at or before the entity time within the view's TTL (ties: the
 * latest created timestamp, nulls last). Output columns: the entity columns, then the features, then
 * one boolean {@link matchedColumn} per view.
 *
 * Each view is one range join on the key(s) and the time window followed by `DISTINCT ON` the entity
 * row — hash join plus one sort, no index needed (a per-row `LATERAL ... LIMIT 1` was slower on the
 * benchmark even with an index on key and time) — and the views are left-joined back onto the entity
 * rows by their row number.
 * @example
 * const { sql, params } = pointInTimeSql({ entity: { table: "tmp.entities" }, entityColumns: ["customer_id", "event_ts"],
 *   entityTimestamp: "event_ts", views: [{ view: stats, features: [{ feature: "orders_30d", outputName: "orders_30d" }] }],
 *   filterByCreatedTimestamp: false });
 */
export function pointInTimeSql(input: PointInTimeSqlInput): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let next = input.firstParam ?? 1;
  const ets = quoteIdent(input.entityTimestamp);
  const order = quoteIdent(ROW_ORDER_COLUMN);
  const entityFrom =
    "table" in input.entity
      ? `SELECT * FROM ${quoteTableName(input.entity.table)}`
      : `SELECT q.*, row_number() OVER () AS ${order} FROM (${input.entity.sql}) AS q`;
  const ctes: string[] = [`e AS MATERIALIZED (${entityFrom})`];
  const select: string[] = input.entityColumns.map((c) => `e.${quoteIdent(c)}`);
  const joins: string[] = [];
  input.views.forEach((part, i) => {
    const v = `v${i}`;
    const src = part.view.source;
    const ts = quoteIdent(src.timestamp);
    const created = src.createdTimestamp ? quoteIdent(src.createdTimestamp) : null;
    const conds = part.view.entity.joinKeys.map((k) => `f.${quoteIdent(k)} = e.${quoteIdent(k)}`);
    conds.push(`f.${ts} <= e.${ets}`);
    if (part.view.ttlMicros !== null) {
      conds.push(`f.${ts} >= e.${ets} - ($${next++}::double precision * interval '1 microsecond')`);
      params.push(part.view.ttlMicros);
    }
    if (input.filterByCreatedTimestamp && created) conds.push(`(f.${created} IS NULL OR f.${created} <= e.${ets})`);
    const cols = part.features.map((f) => `f.${quoteIdent(f.feature)} AS ${quoteIdent(`${v}_${f.feature}`)}`);
    const orderBy = `e.${order}, f.${ts} DESC${created ? `, f.${created} DESC NULLS LAST` : ""}`;
    ctes.push(
      `${v} AS (SELECT DISTINCT ON (e.${order}) e.${order}, ${cols.join(", ")} FROM e JOIN ${sourceFromItem(src)} AS f ON ${conds.join(" AND ")} ORDER BY ${orderBy})`,
    );
    joins.push(`LEFT JOIN ${v} ON ${v}.${order} = e.${order}`);
    for (const f of part.features) select.push(`${v}.${quoteIdent(`${v}_${f.feature}`)} AS ${quoteIdent(f.outputName)}`);
    select.push(`(${v}.${order} IS NOT NULL) AS ${quoteIdent(matchedColumn(i))}`);
  });
  const sql = `WITH ${ctes.join(", ")} SELECT ${select.join(", ")} FROM e ${joins.join(" ")} ORDER BY e.${order}`;
  return { sql, params };
}

/** Event-time column of online tables and materialisation queries. */
export const ONLINE_EVENT_TS = "__event_ts";
/** Created-time column of online tables and materialisation queries. */
export const ONLINE_CREATED_TS = "__created_ts";

/**
 * The statement selecting the latest row per key from a warehouse source within `[start, end)` of the
 * event time (for materialisation), newest by event then created time.
 * @example latestPerKeySql(stats, ["orders_30d"], 1).sql // "SELECT DISTINCT ON (f.\"customer_id\") ... WHERE ... >= $1 AND ... < $2 ..."
 */
export function latestPerKeySql(view: AnyFeatureView, features: readonly string[], firstParam = 1): { sql: string } {
  const src = view.source;
  const keys = view.entity.joinKeys.map((k) => `f.${quoteIdent(k)}`);
  const ts = `f.${quoteIdent(src.timestamp)}`;
  const created = src.createdTimestamp ? `f.${quoteIdent(src.createdTimestamp)}` : null;
  const cols = [...keys, `${ts} AS ${quoteIdent(ONLINE_EVENT_TS)}`, `${created ?? "NULL::timestamptz"} AS ${quoteIdent(ONLINE_CREATED_TS)}`];
  for (const f of features) cols.push(`f.${quoteIdent(f)}`);
  const sql =
    `SELECT DISTINCT ON (${keys.join(", ")}) ${cols.join(", ")} FROM ${sourceFromItem(src)} AS f ` +
    `WHERE ${ts} >= $${firstParam} AND ${ts} < $${firstParam + 1} AND ${keys.map((k) => `${k} IS NOT NULL`).join(" AND ")} ` +
    `ORDER BY ${keys.join(", ")}, ${ts} DESC${created ? `, ${created} DESC NULLS LAST` : ""}`;
  return { sql };
}
