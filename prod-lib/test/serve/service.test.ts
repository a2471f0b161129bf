import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeployedModel, LATENCY_BUCKETS, modelHandler, readArtifactFiles, saveModel, serve, type ModelSource, type RunningService } from "@trellis/prod";
import { MixedRow, fittedMixedPipeline, tempDir, test as testRows } from "../artifact/helpers";

/** A raw HTTP exchange (so bodies can be invalid UTF-8, any content type or deliberately oversized). */
function call(
  base: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: body !== undefined ? { "content-type": "application/json", ...headers } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const pipe = fittedMixedPipeline();
const model = DeployedModel.fromEstimator(pipe, { inputSchema: MixedRow, name: "churn" });
const rows = testRows.slice(0, 5).map((r) => {
  const { target: _t, ...rest } = r as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rest).filter(([k]) => k in MixedRow.shape));
});
const version = model.digest.slice(0, 12);
let svc: RunningService;
const logged: { message: string; fields: Record<string, unknown> }[] = [];

beforeAll(async () => {
  svc = await serve({ models: { churn: model }, port: 0, logger: { error: (message, fields) => logged.push({ message, fields }) } });
});
afterAll(async () => {
  await svc.close();
});

describe("serve: Open Inference Protocol v2", () => {
  it("answers live, ready and server metadata", async () => {
    expect(svc.url).toBe(`http://127.0.0.1:${svc.port}`);
    const live = await call(svc.url, "GET", "/v2/health/live");
    expect([live.status, live.json]).toEqual([200, { live: true }]);
    const ready = await call(svc.url, "GET", "/v2/health/ready");
    expect([ready.status, ready.json]).toEqual([200, { ready: true }]);
    const meta = await call(svc.url, "GET", "/v2");
    expect(meta.status).toBe(200);
    expect(meta.json.name).toBe("trellis");
    expect(meta.json.extensions).toEqual([]);
    expect(typeof meta.json.version).toBe("string");
  });

  it("describes a model with datatypes from its input schema", async () => {
    const r = await call(svc.url, "GET", "/v2/models/churn");
    expect(r.status).toBe(200);
    expect(r.headers["x-model-digest"]).toBe(model.digest);
    expect(r.json.name).toBe("churn");
    expect(r.json.versions).toEqual([version]);
    expect(r.json.platform).toBe("trellis");
    expect(r.json.inputs).toEqual([
      { name: "tenure_months", datatype: "FP64", shape: [-1] },
      { name: "monthly_spend", datatype: "FP64", shape: [-1] },
      { name: "support_calls", datatype: "FP64", shape: [-1] },
      { name: "discount_rate", datatype: "FP64", shape: [-1] },
      { name: "plan", datatype: "BYTES", shape: [-1] },
      { name: "region", datatype: "BYTES", shape: [-1] },
      { name: "channel", datatype: "BYTES", shape: [-1] },
    ]);
    expect(r.json.outputs).toEqual([
      { name: "prediction", datatype: "INT64", shape: [-1] },
      { name: "probabilities", datatype: "FP64", shape: [-1, 2] },
    ]);
    const ready = await call(svc.url, "GET", "/v2/models/churn/ready");
    expect([ready.status, ready.json]).toEqual([200, { name: "churn", ready: true }]);
  });

  it("scores tensors on /infer exactly as the model does in process, echoing the id", async () => {
    const names = Object.keys(MixedRow.shape);
    const inputs = names.map((name) => ({
      name,
      shape: [rows.length],
      datatype: name === "plan" || name === "region" || name === "channel" ? "BYTES" : "FP64",
      data: rows.map((r) => r[name] ?? null),
    }));
    const r = await call(svc.url, "POST", "/v2/models/churn/infer", JSON.stringify({ id: "req-7", inputs }));
    expect(r.status).toBe(200);
    const expected = model.predictProba(rows);
    expect(r.json.model_name).toBe("churn");
    expect(r.json.model_version).toBe(version);
    expect(r.json.id).toBe("req-7");
    expect(r.json.outputs[0]).toEqual({ name: "prediction", shape: [5], datatype: "INT64", data: expected.predictions });
    expect(r.json.outputs[1].name).toBe("probabilities");
    expect(r.json.outputs[1].shape).toEqual([5, 2]);
    expect(r.json.outputs[1].data).toEqual(Array.from(expected.probabilities!.data));
    const versioned = await call(svc.url, "POST", `/v2/models/churn/versions/${version}/infer`, JSON.stringify({ inputs }));
    expect(versioned.status).toBe(200);
    expect(versioned.json.id).toBeUndefined();
    const single = inputs.map((t) => ({ ...t, shape: [1], data: t.data.slice(2, 3) }));
    const one = await call(svc.url, "POST", "/v2/models/churn/infer", JSON.stringify({ inputs: single }));
    expect(one.json.outputs[0].data).toEqual([expected.predictions[2]]);
    expect(one.json.outputs[1].data).toEqual(expected.probabilitiesOf(2));
    const wrong = await call(svc.url, "POST", "/v2/models/churn/versions/999/infer", JSON.stringify({ inputs }));
    expect(wrong.status).toBe(404);
    expect(wrong.json.error).toBe(`model "churn" has no version "999" here; the served version is ${version}`);
  });

  it("refuses malformed tensors with 400 and a sentence", async () => {
    const bad = await call(svc.url, "POST", "/v2/models/churn/infer", JSON.stringify({ inputs: [{ name: "nope", shape: [1], datatype: "FP64", data: [1] }] }));
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('inputs[0]: model "churn" has no input "nope"; its inputs are tenure_months, monthly_spend, support_calls, discount_rate, plan, region, channel');
    const shape = await call(svc.url, "POST", "/v2/models/churn/infer", JSON.stringify({ inputs: [{ name: "plan", shape: [2], datatype: "BYTES", data: ["a"] }] }));
    expect(shape.json.error).toBe("inputs[0] (plan): shape [2] holds 2 value(s) but data has 1");
  });
});

