/**
 * The prediction log: rows a service scored, appended to a warehouse table in batches from a
 * bounded in-memory queue. A request only pushes onto the queue (never waits on the warehouse);
 * when the queue is full, rows are dropped and counted. This table is what drift monitoring reads.
 *
 * Layout (one row per served row), in `<schema>.<table>` (default `trellis_predictions.predictions`):
 * `request_id`, `model_name`, `model_version`, `model_digest`, `served_at` (timestamp, UTC),
 * `route` (`predict` or `infer`), `row_index` (the row's place in its request), then one column per
 * input field typed from the input schema (number/integer → float8, boolean → boolean, string/enum/
 * date → text), `prediction` (float8 for numeric labels and regressors, text otherwise), one
 * `proba_<class>` float8 column per class, and `status` (`ok`: only scored rows are logged; rows
 * refused by validation are counted in `/metrics` instead).
 */
import * as arrow from "apache-arrow";
import { InvalidArgumentError, Warehouse, ensureOwnedSchema, type Warehouse as WarehouseType } from "@trellis/shared";
import type { InputField } from "../artifact/input-schema";
import type { RowObject } from "../base/frame";
import type { Label } from "../base/labels";
import type { DeployedModel } from "./deployed-model";

/**
 * The owned schema the prediction log lives in by default.
 * @example await wh.query(`SELECT count(*) FROM ${PREDICTIONS_SCHEMA}.predictions`)
 */
export const PREDICTIONS_SCHEMA = "trellis_predictions";
const LAYOUT_VERSION = 1;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Options of the prediction log (`logPredictions` of `serve` / `modelHandler`). */
export interface LogPredictionsOptions {
  /** The warehouse: a URL (opened and closed by the service) or an open `Warehouse`. */
  warehouse: string | WarehouseType;
  /** Table name inside `schema` (default `"predictions"`). */
  table?: string;
  /** Owned schema holding the table (default `"trellis_predictions"`). */
  schema?: string;
  /** Share of served rows logged, 0..1 (default 1). */
  sampleRate?: number;
  /** Rows held in memory at most (default 10000); rows beyond are dropped and counted. */
  maxQueue?: number;
  /** Milliseconds between flushes (default 1000). */
  flushInterval?: number;
  /** Rows per warehouse load (default 1000); a full batch is flushed at once. */
  batchSize?: number;
}

interface Entry {
  model: LoggedModel;
  requestId: string;
  at: number;
  route: string;
  index: number;
  row: RowObject;
  prediction: Label | null;
  proba: readonly number[] | null;
}

/** A served model as the log sees it. */
export interface LoggedModel {
  name: string;
  version: string;
  model: DeployedModel;
}

function columnType(f: InputField): arrow.DataType {
  return f.type === "number" || f.type === "integer" ? new arrow.Float64() : f.type === "boolean" ? new arrow.Bool() : new arrow.Utf8();
}

/**
 * A prediction log bound to the served models (see the module comment for the table's layout).
 * Created by the service; `push` is synchronous and never throws for a full queue.
 * @example
 * const log = await PredictionLog.open({ warehouse: "embedded:./wh" }, [{ name: "churn", version: "3", model }], { dropped: (m, n) => {}, error: () => {} });
 */
export class PredictionLog {
  /** `schema.table` of the log. */
  readonly target: string;
  private queue: Entry[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly wh: WarehouseType,
    private readonly owned: boolean,
    target: string,
    private readonly fields: { name: string; type: arrow.DataType }[],
    private readonly predictionType: arrow.DataType,
    private readonly classes: string[],
    private readonly opts: Required<Omit<LogPredictionsOptions, "warehouse" | "table" | "schema">>,
    private readonly hooks: { dropped(model: string, n: number): void; error(message: string, fields: Record<string, unknown>): void },
  ) {
    this.target = target;
    this.timer = setInterval(() => void this.flush(), opts.flushInterval);
    this.timer.unref();
  }

