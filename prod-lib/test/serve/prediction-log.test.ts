import { afterAll, describe, expect, it } from "vitest";
import { DeployedModel, serve } from "@trellis/prod";
import type { Warehouse } from "@trellis/shared";
import { uniqueName, useWarehouses } from "../../../shared/test/helpers/warehouses";
import { MixedRow, fittedMixedPipeline, test as testRows } from "../artifact/helpers";

const targets = useWarehouses();
const model = DeployedModel.fromEstimator(fittedMixedPipeline(), { inputSchema: MixedRow, name: "churn" });
const names = Object.keys(MixedRow.shape);
const rows = testRows.slice(0, 6).map((r) => Object.fromEntries(names.map((n) => [n, (r as Record<string, unknown>)[n] ?? null])));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

async function post(url: string, body: unknown, id: string): Promise<number> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-request-id": id }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

describe.each(targets)("logPredictions on $name", (target) => {
  it("appends one typed row per served row, flushed on close", async () => {
    const wh: Warehouse = await target.open();
    const schema = uniqueName("trellis_predictions");
    cleanup.push(async () => void (await wh.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => 0)));
    const svc = await serve({ models: { churn: model }, port: 0, logPredictions: { warehouse: wh, schema, table: "served", flushInterval: 60_000 } });
    expect(await post(`${svc.url}/v2/models/churn/predict`, rows[0], "one")).toBe(200);
    expect(await post(`${svc.url}/v2/models/churn/predict`, { rows: rows.slice(1, 4) }, "three")).toBe(200);
    expect(await post(`${svc.url}/v2/models/churn/predict`, { ...rows[0], plan: 7 }, "bad")).toBe(400);
    expect(svc.handler.predictionLog!.pending).toBe(4);
    await svc.close();
    const t = await wh.query(`SELECT * FROM "${schema}".served ORDER BY request_id DESC, row_index`);
    expect(t.numRows).toBe(4);
    expect(t.schema.fields.map((f) => f.name)).toEqual([
      "request_id", "model_name", "model_version", "model_digest", "served_at", "route", "row_index",
      ...names, "prediction", "proba_0", "proba_1", "status",
    ]);
    const got = t.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    const expected = model.predictProba(rows.slice(0, 4));
    expect(got.map((r) => r.request_id)).toEqual(["three", "three", "three", "one"]);
    expect(got.map((r) => r.row_index)).toEqual([0, 1, 2, 0]);
    const order = [1, 2, 3, 0];
    got.forEach((r, k) => {
      const i = order[k];
      for (const n of names) expect(r[n]).toEqual(rows[i][n]);
      expect(r.prediction).toBe(expected.predictions[i]);
      expect(r.proba_1).toBeCloseTo(expected.probabilitiesOf(i)![1], 12);
      expect(r.model_name).toBe("churn");
      expect(r.model_digest).toBe(model.digest);
      expect(r.status).toBe("ok");
      expect(r.route).toBe("predict");
    });
    const version = await wh.query(`SELECT version FROM "${schema}".schema_version`);
    expect(version.getChild("version")!.get(0)).toBe(1);
  });

  it("drops and counts rows when the queue is full, without slowing requests", async () => {
    const wh: Warehouse = await target.open();
    const schema = uniqueName("trellis_predictions");
    cleanup.push(async () => void (await wh.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => 0)));
    const svc = await serve({ models: { churn: model }, port: 0, logPredictions: { warehouse: wh, schema, maxQueue: 5, batchSize: 1000, flushInterval: 60_000 } });
    expect(await post(`${svc.url}/v2/models/churn/predict`, { rows }, "a")).toBe(200);
    expect(await post(`${svc.url}/v2/models/churn/predict`, { rows: rows.slice(0, 3) }, "b")).toBe(200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toContain('trellis_prediction_log_dropped_rows_total{model="churn"} 4');
    await svc.close();
    const t = await wh.query(`SELECT count(*)::int AS n FROM "${schema}".predictions`);
    expect(t.getChild("n")!.get(0)).toBe(5);
  });

  it("samples rows by sampleRate", async () => {
    const wh: Warehouse = await target.open();
    const schema = uniqueName("trellis_predictions");
    cleanup.push(async () => void (await wh.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => 0)));
    const svc = await serve({ models: { churn: model }, port: 0, logPredictions: { warehouse: wh, schema, sampleRate: 0 } });
    expect(await post(`${svc.url}/v2/models/churn/predict`, { rows }, "a")).toBe(200);
    expect(svc.handler.predictionLog!.pending).toBe(0);
    await svc.close();
  });
});

describe("logPredictions options", () => {
  it("refuses a bad sampleRate and table name with a sentence", async () => {
    await expect(serve({ models: { churn: model }, port: 0, logPredictions: { warehouse: "embedded:memory", sampleRate: 2 } })).rejects.toThrow(
      "logPredictions: sampleRate must be between 0 and 1, got 2.",
    );
    await expect(serve({ models: { churn: model }, port: 0, logPredictions: { warehouse: "embedded:memory", table: "a;drop" } })).rejects.toThrow(
      'logPredictions: table must be a plain SQL name (letters, digits, _; at most 63), got "a;drop".',
    );
  });
});
