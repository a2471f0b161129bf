/**
 * Drift monitoring over time: {@link monitor} computes a model's drift report and appends it to the
 * warehouse, {@link driftHistory} reads the history back.
 *
 * Tables, in one schema (default `trellis_monitoring`), created on first use inside a transaction:
 * - `schema_version (version, applied_at)`: one row per applied layout version (this release writes 1);
 *   a warehouse whose monitoring tables are newer than the library refuses writes and reads.
 * - `drift_reports`: one row per report — `report_id` (primary key), model name/version/digest,
 *   `window_start`/`window_end` (the period the current data covers, when given), `computed_at`,
 *   `source`, row counts, column counts (checked, drifting, warning, insufficient, missing,
 *   mistyped), `drift_share`, `status`, thresholds, `min_rows` and `details` (the report's JSON,
 *   `DriftReport.fromJSON` rebuilds it).
 * - `drift_columns`: one row per report and column — `report_id` (→ drift_reports), the model and
 *   window columns again (so a column's PSI can be followed without a join), `column_name`, `kind`,
 *   `status`, `psi`, null rates, `out_of_range_share`, `unseen_count`, `unseen_share`.
 * A report and its column rows are written in one transaction: a failure leaves neither.
 */
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import { InvalidArgumentError, Warehouse, WarehouseError, quoteIdent, tableFromRows, type WarehouseRef } from "@trellis/shared";
import { DriftReport, driftReport, type DriftReportJSON, type DriftReportOptions } from "./drift";
import type { ReferenceProfile } from "./profile";

/** The default schema of the monitoring tables. */
export const MONITORING_SCHEMA = "trellis_monitoring";

/** The layout version of the monitoring tables this release writes and reads. */
export const MONITORING_SCHEMA_VERSION = 1;

/**
 * What {@link monitor} needs of a model: its name, version and digest (to key the history) and its
 * reference profile. A loaded model artifact (DeployedModel) satisfies it, and so does a plain object.
 */
export interface MonitoredModel {
  readonly name: string;
  /** The registry version (or any version label); null when the model is not versioned. */
  readonly version?: string | number | null;
  /** The artifact's digest; null when unknown. */
  readonly digest?: string | null;
  /** The reference profile saved with the model (`reference.json`). */
  readonly reference: ReferenceProfile | null | undefined;
}

/** Options of {@link monitor}. */
export interface MonitorOptions {
  model: MonitoredModel;
  /** The data to check: row objects, an Arrow table, record batches or a `move` source. */
  current: DriftReportOptions["current"];
  /** Where the report is appended: a warehouse URL or an open warehouse (left open). */
  warehouse: WarehouseRef;
  /** Schema of the monitoring tables (default `trellis_monitoring`). */
  schema?: string;
  /** The period the current data covers, stored with the report. */
  window?: { start?: Date | string; end?: Date | string };
  columns?: DriftReportOptions["columns"];
  thresholds?: DriftReportOptions["thresholds"];
  minRows?: number;
  batchSize?: number;
  onProgress?: DriftReportOptions["onProgress"];
}

/** What {@link monitor} returns. */
export interface MonitorResult {
  /** The id of the stored report (`report_id` in the monitoring tables). */
  id: string;
  report: DriftReport;
}

/** Options of {@link driftHistory}. */
export interface DriftHistoryOptions {
  /** A model name (all its versions), or a model whose name, version and digest (when set) must match. */
  model: string | { name: string; version?: string | number | null; digest?: string | null };
  /** Only this column. */
  column?: string;
  /** Reports computed at or after this time. */
  since?: Date | string;
  /** Reports computed before this time. */
  until?: Date | string;
  /** Schema of the monitoring tables (default `trellis_monitoring`). */
  schema?: string;
}

function toDate(v: Date | string | undefined, what: string): Date | null {
  if (v === undefined || v === null) return null;
  const d = v instanceof Date ? new Date(v.getTime()) : typeof v === "string" ? new Date(v) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`${what} must be a Date or an ISO-8601 time such as "2025-06-01T00:00:00Z", got ${JSON.stringify(v)}.`);
  }
  return d;
}

function checkModel(model: unknown): MonitoredModel {
  const m = model as MonitoredModel | null;
  if (m === null || typeof m !== "object" || typeof m.name !== "string" || m.name.length === 0) {
    throw new InvalidArgumentError(
      "monitor: model must be a loaded model or an object { name, version, digest, reference } with a non-empty name.",
    );
  }
  if (!m.reference) {
    throw new InvalidArgumentError(
      `monitor: model ${JSON.stringify(m.name)} has no reference profile; save the model with its training data as reference (saveModel(model, dir, { reference: trainRows })) or pass { name, reference: buildReferenceProfile(trainRows) }.`,
    );
  }
  return m;
}