  /**
   * Checks the options, opens the warehouse and its owned schema, and starts the flush timer.
   * @example const log = await PredictionLog.open({ warehouse: url, sampleRate: 0.1 }, models, hooks);
   */
  static async open(
    options: LogPredictionsOptions,
    models: readonly LoggedModel[],
    hooks: { dropped(model: string, n: number): void; error(message: string, fields: Record<string, unknown>): void },
  ): Promise<PredictionLog> {
    const where = "logPredictions";
    if (typeof options !== "object" || options === null || (typeof options.warehouse !== "string" && typeof options.warehouse !== "object")) {
      throw new InvalidArgumentError(`${where}: give { warehouse } (a warehouse URL such as "embedded:./warehouse" or an open Warehouse).`);
    }
    const table = options.table ?? "predictions";
    const schema = options.schema ?? PREDICTIONS_SCHEMA;
    for (const [k, v] of [["table", table], ["schema", schema]] as const) {
      if (!IDENT.test(v)) throw new InvalidArgumentError(`${where}: ${k} must be a plain SQL name (letters, digits, _; at most 63), got ${JSON.stringify(v)}.`);
    }
    const sampleRate = options.sampleRate ?? 1;
    if (!(sampleRate >= 0 && sampleRate <= 1)) throw new InvalidArgumentError(`${where}: sampleRate must be between 0 and 1, got ${String(sampleRate)}.`);
    const ints = { maxQueue: options.maxQueue ?? 10_000, flushInterval: options.flushInterval ?? 1_000, batchSize: options.batchSize ?? 1_000 };
    for (const [k, v] of Object.entries(ints)) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(`${where}: ${k} must be a positive whole number, got ${String(v)}.`);
    }
    // One table for every served model: the union of their input fields, one type per name.
    const reserved = new Set(["request_id", "model_name", "model_version", "model_digest", "served_at", "route", "row_index", "prediction", "status"]);
    const fields = new Map<string, { name: string; type: arrow.DataType; model: string }>();
    const classes: string[] = [];
    let numericLabels = true;
    for (const m of models) {
      for (const f of m.model.manifest.inputSchema.fields) {
        if (reserved.has(f.name) || f.name.startsWith("proba_")) {
          throw new InvalidArgumentError(`${where}: model ${JSON.stringify(m.name)} has an input field ${JSON.stringify(f.name)}, a name the prediction log uses itself; log to a model without it or rename the field.`);
        }
        const type = columnType(f);
        const seen = fields.get(f.name);
        if (seen && String(seen.type) !== String(type)) {
          throw new InvalidArgumentError(`${where}: field ${JSON.stringify(f.name)} is ${String(seen.type)} in model ${JSON.stringify(seen.model)} but ${String(type)} in ${JSON.stringify(m.name)}; serve them with separate logs.`);
        }
        if (!seen) fields.set(f.name, { name: f.name, type, model: m.name });
      }
      for (const c of m.model.classes ?? []) if (!classes.includes(String(c))) classes.push(String(c));
      if (m.model.classes && !m.model.classes.every((c) => typeof c === "number")) numericLabels = false;
    }
    const owned = typeof options.warehouse === "string";
    const wh = typeof options.warehouse === "string" ? await Warehouse.open(options.warehouse) : options.warehouse;
    try {
      await ensureOwnedSchema(wh, { schema, version: LAYOUT_VERSION, owner: "the prediction log of @trellis/prod", statements: [] });
    } catch (e) {
      if (owned) await wh.close().catch(() => undefined);
      throw e;
    }
    return new PredictionLog(
      wh,
      owned,
      `${schema}.${table}`,
      [...fields.values()].map(({ name, type }) => ({ name, type })),
      numericLabels ? new arrow.Float64() : new arrow.Utf8(),
      classes,
      { sampleRate, ...ints },
      hooks,
    );
  }

  /**
   * Queues served rows (sampled); rows past `maxQueue` are dropped and counted. Never waits.
   * @example log.push(model, requestId, "predict", rows, predictions, (i) => probabilities[i])
   */
  push(model: LoggedModel, requestId: string, route: string, rows: readonly RowObject[], predictions: readonly (Label | null)[], proba: (i: number) => readonly number[] | null): void {
    if (this.closed) return;
    const at = Date.now();
    const rate = this.opts.sampleRate;
    let dropped = 0;
    for (let i = 0; i < rows.length; i++) {
      if (predictions[i] === null) continue;
      if (rate < 1 && Math.random() >= rate) continue;
      if (this.queue.length >= this.opts.maxQueue) {
        dropped++;
        continue;
      }
      this.queue.push({ model, requestId, at, route, index: i, row: rows[i], prediction: predictions[i], proba: proba(i) });
    }
    if (dropped > 0) this.hooks.dropped(model.name, dropped);
    if (this.queue.length >= this.opts.batchSize && !this.flushing) setImmediate(() => void this.flush());
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  private table(entries: Entry[]): arrow.Table {
    const col = <T>(get: (e: Entry) => T, type: arrow.DataType) => arrow.vectorFromArray(entries.map(get) as unknown[], type);
    const cols: Record<string, arrow.Vector> = {
      request_id: col((e) => e.requestId, new arrow.Utf8()),
      model_name: col((e) => e.model.name, new arrow.Utf8()),
      model_version: col((e) => e.model.version, new arrow.Utf8()),
      model_digest: col((e) => e.model.model.digest, new arrow.Utf8()),
      served_at: col((e) => e.at, new arrow.TimestampMillisecond("UTC")),
      route: col((e) => e.route, new arrow.Utf8()),
      row_index: col((e) => e.index, new arrow.Int32()),
    };
    for (const f of this.fields) {
      const num = arrow.DataType.isFloat(f.type);
      const bool = arrow.DataType.isBool(f.type);
      cols[f.name] = col((e) => {
        const v = (e.row as Record<string, unknown>)[f.name];
        if (v === undefined || v === null) return null;
        if (num) return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;
        if (bool) return typeof v === "boolean" ? v : null;
        return v instanceof Date ? v.toISOString() : String(v);
      }, f.type);
    }
    const numeric = arrow.DataType.isFloat(this.predictionType);
    cols.prediction = col((e) => (e.prediction === null ? null : numeric ? Number(e.prediction) : String(e.prediction)), this.predictionType);
    for (const c of this.classes) {
      cols[`proba_${c}`] = col((e) => {
        const classes = e.model.model.classes;
        const j = classes ? classes.findIndex((k) => String(k) === c) : -1;
        return j >= 0 && e.proba ? e.proba[j] : null;
      }, new arrow.Float64());
    }
    cols.status = col(() => "ok", new arrow.Utf8());
    return new arrow.Table(cols);
  }

  /**
   * Writes every queued row (in batches of `batchSize`); a failed batch is dropped, counted and
   * reported, never retried forever.
   * @example await log.flush()
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    this.flushing = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.queue.splice(0, this.opts.batchSize);
          try {
            await this.wh.load(this.table(batch), this.target);
          } catch (e) {
            const byModel = new Map<string, number>();
            for (const b of batch) byModel.set(b.model.name, (byModel.get(b.model.name) ?? 0) + 1);
            for (const [m, n] of byModel) this.hooks.dropped(m, n);
            this.hooks.error("the prediction log could not write a batch", { rows: batch.length, table: this.target, error: e instanceof Error ? e.message : String(e) });
          }
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /**
   * Stops the timer, writes what is queued, and closes a warehouse opened from a URL.
   * @example await log.close()
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
    if (this.owned) await this.wh.close();
  }
}
