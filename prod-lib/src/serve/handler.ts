/**
 * `modelHandler`: the model service as one `(req, res)` function for `node:http` — the Open
 * Inference Protocol v2 routes (KServe, Seldon MLServer, Triton), a plain JSON `predict` route,
 * `/metrics`, request ids and model digests on every answer. No web framework.
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgumentError, ValidationError } from "@trellis/shared";
import type { InputField } from "../artifact/input-schema";
import type { RowObject } from "../base/frame";
import type { Label } from "../base/labels";
import { InvalidRowsError } from "../errors";
import { ModelRegistry } from "../registry/registry";
import { PROD_VERSION } from "../version";
import { DeployedModel, type ModelSource } from "./deployed-model";
import { ServiceMetrics } from "./metrics";
import { PredictionLog, type LogPredictionsOptions } from "./prediction-log";

/** Where a served model comes from: a loaded model, an artifact folder, or a registry reference (`"churn@production"`). */
export type ServedModel = DeployedModel | string;

/** Receives faults (500s) and background failures; never stdout. */
export interface ServiceLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

/** Options of {@link modelHandler}. */
export interface ModelHandlerOptions {
  /** Route name → model. Names are the `{name}` of `/v2/models/{name}/…`. */
  models: Record<string, ServedModel>;
  /** Largest request body accepted, in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Resolves registry references (a `ModelRegistry` or any `ModelSource`). */
  registry?: ModelSource;
  /** A warehouse URL to open the model registry from, when `registry` is not given. */
  warehouse?: string;
  /** Append served rows to a warehouse table (see `PredictionLog` for its layout). */
  logPredictions?: LogPredictionsOptions;
  /** Where faults are reported (default: one JSON line on stderr). */
  logger?: ServiceLogger;
}

/** The handler `modelHandler` returns: a `node:http` request listener with the service's state. */
export interface ModelHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Settles when every model is loaded (rejects with the first loading failure). */
  readonly ready: Promise<void>;
  /** True once every model is loaded. */
  readonly isReady: boolean;
  /** The metrics `/metrics` renders. */
  readonly metrics: ServiceMetrics;
  /** The loaded models by route name (empty until ready). */
  readonly models: ReadonlyMap<string, DeployedModel>;
  /** The prediction log, once ready (null without `logPredictions`). */
  readonly predictionLog: PredictionLog | null;
  /** Flushes the prediction log and releases what the handler opened itself (a registry opened from `warehouse`, the log's warehouse). */
  close(): Promise<void>;
}

/**
 * Default body limit: 1 MiB.
 * @example modelHandler({ models, bodyLimit: 4 * DEFAULT_BODY_LIMIT })
 */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const SANE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;
/** Past the body limit, the rest of a body is discarded (not buffered) up to this many bytes, so the client reads the 413; beyond it the socket is closed. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const stderrLogger: ServiceLogger = {
  error(message, fields) {
    process.stderr.write(JSON.stringify({ level: "error", message, ...fields }) + "\n");
  },
};

/** The OIP v2 datatype of an input field. */
function datatypeOf(f: InputField): "FP64" | "INT64" | "BOOL" | "BYTES" {
  switch (f.type) {
    case "number":
      return "FP64";
    case "integer":
      return "INT64";
    case "boolean":
      return "BOOL";
    default:
      return "BYTES";
  }
}

function labelDatatype(classes: readonly Label[] | null): "FP64" | "INT64" | "BYTES" {
  if (!classes) return "FP64";
  if (classes.every((c) => typeof c === "number" && Number.isInteger(c))) return "INT64";
  if (classes.every((c) => typeof c === "number")) return "FP64";
  return "BYTES";
}

interface Served {
  name: string;
  model: DeployedModel;
  version: string;
  digest: string;
  /** Metadata answer of GET /v2/models/{name}, rendered once. */
  metadata: string;
  fields: InputField[];
}

function versionOf(m: DeployedModel): string {
  return m.version !== null ? String(m.version) : m.digest.slice(0, 12);
}