async function withWarehouse<T>(ref: WarehouseRef, fn: (wh: Warehouse) => Promise<T>): Promise<T> {
  if (typeof ref !== "string") {
    if (ref === null || typeof ref !== "object" || typeof (ref as Warehouse).query !== "function") {
      throw new InvalidArgumentError("warehouse must be a URL such as \"embedded:.trellis/warehouse\" or an open Warehouse.");
    }
    return fn(ref);
  }
  const wh = await Warehouse.open(ref);
  try {
    return await fn(wh);
  } finally {
    await wh.close();
  }
}

function names(schema: string) {
  const s = quoteIdent(schema);
  return { version: `${s}.${quoteIdent("schema_version")}`, reports: `${s}.${quoteIdent("drift_reports")}`, columns: `${s}.${quoteIdent("drift_columns")}` };
}

/** The layout version recorded in the schema, or null when the tables do not exist yet. */
async function installedVersion(wh: Warehouse, schema: string): Promise<number | null> {
  const t = await wh.query("SELECT to_regclass($1) IS NOT NULL AS present", [`${quoteIdent(schema)}.${quoteIdent("schema_version")}`]);
  if (!t.get(0)?.present) return null;
  const v = await wh.query(`SELECT max(version) AS v FROM ${names(schema).version}`);
  const got = v.get(0)?.v as number | null | undefined;
  return got === null || got === undefined ? null : Number(got);
}

function checkVersion(version: number | null, schema: string): void {
  if (version !== null && version > MONITORING_SCHEMA_VERSION) {
    throw new WarehouseError(
      `the monitoring tables in schema ${schema} are at layout version ${version}, newer than this @trellis/prod understands (${MONITORING_SCHEMA_VERSION}); upgrade @trellis/prod.`,
    );
  }
}