describe("serve: the plain predict route", () => {
  it("scores one row object", async () => {
    const r = await call(svc.url, "POST", "/v2/models/churn/predict", JSON.stringify(rows[0]));
    expect(r.status).toBe(200);
    const one = model.predictOne(rows[0] as never);
    expect(r.json).toEqual({ model: "churn", version, digest: model.digest, predictions: [one.prediction], probabilities: [{ "0": one.probabilities![0], "1": one.probabilities![1] }] });
  });

  it("scores { rows: [...] }", async () => {
    const r = await call(svc.url, "POST", "/v2/models/churn/predict", JSON.stringify({ rows }));
    const expected = model.predictProba(rows);
    expect(r.json.predictions).toEqual(expected.predictions);
    expect(r.json.probabilities[3]).toEqual({ "0": expected.probabilitiesOf(3)![0], "1": expected.probabilitiesOf(3)![1] });
  });

  it("answers invalid rows with 400 and row/field/message details, never a stack", async () => {
    const r = await call(svc.url, "POST", "/v2/models/churn/predict", JSON.stringify({ rows: [rows[0], { ...rows[1], tenure_months: "12" }] }));
    expect(r.status).toBe(400);
    expect(r.json.details).toEqual([{ row: 1, field: "tenure_months", message: 'field "tenure_months" must be a number, got string "12"' }]);
    expect(r.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("serve: errors and headers", () => {
  it("answers 404 for an unknown model or route", async () => {
    const m = await call(svc.url, "GET", "/v2/models/nope");
    expect([m.status, m.json.error]).toEqual([404, 'no model named "nope"; served models: churn']);
    expect(m.headers["x-model-digest"]).toBeUndefined();
    const r = await call(svc.url, "GET", "/v3/whatever");
    expect([r.status, r.json.error]).toEqual([404, 'no route "/v3/whatever"; see GET /v2 and /v2/models/{name}']);
    expect((await call(svc.url, "GET", "/v2/models/churn/explain")).status).toBe(404);
  });

  it("answers 405 with an Allow header", async () => {
    const r = await call(svc.url, "GET", "/v2/models/churn/predict");
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("POST");
    expect(r.json.error).toBe("GET is not allowed on /v2/models/churn/predict; use POST");
    const d = await call(svc.url, "DELETE", "/v2/health/ready");
    expect([d.status, d.headers.allow]).toEqual([405, "GET, HEAD"]);
  });

  it("answers 415 for a body that is not JSON", async () => {
    const r = await call(svc.url, "POST", "/v2/models/churn/predict", "a=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(r.status).toBe(415);
    expect(r.json.error).toBe('send the body as JSON with "content-type: application/json", got "application/x-www-form-urlencoded"');
  });

  it("answers 413 over the body limit", async () => {
    const small = await serve({ models: { churn: model }, port: 0, bodyLimit: 100 });
    try {
      const r = await call(small.url, "POST", "/v2/models/churn/predict", JSON.stringify({ rows }));
      expect(r.status).toBe(413);
      expect(r.json.error).toMatch(/^the request body is \d+ bytes; the limit is 100 bytes/);
      // Chunked (no content-length): stopped at the limit while reading.
      const chunked = await new Promise<number>((resolve, reject) => {
        const u = new URL(small.url);
        const req = httpRequest({ host: u.hostname, port: u.port, path: "/v2/models/churn/predict", method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write(" ".repeat(80));
        req.end(" ".repeat(80));
      });
      expect(chunked).toBe(413);
    } finally {
      await small.close();
    }
  });

  it("answers 400 for invalid UTF-8, truncated JSON, deep nesting, huge numbers and __proto__ keys", async () => {
    const utf = await call(svc.url, "POST", "/v2/models/churn/predict", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    expect([utf.status, utf.json.error]).toEqual([400, "the request body is not valid UTF-8"]);
    const trunc = await call(svc.url, "POST", "/v2/models/churn/predict", '{"rows": [{"plan": "a"');
    expect(trunc.status).toBe(400);
    expect(trunc.json.error).toMatch(/^the request body is not valid JSON: /);
    const deep = await call(svc.url, "POST", "/v2/models/churn/predict", "[".repeat(10_000) + "]".repeat(10_000));
    expect(deep.status).toBe(400);
    const huge = await call(svc.url, "POST", "/v2/models/churn/predict", JSON.stringify(rows[0]).replace(/"tenure_months":[^,]+/, '"tenure_months":1e999'));
    expect(huge.status).toBe(400);
    expect(huge.json.details[0].field).toBe("tenure_months");
    const proto = await call(svc.url, "POST", "/v2/models/churn/predict", `{"__proto__": {"tenure_months": 3}, ${JSON.stringify(rows[0]).slice(1)}`);
    expect(proto.status).toBe(200);
    expect(({} as Record<string, unknown>).tenure_months).toBeUndefined();
    const dup = await call(svc.url, "POST", "/v2/models/churn/predict", `{"plan": 5, ${JSON.stringify(rows[0]).slice(1)}`);
    expect(dup.status).toBe(200);
  });

  it("echoes a sane x-request-id and generates one otherwise", async () => {
    const a = await call(svc.url, "GET", "/v2/health/live", undefined, { "x-request-id": "abc-123" });
    expect(a.headers["x-request-id"]).toBe("abc-123");
    const b = await call(svc.url, "GET", "/v2/health/live", undefined, { "x-request-id": "bad id\twith spaces" });
    expect(b.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    const c = await call(svc.url, "GET", "/nope");
    expect(c.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const d = await call(svc.url, "POST", "/v2/models/churn/predict", JSON.stringify(rows[0]));
    expect(d.headers["x-model-digest"]).toBe(model.digest);
  });

  it("answers 500 only for a real fault, logged with the request id", async () => {
    const broken = DeployedModel.fromEstimator(pipe, { inputSchema: MixedRow, name: "broken" });
    (broken as unknown as { predictOne: () => never }).predictOne = () => {
      throw new Error("disk on fire");
    };
    const seen: { message: string; fields: Record<string, unknown> }[] = [];
    const s = await serve({ models: { broken }, port: 0, logger: { error: (message, fields) => seen.push({ message, fields }) } });
    try {
      const r = await call(s.url, "POST", "/v2/models/broken/predict", JSON.stringify(rows[0]), { "x-request-id": "trace-1" });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: "internal error; quote request id trace-1 when reporting it" });
      expect(seen).toHaveLength(1);
      expect(seen[0].fields.requestId).toBe("trace-1");
      expect(String(seen[0].fields.error)).toContain("disk on fire");
    } finally {
      await s.close();
    }
  });

  it("answers 503 until every model is loaded", async () => {
    const dir = tempDir("trellis-serve-");
    const saved = await saveModel(pipe, `${dir}/m`, { inputSchema: MixedRow, name: "churn", lineage: { git: false } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const files = await readArtifactFiles(saved.dir);
    const registry: ModelSource = {
      async getArtifactFiles() {
        await gate;
        return { files, name: "churn", version: 3, digest: saved.digest };
      },
    };
    const handler = modelHandler({ models: { churn: "churn@production" }, registry });
    const { createServer } = await import("node:http");
    const server = createServer(handler).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      expect((await call(base, "GET", "/v2/health/ready")).status).toBe(503);
      const early = await call(base, "POST", "/v2/models/churn/predict", JSON.stringify(rows[0]));
      expect([early.status, early.json.error]).toEqual([503, "the models are still loading; retry when /v2/health/ready answers 200"]);
      release();
      await handler.ready;
      expect((await call(base, "GET", "/v2/health/ready")).status).toBe(200);
      const meta = await call(base, "GET", "/v2/models/churn");
      expect(meta.json.versions).toEqual(["3"]);
      expect((await call(base, "GET", "/v2/models/churn/versions/3/ready")).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

/** Parses Prometheus text format 0.0.4 into samples. */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

describe("serve: /metrics", () => {
  it("counts requests, latency, rows scored, invalid rows and names the model", async () => {
    const s = await serve({ models: { churn: model }, port: 0 });
    try {
      await call(s.url, "POST", "/v2/models/churn/predict", JSON.stringify(rows[0]));
      await call(s.url, "POST", "/v2/models/churn/predict", JSON.stringify({ rows }));
      await call(s.url, "POST", "/v2/models/churn/predict", JSON.stringify({ rows: [{ ...rows[0], plan: 3 }, { ...rows[0], region: 4 }] }));
      await call(s.url, "GET", "/nowhere");
      const r = await call(s.url, "GET", "/metrics");
      expect(r.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
      const samples = parseMetrics(r.text);
      const get = (name: string, labels: Record<string, string>) => samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
      expect(get("trellis_requests_total", { model: "churn", route: "predict", status: "200" })).toBe(2);
      expect(get("trellis_requests_total", { model: "churn", route: "predict", status: "400" })).toBe(1);
      expect(get("trellis_requests_total", { model: "", route: "unknown", status: "404" })).toBe(1);
      expect(get("trellis_rows_scored_total", { model: "churn" })).toBe(6);
      expect(get("trellis_invalid_rows_total", { model: "churn" })).toBe(2);
      expect(get("trellis_model_info", { model: "churn", version, digest: model.digest })).toBe(1);
      expect(get("trellis_request_duration_seconds_count", { model: "churn", route: "predict" })).toBe(3);
      expect(get("trellis_request_duration_seconds_bucket", { model: "churn", route: "predict", le: "+Inf" })).toBe(3);
      const buckets = samples.filter((x) => x.name === "trellis_request_duration_seconds_bucket" && x.labels.route === "predict").map((x) => x.value);
      expect(buckets).toHaveLength(LATENCY_BUCKETS.length + 1);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]);
      expect(r.text).toContain("# TYPE trellis_request_duration_seconds histogram");
    } finally {
      await s.close();
    }
  });
});

describe("serve: graceful shutdown", () => {
  it("finishes an in-flight request, refuses new connections and resolves close", async () => {
    const s = await serve({ models: { churn: model }, port: 0, shutdownTimeout: 5_000 });
    const body = JSON.stringify(rows[0]);
    const inflight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: s.port, path: "/v2/models/churn/predict", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on("error", reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 200);
    });
    await new Promise((r) => setTimeout(r, 50));
    const closing = s.close();
    const answered = await inflight;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).predictions).toEqual([model.predictOne(rows[0] as never).prediction]);
    await closing;
    await expect(call(s.url, "GET", "/v2/health/live")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("closes a request that outlives shutdownTimeout", async () => {
    const s = await serve({ models: { churn: model }, port: 0, shutdownTimeout: 100 });
    const stuck = new Promise<string>((resolve) => {
      const req = httpRequest({ host: "127.0.0.1", port: s.port, path: "/v2/models/churn/predict", method: "POST", headers: { "content-type": "application/json", "content-length": 1000 } }, () => resolve("answered"));
      req.on("error", (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
      req.write("{");
    });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await stuck).toBe("ECONNRESET");
  });
});
