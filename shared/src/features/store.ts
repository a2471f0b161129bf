/**
 * The feature store: typed feature views over a warehouse and a Parquet lake, point-in-time training
 * sets (pushed down as SQL when everything lives in the warehouse, in-process over Arrow otherwise),
 * materialised latest values for online lookups, and data-quality reports.
 */
import { randomBytes } from "node:crypto";
import * as arrow from "apache-arrow";
import { FeatureStoreError, InvalidArgumentError, SchemaMismatchError } from "../errors";
import { rowsOf, tableFromRows } from "../frame/table";
import { recycleTable } from "../io/parquet/pool";
import { quoteIdent } from "../warehouse/identifiers";
import { Warehouse } from "../warehouse/warehouse";
import { flattenColumn, gatherColumn, gatherOrder, gatherSplits, gatherVector, keyFamily, timestampMicros, valueToMicros } from "./columns";
import {
  type EntityKeyOf,
  type FeatureItem,
  type FeaturesRow,
  type ResolvedView,
  type Simplify,
  resolveFeatures,
} from "./feature-refs";
import type { AnyFeatureView } from "./feature-view";
import { type MaterializeResult, type OnlineResult, getOnline, materializeViews } from "./online";
import { pointInTimeIndices } from "./point-in-time";
import { type PointInTimeIndexResult, ensurePointInTimeIndex, findPointInTimeIndex, pointInTimeIncludeColumns } from "./point-in-time-index";
import { type PointInTimePlan, ROW_ORDER_COLUMN, matchedColumn, pointInTimeSql, sourceFromItem } from "./point-in-time-sql";
import { checkAndConform, checkSourceSchema, conformColumn, type QualityReport, qualityReport } from "./quality";
import { type RegisteredView, ensureSchema, listRegisteredViews, registerViews } from "./registry";
import { Scratch } from "../frame/scratch";
import { describeSource, readSourceRows } from "./source-reader";
import { isWarehouseSource } from "./sources";

/** Options of {@link FeatureStore.open}. */
export interface FeatureStoreOptions<Vs extends readonly AnyFeatureView[]> {
  /** A warehouse URL (`"embedded:<dir>"`, `"embedded:memory"`, `"postgres://…"`) or an open Warehouse. */
  warehouse: string | Warehouse;
  /** The lake folder; `lakeDataset` paths are relative to it. */
  lake?: string;
  /** The feature views this store serves. */
  views: Vs;
  /** Warehouse schema holding the registry, online tables and scratch tables. Default `"trellis"`. */
  schema?: string;
}

/** Entity rows given as a warehouse query (the rows keep the query's own order). */
export interface EntityQuery {
  sql: string;
  params?: readonly unknown[];
}

/** Which engine runs a point-in-time join. */
export type JoinEngine = "auto" | "warehouse" | "in-process";

/** A request to {@link FeatureStore.getHistoricalFeatures}. */
export interface HistoricalRequest<Items extends readonly unknown[], ER, TS extends string> {
  /** The entity rows: an Arrow table, row objects, or a warehouse query; each with the join key(s) and a timestamp. */
  entityRows: readonly ER[] | arrow.Table | EntityQuery;
  /** Features to join (typed refs, `view.select(...)` tuples, or `"view:feature"` strings). */
  features: Items;
  /** Ignore feature rows created after the entity row's time (no leakage of late data). Default false. */
  filterByCreatedTimestamp?: boolean;
  /** The entity rows' timestamp column. Default `"event_ts"`. */
  entityTimestamp?: TS;
  /**
   * `"auto"` (default): SQL inside the warehouse when every source is in the warehouse, in-process
   * otherwise. `"warehouse"` or `"in-process"` force one.
   */
  engine?: JoinEngine;
}

/** Entity row columns in the output: the timestamp column comes back as a `Date`. */
export type EntityOutput<ER, TS extends string> = { [K in keyof ER]: K extends TS ? Date : ER[K] };

/**
 * A point-in-time result: an Arrow table (entity columns, then features) with typed row access.
 * @example
 * const frame = await store.getHistoricalFeatures({ entityRows, features: [stats.f.orders_30d] });
 * frame.rows()[0].orders_30d; // number | null
 */
export class FeatureFrame<Row> {
  /** The result as an Arrow table. */
  readonly table: arrow.Table;
  /** Which engine computed it. */
  readonly engine: "warehouse" | "in-process";
  /**
   * On the warehouse engine, the plan each view was joined with, by view name (`"lateral"` when its
   * table has a point-in-time index, see {@link FeatureStore.prepare}); empty in-process.
   */
  readonly plans: Readonly<Record<string, PointInTimePlan>>;
  constructor(table: arrow.Table, engine: "warehouse" | "in-process", plans: Readonly<Record<string, PointInTimePlan>> = {}) {
    this.table = table;
    this.engine = engine;
    this.plans = plans;
  }
  /** Number of rows (always the number of entity rows). */
  get numRows(): number {
    return this.table.numRows;
  }
  /** Column names, entity columns first. */
  get columns(): string[] {
    return this.table.schema.fields.map((f) => f.name);
  }
  /**
   * The rows as plain objects (Int64 → number, timestamps → Date, nulls → null).
   * @example frame.rows().filter((r) => r.segment === "gold").length
   */
  rows(): Row[] {
    return rowsOf<Row>(this.table);
  }
}

