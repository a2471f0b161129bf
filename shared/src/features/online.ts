/**
 * Latest values for online lookups: materialisation of the latest row per key into one online table
 * per view version (`<schema>.online_<view>_v<version>`, primary key = the join keys) and key lookups
 * that honour the view's TTL.
 */
import { randomBytes } from "node:crypto";
import * as arrow from "apache-arrow";
import { InvalidArgumentError } from "../errors";
import { rowsOf } from "../frame/table";
import { quoteIdent } from "../warehouse/identifiers";
import { arrowTypeToPg } from "../warehouse/types";
import type { Warehouse } from "../warehouse/warehouse";
import { flattenColumn, gatherColumn, keyCodes, timestampMicros } from "./columns";
import type { ResolvedView } from "./feature-refs";
import type { AnyFeatureView } from "./feature-view";
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, latestPerKeySql } from "./point-in-time-sql";
import { checkAndConform, conformColumn } from "./quality";
import { ensureSchema } from "./registry";
import { readSourceRows } from "./source-reader";
import { isWarehouseSource } from "./sources";

/** Name of the materialisation-state table inside the store's schema. */
export const MATERIALIZATIONS_TABLE = "trellis_materializations";
const MATERIALIZED_AT = "__materialized_at";

/** What the online functions need from the store. */
export interface OnlineContext {
  warehouse: Warehouse;
  lake: string | null;
  schema: string;
  /** Online tables known to exist (saves a catalog lookup per request). */
  onlineTables: Set<string>;
}

/** The outcome of a materialisation, per view. */
export interface MaterializeResult {
  views: {
    view: string;
    version: number;
    /** Start of the window (null = from the beginning). */
    start: Date | null;
    end: Date;
    /** Latest-per-key rows found in the window. */
    candidates: number;
    /** Online rows inserted or replaced by newer values. */
    written: number;
    /** The online table. */
    table: string;
  }[];
}

/** A key that had no usable value in one view. */
export interface OnlineMiss {
  view: string;
  /** Position of the key in `entityKeys`. */
  index: number;
  key: Record<string, unknown>;
}

/** The result of `getOnlineFeatures`. */
export interface OnlineResult<Row> {
  /** One row per entity key, in input order: the key columns and the features (null when missing or expired). */
  rows: Row[];
  /** Keys with no materialised row, per view. */
  missing: OnlineMiss[];
  /** Keys whose latest row is older than the view's TTL at `now` (returned as nulls), per view. */
  expired: OnlineMiss[];
}

/** The unquoted online table name of a view version. */
export function onlineTableName(schema: string, view: AnyFeatureView): string {
  return `${schema}.online_${view.name}_v${view.version}`;
}

function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

async function ensureOnlineTable(wh: Warehouse, schema: string, view: AnyFeatureView): Promise<string> {
  const q = qualified(schema, `online_${view.name}_v${view.version}`);
  const cols = [
    ...view.entity.keyFields.map((f) => `${quoteIdent(f.name)} ${arrowTypeToPg(f.type)} NOT NULL`),
    `${quoteIdent(ONLINE_EVENT_TS)} timestamptz NOT NULL`,
    `${quoteIdent(ONLINE_CREATED_TS)} timestamptz`,
    ...view.featureFields.map((f) => `${quoteIdent(f.name)} ${arrowTypeToPg(f.type)}`),
    `${quoteIdent(MATERIALIZED_AT)} timestamptz NOT NULL`,
  ];
  await wh.exec(`CREATE TABLE IF NOT EXISTS ${q} (${cols.join(", ")}, PRIMARY KEY (${view.entity.joinKeys.map(quoteIdent).join(", ")}))`);
  return q;
}

async function ensureStateTable(wh: Warehouse, schema: string): Promise<string> {
  const q = qualified(schema, MATERIALIZATIONS_TABLE);
  await wh.exec(
    `CREATE TABLE IF NOT EXISTS ${q} (view text NOT NULL, version integer NOT NULL, materialized_until timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (view, version))`,
  );
  return q;
}