function describe(name: string, model: DeployedModel): Served {
  const fields = model.manifest.inputSchema.fields;
  const version = versionOf(model);
  const outputs: { name: string; datatype: string; shape: number[] }[] = [{ name: "prediction", datatype: labelDatatype(model.classes), shape: [-1] }];
  if (model.classes) outputs.push({ name: "probabilities", datatype: "FP64", shape: [-1, model.classes.length] });
  const metadata = JSON.stringify({
    name,
    versions: [version],
    platform: "trellis",
    inputs: fields.map((f) => ({ name: f.name, datatype: datatypeOf(f), shape: [-1] })),
    outputs,
    parameters: { digest: model.digest, classes: model.classes, trellis_version: model.manifest.libraries?.["@trellis/prod"] ?? null },
  });
  return { name, model, version, digest: model.digest, metadata, fields };
}

/** Splits `/v2/models/{name}[/versions/{v}][/{action}]`. */
function parseModelPath(path: string): { name: string; version: string | null; action: string } | null {
  const parts = path.split("/");
  // ["", "v2", "models", name, ...]
  if (parts.length < 4 || parts[3] === "") return null;
  let name: string;
  try {
    name = decodeURIComponent(parts[3]);
  } catch {
    return null;
  }
  let rest = parts.slice(4);
  let version: string | null = null;
  if (rest[0] === "versions") {
    if (rest.length < 2 || rest[1] === "") return null;
    try {
      version = decodeURIComponent(rest[1]);
    } catch {
      return null;
    }
    rest = rest.slice(2);
  }
  if (rest.length > 1) return null;
  return { name, version, action: rest[0] ?? "" };
}

const MODEL_ROUTES: Record<string, { route: string; method: "GET" | "POST" }> = {
  "": { route: "model_metadata", method: "GET" },
  ready: { route: "model_ready", method: "GET" },
  infer: { route: "infer", method: "POST" },
  predict: { route: "predict", method: "POST" },
};

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const semi = ct.indexOf(";");
  const type = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

/**
 * Reads an OIP v2 inference request into row objects: one tensor per input field, shape `[n]`
 * (or `[n, 1]`), `data` flat.
 */
function rowsFromTensors(body: unknown, served: Served): RowObject[] {
  if (!isPlainObject(body)) throw new HttpError(400, `the inference request must be a JSON object with "inputs", got ${describeValue(body)}`);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new HttpError(400, `"inputs" must be a non-empty array of tensors ({ name, shape, datatype, data }), got ${describeValue(inputs)}`);
  const byName = new Map<string, InputField>();
  for (const f of served.fields) byName.set(f.name, f);
  let n = -1;
  const columns: { name: string; data: unknown[] }[] = [];
  const seen = new Set<string>();
  for (let t = 0; t < inputs.length; t++) {
    const tensor = inputs[t];
    if (!isPlainObject(tensor)) throw new HttpError(400, `inputs[${t}] must be a tensor object, got ${describeValue(tensor)}`);
    const name = tensor.name;
    if (typeof name !== "string") throw new HttpError(400, `inputs[${t}].name must be a string, got ${describeValue(name)}`);
    const field = byName.get(name);
    if (!field) throw new HttpError(400, `inputs[${t}]: model ${JSON.stringify(served.name)} has no input ${JSON.stringify(name.slice(0, 100))}; its inputs are ${served.fields.map((f) => f.name).join(", ")}`);
    if (seen.has(name)) throw new HttpError(400, `inputs[${t}]: input ${JSON.stringify(name)} is given twice`);
    seen.add(name);
    const shape = tensor.shape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2 || !shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0) || (shape.length === 2 && shape[1] !== 1)) {
      throw new HttpError(400, `inputs[${t}] (${name}): shape must be [n] or [n, 1], got ${JSON.stringify(shape)?.slice(0, 60)}`);
    }
    const datatype = tensor.datatype;
    const expected = datatypeOf(field);
    if (datatype !== expected && !(expected === "FP64" && (datatype === "FP32" || datatype === "INT64" || datatype === "INT32"))) {
      throw new HttpError(400, `inputs[${t}] (${name}): datatype must be ${expected}, got ${JSON.stringify(datatype)?.slice(0, 40)}`);
    }
    const data = tensor.data;
    if (!Array.isArray(data)) throw new HttpError(400, `inputs[${t}] (${name}): data must be a flat array, got ${describeValue(data)}`);
    const rows = shape[0] as number;
    if (data.length !== rows) throw new HttpError(400, `inputs[${t}] (${name}): shape ${JSON.stringify(shape)} holds ${rows} value(s) but data has ${data.length}`);
    if (n >= 0 && rows !== n) throw new HttpError(400, `inputs[${t}] (${name}): every input must have the same number of rows; ${columns[0].name} has ${n}, ${name} has ${rows}`);
    n = rows;
    columns.push({ name, data });
  }
  const out: RowObject[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = c.data[i];
    out[i] = row as RowObject;
  }
  return out;
}

