/**
 * Experiment tracking in the warehouse: experiments, runs, params, metric histories, tags,
 * artifacts (bytes with their SHA-256) and datasets (row count, schema, content digest, feature-store
 * provenance), in the tables of one schema (`trellis_tracking` by default, see `schema.ts`).
 * Every value travels as a bound parameter; writes that belong together run in one statement or one
 * transaction, so concurrent writers from several processes lose nothing.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import * as arrow from "apache-arrow";
import {
  ArtifactIntegrityError,
  FeatureFrame,
  type FeatureStore,
  type HistoricalRequest,
  InvalidArgumentError,
  Warehouse,
  isFeatureRef,
  rowsOf,
} from "@trellis/shared";
import { RunComparison } from "./compare";
import { captureEnvironment } from "./environment";
import { TrackingError } from "./errors";
import {
  type BaseEstimator,
  type LoadModelOptions,
  type LoadedModel,
  type SaveModelOptions,
  type TrainingRows,
  loadModelFromFiles,
  packModel,
  trainingDataDigest,
} from "@trellis/prod";
import { type SchemaFieldInfo, schemaInfo } from "./dataset";
import { SqlParams, parseSearchFilter, parseSearchOrder, renderFilterSql, renderOrderSql } from "./filter";
import { DEFAULT_TRACKING_SCHEMA, type TrackingTables, ensureTrackingSchema } from "./schema";

/** The life-cycle states of a run (MLflow's names). */
export type RunStatus = "RUNNING" | "FINISHED" | "FAILED" | "KILLED";

const STATUSES: readonly RunStatus[] = ["RUNNING", "FINISHED", "FAILED", "KILLED"];

/** A parameter value; stored as text (`String(value)`). */
export type ParamValue = string | number | boolean | bigint;

/** Options of {@link Tracker.open}. */
export interface TrackerOpenOptions {
  /** Warehouse schema of the tracking tables (default `"trellis_tracking"`). */
  schema?: string;
  /** Record the git commit and dirty flag of `cwd` on each run (default true). */
  git?: boolean;
  /** The folder whose git state and installed @trellis versions runs record (default `process.cwd()`). */
  cwd?: string;
}

/** Options of {@link Tracker.startRun} and {@link Tracker.run}. */
export interface StartRunOptions {
  /** Experiment name; created on first use (default `"Default"`). */
  experiment?: string;
  /** Run name (default `run-<first 8 hex digits of the id>`). */
  name?: string;
  /** Tags set when the run starts. */
  tags?: Record<string, string>;
  /** The parent run (e.g. a search whose candidates are child runs). */
  parentRunId?: string;
}

/** Where and how a run ran. */
export interface RunInfo {
  runId: string;
  experimentId: number;
  experiment: string;
  name: string;
  status: RunStatus;
  startTime: Date;
  /** Null while running. */
  endTime: Date | null;
  parentRunId: string | null;
  /** The error of a FAILED run (`Name: message`), else null. */
  error: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  nodeVersion: string;
  trellisVersions: Record<string, string>;
}

/** One logged metric value. */
export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp: Date;
}

/** An artifact's identity (without its bytes). */
export interface ArtifactInfo {
  name: string;
  sha256: string;
  size: number;
  created: Date;
}

/** Which feature views (and versions) a dataset came from. */
export interface DatasetFeatures {
  view: string;
  version: number;
  features: string[];
}

/** What is recorded about a dataset. */
export interface DatasetInfo {
  name: string;
  rows: number;
  schema: SchemaFieldInfo[];
  /**
   * SHA-256 of the rows' values (`trainingDataDigest` of @trellis/prod, method `trellis-rows/1`): the
   * digest a model artifact's lineage records for its training rows, so the two can be matched.
   */
  digest: string;
  /** The encoding hashed, `"trellis-rows/1"`. */
  digestMethod: string;
  /** Feature-store provenance, or null for a plain table. */
  features: DatasetFeatures[] | null;
}

/** A model logged to a run with {@link ActiveRun.logModel}. */
export interface LoggedModelInfo {
  /** The artifact folder inside the run, e.g. `"model"` (files under `model/…`). */
  path: string;
  /** SHA-256 of the artifact's canonical manifest: its identity in the registry and in scoring output. */
  digest: string;
  name: string | null;
  /** The estimator class, e.g. `"Pipeline"`. */
  estimator: string;
  created: Date;
}

/** Options of {@link ActiveRun.logModel}: those of `saveModel` (lineage filled in), and where to store it. */
export interface LogModelOptions extends Omit<SaveModelOptions, "lineage" | "overwrite"> {
  /** Artifact folder inside the run (default `"model"`). */
  path?: string;
  /** The training rows: their digest goes into the artifact's lineage. */
  trainingRows?: TrainingRows;
  /** Feature views the training data came from (recorded in the lineage). */
  featureViews?: NonNullable<SaveModelOptions["lineage"]>["featureViews"];
}

/** A run as {@link Tracker.searchRuns} returns it: info, params, latest metrics and tags. */
export interface RunSummary {
  info: RunInfo;
  params: Record<string, string>;
  /** The latest value of each metric (latest step, then latest timestamp). */
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

/** A run with everything logged to it (artifact bytes excluded; see {@link Tracker.getArtifact}). */
export interface RunRecord extends RunSummary {
  /** The latest point of each metric, with its step and timestamp. */
  latestMetrics: Record<string, MetricPoint>;
  artifacts: ArtifactInfo[];
  datasets: DatasetInfo[];
  models: LoggedModelInfo[];
}

/** An experiment and its number of runs. */
export interface ExperimentInfo {
  id: number;
  name: string;
  created: Date;
  runs: number;
}

/** Options of {@link Tracker.searchRuns}. */
export interface SearchRunsOptions {
  /** One experiment name (default: every experiment). */
  experiment?: string;
  /** Several experiment names. */
  experiments?: readonly string[];
  /** MLflow filter syntax, e.g. `"metrics.auc > 0.8 and params.C = '1'"`. */
  filter?: string;
  /** E.g. `["metrics.auc DESC", "attributes.start_time"]`; then newest first. */
  orderBy?: readonly string[];
  /** At most this many runs (default 1000). */
  limit?: number;
  /** Only runs in this status (or these). */
  status?: RunStatus | readonly RunStatus[];
}

/** A dataset from a feature-store request: the store and the historical request to run. */
export interface FeatureRequestSource {
  store: FeatureStore;
  request: HistoricalRequest<readonly unknown[], unknown, string>;
}

/** What {@link ActiveRun.logDataset} accepts. */
export type DatasetSource = arrow.Table | FeatureFrame<unknown> | FeatureRequestSource;

/** Options of {@link ActiveRun.logDataset}. */
export interface LogDatasetOptions {
  /** For a FeatureFrame: the `features` list of the request that made it (records views and versions). */
  features?: readonly unknown[];
  /** Resolves `"view:feature"` strings in `features` (a FeatureFrame's store). */
  store?: FeatureStore;
}

/** A logged dataset: what was recorded, and the table it was computed from. */
export interface LoggedDataset extends DatasetInfo {
  table: arrow.Table;
}

/** Options of {@link ActiveRun.logMetric} and {@link ActiveRun.logMetrics}. */
export interface LogMetricOptions {
  /** An integer step (default 0). */
  step?: number;
  /** When the value was measured (default now). */
  timestamp?: Date | number;
}

const MAX_KEY_LENGTH = 250;
const BATCH = 1000;

function checkKey(what: string, key: unknown): string {
  if (typeof key !== "string" || key.length === 0) {
    throw new InvalidArgumentError(`${what}: expected a non-empty string key, got ${key === "" ? "an empty string" : typeof key}.`);
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(`${what}: key ${JSON.stringify(key.slice(0, 40))}… is ${key.length} characters long; keys have at most ${MAX_KEY_LENGTH}.`);
  }
  return key;
}

function paramText(key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  throw new InvalidArgumentError(
    `logParam: value of ${JSON.stringify(key)} must be a string, number, boolean or bigint, got ${value === null ? "null" : typeof value}; convert it to text first.`,
  );
}

function checkRunId(runId: unknown, what: string): string {
  if (typeof runId !== "string" || runId.length === 0) {
    throw new InvalidArgumentError(`${what}: expected a run id (string), got ${typeof runId}.`);
  }
  return runId;
}

function timeOf(ts: Date | number | undefined, what: string): string {
  const ms = ts === undefined ? Date.now() : ts instanceof Date ? ts.getTime() : ts;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(`${what}: timestamp must be a Date or milliseconds since 1970, got ${String(ts)}.`);
  }
  return new Date(ms).toISOString();
}

