import { Agent, request as httpRequest } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeployedModel, serve, type RunningService } from "@trellis/prod";
import { MixedRow, fittedMixedPipeline, test as testRows } from "../artifact/helpers";

// Extra fields are refused too, so that every generated body is wrong in some way.
const model = DeployedModel.fromEstimator(fittedMixedPipeline(), { inputSchema: MixedRow, name: "churn", defaults: { extra: "reject" } });
const names = Object.keys(MixedRow.shape);
const numeric = ["tenure_months", "monthly_spend", "support_calls", "discount_rate"];
const good = Object.fromEntries(names.map((n) => [n, (testRows[0] as Record<string, unknown>)[n] ?? null]));
const BODY_LIMIT = 64 * 1024;

const notANumber = fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
const notAString = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const hugeNumber = fc.tuple(fc.boolean(), fc.integer({ min: 309, max: 100_000 })).map(([neg, e]) => `${neg ? "-" : ""}1e${e}`);
const deep = fc.tuple(fc.integer({ min: 500, max: 20_000 }), fc.boolean()).map(([depth, obj]) => (obj ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth)));
const rowJson = (row: Record<string, unknown>) => JSON.stringify(row);

/** Bodies (text or bytes) that must each get a 4xx JSON error. */
const badBody: fc.Arbitrary<{ kind: string; path: string; body: string | Buffer }> = fc.oneof(
  // wrong types
  fc.tuple(fc.constantFrom(...numeric), notANumber).map(([f, v]) => ({ kind: "wrong number", path: "predict", body: rowJson({ ...good, [f]: v }) })),
  fc.tuple(fc.constantFrom("plan", "region", "channel"), notAString).map(([f, v]) => ({ kind: "wrong string", path: "predict", body: rowJson({ ...good, [f]: v }) })),
  fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())).map((v) => ({ kind: "not an object", path: "predict", body: JSON.stringify(v) })),
  // missing and extra fields
  fc.subarray(names, { minLength: 1 }).map((drop) => ({ kind: "missing", path: "predict", body: rowJson(Object.fromEntries(Object.entries(good).filter(([k]) => !drop.includes(k)))) })),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !names.includes(k)), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }).map((extra) => ({ kind: "extra", path: "predict", body: rowJson({ ...good, ...extra }) })),
  fc.constant({ kind: "__proto__", path: "predict", body: `{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},${rowJson(good).slice(1)}` }),
  // huge numbers
  fc.tuple(fc.constantFrom(...names), hugeNumber).map(([f, h]) => ({ kind: "huge number", path: "predict", body: rowJson({ ...good, [f]: "__H__" }).replace('"__H__"', h) })),
  // deep nesting, as the body or as a value
  deep.map((d) => ({ kind: "deep", path: "predict", body: d })),
  fc.tuple(fc.constantFrom(...names), deep).map(([f, d]) => ({ kind: "deep value", path: "predict", body: rowJson({ ...good, [f]: "__D__" }).replace('"__D__"', d) })),
  // invalid UTF-8
  fc.tuple(fc.integer({ min: 1, max: 60 }), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80])).map(([at, bad]) => {
    const b = Buffer.from(rowJson(good));
    const i = Math.min(at, b.length - 1);
    return { kind: "invalid utf-8", path: "predict", body: Buffer.concat([b.subarray(0, i), Buffer.from(bad), b.subarray(i)]) };
  }),
  // truncated JSON
  fc.integer({ min: 0, max: rowJson(good).length - 1 }).map((n) => ({ kind: "truncated", path: "predict", body: rowJson(good).slice(0, n) })),
  // oversized
  fc.integer({ min: BODY_LIMIT + 1, max: 4 * BODY_LIMIT }).map((n) => ({ kind: "oversized", path: "predict", body: `{"rows":[${" ".repeat(n)}]}` })),
  // malformed inference requests
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ inputs: v })),
    fc.tuple(fc.constantFrom(...names), fc.array(fc.integer({ min: -3, max: 5 }), { maxLength: 3 }), fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })).map(([name, shape, datatype, data]) =>
      JSON.stringify({ inputs: [{ name, shape, datatype, data }] }),
    ),
  ).map((body) => ({ kind: "bad tensors", path: "infer", body })),
);

function post(base: URL, agent: Agent, path: string, body: string | Buffer): Promise<{ status: number; contentType: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, path: `/v2/models/churn/${path}`, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"]), json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

let svc: RunningService;
beforeAll(async () => {
  svc = await serve({ models: { churn: model }, port: 0, bodyLimit: BODY_LIMIT, logger: { error: (m, f) => faults.push(`${m}: ${JSON.stringify(f)}`) } });
});
afterAll(async () => {
  await svc.close();
});
const faults: string[] = [];

describe("serve: generated bad bodies", () => {
  it("answers each of 5,000 bad bodies with a 4xx JSON error, never a 5xx or a dropped connection", { timeout: 60_000 }, async () => {
    const bodies = fc.sample(badBody, { numRuns: 5_000, seed: 20261204 });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const base = new URL(svc.url);
    const bad: string[] = [];
    const kinds = new Map<string, number>();
    try {
      for (let i = 0; i < bodies.length; i += 64) {
        const slice = bodies.slice(i, i + 64);
        const answers = await Promise.all(slice.map((b) => post(base, agent, b.path, b.body).catch((e: Error) => ({ status: -1, contentType: "", json: e.message }))));
        answers.forEach((a, k) => {
          const b = slice[k];
          kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1);
          const ok = a.status >= 400 && a.status < 500 && a.contentType === "application/json" && typeof (a.json as { error?: unknown })?.error === "string";
          if (!ok && bad.length < 5) bad.push(`${b.kind} → ${a.status} ${JSON.stringify(a.json)?.slice(0, 200)} for ${String(b.body).slice(0, 120)}`);
        });
      }
    } finally {
      agent.destroy();
    }
    expect(bad).toEqual([]);
    expect(faults).toEqual([]);
    // Every kind of defect was sent.
    expect([...kinds.keys()].sort()).toEqual(["__proto__", "bad tensors", "deep", "deep value", "extra", "huge number", "invalid utf-8", "missing", "not an object", "oversized", "truncated", "wrong number", "wrong string"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const ready = await fetch(`${svc.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    const fine = await post(base, new Agent(), "predict", rowJson(good));
    expect(fine.status).toBe(200);
  });
});