/** A request to {@link FeatureStore.getOnlineFeatures}. */
export interface OnlineRequest<Items extends readonly unknown[], Key> {
  features: Items;
  /** One key object per lookup (all join keys of every view used). */
  entityKeys: readonly Key[];
  /** The time TTLs are measured from. Default: now. */
  now?: Date;
}

const TS_FIELD = new arrow.Field("ts", new arrow.TimestampMicrosecond("UTC"), true);

function randomSuffix(): string {
  return randomBytes(6).toString("hex");
}

/**
 * The feature store. Open it with {@link FeatureStore.open}; the type parameter is the union of its
 * views, so `"view:feature"` strings and feature refs are checked by the compiler.
 * @example
 * const store = await FeatureStore.open({ warehouse: "embedded:.trellis/warehouse", lake: "lake", views: [stats] });
 * const training = await store.getHistoricalFeatures({ entityRows, features: stats.select("orders_30d", "segment") });
 * const rows = training.rows(); // { customer_id, event_ts: Date, label, orders_30d: number | null, segment: ... }[]
 */
export class FeatureStore<V extends AnyFeatureView = AnyFeatureView> {
  /** The warehouse holding registry, online tables and warehouse sources. */
  readonly warehouse: Warehouse;
  /** The lake folder, or null. */
  readonly lake: string | null;
  /** Warehouse schema of the store's own tables. */
  readonly schema: string;
  /** The views, in the order given. */
  readonly views: readonly V[];
  private readonly byName: Map<string, AnyFeatureView>;
  private readonly ownsWarehouse: boolean;

  private constructor(warehouse: Warehouse, lake: string | null, schema: string, views: readonly V[], ownsWarehouse: boolean) {
    this.warehouse = warehouse;
    this.lake = lake;
    this.schema = schema;
    this.views = views;
    this.byName = new Map(views.map((v) => [v.name, v]));
    this.ownsWarehouse = ownsWarehouse;
  }

