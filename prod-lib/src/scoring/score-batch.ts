/**
 * Batch scoring: a deployed model applied to any `move` source, written to any `move` destination,
 * batch by batch with bounded memory and atomically at the destination (a failure leaves it as it
 * was). Every run is recorded in the warehouse (`trellis_scoring.runs`): rows read, scored and
 * invalid, seconds, the model's name, version and digest, source, destination, status and error.
 */
import { randomUUID } from "node:crypto";
import * as arrow from "apache-arrow";
import {
  InvalidArgumentError,
  Warehouse,
  ensureOwnedSchema,
  move,
  quoteIdent,
  redactUrl,
  resolveEndpoint,
  type MoveEndpoint,
  type MoveOptions,
  type Warehouse as WarehouseType,
} from "@trellis/shared";
import type { Label } from "../base/labels";
import type { DeployedModel } from "../serve";

/** The schema of the scoring run records. */
export const SCORING_SCHEMA = "trellis_scoring";
const LAYOUT_VERSION = 1;
const LAYOUT = [
  `CREATE TABLE runs (
     id text PRIMARY KEY,
     started_at timestamptz NOT NULL,
     finished_at timestamptz,
     status text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
     model_name text,
     model_version integer,
     model_digest text NOT NULL,
     source text NOT NULL,
     destination text NOT NULL,
     rows_read bigint,
     rows_scored bigint,
     rows_invalid bigint,
     seconds double precision,
     error text
   )`,
  `CREATE INDEX runs_model ON runs (model_name, started_at)`,
];

/** Progress of a scoring run. */
export interface ScoreProgress {
  rowsRead: number;
  rowsScored: number;
  rowsInvalid: number;
  seconds: number;
}

/** A source `scoreBatch` reads: any `move` source, an Arrow table, or a frame with a `.table` (a feature-store training set). */
export type ScoreSource = MoveEndpoint | arrow.Table | { readonly table: arrow.Table };

/** Options of {@link scoreBatch}. */
export interface ScoreBatchOptions {
  /** The model (see `DeployedModel.load`). */
  model: DeployedModel;
  /** Where the rows come from. */
  from: ScoreSource;
  /** Where the scored rows go (any `move` destination). */
  to: MoveEndpoint;
  /** Columns of the input carried through to the output (keys, timestamps), in this order. */
  keep?: readonly string[];
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /** `"throw"` (default): the first invalid row fails the run. `"null"`: invalid rows get null scores and their reason in `scoring_error`. */
  onInvalid?: "throw" | "null";
  /** Called after every batch. */
  onProgress?: (p: ScoreProgress) => void;
  /** The warehouse that records the run (a URL or an open Warehouse); `false` records nothing. Default: the destination's warehouse, else the source's, else none. */
  runLog?: string | WarehouseType | false;
  /** The schema of the run records (default `trellis_scoring`). */
  runLogSchema?: string;
  /** Passed to `move`: Parquet partition columns, compression, warehouse load mode and key. */
  partitionBy?: MoveOptions["partitionBy"];
  compression?: MoveOptions["compression"];
  mode?: MoveOptions["mode"];
  key?: MoveOptions["key"];
  /** Rows of the input to score (pushed down like `move`'s filter). */
  filter?: MoveOptions["filter"];
}

/** What {@link scoreBatch} returns. */
export interface ScoreBatchResult {
  /** The run's id (its record's key). */
  runId: string;
  rowsRead: number;
  rowsScored: number;
  rowsInvalid: number;
  seconds: number;
  /** The columns written, in order. */
  columns: string[];
}

function describeEndpoint(e: ScoreSource): string {
  if (e instanceof arrow.Table) return `an Arrow table (${e.numRows} rows)`;
  if (typeof e === "object" && e !== null && "table" in e && (e as { table: unknown }).table instanceof arrow.Table) {
    return `a frame (${(e as { table: arrow.Table }).table.numRows} rows)`;
  }
  const r = resolveEndpoint(e as MoveEndpoint);
  switch (r.kind) {
    case "warehouse":
      return `${typeof r.warehouse === "string" ? redactUrl(r.warehouse) : r.warehouse.url}#${r.table}`;
    case "query":
      return `query on ${typeof r.warehouse === "string" ? redactUrl(r.warehouse) : r.warehouse.url}`;
    case "batches":
      return "in-memory record batches";
    default:
      return `${r.kind}:${r.path}`;
  }
}

function warehouseOf(e: ScoreSource): string | WarehouseType | undefined {
  if (e instanceof arrow.Table || (typeof e === "object" && e !== null && "table" in e && (e as { table: unknown }).table instanceof arrow.Table)) {
    return undefined;
  }
  const r = resolveEndpoint(e as MoveEndpoint);
  return r.kind === "warehouse" || r.kind === "query" ? r.warehouse : undefined;
}