/** The upsert that keeps, per key, the newest row by (event time, created time). */
function upsertSql(online: string, from: string, view: AnyFeatureView): string {
  const keys = view.entity.joinKeys.map(quoteIdent);
  const cols = [...keys, quoteIdent(ONLINE_EVENT_TS), quoteIdent(ONLINE_CREATED_TS), ...view.features.map(quoteIdent)];
  const sets = [quoteIdent(ONLINE_EVENT_TS), quoteIdent(ONLINE_CREATED_TS), ...view.features.map(quoteIdent), quoteIdent(MATERIALIZED_AT)].map(
    (c) => `${c} = EXCLUDED.${c}`,
  );
  const ev = quoteIdent(ONLINE_EVENT_TS);
  const cr = quoteIdent(ONLINE_CREATED_TS);
  return (
    `INSERT INTO ${online} AS t (${cols.join(", ")}, ${quoteIdent(MATERIALIZED_AT)}) ` +
    `SELECT ${cols.map((c) => `s.${c}`).join(", ")}, now() FROM ${from} AS s ` +
    `ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${sets.join(", ")} ` +
    `WHERE (EXCLUDED.${ev}, COALESCE(EXCLUDED.${cr}, '-infinity'::timestamptz)) > (t.${ev}, COALESCE(t.${cr}, '-infinity'::timestamptz))`
  );
}

/**
 * Materialises views into their online tables (see `FeatureStore.materialize`). `start` null = from
 * where the view's last materialisation ended, or from the beginning.
 * @example await materializeViews(ctx, [stats], new Date("2025-01-01Z"), new Date("2026-01-01Z"));
 */
export async function materializeViews(ctx: OnlineContext, views: readonly AnyFeatureView[], start: Date | null, end: Date): Promise<MaterializeResult> {
  const wh = ctx.warehouse;
  await ensureSchema(wh, ctx.schema);
  const state = await ensureStateTable(wh, ctx.schema);
  const out: MaterializeResult = { views: [] };
  for (const view of views) {
    const online = await ensureOnlineTable(wh, ctx.schema, view);
    ctx.onlineTables.add(onlineTableName(ctx.schema, view));
    let from = start;
    if (from === null) {
      const prior = await wh.query(`SELECT materialized_until FROM ${state} WHERE view = $1 AND version = $2`, [view.name, view.version]);
      const v: unknown = prior.numRows ? prior.getChild("materialized_until")?.get(0) : null;
      from = v === null || v === undefined ? null : new Date(Number(v instanceof Date ? v.getTime() : v));
    }
    if (from !== null && from.getTime() > end.getTime()) from = end;
    let candidates = 0;
    let written = 0;
    if (isWarehouseSource(view.source)) {
      const { sql } = latestPerKeySql(view, view.features, 1);
      await wh.transaction(async (tx) => {
        await tx.exec("SET LOCAL TIME ZONE 'UTC'");
        const params = [from === null ? "-infinity" : from.toISOString(), end.toISOString()];
        const counted = await tx.query(`SELECT count(*) AS n FROM (${sql}) AS c`, params);
        candidates = Number(counted.getChild("n")?.get(0) ?? 0);
        written = await tx.exec(upsertSql(online, `(${sql})`, view), params);
        await recordState(tx, state, view, end);
      });
    } else {
      const rows = await readSourceRows(ctx, view, view.features, {
        from: from === null ? null : from.getTime() * 1000,
        to: end.getTime() * 1000,
        toExclusive: true,
      });
      const latest = latestPerKey(view, rows, from === null ? -Infinity : from.getTime() * 1000, end.getTime() * 1000);
      candidates = latest.numRows;
      const stage = `trellis_stage_${randomBytes(6).toString("hex")}`;
      try {
        if (latest.numRows > 0) await wh.load(latest, `${ctx.schema}.${stage}`, { mode: "replace" });
        await wh.transaction(async (tx) => {
          if (latest.numRows > 0) written = await tx.exec(upsertSql(online, qualified(ctx.schema, stage), view));
          await recordState(tx, state, view, end);
        });
      } finally {
        await wh.exec(`DROP TABLE IF EXISTS ${qualified(ctx.schema, stage)}`).catch(() => undefined);
      }
    }
    out.views.push({ view: view.name, version: view.version, start: from, end, candidates, written, table: onlineTableName(ctx.schema, view) });
  }
  return out;
}

