/**
 * The btree index that lets the warehouse answer a point-in-time join with one short index probe
 * per entity row (the `"lateral"` plan of `pointInTimeSql`): on a warehouse-table source, the
 * view's join keys, then its event timestamp, then its created timestamp when it has one. Found by
 * a catalog lookup (`pg_index`, `pg_attribute`), created by `FeatureStore.prepare`.
 */
import { createHash } from "node:crypto";
import { FeatureStoreError } from "../errors";
import { quoteIdent, quoteTableName, splitTableName } from "../warehouse/identifiers";
import type { Warehouse } from "../warehouse/warehouse";
import type { AnyFeatureView } from "./feature-view";

/**
 * The columns of the point-in-time index of a view: join keys, event timestamp, created timestamp.
 * @example pointInTimeIndexColumns(stats) // ["customer_id", "event_ts", "created_ts"]
 */
export function pointInTimeIndexColumns(view: AnyFeatureView): string[] {
  const src = view.source;
  return [...view.entity.joinKeys, src.timestamp, ...(src.createdTimestamp ? [src.createdTimestamp] : [])];
}

/**
 * The name `FeatureStore.prepare` gives the index it creates on `table` over `columns`:
 * `trellis_pit_` and 16 hex digits of a hash of both, so it is the same on every run and never
 * longer than PostgreSQL's 63-byte limit.
 * @example pointInTimeIndexName("sales.customer_stats", ["customer_id", "event_ts"]) // "trellis_pit_3f2a…"
 */
export function pointInTimeIndexName(table: string, columns: readonly string[]): string {
  const { table: bare } = splitTableName(table);
  return `trellis_pit_${createHash("sha256").update(JSON.stringify([bare, ...columns])).digest("hex").slice(0, 16)}`;
}

/**
 * The name of a valid, non-partial btree index on `table` whose leading key columns are the join
 * keys (in any order, since they are compared by equality) directly followed by the event
 * timestamp, or null when there is none (or the table does not exist). With `include`, the index
 * must also hold each of those columns (as a key or an `INCLUDE` column), so that a probe reading
 * only them is answered from the index alone.
 * @example await findPointInTimeIndex(wh, "sales.customer_stats", ["customer_id"], "event_ts") // "trellis_pit_…" | null
 */
export async function findPointInTimeIndex(
  wh: Warehouse,
  table: string,
  keys: readonly string[],
  timestamp: string,
  include: readonly string[] = [],
): Promise<string | null> {
  const rows = await wh.query(
    `SELECT ic.relname::text AS index_name, (k.ord <= i.indnkeyatts) AS is_key, a.attname::text AS col
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am am ON am.oid = ic.relam
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1::text) AND am.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL
      ORDER BY ic.relname, k.ord`,
    [quoteTableName(table)],
  );
  const byIndex = new Map<string, { keys: (string | null)[]; all: Set<string> }>();
  const names = rows.getChild("index_name")!;
  const isKey = rows.getChild("is_key")!;
  const cols = rows.getChild("col")!;
  for (let r = 0; r < rows.numRows; r++) {
    const name = String(names.get(r));
    const entry = byIndex.get(name) ?? { keys: [], all: new Set<string>() };
    const col = (cols.get(r) as string | null) ?? null;
    if (isKey.get(r)) entry.keys.push(col);
    if (col !== null) entry.all.add(col);
    byIndex.set(name, entry);
  }
  const want = new Set(keys);
  for (const [name, { keys: list, all }] of byIndex) {
    if (list.length <= keys.length) continue;
    const lead = list.slice(0, keys.length);
    if (!lead.every((c) => c !== null && want.has(c)) || new Set(lead).size !== keys.length || list[keys.length] !== timestamp) continue;
    if (include.every((c) => all.has(c))) return name;
  }
  return null;
}