/** The Arrow type of the `prediction` column: integers for integer class labels, text for strings, floats otherwise. */
function predictionType(classes: readonly Label[] | null): arrow.DataType {
  if (!classes) return new arrow.Float64();
  if (classes.every((c) => typeof c === "string")) return new arrow.Utf8();
  if (classes.every((c) => typeof c === "number" && Number.isInteger(c) && Math.abs(c) < 2 ** 31)) return new arrow.Int32();
  return new arrow.Float64();
}

/** A Utf8 vector holding `value` n times, built from one encoding of it. */
function repeatedUtf8(value: string, n: number): arrow.Vector {
  const bytes = new TextEncoder().encode(value);
  const data = new Uint8Array(bytes.length * n);
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    data.set(bytes, i * bytes.length);
    offsets[i + 1] = (i + 1) * bytes.length;
  }
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data }));
}

/** Column names of a model's scores: `prediction` and `proba_<class>` per class. */
export function scoreColumns(model: Pick<DeployedModel, "classes">): string[] {
  return ["prediction", ...(model.classes ?? []).map((c) => `proba_${String(c)}`)];
}

/**
 * Scores rows from `from` with `model` and writes them to `to` (see the module docs). The output
 * holds the `keep` columns, `prediction`, `proba_<class>` per class (classifiers), `model_name`,
 * `model_version`, `model_digest` and `scored_at` (one timestamp per run), and `scoring_error` with
 * `onInvalid: "null"`.
 * @example
 * const model = await DeployedModel.load("churn@production", { registry });
 * await scoreBatch({ model, from: "lake/features", to: "lake/scores", keep: ["customer_id"] });
 */