  /**
   * Opens a store: connects to (or adopts) the warehouse, creates the store schema and registry if
   * needed and registers each view version. A view whose schema changed without a new version throws.
   * @example
   * const store = await FeatureStore.open({ warehouse: "embedded:memory", views: [stats] });
   */
  static async open<const Vs extends readonly AnyFeatureView[]>(options: FeatureStoreOptions<Vs>): Promise<FeatureStore<Vs[number]>> {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(`FeatureStore.open: expected { warehouse, lake?, views }, got ${String(options)}.`);
    }
    const views = options.views;
    if (!Array.isArray(views)) throw new InvalidArgumentError("FeatureStore.open: views must be an array of featureView(...) definitions.");
    const seen = new Set<string>();
    for (const v of views as readonly AnyFeatureView[]) {
      if (!v || v.kind !== "featureView") throw new InvalidArgumentError(`FeatureStore.open: ${String(v)} is not a featureView(...) definition.`);
      if (seen.has(v.name)) {
        throw new FeatureStoreError(`FeatureStore.open: two views are named "${v.name}"; a store serves one version of each view.`);
      }
      seen.add(v.name);
    }
    const schema = options.schema ?? "trellis";
    quoteIdent(schema);
    const owns = typeof options.warehouse === "string";
    const wh = typeof options.warehouse === "string" ? await Warehouse.open(options.warehouse) : options.warehouse;
    if (!wh || typeof (wh as Warehouse).query !== "function") {
      throw new InvalidArgumentError("FeatureStore.open: warehouse must be a URL string or an open Warehouse.");
    }
    try {
      await registerViews(wh, schema, views);
    } catch (err) {
      if (owns) await wh.close();
      throw err;
    }
    return new FeatureStore<Vs[number]>(wh, options.lake ?? null, schema, views as readonly Vs[number][], owns);
  }

  /**
   * Every view version recorded in the registry (also versions this store was not opened with).
   * @example (await store.listViews()).map((v) => `${v.name} v${v.version}`)
   */
  async listViews(): Promise<RegisteredView[]> {
    return listRegisteredViews(this.warehouse, this.schema);
  }

  /**
   * A view of this store by name; unknown names throw, listing the known views.
   * @example store.getView("customer_stats").version
   */
  getView(name: string): V {
    const v = this.byName.get(name);
    if (!v) throw new FeatureStoreError(`unknown feature view "${name}"; the store's views are: ${[...this.byName.keys()].join(", ")}.`);
    return v as V;
  }

  /**
   * Builds a point-in-time correct training set: for each entity row and each view, the feature row
   * of the same key with `feature.ts <= entity.ts` and `feature.ts >= entity.ts - ttl` (inclusive;
   * no ttl → no lower bound), the latest by time, ties broken by the latest created time; its values
   * as they are; no such row → nulls. One output row per entity row, in input order, always
   * (duplicates and unknown keys included). Timezone-less timestamp strings are read as UTC.
   * Runs as one SQL statement inside the warehouse when the entity rows and every source are there
   * (row objects and Arrow tables are loaded to a scratch table first), in-process otherwise.
   * @example
   * const frame = await store.getHistoricalFeatures({
   *   entityRows: [{ customer_id: 7, event_ts: "2025-03-01T00:00:00Z", label: 1 }],
   *   features: [stats.f.orders_30d, "customer_stats:segment"],
   * });
   */
  async getHistoricalFeatures<
    const Items extends readonly FeatureItem<V>[],
    ER extends Record<string, unknown> = Record<string, unknown>,
    TS extends string = "event_ts",
  >(request: HistoricalRequest<Items, ER, TS>): Promise<FeatureFrame<Simplify<EntityOutput<ER, TS> & FeaturesRow<Items, V>>>> {
    type Row = Simplify<EntityOutput<ER, TS> & FeaturesRow<Items, V>>;
    if (request === null || typeof request !== "object") {
      throw new InvalidArgumentError("getHistoricalFeatures: expected { entityRows, features, filterByCreatedTimestamp? }.");
    }
    const parts = resolveFeatures(request.features, this.byName);
    const ts = request.entityTimestamp ?? "event_ts";
    const engine = request.engine ?? "auto";
    if (!["auto", "warehouse", "in-process"].includes(engine)) {
      throw new InvalidArgumentError(`getHistoricalFeatures: engine must be "auto", "warehouse" or "in-process", got ${JSON.stringify(engine)}.`);
    }
    const byCreated = request.filterByCreatedTimestamp ?? false;
    const allInWarehouse = parts.every((p) => isWarehouseSource(p.view.source));
    if (engine === "warehouse" && !allInWarehouse) {
      const lakeViews = parts.filter((p) => !isWarehouseSource(p.view.source)).map((p) => p.view.name);
      throw new FeatureStoreError(`engine "warehouse" needs every source in the warehouse, but ${lakeViews.join(", ")} read(s) from the lake; use engine "auto" or "in-process".`);
    }
    const useWarehouse = engine === "warehouse" || (engine === "auto" && allInWarehouse);
    const entity = request.entityRows;
    const isQuery = !Array.isArray(entity) && !(entity instanceof arrow.Table);
    if (isQuery) {
      const q = entity as EntityQuery;
      if (q === null || typeof q !== "object" || typeof q.sql !== "string") {
        throw new InvalidArgumentError("getHistoricalFeatures: entityRows must be an Arrow Table, an array of row objects, or { sql, params? }.");
      }
    }
    if (useWarehouse) {
      const { table, plans } = await this.historicalInWarehouse(entity as readonly Record<string, unknown>[] | arrow.Table | EntityQuery, parts, ts, byCreated);
      return new FeatureFrame<Row>(table, "warehouse", plans);
    }
    let entityTable: arrow.Table;
    if (isQuery) {
      const q = entity as EntityQuery;
      entityTable = await this.warehouse.query(q.sql, q.params ?? []);
    } else entityTable = entity instanceof arrow.Table ? entity : entityRowsToTable(entity as readonly Record<string, unknown>[], parts, ts);
    const table = await this.historicalInProcess(entityTable, parts, ts, byCreated);
    return new FeatureFrame<Row>(table, "in-process");
  }

  private async historicalInProcess(entity: arrow.Table, parts: ResolvedView[], ts: string, byCreated: boolean): Promise<arrow.Table> {
    checkEntityColumns(entity, parts, ts);
    // Temporary arrays (times, key codes, orders) come from scratch memory kept between calls; none
    // of them ends up in the result.
    const callScratch = new Scratch();
    try {
      const entityTs = timestampMicros(entity.getChild(ts) as arrow.Vector, `entity rows column "${ts}"`, callScratch);
      let minTs = Infinity;
      let maxTs = -Infinity;
      for (let i = 0; i < entityTs.length; i++) {
        const t = entityTs[i];
        if (t < minTs) minTs = t;
        if (t > maxTs) maxTs = t;
      }
      const columns = entityColumns(entity, ts);
      for (const part of parts) {
        const scratch = new Scratch();
        try {
          const conformed = await this.joinPart(entity, part, entityTs, minTs, maxTs, byCreated, scratch);
          part.features.forEach((f, i) => {
            columns[f.outputName] = conformed[i];
          });
        } finally {
          scratch.release();
        }
      }
      return new arrow.Table(columns);
    } finally {
      callScratch.release();
    }
  }

  /** The feature columns of one view for the entity rows (in-process); temporary arrays from `scratch`. */
  private async joinPart(
    entity: arrow.Table,
    part: ResolvedView,
    entityTs: Float64Array,
    minTs: number,
    maxTs: number,
    byCreated: boolean,
    scratch: Scratch,
  ): Promise<arrow.Vector[]> {
    const view = part.view;
    const names = part.features.map((f) => f.feature);
    let idx: Int32Array;
    let source: arrow.Table | null = null;
    const keyCols = view.entity.joinKeys.map((k) => entity.getChild(k) as arrow.Vector);
    if (entity.numRows === 0 || minTs > maxTs) {
      idx = new Int32Array(entity.numRows).fill(-1);
    } else {
      source = await readSourceRows({ warehouse: this.warehouse, lake: this.lake }, view, names, {
        from: view.ttlMicros === null ? null : minTs - view.ttlMicros,
        to: maxTs,
      });
      const featureKeys = view.entity.joinKeys.map((k) => source!.getChild(k) as arrow.Vector);
      checkKeys(view, keyCols, featureKeys);
      idx = pointInTimeIndices(
        {
          entityKeys: keyCols,
          featureKeys,
          entityTs,
          featureTs: timestampMicros(source.getChild(view.source.timestamp) as arrow.Vector, `${describeSource(view)} column "${view.source.timestamp}"`, scratch),
          featureCreated: view.source.createdTimestamp
            ? timestampMicros(source.getChild(view.source.createdTimestamp) as arrow.Vector, `${describeSource(view)} column "${view.source.createdTimestamp}"`, scratch)
            : null,
          ttlMicros: view.ttlMicros,
          filterByCreatedTimestamp: byCreated,
        },
        scratch,
      );
    }
    const order = source ? gatherOrder(idx, source.numRows, scratch) : null;
    const splits = gatherSplits(scratch);
    const gathered = part.features.map(({ feature }) => {
      const field = view.featureFields.find((f) => f.name === feature)!;
      const vector = source && order
        ? gatherVector(source.getChild(feature) as arrow.Vector, idx, order, splits)
        : (arrow.vectorFromArray(new Array<null>(entity.numRows).fill(null), field.type as never) as arrow.Vector);
      return { feature, vector };
    });
    const matched = scratch.uint8(idx.length);
    for (let i = 0; i < idx.length; i++) matched[i] = idx[i] >= 0 ? 1 : 0;
    const conformed = checkAndConform(view, gathered, keyLabeller(view, keyCols), matched);
    // The gathers copied what the result keeps: the rows read from the lake go back to the
    // decoding workers, whose next read reuses their memory.
    if (source && view.source.kind === "lakeDataset") recycleTable(source);
    return conformed;
  }

  private async historicalInWarehouse(
    entity: readonly Record<string, unknown>[] | arrow.Table | EntityQuery,
    parts: ResolvedView[],
    ts: string,
    byCreated: boolean,
  ): Promise<{ table: arrow.Table; plans: Record<string, PointInTimePlan> }> {
    const wh = this.warehouse;
    const scratch: string[] = [];
    try {
      let entitySpec: { table: string } | { sql: string };
      let entityCols: string[];
      let params: unknown[] = [];
      let entitySchema: arrow.Schema;
      if (Array.isArray(entity) || entity instanceof arrow.Table) {
        let t = entity instanceof arrow.Table ? entity : entityRowsToTable(entity as readonly Record<string, unknown>[], parts, ts);
        checkEntityColumns(t, parts, ts);
        const cols = entityColumns(t, ts);
        entityCols = Object.keys(cols);
        if (entityCols.includes(ROW_ORDER_COLUMN)) {
          throw new InvalidArgumentError(`entity rows: column "${ROW_ORDER_COLUMN}" is reserved by the feature store; rename it.`);
        }
        const order = new Float64Array(t.numRows);
        for (let i = 0; i < order.length; i++) order[i] = i + 1;
        cols[ROW_ORDER_COLUMN] = arrow.makeVector(order);
        t = new arrow.Table(cols);
        entitySchema = t.schema;
        await ensureSchema(wh, this.schema);
        const name = `${this.schema}.trellis_entities_${randomSuffix()}`;
        scratch.push(name);
        await wh.load(t, name, { mode: "replace" });
        entitySpec = { table: name };
      } else {
        const q = entity as EntityQuery;
        params = [...(q.params ?? [])];
        const probe = await wh.query(`SELECT * FROM (${q.sql}) AS q LIMIT 0`, params);
        entitySchema = probe.schema;
        entityCols = probe.schema.fields.map((f) => f.name);
        checkEntityColumns(probe, parts, ts);
        entitySpec = { sql: q.sql };
      }
      for (const part of parts) {
        const view = part.view;
        const src = view.source;
        const names = part.features.map((f) => f.feature);
        const schema =
          src.kind === "warehouseTable"
            ? await wh.tableSchema(src.table)
            : (await wh.query(`SELECT * FROM ${sourceFromItem(src)} AS f LIMIT 0`)).schema;
        checkSourceSchema(view, schema, describeSource(view), names);
        for (const k of view.entity.joinKeys) {
          const a = keyFamily(entitySchema.fields.find((f) => f.name === k)!.type);
          const b = keyFamily(schema.fields.find((f) => f.name === k)!.type);
          if (a !== b) {
            throw new FeatureStoreError(
              `key type mismatch on "${k}": the entity rows hold ${a} values but the ${describeSource(view)} holds ${b} values; convert the entity rows' "${k}" to ${b}.`,
            );
          }
        }
      }
      const planned = [];
      const plans: Record<string, PointInTimePlan> = {};
      for (const part of parts) {
        const plan = await this.planFor(part.view);
        planned.push({ ...part, plan });
        plans[part.view.name] = plan;
      }
      const { sql, params: ttlParams } = pointInTimeSql({
        entity: entitySpec,
        entityColumns: [...entityCols, ROW_ORDER_COLUMN],
        entityTimestamp: ts,
        views: planned,
        filterByCreatedTimestamp: byCreated,
        firstParam: params.length + 1,
        // finishWarehouseResult restores the input order from the row-number column in O(n).
        ordered: false,
      });
      await ensureSchema(wh, this.schema);
      const resultName = `${this.schema}.trellis_pit_${randomSuffix()}`;
      scratch.push(resultName);
      const qResult = `${quoteIdent(this.schema)}.${quoteIdent(resultName.slice(this.schema.length + 1))}`;
      await wh.transaction(async (tx) => {
        // Timezone-less timestamps compare as UTC, whatever the server's TimeZone setting.
        await tx.exec("SET LOCAL TIME ZONE 'UTC'");
        // The per-view sorts of the range joins stay in memory up to this size.
        await tx.exec("SET LOCAL work_mem = '256MB'");
        // The planner's cost of 200k index probes crosses the JIT threshold, and compiling the
        // expressions then costs more than it saves on a statement this short.
        await tx.exec("SET LOCAL jit = off");
        // Unlogged: a scratch result read once and dropped needs no write-ahead log.
        await tx.exec(`CREATE UNLOGGED TABLE ${qResult} AS ${sql}`, [...params, ...ttlParams]);
      });
      const result = await wh.readTable(resultName);
      return { table: this.finishWarehouseResult(result, entityCols, parts, ts), plans };
    } finally {
      for (const name of scratch) {
        const [s, t] = [name.slice(0, this.schema.length), name.slice(this.schema.length + 1)];
        await wh.exec(`DROP TABLE IF EXISTS ${quoteIdent(s)}.${quoteIdent(t)}`).catch(() => undefined);
      }
    }
  }

  /** Restores input order, conforms types and validates feature values of a warehouse result. */
  private finishWarehouseResult(result: arrow.Table, entityCols: string[], parts: ResolvedView[], ts: string): arrow.Table {
    const n = result.numRows;
    const rowCol = result.getChild(ROW_ORDER_COLUMN) as arrow.Vector;
    const flatRow = flattenColumn(rowCol);
    const rowNo = new Float64Array(n);
    if (flatRow.kind === "fixed") for (let i = 0; i < n; i++) rowNo[i] = Number(flatRow.values[i]);
    else for (let i = 0; i < n; i++) rowNo[i] = Number(rowCol.get(i));
    let sorted = true;
    for (let i = 1; i < n; i++) if (rowNo[i] < rowNo[i - 1]) { sorted = false; break; }
    let perm: Int32Array | null = null;
    if (!sorted) perm = orderPermutation(rowNo);
    const pick = (v: arrow.Vector): arrow.Vector => (perm ? gatherColumn(flattenColumn(v), perm) : v);
    const columns: Record<string, arrow.Vector> = {};
    for (const c of entityCols) {
      const v = pick(result.getChild(c) as arrow.Vector);
      columns[c] = c === ts ? conformColumn(v, TS_FIELD) : v;
    }
    parts.forEach((part, p) => {
      const view = part.view;
      const keyCols = view.entity.joinKeys.map((k) => columns[k]);
      const flag = flattenColumn(pick(result.getChild(matchedColumn(p)) as arrow.Vector));
      const matched = flag.kind === "bool" ? flag.values : null;
      const conformed = checkAndConform(
        view,
        part.features.map((f) => ({ feature: f.feature, vector: pick(result.getChild(f.outputName) as arrow.Vector) })),
        keyLabeller(view, keyCols),
        matched,
      );
      part.features.forEach((f, i) => {
        columns[f.outputName] = conformed[i];
      });
    });
    return new arrow.Table(columns);
  }

  /**
   * Readies the warehouse for fast point-in-time joins: for each view (default: all) whose source is
   * a warehouse table, makes sure the table has a btree index on the view's join keys, then event
   * timestamp (then created timestamp), creating it when no suitable index exists. With that index,
   * {@link FeatureStore.getHistoricalFeatures} joins the view by one index probe per entity row
   * (`LEFT JOIN LATERAL … ORDER BY ts DESC LIMIT 1`) instead of a range join over every key match;
   * the results are the same. Views over SQL queries or the lake are left alone (listed in
   * `skipped`): the store only indexes tables. Creating an index needs the table owner's rights and
   * holds writes to the table until it is built; run it once after loading, not per request.
   *
   * With `covering: true` the index also holds the view's feature columns (`INCLUDE`), and the table
   * is vacuumed once it is built, so each probe reads the index alone (an index-only scan; about
   * half the time of a probe that visits the table on the benchmark). The index is larger, and since
   * a btree entry is limited to about 2.7 kB, a text feature value longer than that would then fail
   * inserts into the table: use it for features of bounded size.
   * @example
   * const { indexes } = await store.prepare();
   * indexes[0]; // { view: "customer_stats", table: "sales.customer_stats", index: "trellis_pit_…", created: true, covering: false }
   */
  async prepare(options: { views?: readonly (V | string)[]; covering?: boolean } = {}): Promise<PrepareResult> {
    if (options === null || typeof options !== "object") throw new InvalidArgumentError("prepare: expected { views?, covering? } or nothing.");
    if (options.covering !== undefined && typeof options.covering !== "boolean") {
      throw new InvalidArgumentError(`prepare: covering must be true or false, got ${JSON.stringify(options.covering)}.`);
    }
    const covering = options.covering === true;
    const indexes: PointInTimeIndexResult[] = [];
    const skipped: { view: string; reason: string }[] = [];
    const done = new Map<string, PointInTimeIndexResult>();
    for (const view of this.pickViews(options.views)) {
      const src = view.source;
      if (src.kind !== "warehouseTable") {
        skipped.push({
          view: view.name,
          reason: src.kind === "sqlQuery" ? "its source is a SQL query, not a table the store may index" : "its source is in the lake, joined in-process",
        });
        continue;
      }
      const key = planCacheKey(view);
      const doneKey = covering ? `${key}|${JSON.stringify(pointInTimeIncludeColumns(view))}` : key;
      const prior = done.get(doneKey);
      const result = prior ? { ...prior, view: view.name, created: false } : await ensurePointInTimeIndex(this.warehouse, view, { covering });
      done.set(doneKey, result);
      this.planCache.set(key, "lateral");
      indexes.push(result);
    }
    return { indexes, skipped };
  }

  private readonly planCache = new Map<string, PointInTimePlan>();

  /** `"lateral"` for a warehouse table with a point-in-time index, else `"range-join"` (cached per store). */
  private async planFor(view: AnyFeatureView): Promise<PointInTimePlan> {
    const src = view.source;
    if (src.kind !== "warehouseTable") return "range-join";
    const key = planCacheKey(view);
    let plan = this.planCache.get(key);
    if (plan === undefined) {
      plan = (await findPointInTimeIndex(this.warehouse, src.table, view.entity.joinKeys, src.timestamp)) ? "lateral" : "range-join";
      this.planCache.set(key, plan);
    }
    return plan;
  }

  /**
   * Copies the latest row per key with event time in `[start, end)` of each view (default: all views)
   * into its online table. Idempotent: a key's online row is only replaced by a newer one (by event,
   * then created time), so re-running a window changes nothing.
   * @example await store.materialize({ start: new Date("2025-01-01Z"), end: new Date("2026-01-01Z") });
   */
  async materialize(options: { views?: readonly (V | string)[]; start: Date; end: Date }): Promise<MaterializeResult> {
    if (!options || !(options.start instanceof Date) || !(options.end instanceof Date) || Number.isNaN(options.start.getTime()) || Number.isNaN(options.end.getTime())) {
      throw new InvalidArgumentError("materialize: start and end must be valid Dates, e.g. { start: new Date(\"2025-01-01Z\"), end: new Date() }.");
    }
    if (options.start.getTime() > options.end.getTime()) {
      throw new InvalidArgumentError(`materialize: start ${options.start.toISOString()} is after end ${options.end.toISOString()}; swap them.`);
    }
    return materializeViews(this.context(), this.pickViews(options.views), options.start, options.end);
  }

  /**
   * Materialises each view (default: all) from where its last materialisation ended (or from the
   * beginning) up to `end`. Idempotent like {@link FeatureStore.materialize}.
   * @example await store.materializeIncremental({ end: new Date() });
   */
  async materializeIncremental(options: { end: Date; views?: readonly (V | string)[] }): Promise<MaterializeResult> {
    if (!options || !(options.end instanceof Date) || Number.isNaN(options.end.getTime())) {
      throw new InvalidArgumentError("materializeIncremental: end must be a valid Date, e.g. { end: new Date() }.");
    }
    return materializeViews(this.context(), this.pickViews(options.views), null, options.end);
  }

  /**
   * Latest feature values for each key, one result row per key in input order, from the online
   * tables. TTL is honoured: a value older than `now - ttl` comes back as nulls and its key is listed
   * in `expired`; keys never materialised are listed in `missing`.
   * @example
   * const { rows, missing, expired } = await store.getOnlineFeatures({ features: [stats.f.orders_30d], entityKeys: [{ customer_id: 7 }] });
   */
  async getOnlineFeatures<const Items extends readonly FeatureItem<V>[]>(
    request: OnlineRequest<Items, EntityKeyOf<Items, V>>,
  ): Promise<OnlineResult<Simplify<EntityKeyOf<Items, V> & FeaturesRow<Items, V>>>> {
    if (request === null || typeof request !== "object") throw new InvalidArgumentError("getOnlineFeatures: expected { features, entityKeys }.");
    const parts = resolveFeatures(request.features, this.byName);
    return getOnline(this.context(), parts, request.entityKeys as unknown as readonly Record<string, unknown>[], request.now ?? new Date()) as Promise<
      OnlineResult<Simplify<EntityKeyOf<Items, V> & FeaturesRow<Items, V>>>
    >;
  }

  /**
   * Data-quality report of a view's source rows with event time in `[start, end)`: every violated
   * expectation (schema type, min, max, allowed values, max null rate, key + timestamp uniqueness) with
   * counts and example rows.
   * @example
   * const report = await store.validate(stats, { start: new Date("2025-01-01Z"), end: new Date("2026-01-01Z") });
   * if (!report.ok) console.table(report.violations);
   */
  async validate(view: V | string, window: { start: Date; end: Date }): Promise<QualityReport> {
    const v = typeof view === "string" ? this.getView(view) : this.getView(view.name);
    if (!window || !(window.start instanceof Date) || !(window.end instanceof Date)) {
      throw new InvalidArgumentError("validate: expected { start: Date, end: Date }.");
    }
    const table = await readSourceRows({ warehouse: this.warehouse, lake: this.lake }, v, v.features, {
      from: window.start.getTime() * 1000,
      to: window.end.getTime() * 1000,
      toExclusive: true,
    });
    return qualityReport(v, table, window.start, window.end);
  }

  /**
   * Closes the warehouse if the store opened it from a URL (a Warehouse passed in stays open).
   * @example await store.close();
   */
  async close(): Promise<void> {
    if (this.ownsWarehouse) await this.warehouse.close();
  }

  private readonly onlineTables = new Set<string>();

  private context() {
    return { warehouse: this.warehouse, lake: this.lake, schema: this.schema, onlineTables: this.onlineTables };
  }

  private pickViews(views: readonly (V | string)[] | undefined): AnyFeatureView[] {
    if (views === undefined) return [...this.views];
    return views.map((v) => this.getView(typeof v === "string" ? v : v.name));
  }
}