/**
 * Builds the model service as a `node:http` request listener. Models are resolved once (folders
 * and registry references loaded in the background; `/v2/health/ready` answers 503 until all are
 * loaded) and never change while the handler lives.
 *
 * Routes: `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2`, `GET /v2/models/{name}`,
 * `GET /v2/models/{name}/ready`, `POST /v2/models/{name}/infer` (Open Inference Protocol v2),
 * `POST /v2/models/{name}/predict` (a row object or `{ "rows": [...] }`), the same under
 * `/v2/models/{name}/versions/{version}/…`, and `GET /metrics`.
 * @example
 * const handler = modelHandler({ models: { churn: "models/churn" } });
 * http.createServer(handler).listen(8080);
 */
export function modelHandler(options: ModelHandlerOptions): ModelHandler {
  if (!isPlainObject(options) || !isPlainObject(options.models) || Object.keys(options.models).length === 0) {
    throw new InvalidArgumentError(`modelHandler: "models" must map at least one name to a DeployedModel, a model folder or a registry reference, e.g. { models: { churn: "churn@production" } }.`);
  }
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0) throw new InvalidArgumentError(`modelHandler: bodyLimit must be a positive whole number of bytes, got ${String(bodyLimit)}.`);
  for (const [name, m] of Object.entries(options.models)) {
    if (!(m instanceof DeployedModel) && (typeof m !== "string" || m.length === 0)) {
      throw new InvalidArgumentError(`modelHandler: model ${JSON.stringify(name)} must be a DeployedModel, a model folder or a registry reference such as "churn@production", got ${describeValue(m)}.`);
    }
  }
  const logger = options.logger ?? stderrLogger;
  const metrics = new ServiceMetrics();
  const served = new Map<string, Served>();
  const loaded = new Map<string, DeployedModel>();
  let isReady = false;
  let ownedRegistry: ModelRegistry | null = null;
  let log: PredictionLog | null = null;

  const ready = (async () => {
    let registry = options.registry;
    const entries = Object.entries(options.models);
    if (!registry && entries.some(([, m]) => typeof m === "string") && options.warehouse) {
      ownedRegistry = await ModelRegistry.open(options.warehouse);
      registry = ownedRegistry;
    }
    const models = await Promise.all(entries.map(([, m]) => (m instanceof DeployedModel ? m : DeployedModel.load(m, { registry }))));
    entries.forEach(([name], i) => {
      const s = describe(name, models[i]);
      served.set(name, s);
      loaded.set(name, models[i]);
      metrics.modelInfo(name, s.version, s.digest);
    });
    if (options.logPredictions) {
      log = await PredictionLog.open(
        options.logPredictions,
        [...served.values()].map((s) => ({ name: s.name, version: s.version, model: s.model })),
        { dropped: (m, n) => metrics.logDropped(m, n), error: (message, fields) => logger.error(message, fields) },
      );
    }
    isReady = true;
  })();
  ready.catch((e: unknown) => logger.error("the service could not start (models or prediction log)", { error: e instanceof Error ? e.message : String(e) }));

  const serverMetadata = JSON.stringify({ name: "trellis", version: PROD_VERSION, extensions: [] });

  function send(res: ServerResponse, status: number, body: string, contentType = "application/json"): void {
    res.statusCode = status;
    res.setHeader("content-type", contentType);
    res.setHeader("content-length", Buffer.byteLength(body));
    res.end(body);
  }

  function readBody(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const declared = req.headers["content-length"];
      if (declared !== undefined && Number(declared) > bodyLimit) {
        reject(new HttpError(413, `the request body is ${declared} bytes; the limit is ${bodyLimit} bytes (send fewer rows per request)`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (over) {
          if (size > bodyLimit + DRAIN_LIMIT) req.socket.destroy();
          return;
        }
        if (size > bodyLimit) {
          over = true;
          chunks.length = 0;
          reject(new HttpError(413, `the request body is over the limit of ${bodyLimit} bytes (send fewer rows per request)`));
          return;
        }
        chunks.push(chunk);
      });
      // A client that goes away mid-body is not a fault of the service.
      req.on("error", () => reject(new HttpError(400, "the request was aborted before its body was complete")));
      req.on("end", () => {
        if (over) return;
        const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        if (!isUtf8(buf)) {
          reject(new HttpError(400, "the request body is not valid UTF-8"));
          return;
        }
        const text = buf.toString("utf8");
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new HttpError(400, `the request body is not valid JSON: ${(e as Error).message.slice(0, 200)}`));
        }
      });
    });
  }

  function modelFor(name: string, version: string | null, res: ServerResponse): Served {
    if (!isReady) throw new HttpError(503, "the models are still loading; retry when /v2/health/ready answers 200");
    const s = served.get(name);
    if (!s) throw new HttpError(404, `no model named ${JSON.stringify(name.slice(0, 100))}; served models: ${[...served.keys()].join(", ")}`);
    res.setHeader("x-model-digest", s.digest);
    if (version !== null && version !== s.version) throw new HttpError(404, `model ${JSON.stringify(name)} has no version ${JSON.stringify(version.slice(0, 40))} here; the served version is ${s.version}`);
    return s;
  }

  function invalidRows(s: Served, e: InvalidRowsError): HttpError {
    metrics.invalidRows(s.name, e.invalidRows);
    return new HttpError(400, e.message, { details: e.details.map((d) => ({ row: d.row, field: d.field, message: d.message })) });
  }

  function predict(s: Served, body: unknown, requestId: string): string {
    const m = s.model;
    if (isPlainObject(body) && Object.prototype.hasOwnProperty.call(body, "rows") && Array.isArray(body.rows)) {
      const rows = body.rows as RowObject[];
      if (rows.length === 0) throw new HttpError(400, `"rows" is empty; send at least one row object`);
      let result;
      try {
        result = m.classes ? m.predictProba(rows) : m.predict(rows);
      } catch (e) {
        if (e instanceof InvalidRowsError) throw invalidRows(s, e);
        throw e;
      }
      metrics.rowsScored(s.name, result.rows);
      log?.push(s, requestId, "predict", rows, result.predictions, (i) => result.probabilitiesOf(i));
      const probabilities = m.classes ? Array.from({ length: result.rows }, (_, i) => byClass(m.classes!, result.probabilitiesOf(i)!)) : undefined;
      return JSON.stringify({ model: s.name, version: s.version, digest: s.digest, predictions: result.predictions, probabilities });
    }
    if (!isPlainObject(body)) throw new HttpError(400, `send one row object or { "rows": [ ... ] }, got ${describeValue(body)}`);
    let one;
    try {
      one = m.predictOne(body as RowObject);
    } catch (e) {
      if (e instanceof InvalidRowsError) throw invalidRows(s, e);
      throw e;
    }
    metrics.rowsScored(s.name, 1);
    if (log) {
      const p = one.probabilities;
      log.push(s, requestId, "predict", [body as RowObject], [one.prediction], () => p);
    }
    const probabilities = one.probabilities ? [byClass(m.classes!, one.probabilities)] : undefined;
    return JSON.stringify({ model: s.name, version: s.version, digest: s.digest, predictions: [one.prediction], probabilities });
  }

  function infer(s: Served, body: unknown, requestId: string): string {
    const m = s.model;
    const rows = rowsFromTensors(body, s);
    const id = isPlainObject(body) && typeof body.id === "string" ? body.id : undefined;
    const n = rows.length;
    let predictions: (Label | null)[];
    let proba: number[] | null = null;
    let probaOf: (i: number) => number[] | null;
    try {
      if (n === 1) {
        // One row: DeployedModel's single-row fast path (same validation, same numbers).
        const one = m.predictOne(rows[0]);
        predictions = [one.prediction];
        proba = one.probabilities;
        probaOf = () => one.probabilities;
      } else {
        const result = m.classes ? m.predictProba(rows) : m.predict(rows);
        predictions = result.predictions;
        proba = result.probabilities ? Array.from(result.probabilities.data) : null;
        probaOf = (i) => result.probabilitiesOf(i);
      }
    } catch (e) {
      if (e instanceof InvalidRowsError) throw invalidRows(s, e);
      throw e;
    }
    metrics.rowsScored(s.name, n);
    log?.push(s, requestId, "infer", rows, predictions, probaOf);
    const outputs: { name: string; shape: number[]; datatype: string; parameters?: Record<string, unknown>; data: unknown[] }[] = [
      { name: "prediction", shape: [n], datatype: labelDatatype(m.classes), data: predictions },
    ];
    if (m.classes && proba) {
      outputs.push({ name: "probabilities", shape: [n, m.classes.length], datatype: "FP64", parameters: { classes: m.classes }, data: proba });
    }
    return JSON.stringify({ model_name: s.name, model_version: s.version, id, parameters: { digest: s.digest }, outputs });
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, state: { model: string; route: string }, requestId: string): Promise<void> {
    const method = req.method ?? "GET";
    const only = (allowed: "GET" | "POST") => {
      if (method !== allowed && !(allowed === "GET" && method === "HEAD")) throw new HttpError(405, `${method} is not allowed on ${path}; use ${allowed}`, {}, { allow: allowed === "GET" ? "GET, HEAD" : allowed });
    };
    const jsonBody = async () => {
      if (!isJsonContentType(req.headers["content-type"])) throw new HttpError(415, `send the body as JSON with "content-type: application/json", got ${JSON.stringify(req.headers["content-type"] ?? null)}`);
      return readBody(req);
    };
    switch (path) {
      case "/v2/health/live":
        state.route = "live";
        only("GET");
        return send(res, 200, '{"live":true}');
      case "/v2/health/ready":
        state.route = "ready";
        only("GET");
        return isReady ? send(res, 200, '{"ready":true}') : send(res, 503, '{"ready":false,"error":"the models are still loading"}');
      case "/v2":
      case "/v2/":
        state.route = "server_metadata";
        only("GET");
        return send(res, 200, serverMetadata);
      case "/metrics":
        state.route = "metrics";
        only("GET");
        return send(res, 200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    const parsed = path.startsWith("/v2/models/") ? parseModelPath(path) : null;
    const r = parsed ? MODEL_ROUTES[parsed.action] : undefined;
    if (!parsed || !r || !Object.prototype.hasOwnProperty.call(MODEL_ROUTES, parsed.action)) throw new HttpError(404, `no route ${JSON.stringify(path.slice(0, 200))}; see GET /v2 and /v2/models/{name}`);
    state.route = r.route;
    state.model = parsed.name.slice(0, 100);
    const s = modelFor(parsed.name, parsed.version, res);
    only(r.method);
    switch (r.route) {
      case "model_metadata":
        return send(res, 200, s.metadata);
      case "model_ready":
        return send(res, 200, JSON.stringify({ name: s.name, ready: true }));
      case "infer":
        return send(res, 200, infer(s, await jsonBody(), requestId));
      default:
        return send(res, 200, predict(s, await jsonBody(), requestId));
    }
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const start = process.hrtime.bigint();
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("x-request-id", requestId);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const state = { model: "", route: "unknown" };
    const finish = () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.observe(served.has(state.model) ? state.model : "", state.route, res.statusCode, seconds);
    };
    res.once("finish", finish);
    route(req, res, path, state, requestId).catch((e: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
        if (e.status === 413) res.setHeader("connection", "close");
        send(res, e.status, JSON.stringify({ error: e.message, ...e.extra }));
        return;
      }
      if (e instanceof ValidationError || e instanceof InvalidArgumentError) {
        // A library error about the request's content (a row the model cannot read).
        send(res, 400, JSON.stringify({ error: e.message }));
        return;
      }
      logger.error("request failed", { requestId, path: path.slice(0, 200), error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      send(res, 500, JSON.stringify({ error: `internal error; quote request id ${requestId} when reporting it` }));
    });
  }) as ModelHandler;

  Object.defineProperties(handler, {
    ready: { value: ready },
    isReady: { get: () => isReady },
    metrics: { value: metrics },
    models: { value: loaded },
    predictionLog: { get: () => log },
    close: {
      value: async () => {
        await ready.catch(() => undefined);
        if (log) await log.close();
        if (ownedRegistry) await (ownedRegistry as ModelRegistry).close();
      },
    },
  });
  return handler;
}

function byClass(classes: readonly Label[], p: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let j = 0; j < classes.length; j++) out[String(classes[j])] = p[j];
  return out;
}
