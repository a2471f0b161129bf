/**
 * SQL generation for the warehouse (pushdown) path of point-in-time retrieval: the whole join runs
 * inside PostgreSQL (or PGlite) as one statement, so nothing but the result leaves the database.
 * Each view takes one of two plans: a range join + `DISTINCT ON` (no index needed), or, when the
 * source has a btree index on (join keys, event time), one `LATERAL … LIMIT 1` index probe per
 * entity row. Identifiers are validated and quoted; the only values (TTLs) are bound parameters.
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

/**
 * How one view is joined inside the warehouse: `"range-join"` (a hash join on the keys and the time
 * window, then `DISTINCT ON` the entity row; works on any source) or `"lateral"` (per entity row, a
 * `LEFT JOIN LATERAL (… ORDER BY ts DESC, created DESC LIMIT 1)` probe; fast only with a btree index
 * on the source's join keys then event time, see `FeatureStore.prepare`). Both give the same rows.
 */
export type PointInTimePlan = "range-join" | "lateral";

/** One view's part of a point-in-time query. */
export interface SqlViewPart {
  view: AnyFeatureView;
  /** Features to bring over and their output column names. */
  features: readonly { feature: string; outputName: string }[];
  /** The plan for this view. Default `"range-join"`. */
  plan?: PointInTimePlan;
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
  /**
   * Sort the result by the entity rows' input order (default true). A caller that restores the
   * order itself from the {@link ROW_ORDER_COLUMN} column passes false and saves the server a sort
   * of the whole result.
   */
  ordered?: boolean;
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

/** Output column of a lateral probe telling that it found a row (never null when it did). */
const HIT_COLUMN = "__trellis_hit";

/**
 * Builds the point-in-time statement: one output row per entity row, in input order (unless
 * `ordered: false`; the {@link ROW_ORDER_COLUMN} column holds it either way), with each
 * view's features from the latest row at or before the entity time within the view's TTL (ties: the
 * latest created timestamp, nulls last). Output columns: the entity columns, then the features, then
 * one boolean {@link matchedColumn} per view.
 *
 * A `"range-join"` view is one range join on the key(s) and the time window followed by
 * `DISTINCT ON` the entity row (hash join plus one sort, no index needed), left-joined back onto the
 * entity rows by their row number. A `"lateral"` view is a `LEFT JOIN LATERAL` probe per entity row
 * (`WHERE key = e.key AND ts <= e.ts AND ts >= e.ts - ttl ORDER BY ts DESC, created DESC NULLS LAST
 * LIMIT 1`): with a btree index on (keys, ts) that is one short index scan per row, and the entity
 * rows are visited in key then time order so consecutive probes touch neighbouring index pages.
 * @example
 * const { sql, params } = pointInTimeSql({ entity: { table: "tmp.entities" }, entityColumns: ["customer_id", "event_ts"],
 *   entityTimestamp: "event_ts", views: [{ view: stats, features: [{ feature: "orders_30d", outputName: "orders_30d" }], plan: "lateral" }],
 *   filterByCreatedTimestamp: false });
 */
export function pointInTimeSql(input: PointInTimeSqlInput): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let next = input.firstParam ?? 1;
  const ets = quoteIdent(input.entityTimestamp);
  const order = quoteIdent(ROW_ORDER_COLUMN);
  const hit = quoteIdent(HIT_COLUMN);
  const entityFrom =
    "table" in input.entity
      ? `SELECT * FROM ${quoteTableName(input.entity.table)}`
      : `SELECT q.*, row_number() OVER () AS ${order} FROM (${input.entity.sql}) AS q`;
  const ctes: string[] = [`e AS MATERIALIZED (${entityFrom})`];
  const select: string[] = input.entityColumns.map((c) => `e.${quoteIdent(c)}`);
  const joins: string[] = [];
  let probeOrder: string | null = null;
  input.views.forEach((part, i) => {
    const v = `v${i}`;
    const src = part.view.source;
    const ts = quoteIdent(src.timestamp);
    const created = src.createdTimestamp ? quoteIdent(src.createdTimestamp) : null;
    const plan = part.plan ?? "range-join";
    if (plan !== "range-join" && plan !== "lateral") throw new Error(`pointInTimeSql: unknown plan ${JSON.stringify(plan)}`);
    const keys = part.view.entity.joinKeys.map((k) => quoteIdent(k));
    const conds = keys.map((k) => `f.${k} = e.${k}`);
    conds.push(`f.${ts} <= e.${ets}`);
    if (part.view.ttlMicros !== null) {
      conds.push(`f.${ts} >= e.${ets} - ($${next++}::double precision * interval '1 microsecond')`);
      params.push(part.view.ttlMicros);
    }
    if (input.filterByCreatedTimestamp && created) conds.push(`(f.${created} IS NULL OR f.${created} <= e.${ets})`);
    const newest = `f.${ts} DESC${created ? `, f.${created} DESC NULLS LAST` : ""}`;
    const cols = part.features.map((f) => `f.${quoteIdent(f.feature)} AS ${quoteIdent(`${v}_${f.feature}`)}`);
    if (plan === "lateral") {
      probeOrder ??= [...keys.map((k) => `${k}`), ets].join(", ");
      joins.push(
        `LEFT JOIN LATERAL (SELECT ${cols.join(", ")}, true AS ${hit} FROM ${sourceFromItem(src)} AS f WHERE ${conds.join(" AND ")} ORDER BY ${newest} LIMIT 1) AS ${v} ON true`,
      );
      for (const f of part.features) select.push(`${v}.${quoteIdent(`${v}_${f.feature}`)} AS ${quoteIdent(f.outputName)}`);
      select.push(`(${v}.${hit} IS NOT NULL) AS ${quoteIdent(matchedColumn(i))}`);
      return;
    }
    ctes.push(
      `${v} AS (SELECT DISTINCT ON (e.${order}) e.${order}, ${cols.join(", ")} FROM e JOIN ${sourceFromItem(src)} AS f ON ${conds.join(" AND ")} ORDER BY e.${order}, ${newest})`,
    );
    joins.push(`LEFT JOIN ${v} ON ${v}.${order} = e.${order}`);
    for (const f of part.features) select.push(`${v}.${quoteIdent(`${v}_${f.feature}`)} AS ${quoteIdent(f.outputName)}`);
    select.push(`(${v}.${order} IS NOT NULL) AS ${quoteIdent(matchedColumn(i))}`);
  });
  const from = probeOrder ? `(SELECT * FROM e ORDER BY ${probeOrder}) AS e` : "e";
  const sql = `WITH ${ctes.join(", ")} SELECT ${select.join(", ")} FROM ${from} ${joins.join(" ")}${input.ordered === false ? "" : ` ORDER BY e.${order}`}`;
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