/** The result of {@link FeatureStore.prepare}. */
export interface PrepareResult {
  /** One entry per view over a warehouse table: its index, and whether this call created it. */
  indexes: PointInTimeIndexResult[];
  /** Views left alone (SQL-query and lake sources), with the reason. */
  skipped: { view: string; reason: string }[];
}

/** Views over the same table with the same keys and timestamp share one index and one plan. */
/**
 * The gather order that sorts rows by their 1-based input row numbers `rowNo`: placed directly in
 * O(n) when the numbers are exactly 1..n (one result row per entity row), else by a sort.
 */
function orderPermutation(rowNo: Float64Array): Int32Array {
  const n = rowNo.length;
  const perm = new Int32Array(n).fill(-1);
  let direct = true;
  for (let i = 0; i < n; i++) {
    const r = rowNo[i] - 1;
    if (!(r >= 0 && r < n && Number.isInteger(r)) || perm[r] !== -1) {
      direct = false;
      break;
    }
    perm[r] = i;
  }
  if (direct) return perm;
  for (let i = 0; i < n; i++) perm[i] = i;
  return perm.sort((a, b) => rowNo[a] - rowNo[b]);
}

function planCacheKey(view: AnyFeatureView): string {
  const src = view.source;
  return JSON.stringify([src.kind === "warehouseTable" ? src.table : src.kind, view.entity.joinKeys, src.timestamp]);
}