async function recordState(tx: Warehouse, state: string, view: AnyFeatureView, end: Date): Promise<void> {
  await tx.exec(
    `INSERT INTO ${state} (view, version, materialized_until) VALUES ($1, $2, $3) ON CONFLICT (view, version) DO UPDATE SET materialized_until = GREATEST(${state}.materialized_until, EXCLUDED.materialized_until), updated_at = now()`,
    [view.name, view.version, end.toISOString()],
  );
}

/** In-process latest row per key with event time in [from, to), as a staging table for the upsert. */
function latestPerKey(view: AnyFeatureView, rows: arrow.Table, from: number, to: number): arrow.Table {
  const s = view.source;
  const keyCols = view.entity.joinKeys.map((k) => rows.getChild(k) as arrow.Vector);
  const ts = timestampMicros(rows.getChild(s.timestamp) as arrow.Vector, s.timestamp);
  const created = s.createdTimestamp ? timestampMicros(rows.getChild(s.createdTimestamp) as arrow.Vector, s.createdTimestamp) : null;
  const codes = keyCodes(keyCols, keyCols);
  const best = new Int32Array(codes.groups).fill(-1);
  const c = (i: number) => (created && created[i] === created[i] ? created[i] : -Infinity);
  for (let i = 0; i < ts.length; i++) {
    const g = codes.left[i];
    const t = ts[i];
    if (g < 0 || !(t >= from && t < to)) continue;
    const b = best[g];
    if (b < 0 || t > ts[b] || (t === ts[b] && c(i) >= c(b))) best[g] = i;
  }
  let n = 0;
  for (let g = 0; g < best.length; g++) if (best[g] >= 0) n++;
  const idx = new Int32Array(n);
  n = 0;
  for (let g = 0; g < best.length; g++) if (best[g] >= 0) idx[n++] = best[g];
  const columns: Record<string, arrow.Vector> = {};
  const tsField = new arrow.Field("ts", new arrow.TimestampMicrosecond("UTC"), true);
  view.entity.keyFields.forEach((f, i) => {
    columns[f.name] = conformColumn(gatherColumn(flattenColumn(keyCols[i]), idx), f);
  });
  columns[ONLINE_EVENT_TS] = conformColumn(gatherColumn(flattenColumn(rows.getChild(s.timestamp) as arrow.Vector), idx), tsField);
  columns[ONLINE_CREATED_TS] = s.createdTimestamp
    ? conformColumn(gatherColumn(flattenColumn(rows.getChild(s.createdTimestamp) as arrow.Vector), idx), tsField)
    : (arrow.vectorFromArray(new Array<null>(n).fill(null), tsField.type as arrow.TimestampMicrosecond) as arrow.Vector);
  const keyLabel = (row: number) => view.entity.joinKeys.map((k) => `${k}=${String(columns[k].get(row))}`).join(",");
  const feats = checkAndConform(
    view,
    view.features.map((f) => ({ feature: f, vector: gatherColumn(flattenColumn(rows.getChild(f) as arrow.Vector), idx) })),
    keyLabel,
  );
  view.features.forEach((f, i) => {
    columns[f] = feats[i];
  });
  return new arrow.Table(columns);
}

function keyText(v: unknown, column: string, index: number): string {
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (typeof v === "bigint" || typeof v === "string") return String(v);
  throw new InvalidArgumentError(
    `getOnlineFeatures: entityKeys[${index}].${column} is ${v === undefined ? "missing" : JSON.stringify(v)}; pass the join key value (an integer or a string).`,
  );
}

/**
 * Looks up the latest values of `parts` for each key (see `FeatureStore.getOnlineFeatures`).
 * @example const res = await getOnline(ctx, resolveFeatures([stats.f.orders_30d], views), [{ customer_id: 7 }], new Date());
 */