export async function scoreBatch(options: ScoreBatchOptions): Promise<ScoreBatchResult> {
  const { model, from, to } = options;
  if (!model || typeof (model as DeployedModel).predict !== "function" || typeof (model as DeployedModel).digest !== "string") {
    throw new InvalidArgumentError("scoreBatch: option model must be a DeployedModel (DeployedModel.load(dirOrRef)).");
  }
  const onInvalid = options.onInvalid ?? "throw";
  if (onInvalid !== "throw" && onInvalid !== "null") {
    throw new InvalidArgumentError(`scoreBatch: option onInvalid must be "throw" or "null", got ${JSON.stringify(onInvalid)}.`);
  }
  const keep = [...(options.keep ?? [])];
  const reserved = new Set([...scoreColumns(model), "model_name", "model_version", "model_digest", "scored_at", "scoring_error"]);
  const clash = keep.filter((k) => reserved.has(k));
  if (clash.length) {
    throw new InvalidArgumentError(`scoreBatch: keep names output column(s) ${clash.map((c) => JSON.stringify(c)).join(", ")}; rename them in the source first.`);
  }
  const source: MoveEndpoint =
    from instanceof arrow.Table
      ? { batches: from }
      : typeof from === "object" && from !== null && "table" in from && (from as { table: unknown }).table instanceof arrow.Table
        ? { batches: (from as { table: arrow.Table }).table }
        : (from as MoveEndpoint);
  const sourceText = describeEndpoint(from);
  const destinationText = describeEndpoint(to as ScoreSource);

  const logRef = options.runLog === false ? undefined : (options.runLog ?? warehouseOf(to as ScoreSource) ?? warehouseOf(from));
  const logSchema = options.runLogSchema ?? SCORING_SCHEMA;
  let log: WarehouseType | undefined;
  let ownsLog = false;
  const runId = randomUUID();
  const started = new Date();
  const t0 = performance.now();
  const counts = { rowsRead: 0, rowsScored: 0, rowsInvalid: 0 };
  const runs = `${quoteIdent(logSchema)}.runs`;

  if (logRef !== undefined) {
    log = typeof logRef === "string" ? await Warehouse.open(logRef) : logRef;
    ownsLog = typeof logRef === "string";
    await ensureOwnedSchema(log, { schema: logSchema, version: LAYOUT_VERSION, owner: "batch scoring of @trellis/prod", statements: LAYOUT });
    await log.exec(
      `INSERT INTO ${runs} (id, started_at, status, model_name, model_version, model_digest, source, destination) VALUES ($1, $2, 'RUNNING', $3, $4, $5, $6, $7)`,
      [runId, started, model.name, model.version, model.digest, sourceText, destinationText],
    );
  }

  const classes = model.classes;
  const predType = predictionType(classes);
  const scoredAt = BigInt(started.getTime()) * 1000n;
  // The identity columns hold one value per run: built once per batch length and shared by the
  // batches (Arrow data are immutable), instead of one string per row per batch.
  const constants = new Map<number, Record<string, arrow.Vector>>();
  const identity = (n: number): Record<string, arrow.Vector> => {
    let c = constants.get(n);
    if (!c) {
      c = {
        model_name: model.name === null ? arrow.vectorFromArray(new Array<null>(n).fill(null), new arrow.Utf8()) : repeatedUtf8(model.name, n),
        model_version:
          model.version === null
            ? arrow.vectorFromArray(new Array<null>(n).fill(null), new arrow.Int32())
            : arrow.makeVector(new Int32Array(n).fill(model.version)),
        model_digest: repeatedUtf8(model.digest, n),
        scored_at: arrow.makeVector({
          type: new arrow.TimestampMicrosecond("UTC"),
          length: n,
          nullCount: 0,
          data: new BigInt64Array(n).fill(scoredAt),
        } as never),
      };
      constants.set(n, c);
    }
    return c;
  };
  let columns: string[] = [];

  const transform = (batch: arrow.RecordBatch): arrow.RecordBatch => {
    const n = batch.numRows;
    const names = batch.schema.fields.map((f) => f.name);
    const missing = keep.filter((k) => !names.includes(k));
    if (missing.length) {
      throw new InvalidArgumentError(`scoreBatch: keep names column(s) ${missing.map((c) => JSON.stringify(c)).join(", ")} not in the source (columns: ${names.join(", ")}).`);
    }
    const table = new arrow.Table(batch);
    // Every invalid row of the batch keeps its reason (maxErrors = rows of the batch).
    const predictOptions = { onInvalid, maxErrors: Math.max(1, n) };
    const result = classes ? model.predictProba(table, predictOptions) : model.predict(table, predictOptions);
    counts.rowsRead += n;
    counts.rowsInvalid += result.invalidRows.length;
    counts.rowsScored += n - result.invalidRows.length;

    const out: Record<string, arrow.Vector> = {};
    for (const k of keep) out[k] = batch.getChild(k)!;
    out.prediction =
      arrow.DataType.isInt(predType) && result.invalidRows.length === 0
        ? arrow.makeVector(Int32Array.from(result.predictions as number[]))
        : arrow.vectorFromArray(result.predictions as unknown[], predType);
    if (classes && result.probabilities) {
      const m = result.probabilities;
      const invalid = new Set(result.invalidRows);
      for (let c = 0; c < classes.length; c++) {
        const col = new Float64Array(n);
        for (let i = 0; i < n; i++) col[i] = m.data[i * m.cols + c]!;
        out[`proba_${String(classes[c])}`] = invalid.size
          ? arrow.vectorFromArray(Array.from(col, (v, i) => (invalid.has(i) ? null : v)), new arrow.Float64())
          : arrow.makeVector(col);
      }
    }
    Object.assign(out, identity(n));
    if (onInvalid === "null") {
      const reasons = new Array<string | null>(n).fill(null);
      for (const e of result.errors) {
        reasons[e.row] = reasons[e.row] ? `${reasons[e.row]}; ${e.message}` : e.message;
      }
      for (const i of result.invalidRows) reasons[i] ??= "invalid row";
      out.scoring_error = arrow.vectorFromArray(reasons, new arrow.Utf8());
    }
    const scored = new arrow.Table(out);
    columns = scored.schema.fields.map((f) => f.name);
    options.onProgress?.({ ...counts, seconds: (performance.now() - t0) / 1000 });
    return scored.batches[0]!;
  };

  try {
    await move(source, to, {
      batchSize: options.batchSize,
      filter: options.filter,
      partitionBy: options.partitionBy,
      compression: options.compression,
      mode: options.mode,
      key: options.key,
      transform,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (log) {
      await log.exec(
        `UPDATE ${runs} SET status = 'SUCCEEDED', finished_at = $2, rows_read = $3, rows_scored = $4, rows_invalid = $5, seconds = $6 WHERE id = $1`,
        [runId, new Date(), counts.rowsRead, counts.rowsScored, counts.rowsInvalid, seconds],
      );
    }
    return { runId, ...counts, seconds, columns };
  } catch (err) {
    if (log) {
      const message = err instanceof Error ? err.message : String(err);
      await log
        .exec(
          `UPDATE ${runs} SET status = 'FAILED', finished_at = $2, rows_read = $3, rows_scored = $4, rows_invalid = $5, seconds = $6, error = $7 WHERE id = $1`,
          [runId, new Date(), counts.rowsRead, counts.rowsScored, counts.rowsInvalid, (performance.now() - t0) / 1000, message],
        )
        .catch(() => undefined);
    }
    throw err;
  } finally {
    if (log && ownsLog) await log.close().catch(() => undefined);
  }
}

/**
 * The recorded scoring runs, newest first.
 * @example (await scoringRuns(wh, { model: "churn" }))[0].status // "SUCCEEDED"
 */
export async function scoringRuns(
  warehouse: WarehouseType,
  options: { model?: string; limit?: number; schema?: string } = {},
): Promise<Record<string, unknown>[]> {
  const runs = `${quoteIdent(options.schema ?? SCORING_SCHEMA)}.runs`;
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`scoringRuns: limit must be a whole number ≥ 1, got ${String(limit)}.`);
  const t = await warehouse.query(
    `SELECT * FROM ${runs}${options.model ? " WHERE model_name = $2" : ""} ORDER BY started_at DESC, id LIMIT $1`,
    options.model ? [limit, options.model] : [limit],
  );
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const f of t.schema.fields) {
      const v: unknown = t.getChild(f.name)!.get(i);
      row[f.name] = typeof v === "bigint" ? Number(v) : v;
    }
    out.push(row);
  }
  return out;
}