function stepOf(step: number | undefined, what: string): number {
  const s = step ?? 0;
  if (!Number.isSafeInteger(s)) throw new InvalidArgumentError(`${what}: step must be an integer, got ${String(step)}.`);
  return s;
}

function metricValue(key: string, value: unknown, what: string): number {
  if (typeof value !== "number") {
    throw new InvalidArgumentError(`${what}: value of ${JSON.stringify(key)} must be a number, got ${typeof value}.`);
  }
  return value;
}

/** Artifact names are relative paths: segments joined by "/", none empty, "." or "..". */
function checkArtifactName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidArgumentError(`logArtifact: the artifact needs a non-empty name, got ${typeof name === "string" ? "an empty string" : typeof name}.`);
  }
  const segments = name.split("/");
  if (name.includes("\\") || name.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new InvalidArgumentError(
      `logArtifact: artifact name ${JSON.stringify(name)} must be a relative path of "/"-separated parts without empty, "." or ".." parts (e.g. "model/model.json").`,
    );
  }
  return name;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

type Row = Record<string, unknown>;

function runInfoOf(r: Row): RunInfo {
  return {
    runId: String(r.id),
    experimentId: Number(r.experiment_id),
    experiment: String(r.experiment),
    name: String(r.name),
    status: r.status as RunStatus,
    startTime: r.start_time as Date,
    endTime: (r.end_time as Date | null) ?? null,
    parentRunId: (r.parent_run_id as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    gitCommit: (r.git_commit as string | null) ?? null,
    gitDirty: (r.git_dirty as boolean | null) ?? null,
    nodeVersion: String(r.node_version),
    trellisVersions: JSON.parse(String(r.trellis_versions)) as Record<string, string>,
  };
}

function placeholders(values: readonly unknown[], params: SqlParams, type: "text"): string {
  return values.map((v) => params.add(v, type)).join(", ");
}

/** Feature-store provenance of a `features` list: views, versions and features, in first-use order. */
function featureProvenance(items: readonly unknown[], store: FeatureStore | undefined): DatasetFeatures[] {
  const byView = new Map<string, DatasetFeatures>();
  const add = (view: string, version: number, feature: string) => {
    let entry = byView.get(view);
    if (!entry) {
      entry = { view, version, features: [] };
      byView.set(view, entry);
    }
    if (!entry.features.includes(feature)) entry.features.push(feature);
  };
  const visit = (item: unknown) => {
    if (isFeatureRef(item)) add(item.featureView.name, item.featureView.version, item.feature);
    else if (Array.isArray(item)) item.forEach(visit);
    else if (typeof item === "string") {
      const m = /^([^:]+):([^:]+)$/.exec(item);
      const view = m ? store?.views.find((v) => v.name === m[1]) : undefined;
      if (!m || !view) {
        throw new InvalidArgumentError(
          `logDataset: cannot resolve feature ${JSON.stringify(item)}${m ? `; pass the store ({ store }) whose views include "${m[1]}"` : '; use "view:feature" or a feature reference'}.`,
        );
      }
      add(view.name, view.version, m[2]);
    } else {
      throw new InvalidArgumentError(`logDataset: ${JSON.stringify(item)} is not a feature reference or a "view:feature" string.`);
    }
  };
  items.forEach(visit);
  return [...byView.values()];
}

/**
 * A run being logged to. Get one from {@link Tracker.run}, {@link Tracker.startRun} or
 * {@link Tracker.resumeRun}. Every method writes straight to the warehouse.
 * @example
 * await tracker.run({ experiment: "churn" }, async (run) => {
 *   await run.logParams({ C: 1, penalty: "l2" });
 *   await run.logMetric("auc", 0.91);
 * });
 */
export class ActiveRun {
  private ended = false;
  /** @internal */
  constructor(
    private readonly tracker: Tracker,
    /** The run id (32 hex digits). */
    readonly id: string,
    /** The experiment name. */
    readonly experiment: string,
    /** The run name. */
    readonly name: string,
    /** The parent run id, or null. */
    readonly parentRunId: string | null,
  ) {}

  private get wh(): Warehouse {
    return this.tracker.warehouse;
  }

  private get t(): TrackingTables {
    return this.tracker.tables;
  }

  private checkOpen(what: string): void {
    if (this.ended) throw new TrackingError(`${what}: run ${this.id} (${this.name}) has ended; start a new run or reopen it with tracker.resumeRun("${this.id}").`);
  }

  /** Throws the reason a write found no running run. */
  private async inactive(what: string, wh: Warehouse = this.wh): Promise<never> {
    const res = rowsOf<{ status: string }>(await wh.query(`SELECT status FROM ${this.t.runs} WHERE id = $1::text`, [this.id]));
    if (res.length === 0) throw new TrackingError(`${what}: run ${this.id} does not exist (deleted?).`);
    throw new TrackingError(`${what}: run ${this.id} (${this.name}) is ${res[0].status}, not RUNNING; reopen it with tracker.resumeRun("${this.id}") to log more.`);
  }

  /**
   * Logs one parameter. Parameters are immutable: logging the same key again with the same value
   * is a no-op, with a different value a {@link TrackingError}.
   * @example await run.logParam("C", 0.1);
   */
  async logParam(key: string, value: ParamValue): Promise<void> {
    await this.logParams({ [checkKey("logParam", key)]: value });
  }

  /**
   * Logs several parameters at once (all or none: a conflict with an earlier value logs nothing).
   * @example await run.logParams({ C: 1, penalty: "l2", fitIntercept: true });
   */
  async logParams(params: Record<string, ParamValue>): Promise<void> {
    this.checkOpen("logParams");
    if (params === null || typeof params !== "object") throw new InvalidArgumentError(`logParams: expected an object of key → value, got ${String(params)}.`);
    const entries = Object.entries(params).map(([k, v]) => [checkKey("logParams", k), paramText(k, v)] as const);
    if (entries.length === 0) return;
    await this.wh.transaction(async (tx) => {
      const run = rowsOf<{ status: string }>(await tx.query(`SELECT status FROM ${this.t.runs} WHERE id = $1::text FOR SHARE`, [this.id]));
      if (run.length === 0 || run[0].status !== "RUNNING") await this.inactive("logParams", tx);
      for (let i = 0; i < entries.length; i += BATCH) {
        const chunk = entries.slice(i, i + BATCH);
        const p = new SqlParams();
        const runId = p.add(this.id, "text");
        const values = chunk.map(([k, v]) => `(${runId}, ${p.add(k, "text")}, ${p.add(v, "text")})`).join(", ");
        await tx.exec(`INSERT INTO ${this.t.params} (run_id, key, value) VALUES ${values} ON CONFLICT (run_id, key) DO NOTHING`, p.values);
        const q = new SqlParams();
        const rid = q.add(this.id, "text");
        const stored = rowsOf<{ key: string; value: string }>(
          await tx.query(`SELECT key, value FROM ${this.t.params} WHERE run_id = ${rid} AND key IN (${placeholders(chunk.map(([k]) => k), q, "text")})`, q.values),
        );
        const have = new Map(stored.map((r) => [r.key, r.value]));
        const conflicts = chunk.filter(([k, v]) => have.get(k) !== v);
        if (conflicts.length) {
          const [k, v] = conflicts[0];
          throw new TrackingError(
            `logParams: param ${JSON.stringify(k)} of run ${this.id} was already logged as ${JSON.stringify(have.get(k))}; it cannot change to ${JSON.stringify(v)} (params are immutable: log a new run, or use a tag for values that change)${conflicts.length > 1 ? ` — ${conflicts.length - 1} more key(s) conflict too` : ""}. Nothing of this call was logged.`,
          );
        }
      }
    });
  }

  /**
   * Logs one metric value at a step; the history of every key is kept.
   * @example await run.logMetric("loss", 0.42, { step: 3 });
   */
  async logMetric(key: string, value: number, opts: LogMetricOptions = {}): Promise<void> {
    await this.logMetrics({ [checkKey("logMetric", key)]: metricValue(key, value, "logMetric") }, opts);
  }

  /**
   * Logs several metrics at one step and time, in one statement.
   * @example await run.logMetrics({ auc: 0.91, logLoss: 0.33 }, { step: 10 });
   */
  async logMetrics(metrics: Record<string, number>, opts: LogMetricOptions = {}): Promise<void> {
    this.checkOpen("logMetrics");
    if (metrics === null || typeof metrics !== "object") throw new InvalidArgumentError(`logMetrics: expected an object of key → number, got ${String(metrics)}.`);
    const step = stepOf(opts.step, "logMetrics");
    const ts = timeOf(opts.timestamp, "logMetrics");
    const entries = Object.entries(metrics)
      .map(([k, v]) => [checkKey("logMetrics", k), metricValue(k, v, "logMetrics")] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (entries.length === 0) return;
    const write = async (wh: Warehouse) => {
      for (let i = 0; i < entries.length; i += BATCH) {
        const chunk = entries.slice(i, i + BATCH);
        const p = new SqlParams();
        const runId = p.add(this.id, "text");
        const stepP = p.add(step, "bigint");
        const tsP = `${p.add(ts, "text")}::timestamptz`;
        const values = chunk.map(([k, v]) => `(${p.add(k, "text")}, ${p.add(v, "float8")})`).join(", ");
        // One statement: history row and latest value together, only while the run is RUNNING.
        // The latest value moves forward only (step, then timestamp, then value, as MLflow orders).
        const res = await wh.query(
          `WITH v(key, value) AS (VALUES ${values}),
           ins AS (
             INSERT INTO ${this.t.metrics} (run_id, key, value, step, ts)
             SELECT ${runId}, v.key, v.value, ${stepP}, ${tsP} FROM v
              WHERE EXISTS (SELECT 1 FROM ${this.t.runs} WHERE id = ${runId} AND status = 'RUNNING')
             RETURNING key, value, step, ts),
           up AS (
             INSERT INTO ${this.t.latestMetrics} AS l (run_id, key, value, step, ts)
             SELECT ${runId}, key, value, step, ts FROM ins ORDER BY key
             ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, step = EXCLUDED.step, ts = EXCLUDED.ts
              WHERE (EXCLUDED.step, EXCLUDED.ts, EXCLUDED.value) > (l.step, l.ts, l.value)
             RETURNING 1)
           SELECT count(*)::int4 AS n FROM ins`,
          p.values,
        );
        if (Number(res.get(0)?.n) !== chunk.length) await this.inactive("logMetrics", wh);
      }
    };
    if (entries.length > BATCH) await this.wh.transaction(write);
    else await write(this.wh);
  }

  /**
   * Sets a tag (tags are mutable: a new value replaces the old). Works on ended runs too.
   * @example await run.setTag("team", "growth");
   */
  async setTag(key: string, value: string): Promise<void> {
    await this.tracker.setTags(this.id, { [checkKey("setTag", key)]: value });
  }

  /**
   * Sets several tags.
   * @example await run.setTags({ team: "growth", dataset: "june" });
   */
  async setTags(tags: Record<string, string>): Promise<void> {
    await this.tracker.setTags(this.id, tags);
  }

  /**
   * Stores a file, a folder (every file under `name/…`) or bytes as artifacts of the run, with
   * their SHA-256 and size. Artifacts are immutable: the same name with the same bytes is a no-op,
   * with other bytes a {@link TrackingError}. Returns what was stored.
   * @example
   * await run.logArtifact("report.html");                        // name "report.html"
   * await run.logArtifact(Buffer.from("a,b\n1,2\n"), "data/sample.csv");
   */
  async logArtifact(pathOrBytes: string | Uint8Array, name?: string): Promise<ArtifactInfo[]> {
    this.checkOpen("logArtifact");
    const files: { name: string; bytes: Uint8Array }[] = [];
    if (typeof pathOrBytes === "string") {
      let info;
      try {
        info = await stat(pathOrBytes);
      } catch (err) {
        throw new InvalidArgumentError(`logArtifact: cannot read ${JSON.stringify(pathOrBytes)}: ${(err as Error).message}; pass an existing file or folder, or bytes and a name.`);
      }
      const base = name ?? path.basename(path.resolve(pathOrBytes));
      if (info.isDirectory()) {
        for (const rel of await listFiles(pathOrBytes)) {
          files.push({ name: checkArtifactName(`${base}/${rel}`), bytes: await readFile(path.join(pathOrBytes, ...rel.split("/"))) });
        }
        if (files.length === 0) throw new InvalidArgumentError(`logArtifact: folder ${JSON.stringify(pathOrBytes)} holds no files.`);
      } else {
        files.push({ name: checkArtifactName(base), bytes: await readFile(pathOrBytes) });
      }
    } else if (pathOrBytes instanceof Uint8Array) {
      if (name === undefined) throw new InvalidArgumentError("logArtifact: bytes need a name, e.g. run.logArtifact(bytes, \"data/sample.csv\").");
      files.push({ name: checkArtifactName(name), bytes: pathOrBytes });
    } else {
      throw new InvalidArgumentError(`logArtifact: expected a file or folder path, or a Uint8Array with a name, got ${typeof pathOrBytes}.`);
    }
    return this.storeArtifacts(files);
  }

  /** Inserts artifacts in one transaction. */
  private async storeArtifacts(files: readonly { name: string; bytes: Uint8Array }[]): Promise<ArtifactInfo[]> {
    return this.wh.transaction((tx) => this.storeArtifactsIn(tx, files));
  }

  /** Inserts artifacts inside the caller's transaction (all or none with it). */
  private async storeArtifactsIn(tx: Warehouse, files: readonly { name: string; bytes: Uint8Array }[]): Promise<ArtifactInfo[]> {
    {
      const run = rowsOf<{ status: string }>(await tx.query(`SELECT status FROM ${this.t.runs} WHERE id = $1::text FOR SHARE`, [this.id]));
      if (run.length === 0 || run[0].status !== "RUNNING") await this.inactive("logArtifact", tx);
      const out: ArtifactInfo[] = [];
      for (const f of files) {
        const digest = sha256(f.bytes);
        const bytes = Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
        await tx.exec(
          `INSERT INTO ${this.t.artifacts} (run_id, name, sha256, size, bytes) VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bytea) ON CONFLICT (run_id, name) DO NOTHING`,
          [this.id, f.name, digest, f.bytes.byteLength, bytes],
        );
        const stored = rowsOf<{ sha256: string; size: number; created: Date }>(
          await tx.query(`SELECT sha256, size, created FROM ${this.t.artifacts} WHERE run_id = $1::text AND name = $2::text`, [this.id, f.name]),
        );
        if (stored[0].sha256 !== digest) {
          throw new TrackingError(
            `logArtifact: artifact ${JSON.stringify(f.name)} of run ${this.id} already holds other bytes (sha256 ${stored[0].sha256}, new ${digest}); artifacts are immutable, log it under another name.`,
          );
        }
        out.push({ name: f.name, sha256: digest, size: Number(stored[0].size), created: stored[0].created });
      }
      return out;
    }
  }

  /**
   * Records a dataset: row count, Arrow schema and content digest (`trainingDataDigest` of
   * @trellis/prod, the digest model lineage records); for a
   * feature-store request (`{ store, request }`, run here) or a FeatureFrame with its `features`,
   * also the feature views and versions it read. Returns the record and the table.
   * @example
   * const train = await run.logDataset("train", { store, request: { entityRows, features: stats.select("orders_30d") } });
   * train.table.numRows; train.features; // [{ view: "customer_stats", version: 1, features: ["orders_30d"] }]
   */
  async logDataset(name: string, source: DatasetSource, opts: LogDatasetOptions = {}): Promise<LoggedDataset> {
    this.checkOpen("logDataset");
    checkKey("logDataset", name);
    let table: arrow.Table;
    let features: DatasetFeatures[] | null = null;
    if (source instanceof arrow.Table) {
      table = source;
      if (opts.features) features = featureProvenance(opts.features, opts.store);
    } else if (source instanceof FeatureFrame) {
      table = source.table;
      if (opts.features) features = featureProvenance(opts.features, opts.store);
    } else if (source && typeof source === "object" && "store" in source && "request" in source) {
      const { store, request } = source;
      features = featureProvenance(request.features, store);
      table = (await store.getHistoricalFeatures(request as Parameters<FeatureStore["getHistoricalFeatures"]>[0])).table;
    } else {
      throw new InvalidArgumentError("logDataset: expected an Arrow table, a FeatureFrame, or { store, request } (a historical feature request).");
    }
    const digest = trainingDataDigest(table);
    const info: DatasetInfo = { name, rows: table.numRows, schema: schemaInfo(table.schema), digest: digest.digest, digestMethod: digest.method, features };
    const res = await this.wh.query(
      `INSERT INTO ${this.t.datasets} (run_id, name, rows, schema, digest, digest_method, features)
       SELECT $1::text, $2::text, $3::bigint, $4::text::jsonb, $5::text, $7::text, $6::text::jsonb
        WHERE EXISTS (SELECT 1 FROM ${this.t.runs} WHERE id = $1::text AND status = 'RUNNING')
       ON CONFLICT (run_id, name) DO NOTHING
       RETURNING 1 AS ok`,
      [this.id, name, info.rows, JSON.stringify(info.schema), info.digest, features === null ? null : JSON.stringify(features), info.digestMethod],
    );
    if (res.numRows === 0) {
      const stored = rowsOf<{ digest: string }>(await this.wh.query(`SELECT digest FROM ${this.t.datasets} WHERE run_id = $1::text AND name = $2::text`, [this.id, name]));
      if (stored.length === 0) await this.inactive("logDataset");
      if (stored[0].digest !== info.digest) {
        throw new TrackingError(
          `logDataset: dataset ${JSON.stringify(name)} of run ${this.id} was already logged with digest ${stored[0].digest}; this one has ${info.digest}. Log it under another name.`,
        );
      }
    }
    return { ...info, table };
  }

  /**
   * Logs a model as a @trellis/prod artifact: the files `saveModel` writes (`model.json`,
   * `manifest.json`, `manifest.sha256`, `reference.json` when `reference` is given) are stored as
   * artifacts under `path/…` (default `model/`), with this run's id, the training-rows digest, the
   * feature views and the git commit in the manifest's lineage. The model's digest is recorded, so
   * a registry version (which stores the run id) and this run point at each other.
   * @example
   * const { digest } = await run.logModel(pipe, { inputSchema: Row, name: "churn", reference: trainRows, trainingRows: trainRows });
   * const again = await tracker.loadModel(run.id); // verified, same predictions
   */
  async logModel(model: BaseEstimator, opts: LogModelOptions): Promise<LoggedModelInfo & { artifacts: ArtifactInfo[] }> {
    this.checkOpen("logModel");
    if (!opts || typeof opts !== "object") throw new InvalidArgumentError("logModel: pass options with at least { inputSchema }.");
    const { path: where = "model", trainingRows, featureViews, ...save } = opts;
    const prefix = checkArtifactName(where);
    const git = this.tracker.captureGit ? { cwd: this.tracker.cwd } : false;
    const packed = await packModel(model, { ...save, lineage: { runId: this.id, trainingRows, featureViews, git } }, "logModel");
    const files = [...packed.files.entries()].map(([name, bytes]) => ({ name: `${prefix}/${name}`, bytes }));
    const estimator = packed.manifest.estimator.className;
    return this.wh.transaction(async (tx) => {
      const artifacts = await this.storeArtifactsIn(tx, files);
      const inserted = await tx.query(
        `INSERT INTO ${this.t.models} (run_id, path, digest, name, estimator) VALUES ($1::text, $2::text, $3::text, $4::text, $5::text)
         ON CONFLICT (run_id, path) DO NOTHING RETURNING created`,
        [this.id, prefix, packed.digest, packed.manifest.name, estimator],
      );
      if (inserted.numRows === 0) {
        throw new TrackingError(`logModel: run ${this.id} already has a model under ${JSON.stringify(prefix)}; pass another { path }.`);
      }
      const created = rowsOf<{ created: Date }>(inserted)[0].created;
      return { path: prefix, digest: packed.digest, name: packed.manifest.name, estimator, created, artifacts };
    });
  }

  /**
   * Ends the run: FINISHED by default, or FAILED / KILLED (with an error text for FAILED).
   * @example await run.end();  await run.end("KILLED");
   */
  async end(status: Exclude<RunStatus, "RUNNING"> = "FINISHED", error?: string): Promise<void> {
    if (!["FINISHED", "FAILED", "KILLED"].includes(status)) {
      throw new InvalidArgumentError(`end: status must be "FINISHED", "FAILED" or "KILLED", got ${JSON.stringify(status)}.`);
    }
    this.checkOpen("end");
    const n = await this.wh.exec(
      `UPDATE ${this.t.runs} SET status = $2::text, end_time = $3::text::timestamptz, error = $4::text WHERE id = $1::text AND status = 'RUNNING'`,
      [this.id, status, new Date().toISOString(), error ?? null],
    );
    this.ended = true;
    if (n === 0) await this.inactive("end");
  }

  /** Whether {@link end} was called on this handle. */
  get isEnded(): boolean {
    return this.ended;
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

const RUN_COLUMNS = `r.id, r.experiment_id, e.name AS experiment, r.name, r.status, r.start_time, r.end_time, r.parent_run_id, r.error,
  r.git_commit, r.git_dirty, r.node_version, r.trellis_versions::text AS trellis_versions`;

/**
 * Experiment tracking in a warehouse (embedded PGlite or a PostgreSQL server), after MLflow
 * tracking. Open it on a warehouse or a URL; its tables are created on first use.
 * @example
 * const tracker = await Tracker.open("embedded:.trellis/warehouse");
 * await tracker.run({ experiment: "churn", name: "baseline" }, async (run) => {
 *   await run.logParams({ C: 1 });
 *   await run.logMetric("auc", 0.91);
 * });
 * const best = await tracker.searchRuns({ experiment: "churn", filter: "metrics.auc > 0.8", orderBy: ["metrics.auc DESC"], limit: 5 });
 * await tracker.close();
 */
export class Tracker {
  /** @internal */
  readonly tables: TrackingTables;
  /** Whether runs record the git state of {@link cwd}. */
  get captureGit(): boolean {
    return this.options.git;
  }
  /** The folder whose git state runs record. */
  get cwd(): string {
    return this.options.cwd;
  }
  private constructor(
    /** The warehouse holding the tracking tables. */
    readonly warehouse: Warehouse,
    /** The schema of the tracking tables. */
    readonly schema: string,
    tables: TrackingTables,
    private readonly ownsWarehouse: boolean,
    private readonly options: { git: boolean; cwd: string },
  ) {
    this.tables = tables;
  }

  /**
   * Opens a tracker on a {@link Warehouse} (left open on close) or a URL (`embedded:<folder>`,
   * `embedded:memory`, `postgres://…`; closed on close) and creates the tracking tables if missing.
   * @example
   * const tracker = await Tracker.open(process.env.DATABASE_URL ?? "embedded:.trellis/warehouse");
   */
  static async open(warehouseOrUrl: Warehouse | string, opts: TrackerOpenOptions = {}): Promise<Tracker> {
    const schema = opts.schema ?? DEFAULT_TRACKING_SCHEMA;
    let wh: Warehouse;
    let owns = false;
    if (typeof warehouseOrUrl === "string") {
      wh = await Warehouse.open(warehouseOrUrl);
      owns = true;
    } else if (warehouseOrUrl && typeof warehouseOrUrl === "object" && typeof warehouseOrUrl.query === "function" && typeof warehouseOrUrl.transaction === "function") {
      wh = warehouseOrUrl;
    } else {
      throw new InvalidArgumentError(`Tracker.open: expected a Warehouse or a URL ("embedded:memory", "embedded:<folder>", "postgres://…"), got ${typeof warehouseOrUrl}.`);
    }
    try {
      const tables = await ensureTrackingSchema(wh, schema);
      return new Tracker(wh, schema, tables, owns, { git: opts.git ?? true, cwd: opts.cwd ?? process.cwd() });
    } catch (err) {
      if (owns) await wh.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Starts a run (status RUNNING), recording start time, git commit and dirty flag, Node and
   * @trellis versions. End it with {@link ActiveRun.end}; prefer {@link run} outside notebooks.
   * @example
   * const run = await tracker.startRun({ experiment: "churn", name: "notebook" });
   * await run.logMetric("auc", 0.9);
   * await run.end();
   */
  async startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
    const experiment = opts.experiment ?? "Default";
    checkKey("startRun: experiment", experiment);
    const id = randomUUID().replace(/-/g, "");
    const name = opts.name ?? `run-${id.slice(0, 8)}`;
    if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`startRun: name must be a non-empty string, got ${JSON.stringify(name)}.`);
    const parent = opts.parentRunId ?? null;
    if (parent !== null) checkRunId(parent, "startRun: parentRunId");
    const tags = opts.tags ?? {};
    for (const [k, v] of Object.entries(tags)) {
      checkKey("startRun: tags", k);
      if (typeof v !== "string") throw new InvalidArgumentError(`startRun: tag ${JSON.stringify(k)} must be a string, got ${typeof v}.`);
    }
    const env = captureEnvironment(this.options);
    const t = this.tables;
    await this.warehouse.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${t.experiments} (name) VALUES ($1::text) ON CONFLICT (name) DO NOTHING`, [experiment]);
      if (parent !== null) {
        const found = await tx.query(`SELECT 1 AS ok FROM ${t.runs} WHERE id = $1::text`, [parent]);
        if (found.numRows === 0) throw new TrackingError(`startRun: parent run ${JSON.stringify(parent)} does not exist; pass the id of an existing run.`);
      }
      await tx.exec(
        `INSERT INTO ${t.runs} (id, experiment_id, name, status, start_time, parent_run_id, git_commit, git_dirty, node_version, trellis_versions)
         SELECT $1::text, e.id, $3::text, 'RUNNING', $4::text::timestamptz, $5::text, $6::text, $7::boolean, $8::text, $9::text::jsonb
           FROM ${t.experiments} e WHERE e.name = $2::text`,
        [id, experiment, name, new Date().toISOString(), parent, env.gitCommit, env.gitDirty, env.nodeVersion, JSON.stringify(env.trellisVersions)],
      );
      await writeTags(tx, t, id, tags);
    });
    return new ActiveRun(this, id, experiment, name, parent);
  }

  /**
   * Runs `fn` inside a new run: FINISHED when it resolves, FAILED with the error's text when it
   * throws (the error is rethrown). Returns what `fn` returns.
   * @example
   * const auc = await tracker.run({ experiment: "churn", tags: { team: "growth" } }, async (run) => {
   *   await run.logParams(model.getParams());
   *   return 0.91;
   * });
   */
  async run<T>(opts: StartRunOptions, fn: (run: ActiveRun) => Promise<T>): Promise<T> {
    if (typeof fn !== "function") throw new InvalidArgumentError("tracker.run: expected a function (run) => Promise<T> as the second argument.");
    const run = await this.startRun(opts);
    let result: T;
    try {
      result = await fn(run);
    } catch (err) {
      if (!run.isEnded) await run.end("FAILED", errorText(err)).catch(() => undefined);
      throw err;
    }
    if (!run.isEnded) await run.end("FINISHED");
    return result;
  }

  /**
   * A handle to log more to an existing run (from another process, or after it ended): the run is
   * set back to RUNNING (as MLflow's `start_run(run_id=…)`).
   * @example
   * const run = await tracker.resumeRun(runId);
   * await run.logMetric("late_auc", 0.9);
   * await run.end();
   */
  async resumeRun(runId: string): Promise<ActiveRun> {
    checkRunId(runId, "resumeRun");
    const t = this.tables;
    const rows = rowsOf<Row>(
      await this.warehouse.query(
        `WITH u AS (UPDATE ${t.runs} SET status = 'RUNNING', end_time = NULL, error = NULL WHERE id = $1::text RETURNING id, experiment_id, name, parent_run_id)
         SELECT u.id, e.name AS experiment, u.name, u.parent_run_id FROM u JOIN ${t.experiments} e ON e.id = u.experiment_id`,
        [runId],
      ),
    );
    if (rows.length === 0) throw new TrackingError(`resumeRun: run ${JSON.stringify(runId)} does not exist.`);
    const r = rows[0];
    return new ActiveRun(this, String(r.id), String(r.experiment), String(r.name), (r.parent_run_id as string | null) ?? null);
  }

  /**
   * Sets tags on a run (running or ended).
   * @example await tracker.setTags(runId, { reviewed: "yes" });
   */
  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    checkRunId(runId, "setTags");
    if (tags === null || typeof tags !== "object") throw new InvalidArgumentError(`setTags: expected an object of key → string, got ${String(tags)}.`);
    for (const [k, v] of Object.entries(tags)) {
      checkKey("setTag", k);
      if (typeof v !== "string") throw new InvalidArgumentError(`setTag: value of ${JSON.stringify(k)} must be a string, got ${typeof v}.`);
    }
    await this.warehouse.transaction(async (tx) => {
      const found = await tx.query(`SELECT 1 AS ok FROM ${this.tables.runs} WHERE id = $1::text`, [runId]);
      if (found.numRows === 0) throw new TrackingError(`setTag: run ${JSON.stringify(runId)} does not exist.`);
      await writeTags(tx, this.tables, runId, tags);
    });
  }

  /**
   * Everything logged to a run: info, params, latest metrics, tags, artifacts (without bytes) and datasets.
   * @example
   * const r = await tracker.getRun(runId);
   * r.info.status; r.params.C; r.metrics.auc; r.tags.team;
   */
  async getRun(runId: string): Promise<RunRecord> {
    checkRunId(runId, "getRun");
    const summaries = await this.summaries([runId]);
    const summary = summaries.get(runId);
    if (!summary) throw new TrackingError(`getRun: run ${JSON.stringify(runId)} does not exist.`);
    const t = this.tables;
    const latest = rowsOf<{ key: string; value: number; step: number; ts: Date }>(
      await this.warehouse.query(`SELECT key, value, step, ts FROM ${t.latestMetrics} WHERE run_id = $1::text ORDER BY key`, [runId]),
    );
    const artifacts = rowsOf<{ name: string; sha256: string; size: number; created: Date }>(
      await this.warehouse.query(`SELECT name, sha256, size, created FROM ${t.artifacts} WHERE run_id = $1::text ORDER BY name`, [runId]),
    );
    const datasets = rowsOf<{ name: string; rows: number; schema: string; digest: string; digest_method: string; features: string | null }>(
      await this.warehouse.query(`SELECT name, rows, schema::text AS schema, digest, digest_method, features::text AS features FROM ${t.datasets} WHERE run_id = $1::text ORDER BY name`, [runId]),
    );
    const models = rowsOf<LoggedModelInfo>(
      await this.warehouse.query(`SELECT path, digest, name, estimator, created FROM ${t.models} WHERE run_id = $1::text ORDER BY path`, [runId]),
    );
    return {
      ...summary,
      models,
      latestMetrics: Object.fromEntries(latest.map((m) => [m.key, { key: m.key, value: m.value, step: m.step, timestamp: m.ts }])),
      artifacts: artifacts.map((a) => ({ name: a.name, sha256: a.sha256, size: a.size, created: a.created })),
      datasets: datasets.map((d) => ({
        name: d.name,
        rows: d.rows,
        schema: JSON.parse(d.schema) as SchemaFieldInfo[],
        digest: d.digest,
        digestMethod: d.digest_method,
        features: d.features === null ? null : (JSON.parse(d.features) as DatasetFeatures[]),
      })),
    };
  }

  /** Info, params, latest metrics and tags of the given runs, in bulk. */
  private async summaries(ids: readonly string[]): Promise<Map<string, RunSummary>> {
    const out = new Map<string, RunSummary>();
    const t = this.tables;
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH);
      const list = (p: SqlParams) => placeholders(chunk, p, "text");
      const p1 = new SqlParams();
      const runs = rowsOf<Row>(
        await this.warehouse.query(`SELECT ${RUN_COLUMNS} FROM ${t.runs} r JOIN ${t.experiments} e ON e.id = r.experiment_id WHERE r.id IN (${list(p1)})`, p1.values),
      );
      for (const r of runs) out.set(String(r.id), { info: runInfoOf(r), params: {}, metrics: {}, tags: {} });
      const fill = async (table: string, target: "params" | "metrics" | "tags") => {
        const p = new SqlParams();
        const rows = rowsOf<{ run_id: string; key: string; value: string | number }>(
          await this.warehouse.query(`SELECT run_id, key, value FROM ${table} WHERE run_id IN (${list(p)}) ORDER BY run_id, key`, p.values),
        );
        for (const r of rows) {
          const s = out.get(r.run_id);
          if (s) (s[target] as Record<string, string | number>)[r.key] = r.value;
        }
      };
      await fill(t.params, "params");
      await fill(t.latestMetrics, "metrics");
      await fill(t.tags, "tags");
    }
    return out;
  }

  /**
   * Every value logged for a metric of a run, by step then time.
   * @example
   * (await tracker.getMetricHistory(runId, "loss")).map((p) => [p.step, p.value]);
   */
  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    checkRunId(runId, "getMetricHistory");
    checkKey("getMetricHistory", key);
    const rows = rowsOf<{ key: string; value: number; step: number; ts: Date }>(
      await this.warehouse.query(`SELECT key, value, step, ts FROM ${this.tables.metrics} WHERE run_id = $1::text AND key = $2::text ORDER BY step, ts, id`, [runId, key]),
    );
    return rows.map((r) => ({ key: r.key, value: r.value, step: r.step, timestamp: r.ts }));
  }

  /**
   * The experiments, by name, with their run counts.
   * @example (await tracker.listExperiments()).map((e) => `${e.name}: ${e.runs}`);
   */
  async listExperiments(): Promise<ExperimentInfo[]> {
    const t = this.tables;
    const rows = rowsOf<{ id: number; name: string; created: Date; runs: number }>(
      await this.warehouse.query(
        `SELECT e.id, e.name, e.created, (SELECT count(*) FROM ${t.runs} r WHERE r.experiment_id = e.id)::int8 AS runs FROM ${t.experiments} e ORDER BY e.name`,
      ),
    );
    return rows.map((r) => ({ id: r.id, name: r.name, created: r.created, runs: r.runs }));
  }

  /**
   * Finds runs with MLflow's filter syntax (an AND of comparisons on `metrics.`, `params.`,
   * `tags.` and `attributes.`; metrics compare on their latest value) and ordering. The filter is
   * parsed here and rendered with every key and value as a bound parameter. Newest first unless
   * `orderBy` says otherwise.
   * @example
   * await tracker.searchRuns({ experiment: "churn", filter: "metrics.auc > 0.8 and params.C = '1'", orderBy: ["metrics.auc DESC"], limit: 10 });
   */
  async searchRuns(opts: SearchRunsOptions = {}): Promise<RunSummary[]> {
    const t = this.tables;
    const comparisons = parseSearchFilter(opts.filter ?? "");
    if (opts.orderBy !== undefined && !Array.isArray(opts.orderBy)) {
      throw new InvalidArgumentError(`searchRuns: orderBy must be an array such as ["metrics.auc DESC"], got ${typeof opts.orderBy}.`);
    }
    const orders = (opts.orderBy ?? []).map(parseSearchOrder);
    const limit = opts.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`searchRuns: limit must be a positive integer, got ${String(opts.limit)}.`);
    const p = new SqlParams();
    const where: string[] = [];
    const names = [...(opts.experiment !== undefined ? [opts.experiment] : []), ...(opts.experiments ?? [])];
    if (names.length) {
      names.forEach((n) => checkKey("searchRuns: experiment", n));
      const q = new SqlParams();
      const found = rowsOf<{ name: string }>(await this.warehouse.query(`SELECT name FROM ${t.experiments} WHERE name IN (${placeholders(names, q, "text")})`, q.values));
      const unknown = names.filter((n) => !found.some((f) => f.name === n));
      if (unknown.length) {
        const known = rowsOf<{ name: string }>(await this.warehouse.query(`SELECT name FROM ${t.experiments} ORDER BY name LIMIT 50`)).map((r) => r.name);
        throw new TrackingError(`searchRuns: unknown experiment(s) ${unknown.map((n) => JSON.stringify(n)).join(", ")}; experiments are ${known.map((n) => JSON.stringify(n)).join(", ") || "(none yet)"}.`);
      }
      where.push(`e.name IN (${placeholders(names, p, "text")})`);
    }
    if (opts.status !== undefined) {
      const statuses = typeof opts.status === "string" ? [opts.status] : [...opts.status];
      const bad = statuses.find((s) => !STATUSES.includes(s));
      if (bad !== undefined || statuses.length === 0) {
        throw new InvalidArgumentError(`searchRuns: status must be one or more of ${STATUSES.join(", ")}, got ${JSON.stringify(opts.status)}.`);
      }
      where.push(`r.status IN (${placeholders(statuses, p, "text")})`);
    }
    where.push(renderFilterSql(comparisons, t, p));
    const orderSql = [...renderOrderSql(orders, t, p), "r.start_time DESC", "r.id"];
    const sql = `SELECT r.id FROM ${t.runs} r JOIN ${t.experiments} e ON e.id = r.experiment_id WHERE ${where.join(" AND ")} ORDER BY ${orderSql.join(", ")} LIMIT ${p.add(limit, "bigint")}`;
    const ids = rowsOf<{ id: string }>(await this.warehouse.query(sql, p.values)).map((r) => r.id);
    const summaries = await this.summaries(ids);
    return ids.map((id) => summaries.get(id)).filter((s): s is RunSummary => s !== undefined);
  }

  /**
   * Compares runs side by side: a report with an Arrow table (attributes, params and latest metrics
   * as rows, one column per run), `toString()`, `toHTML()` and an SVG chart of a metric by step
   * (`metric`, default: the first metric logged at more than one step).
   * @example
   * const cmp = await tracker.compareRuns([runA, runB], { metric: "loss" });
   * console.log(cmp.toString());
   */
  async compareRuns(runIds: readonly string[], opts: { metric?: string } = {}): Promise<RunComparison> {
    if (!Array.isArray(runIds) || runIds.length === 0) throw new InvalidArgumentError("compareRuns: expected a non-empty array of run ids.");
    const ids = runIds.map((id) => checkRunId(id, "compareRuns"));
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) throw new InvalidArgumentError(`compareRuns: run ${JSON.stringify(dup)} is listed twice.`);
    const runs: RunRecord[] = [];
    for (const id of ids) runs.push(await this.getRun(id));
    const p = new SqlParams();
    const rows = rowsOf<{ run_id: string; key: string; value: number; step: number; ts: Date }>(
      await this.warehouse.query(
        `SELECT run_id, key, value, step, ts FROM ${this.tables.metrics} WHERE run_id IN (${placeholders(ids, p, "text")}) ORDER BY key, run_id, step, ts, id`,
        p.values,
      ),
    );
    const all = new Map<string, Map<string, MetricPoint[]>>();
    for (const r of rows) {
      let byRun = all.get(r.key);
      if (!byRun) all.set(r.key, (byRun = new Map()));
      let points = byRun.get(r.run_id);
      if (!points) byRun.set(r.run_id, (points = []));
      points.push({ key: r.key, value: r.value, step: r.step, timestamp: r.ts });
    }
    if (opts.metric !== undefined && !all.has(opts.metric)) {
      throw new TrackingError(`compareRuns: none of the runs logged metric ${JSON.stringify(opts.metric)}; they logged ${[...all.keys()].map((k) => JSON.stringify(k)).join(", ") || "no metrics"}.`);
    }
    const stepped = [...all.entries()].filter(([, byRun]) => [...byRun.values()].some((pts) => pts.length > 1)).map(([k]) => k);
    const chartMetric = opts.metric ?? stepped[0] ?? [...all.keys()][0] ?? null;
    const histories = new Map([...all.entries()].filter(([k]) => stepped.includes(k) || k === chartMetric));
    return new RunComparison(runs, histories, chartMetric);
  }

  /**
   * Loads a model logged with {@link ActiveRun.logModel}: every file is verified against its stored
   * hash, then against the artifact's manifest (`loadModelFromFiles` of @trellis/prod, which also
   * checks the recorded digest and the library version).
   * @example
   * const { model, digest } = await tracker.loadModel(runId);
   * model.predictProba(rows);
   */
  async loadModel(runId: string, opts: LoadModelOptions & { path?: string } = {}): Promise<LoadedModel> {
    checkRunId(runId, "loadModel");
    const { path: where = "model", ...load } = opts;
    const prefix = checkArtifactName(where);
    const rows = rowsOf<{ digest: string }>(
      await this.warehouse.query(`SELECT digest FROM ${this.tables.models} WHERE run_id = $1::text AND path = $2::text`, [runId, prefix]),
    );
    if (rows.length === 0) throw new TrackingError(`loadModel: run ${JSON.stringify(runId)} has no model under ${JSON.stringify(prefix)}; log one with run.logModel().`);
    const files = new Map<string, Uint8Array>();
    for (const a of await this.listArtifacts(runId, prefix)) files.set(a.name.slice(prefix.length + 1), await this.getArtifact(runId, a.name));
    return loadModelFromFiles(files, { expectedDigest: rows[0].digest, ...load });
  }

  /**
   * The runs that logged a model with this digest (e.g. the digest of a registry version or of a
   * scoring output), oldest first.
   * @example const [runId] = await tracker.runsForModel(version.digest);
   */
  async runsForModel(digest: string): Promise<string[]> {
    if (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest)) {
      throw new InvalidArgumentError(`runsForModel: expected a model digest (64 hex digits), got ${JSON.stringify(digest)}.`);
    }
    const rows = rowsOf<{ run_id: string }>(
      await this.warehouse.query(`SELECT run_id FROM ${this.tables.models} WHERE digest = $1::text ORDER BY created, run_id`, [digest]),
    );
    return rows.map((r) => r.run_id);
  }

  /**
   * An artifact's bytes, verified against the stored SHA-256 and size (a mismatch throws
   * {@link ArtifactIntegrityError}).
   * @example const bytes = await tracker.getArtifact(runId, "model/model.json");
   */
  async getArtifact(runId: string, name: string): Promise<Uint8Array> {
    checkRunId(runId, "getArtifact");
    checkArtifactName(name);
    const rows = rowsOf<{ sha256: string; size: number; bytes: Uint8Array }>(
      await this.warehouse.query(`SELECT sha256, size, bytes FROM ${this.tables.artifacts} WHERE run_id = $1::text AND name = $2::text`, [runId, name]),
    );
    if (rows.length === 0) {
      const names = (await this.listArtifacts(runId)).map((a) => a.name);
      throw new TrackingError(`getArtifact: run ${JSON.stringify(runId)} has no artifact ${JSON.stringify(name)}; it has ${names.map((n) => JSON.stringify(n)).join(", ") || "none"}.`);
    }
    const { sha256: expected, size, bytes } = rows[0];
    const actual = sha256(bytes);
    if (bytes.byteLength !== size || actual !== expected) {
      throw new ArtifactIntegrityError(
        `artifact ${JSON.stringify(name)} of run ${runId} is corrupt: stored sha256 ${expected} (${size} bytes), the bytes hash to ${actual} (${bytes.byteLength} bytes).`,
      );
    }
    return bytes;
  }

  /**
   * The artifacts of a run (names, hashes, sizes), optionally under a folder prefix.
   * @example (await tracker.listArtifacts(runId, "model")).map((a) => a.name); // ["model/manifest.json", "model/model.json"]
   */
  async listArtifacts(runId: string, prefix?: string): Promise<ArtifactInfo[]> {
    checkRunId(runId, "listArtifacts");
    const rows = rowsOf<{ name: string; sha256: string; size: number; created: Date }>(
      await this.warehouse.query(`SELECT name, sha256, size, created FROM ${this.tables.artifacts} WHERE run_id = $1::text ORDER BY name`, [runId]),
    );
    const under = prefix === undefined ? rows : rows.filter((r) => r.name === prefix || r.name.startsWith(`${prefix.replace(/\/+$/, "")}/`));
    return under.map((r) => ({ name: r.name, sha256: r.sha256, size: r.size, created: r.created }));
  }

  /**
   * Writes a run's artifacts under `prefix` into `dir` (each verified first; paths below `prefix`
   * kept). Returns the files written.
   * @example await tracker.downloadArtifacts(runId, "model", "/tmp/model"); // then loadModel("/tmp/model")
   */
  async downloadArtifacts(runId: string, prefix: string, dir: string): Promise<string[]> {
    const { mkdir, writeFile } = await import("node:fs/promises");
    const base = prefix.replace(/\/+$/, "");
    const items = await this.listArtifacts(runId, base);
    if (items.length === 0) throw new TrackingError(`downloadArtifacts: run ${JSON.stringify(runId)} has no artifacts under ${JSON.stringify(prefix)}.`);
    const written: string[] = [];
    for (const a of items) {
      const rel = a.name === base ? path.basename(a.name) : a.name.slice(base.length + 1);
      const target = path.join(dir, ...rel.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, await this.getArtifact(runId, a.name));
      written.push(target);
    }
    return written;
  }

  /**
   * Closes the warehouse when the tracker opened it from a URL (a warehouse passed in stays open).
   * @example await tracker.close();
   */
  async close(): Promise<void> {
    if (this.ownsWarehouse) await this.warehouse.close();
  }
}

async function writeTags(wh: Warehouse, t: TrackingTables, runId: string, tags: Record<string, string>): Promise<void> {
  const entries = Object.entries(tags).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < entries.length; i += BATCH) {
    const chunk = entries.slice(i, i + BATCH);
    const p = new SqlParams();
    const rid = p.add(runId, "text");
    const values = chunk.map(([k, v]) => `(${rid}, ${p.add(k, "text")}, ${p.add(v, "text")})`).join(", ");
    await wh.exec(`INSERT INTO ${t.tags} (run_id, key, value) VALUES ${values} ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value`, p.values);
  }
}