/** What {@link ensurePointInTimeIndex} found or did for one warehouse table. */
export interface PointInTimeIndexResult {
  /** The view the index serves. */
  view: string;
  /** The source table. */
  table: string;
  /** The index name (an existing suitable index, or the one created). */
  index: string;
  /** True when this call created the index; false when a suitable one was already there. */
  created: boolean;
  /** True when the index holds the view's feature columns too (see `covering` of `FeatureStore.prepare`). */
  covering: boolean;
}

/** PostgreSQL's limit on the columns of one index, keys and `INCLUDE` columns together. */
const INDEX_MAX_COLUMNS = 32;

/**
 * The columns a covering point-in-time index of `view` holds beyond {@link pointInTimeIndexColumns}:
 * the view's features, in declaration order.
 * @example pointInTimeIncludeColumns(stats) // ["orders_30d", "avg_basket"]
 */
export function pointInTimeIncludeColumns(view: AnyFeatureView): string[] {
  const keyed = new Set(pointInTimeIndexColumns(view));
  return view.features.filter((f) => !keyed.has(f));
}

/**
 * Makes sure a warehouse-table source has a point-in-time index: an existing suitable index (see
 * {@link findPointInTimeIndex}) is kept, otherwise `CREATE INDEX IF NOT EXISTS` on
 * {@link pointInTimeIndexColumns} (a plain build: writes to the table wait until it finishes).
 * With `covering`, the index must also hold the view's features ({@link pointInTimeIncludeColumns})
 * as `INCLUDE` columns, and a newly built one is followed by `VACUUM (ANALYZE)` of the table, so the
 * probes become index-only scans that never visit the table.
 * Needs the table owner's rights; without them the error says which statement to ask for.
 * @example await ensurePointInTimeIndex(wh, stats) // { view: "customer_stats", table: "sales.customer_stats", index: "trellis_pit_…", created: true, covering: false }
 */
export async function ensurePointInTimeIndex(wh: Warehouse, view: AnyFeatureView, options: { covering?: boolean } = {}): Promise<PointInTimeIndexResult> {
  const src = view.source;
  if (src.kind !== "warehouseTable") {
    throw new FeatureStoreError(`view "${view.name}" reads a ${src.kind} source; only warehouse tables can be indexed.`);
  }
  const covering = options.covering === true;
  const columns = pointInTimeIndexColumns(view);
  const include = covering ? pointInTimeIncludeColumns(view) : [];
  if (columns.length + include.length > INDEX_MAX_COLUMNS) {
    throw new FeatureStoreError(
      `prepare: a covering index of view "${view.name}" would hold ${columns.length + include.length} columns, over PostgreSQL's limit of ${INDEX_MAX_COLUMNS}; ` +
        `call prepare() without covering, or split the view.`,
    );
  }
  const existing = await findPointInTimeIndex(wh, src.table, view.entity.joinKeys, src.timestamp, include);
  if (existing) return { view: view.name, table: src.table, index: existing, created: false, covering };
  const name = pointInTimeIndexName(src.table, include.length > 0 ? [...columns, "INCLUDE", ...include] : columns);
  const includeSql = include.length > 0 ? ` INCLUDE (${include.map(quoteIdent).join(", ")})` : "";
  const statement = `CREATE INDEX IF NOT EXISTS ${quoteIdent(name)} ON ${quoteTableName(src.table)} (${columns.map(quoteIdent).join(", ")})${includeSql}`;
  const steps = covering ? [statement, `VACUUM (ANALYZE) ${quoteTableName(src.table)}`] : [statement];
  for (const step of steps) {
    try {
      await wh.exec(step);
    } catch (err) {
      throw new FeatureStoreError(
        `prepare: could not create the point-in-time index of view "${view.name}" on table ${JSON.stringify(src.table)} (${(err as Error).message}); ` +
          `ask the table's owner to run: ${steps.join("; ")}`,
        { cause: err },
      );
    }
  }
  return { view: view.name, table: src.table, index: name, created: true, covering };
}