/** Creates the monitoring tables on first use, in one transaction, serialised by an advisory lock. */
async function ensureTables(wh: Warehouse, schema: string): Promise<void> {
  const current = await installedVersion(wh, schema);
  checkVersion(current, schema);
  if (current === MONITORING_SCHEMA_VERSION) return;
  const n = names(schema);
  await wh.transaction(async (tx) => {
    // Two first writers at once would both try to create the tables; the lock makes the second wait and find them.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1)) IS NULL AS locked", [`trellis_monitoring:${schema}`]);
    const again = await installedVersion(tx, schema);
    checkVersion(again, schema);
    if (again === MONITORING_SCHEMA_VERSION) return;
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${n.version} (version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${n.reports} (` +
        "report_id text PRIMARY KEY, model_name text NOT NULL, model_version text, model_digest text, " +
        "window_start timestamptz, window_end timestamptz, computed_at timestamptz NOT NULL, source text NOT NULL, " +
        "reference_rows bigint NOT NULL, current_rows bigint NOT NULL, columns_checked integer NOT NULL, columns_drifting integer NOT NULL, " +
        "columns_warning integer NOT NULL, columns_insufficient integer NOT NULL, columns_missing integer NOT NULL, columns_mistyped integer NOT NULL, " +
        "drift_share double precision NOT NULL, status text NOT NULL, warn_threshold double precision NOT NULL, drift_threshold double precision NOT NULL, " +
        "min_rows integer NOT NULL, details jsonb NOT NULL)",
    );
    await tx.exec(`CREATE INDEX IF NOT EXISTS drift_reports_model_time ON ${n.reports} (model_name, computed_at)`);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${n.columns} (` +
        `report_id text NOT NULL REFERENCES ${n.reports} (report_id) ON DELETE CASCADE, model_name text NOT NULL, model_version text, model_digest text, ` +
        "window_start timestamptz, window_end timestamptz, computed_at timestamptz NOT NULL, column_name text NOT NULL, kind text NOT NULL, status text NOT NULL, " +
        "psi double precision, reference_null_rate double precision NOT NULL, current_null_rate double precision, out_of_range_share double precision, " +
        "unseen_count bigint, unseen_share double precision, PRIMARY KEY (report_id, column_name))",
    );
    await tx.exec(`CREATE INDEX IF NOT EXISTS drift_columns_model_column_time ON ${n.columns} (model_name, column_name, computed_at)`);
    await tx.exec(`INSERT INTO ${n.version} (version) VALUES ($1) ON CONFLICT (version) DO NOTHING`, [MONITORING_SCHEMA_VERSION]);
  });
}

const COLUMN_ROW_PARAMS = 16;

/**
 * Computes the drift report of `current` against the model's reference profile and appends it to
 * the warehouse's monitoring tables (see the module documentation), so drift can be followed over
 * time with {@link driftHistory}. Returns the report and its id.
 * @example
 * const { report } = await monitor({
 *   model,                                   // a loaded model, or { name, version, digest, reference }
 *   current: { warehouse: wh, query: "SELECT * FROM predictions WHERE day = current_date - 1" },
 *   warehouse: wh,
 *   window: { start: "2025-06-01T00:00:00Z", end: "2025-06-02T00:00:00Z" },
 * });
 * if (report.drifting) console.error(report.toString());
 */
export async function monitor(options: MonitorOptions): Promise<MonitorResult> {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("monitor: pass an options object { model, current, warehouse }.");
  const known = new Set(["model", "current", "warehouse", "schema", "window", "columns", "thresholds", "minRows", "batchSize", "onProgress"]);
  for (const k of Object.keys(options)) {
    if (!known.has(k)) throw new InvalidArgumentError(`monitor: unknown option ${JSON.stringify(k)}; known options: ${[...known].join(", ")}.`);
  }
  const model = checkModel(options.model);
  if (options.warehouse === undefined) throw new InvalidArgumentError("monitor: warehouse is missing; pass a warehouse URL or an open Warehouse to append the report to.");
  const schema = options.schema ?? MONITORING_SCHEMA;
  quoteIdent(schema);
  const start = toDate(options.window?.start, "monitor: window.start");
  const end = toDate(options.window?.end, "monitor: window.end");
  if (start && end && start.getTime() > end.getTime()) {
    throw new InvalidArgumentError(`monitor: window.start (${start.toISOString()}) is after window.end (${end.toISOString()}).`);
  }
  const report = await driftReport({
    reference: model.reference!,
    current: options.current,
    columns: options.columns,
    thresholds: options.thresholds,
    minRows: options.minRows,
    batchSize: options.batchSize,
    onProgress: options.onProgress,
  });
  const id = randomUUID();
  const version = model.version === undefined || model.version === null ? null : String(model.version);
  const digest = model.digest ?? null;
  const s = report.summary;
  const computedAt = new Date(s.computedAt);
  await withWarehouse(options.warehouse, async (wh) => {
    await ensureTables(wh, schema);
    const n = names(schema);
    await wh.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO ${n.reports} (report_id, model_name, model_version, model_digest, window_start, window_end, computed_at, source, ` +
          "reference_rows, current_rows, columns_checked, columns_drifting, columns_warning, columns_insufficient, columns_missing, columns_mistyped, " +
          "drift_share, status, warn_threshold, drift_threshold, min_rows, details) " +
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22::jsonb)",
        [
          id, model.name, version, digest, start, end, computedAt, s.source,
          s.referenceRows, s.currentRows, s.columnsChecked, s.columnsDrifting, s.columnsWarning, s.columnsInsufficient, s.columnsMissing, s.columnsMistyped,
          s.driftShare, s.status, s.thresholds.warn, s.thresholds.drift, s.minRows, JSON.stringify(report.toJSON()),
        ],
      );
      // Parameters per statement stay far below PostgreSQL's 65,535.
      for (let i = 0; i < report.columns.length; i += 500) {
        const chunk = report.columns.slice(i, i + 500);
        const params: unknown[] = [];
        const tuples = chunk.map((c, j) => {
          params.push(
            id, model.name, version, digest, start, end, computedAt, c.column, c.kind, c.status, c.psi,
            c.referenceNullRate, c.currentNullRate,
            c.kind === "numeric" ? c.outOfRangeShare : null,
            c.kind === "categorical" && c.unseenShare !== null ? c.unseenCount : null,
            c.kind === "categorical" ? c.unseenShare : null,
          );
          return `(${Array.from({ length: COLUMN_ROW_PARAMS }, (_, k) => `$${j * COLUMN_ROW_PARAMS + k + 1}`).join(", ")})`;
        });
        await tx.exec(
          `INSERT INTO ${n.columns} (report_id, model_name, model_version, model_digest, window_start, window_end, computed_at, column_name, kind, status, psi, ` +
            `reference_null_rate, current_null_rate, out_of_range_share, unseen_count, unseen_share) VALUES ${tuples.join(", ")}`,
          params,
        );
      }
    });
  });
  return { id, report };
}

const ts = () => new arrow.TimestampMicrosecond("UTC");
/** The columns {@link driftHistory} returns, in order. */
const HISTORY_SCHEMA = new arrow.Schema([
  new arrow.Field("report_id", new arrow.Utf8(), true),
  new arrow.Field("computed_at", ts(), true),
  new arrow.Field("window_start", ts(), true),
  new arrow.Field("window_end", ts(), true),
  new arrow.Field("model_name", new arrow.Utf8(), true),
  new arrow.Field("model_version", new arrow.Utf8(), true),
  new arrow.Field("model_digest", new arrow.Utf8(), true),
  new arrow.Field("column_name", new arrow.Utf8(), true),
  new arrow.Field("kind", new arrow.Utf8(), true),
  new arrow.Field("status", new arrow.Utf8(), true),
  new arrow.Field("psi", new arrow.Float64(), true),
  new arrow.Field("reference_null_rate", new arrow.Float64(), true),
  new arrow.Field("current_null_rate", new arrow.Float64(), true),
  new arrow.Field("out_of_range_share", new arrow.Float64(), true),
  new arrow.Field("unseen_count", new arrow.Float64(), true),
  new arrow.Field("unseen_share", new arrow.Float64(), true),
  new arrow.Field("report_status", new arrow.Utf8(), true),
  new arrow.Field("drift_share", new arrow.Float64(), true),
]);

/**
 * The drift history of a model: one row per stored report and column (report_id, computed_at,
 * window_start, window_end, model_name, model_version, model_digest, column_name, kind, status, psi,
 * reference_null_rate, current_null_rate, out_of_range_share, unseen_count, unseen_share,
 * report_status, drift_share), oldest first. An empty table when nothing was recorded yet.
 * @example
 * const h = await driftHistory("embedded:.trellis/warehouse", { model: "churn", column: "tenure", since: "2025-06-01" });
 * h.getChild("psi")?.toArray(); // the column's PSI, report after report
 */
export async function driftHistory(warehouse: WarehouseRef, options: DriftHistoryOptions): Promise<arrow.Table> {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("driftHistory: pass an options object { model }.");
  const model = typeof options.model === "string" ? { name: options.model } : options.model;
  if (!model || typeof model.name !== "string" || model.name.length === 0) {
    throw new InvalidArgumentError("driftHistory: model must be a model name or an object with a non-empty name.");
  }
  const schema = options.schema ?? MONITORING_SCHEMA;
  quoteIdent(schema);
  const since = toDate(options.since, "driftHistory: since");
  const until = toDate(options.until, "driftHistory: until");
  if (options.column !== undefined && (typeof options.column !== "string" || options.column.length === 0)) {
    throw new InvalidArgumentError(`driftHistory: column must be a non-empty column name, got ${JSON.stringify(options.column)}.`);
  }
  return withWarehouse(warehouse, async (wh) => {
    const version = await installedVersion(wh, schema);
    checkVersion(version, schema);
    if (version === null) return tableFromRows([], HISTORY_SCHEMA);
    const n = names(schema);
    const where = ["c.model_name = $1"];
    const params: unknown[] = [model.name];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace("?", `$${params.length}`));
    };
    if ("version" in model && model.version !== undefined && model.version !== null) add("c.model_version = ?", String(model.version));
    if ("digest" in model && model.digest !== undefined && model.digest !== null) add("c.model_digest = ?", model.digest);
    if (options.column !== undefined) add("c.column_name = ?", options.column);
    if (since) add("c.computed_at >= ?", since);
    if (until) add("c.computed_at < ?", until);
    const t = await wh.query(
      "SELECT c.report_id, c.computed_at, c.window_start, c.window_end, c.model_name, c.model_version, c.model_digest, c.column_name, c.kind, c.status, " +
        "c.psi, c.reference_null_rate, c.current_null_rate, c.out_of_range_share, c.unseen_count::double precision AS unseen_count, c.unseen_share, " +
        `r.status AS report_status, r.drift_share FROM ${n.columns} c JOIN ${n.reports} r ON r.report_id = c.report_id ` +
        `WHERE ${where.join(" AND ")} ORDER BY c.computed_at, c.report_id, c.column_name`,
      params,
    );
    return t.numRows ? t : tableFromRows([], HISTORY_SCHEMA);
  });
}

/**
 * A stored report, rebuilt from its JSON details (the id {@link monitor} returned, or a `report_id`
 * of {@link driftHistory}).
 * @example
 * const report = await loadDriftReport(wh, history.getChild("report_id")!.get(0));
 * console.log(report.toString());
 */
export async function loadDriftReport(warehouse: WarehouseRef, id: string, options: { schema?: string } = {}): Promise<DriftReport> {
  if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError(`loadDriftReport: id must be a report id (a string), got ${JSON.stringify(id)}.`);
  const schema = options.schema ?? MONITORING_SCHEMA;
  quoteIdent(schema);
  return withWarehouse(warehouse, async (wh) => {
    const version = await installedVersion(wh, schema);
    checkVersion(version, schema);
    const t = version === null ? null : await wh.query(`SELECT details::text AS details FROM ${names(schema).reports} WHERE report_id = $1`, [id]);
    if (!t || t.numRows === 0) {
      throw new InvalidArgumentError(`loadDriftReport: no drift report ${JSON.stringify(id)} in schema ${schema} of ${wh.url}.`);
    }
    return DriftReport.fromJSON(JSON.parse(String(t.get(0)!.details)) as DriftReportJSON);
  });
}