/** Entity row objects → Arrow, typing key columns by the entity and timestamps as Timestamp(µs, UTC). */
function entityRowsToTable(rows: readonly Record<string, unknown>[], parts: ResolvedView[], ts: string): arrow.Table {
  if (rows.length === 0) {
    const fields = new Map<string, arrow.Field>();
    for (const p of parts) for (const f of p.view.entity.keyFields) fields.set(f.name, f);
    fields.set(ts, new arrow.Field(ts, TS_FIELD.type, true));
    return new arrow.Table(new arrow.Schema([...fields.values()]));
  }
  const columns: Record<string, arrow.Vector> = {};
  const names = Object.keys(rows[0]);
  const keyFields = new Map<string, arrow.Field>();
  for (const p of parts) for (const f of p.view.entity.keyFields) keyFields.set(f.name, f);
  const other = names.filter((n) => n !== ts && !keyFields.has(n));
  const base = other.length ? tableFromRows(rows.map((r) => Object.fromEntries(other.map((n) => [n, r[n] ?? null])))) : null;
  for (const n of names) {
    if (n === ts) {
      const us = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = rows[i][ts];
        us[i] = valueToMicros(v, `entity rows column "${ts}"`, i);
      }
      columns[n] = microsToTimestampVector(us);
    } else if (keyFields.has(n)) {
      columns[n] = keyVector(rows, n, keyFields.get(n)!);
    } else columns[n] = base!.getChild(n) as arrow.Vector;
  }
  return new arrow.Table(columns);
}