export async function getOnline(
  ctx: OnlineContext,
  parts: ResolvedView[],
  entityKeys: readonly Record<string, unknown>[],
  now: Date,
): Promise<OnlineResult<Record<string, unknown>>> {
  if (!Array.isArray(entityKeys)) throw new InvalidArgumentError("getOnlineFeatures: entityKeys must be an array of key objects, e.g. [{ customer_id: 7 }].");
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InvalidArgumentError("getOnlineFeatures: now must be a valid Date.");
  const n = entityKeys.length;
  const rows: Record<string, unknown>[] = entityKeys.map((k) => {
    const r: Record<string, unknown> = {};
    for (const p of parts) for (const key of p.view.entity.joinKeys) r[key] = k?.[key] ?? null;
    for (const p of parts) for (const f of p.features) r[f.outputName] = null;
    return r;
  });
  const missing: OnlineMiss[] = [];
  const expired: OnlineMiss[] = [];
  if (n === 0) return { rows, missing, expired };
  const wh = ctx.warehouse;
  const nowUs = now.getTime() * 1000;
  for (const part of parts) {
    const view = part.view;
    const keyNames = view.entity.joinKeys;
    const keyOf = (i: number) => Object.fromEntries(keyNames.map((k) => [k, entityKeys[i][k]]));
    const arrays = keyNames.map((k) => entityKeys.map((row, i) => keyText(row?.[k], k, i)));
    const tableName = `online_${view.name}_v${view.version}`;
    const full = onlineTableName(ctx.schema, view);
    const exists = ctx.onlineTables.has(full) || (await wh.tableExists(full));
    if (exists) ctx.onlineTables.add(full);
    const found = new Uint8Array(n);
    if (exists) {
      const online = qualified(ctx.schema, tableName);
      const u = keyNames.map((k) => quoteIdent(k));
      const casts = view.entity.keyFields.map((f) => arrowTypeToPg(f.type));
      const sql =
        `SELECT u.__i AS __i, t.${quoteIdent(ONLINE_EVENT_TS)}, ${part.features.map((f) => `t.${quoteIdent(f.feature)}`).join(", ")} ` +
        `FROM unnest(${keyNames.map((_, i) => `$${i + 1}::text[]`).join(", ")}) WITH ORDINALITY AS u(${u.join(", ")}, __i) ` +
        `JOIN ${online} AS t ON ${u.map((k, i) => `t.${k} = u.${k}::${casts[i]}`).join(" AND ")}`;
      const res = await wh.query(sql, arrays);
      const idxCol = res.getChild("__i") as arrow.Vector;
      const m = res.numRows;
      const at = new Int32Array(m);
      for (let r = 0; r < m; r++) at[r] = Number(idxCol.get(r)) - 1;
      const evTs = timestampMicros(res.getChild(ONLINE_EVENT_TS) as arrow.Vector, ONLINE_EVENT_TS);
      const conformed = checkAndConform(
        view,
        part.features.map((f) => ({ feature: f.feature, vector: res.getChild(f.feature) as arrow.Vector })),
        (r) => keyNames.map((k) => `${k}=${String(entityKeys[at[r]][k])}`).join(","),
      );
      const values = rowsOf<Record<string, unknown>>(new arrow.Table(Object.fromEntries(part.features.map((f, i) => [f.outputName, conformed[i]]))));
      for (let r = 0; r < m; r++) {
        const i = at[r];
        found[i] = 1;
        if (view.ttlMicros !== null && evTs[r] < nowUs - view.ttlMicros) {
          expired.push({ view: view.name, index: i, key: keyOf(i) });
          continue;
        }
        Object.assign(rows[i], values[r]);
      }
    }
    for (let i = 0; i < n; i++) if (!found[i]) missing.push({ view: view.name, index: i, key: keyOf(i) });
  }
  expired.sort((a, b) => a.index - b.index);
  return { rows, missing, expired };
}
