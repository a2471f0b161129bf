/**
 * Reading a view's source rows into Arrow, whatever the source (warehouse table, SQL query, lake
 * dataset), limited to the columns needed and to an event-time window.
 */
import { isAbsolute, resolve } from "node:path";
import * as arrow from "apache-arrow";
import { FeatureStoreError } from "../errors";
import type { Filter } from "../frame/filter";
import { readParquet } from "../io/parquet";
import { quoteIdent } from "../warehouse/identifiers";
import type { Warehouse } from "../warehouse/warehouse";
import type { AnyFeatureView } from "./feature-view";
import { checkSourceSchema } from "./quality";

/** What the store knows when reading sources. */
export interface SourceContext {
  warehouse: Warehouse;
  /** The lake folder (lakeDataset paths are relative to it), or null. */
  lake: string | null;
}

/** An event-time window in epoch microseconds; `null` = unbounded. */
export interface TimeWindow {
  from: number | null;
  /** Upper bound. */
  to: number | null;
  /** Whether `to` itself is excluded (materialisation windows are half-open). */
  toExclusive?: boolean;
}

/** Human-readable name of a view's source, for messages. */
export function describeSource(view: AnyFeatureView): string {
  const s = view.source;
  const where = s.kind === "warehouseTable" ? `warehouse table ${s.table}` : s.kind === "lakeDataset" ? `lake dataset ${s.path}` : "SQL query";
  return `source of feature view "${view.name}" (${where})`;
}

/**
 * Absolute path of a lake dataset.
 * @example lakePath({ warehouse, lake: "lake" }, "customer_features") // "/abs/lake/customer_features"
 */
export function lakePath(ctx: SourceContext, path: string): string {
  if (isAbsolute(path)) return path;
  if (ctx.lake === null) {
    throw new FeatureStoreError(`lake dataset "${path}" is relative but the store has no lake folder; pass FeatureStore.open({ lake: "path/to/lake" }).`);
  }
  return resolve(ctx.lake, path);
}

/**
 * Reads the key, timestamp(s) and the given feature columns of a view's source, within `window`, and
 * checks the columns against the view (missing or mistyped → SchemaMismatchError).
 * @example const t = await readSourceRows(ctx, stats, ["orders_30d"], { from: null, to: null });
 */
export async function readSourceRows(ctx: SourceContext, view: AnyFeatureView, features: readonly string[], window: TimeWindow): Promise<arrow.Table> {
  const s = view.source;
  const columns = [...view.entity.joinKeys, s.timestamp, ...(s.createdTimestamp ? [s.createdTimestamp] : []), ...features];
  const filter: [string, ">=" | "<" | "<=", Date][] = [];
  // Date has millisecond precision: widen to whole milliseconds; the join applies exact bounds.
  if (window.from !== null) filter.push([s.timestamp, ">=", new Date(Math.floor(window.from / 1000))]);
  if (window.to !== null) {
    if (window.toExclusive && window.to % 1000 === 0) filter.push([s.timestamp, "<", new Date(window.to / 1000)]);
    else filter.push([s.timestamp, "<=", new Date(Math.ceil(window.to / 1000))]);
  }
  let table: arrow.Table;
  if (s.kind === "lakeDataset") {
    table = await readParquet(lakePath(ctx, s.path), { columns, filter: filter as Filter });
  } else if (s.kind === "warehouseTable") {
    const schema = await ctx.warehouse.tableSchema(s.table);
    checkSourceSchema(view, schema, describeSource(view), features);
    table = await ctx.warehouse.readTable(s.table, { columns, filter: filter as Filter });
  } else {
    const where = filter.map(([c, op], i) => `f.${quoteIdent(c)} ${op} $${i + 1}`);
    const sql = `SELECT ${columns.map((c) => `f.${quoteIdent(c)}`).join(", ")} FROM (${s.sql}) AS f${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
    table = await ctx.warehouse.query(sql, filter.map((p) => p[2]));
  }
  checkSourceSchema(view, table.schema, describeSource(view), features);
  return table;
}