function microsToTimestampVector(us: Float64Array): arrow.Vector {
  const n = us.length;
  const out = new BigInt64Array(n);
  let nulls = 0;
  const bitmap = new Uint8Array(((n + 63) & ~63) >> 3);
  for (let i = 0; i < n; i++) {
    if (us[i] === us[i]) {
      out[i] = BigInt(Math.round(us[i]));
      bitmap[i >> 3] |= 1 << (i & 7);
    } else nulls++;
  }
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data: out }),
  ) as arrow.Vector;
}

function keyVector(rows: readonly Record<string, unknown>[], name: string, field: arrow.Field): arrow.Vector {
  const values = rows.map((r, i) => {
    const v = r[name];
    if (v === null || v === undefined) return null;
    if (arrow.DataType.isUtf8(field.type)) {
      if (typeof v !== "string") {
        throw new FeatureStoreError(`key type mismatch on "${name}": entity row ${i} holds ${typeof v} ${String(v)} but the entity declares strings; pass strings.`);
      }
      return v;
    }
    if (typeof v === "bigint") return (field.type as arrow.Int).bitWidth === 64 ? v : Number(v);
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw new FeatureStoreError(`key type mismatch on "${name}": entity row ${i} holds ${typeof v} ${JSON.stringify(v)} but the entity declares integers; pass integer numbers.`);
    }
    return (field.type as arrow.Int).bitWidth === 64 ? BigInt(v) : v;
  });
  return arrow.vectorFromArray(values as never[], field.type as never) as arrow.Vector;
}

function checkEntityColumns(entity: arrow.Table, parts: ResolvedView[], ts: string): void {
  const have = new Set(entity.schema.fields.map((f) => f.name));
  const missing = new Set<string>();
  if (!have.has(ts)) missing.add(ts);
  for (const p of parts) for (const k of p.view.entity.joinKeys) if (!have.has(k)) missing.add(k);
  if (missing.size) {
    throw new SchemaMismatchError(
      "entity rows",
      { missing: [...missing] },
      `Entity rows need the join key(s) of every view used and a timestamp column ("${ts}", or set entityTimestamp).`,
    );
  }
  for (const p of parts) {
    for (const f of p.features) {
      if (have.has(f.outputName)) {
        throw new FeatureStoreError(`feature "${p.view.name}:${f.feature}" would overwrite the entity rows' column "${f.outputName}"; rename it with .as("other_name").`);
      }
    }
  }
}

/** Entity columns for the output: the timestamp as Timestamp(µs, UTC), everything else as given. */
function entityColumns(entity: arrow.Table, ts: string): Record<string, arrow.Vector> {
  const columns: Record<string, arrow.Vector> = {};
  for (const f of entity.schema.fields) {
    const v = entity.getChild(f.name) as arrow.Vector;
    columns[f.name] = f.name === ts ? conformColumn(v, TS_FIELD) : v;
  }
  return columns;
}

function checkKeys(view: AnyFeatureView, entityKeys: arrow.Vector[], featureKeys: arrow.Vector[]): void {
  view.entity.joinKeys.forEach((k, i) => {
    const a = keyFamily(entityKeys[i].type as arrow.DataType);
    const b = keyFamily(featureKeys[i].type as arrow.DataType);
    if (a !== b) {
      throw new FeatureStoreError(
        `key type mismatch on "${k}": the entity rows hold ${a} values (${String(entityKeys[i].type)}) but the ${describeSource(view)} holds ${b} values (${String(featureKeys[i].type)}); convert the entity rows' "${k}" to ${b}.`,
      );
    }
  });
}

function keyLabeller(view: AnyFeatureView, keyCols: arrow.Vector[]): (row: number) => string {
  return (row) => view.entity.joinKeys.map((k, i) => `${k}=${String(keyCols[i]?.get(row))}`).join(",");
}
