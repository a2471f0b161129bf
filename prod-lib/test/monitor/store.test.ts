import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { rowsOf } from "@trellis/shared";
import { useWarehouses } from "../../../shared/test/helpers/warehouses";
import { buildReferenceProfile } from "../../src/monitor/profile";
import { MONITORING_SCHEMA, driftHistory, loadDriftReport, monitor, type MonitoredModel } from "../../src/monitor/store";

function rows(n: number, shift: number, seed: number): Record<string, unknown>[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, () => ({
    tenure: Math.round(rand() * 60 + shift),
    plan: rand() < 0.5 ? "basic" : shift > 0 && rand() < 0.4 ? "enterprise" : "pro",
  }));
}

const model: MonitoredModel = { name: "churn", version: 3, digest: "sha256:abc123", reference: buildReferenceProfile(rows(1000, 0, 1)) };

const targets = useWarehouses();

describe.each(targets)("monitor on $name", (target) => {
  // On the server each test file has a schema of its own; the embedded database is fresh, so it uses the default.
  const schema = target.schema ?? MONITORING_SCHEMA;

  it("creates the monitoring tables on first use, appends reports and reads them back with driftHistory", async () => {
    const wh = await target.open();
    expect(await driftHistory(wh, { model: "churn", schema })).toHaveProperty("numRows", 0);

    const first = await monitor({ model, current: rows(500, 0, 2), warehouse: wh, schema, window: { start: "2025-06-01T00:00:00Z", end: "2025-06-02T00:00:00Z" } });
    const second = await monitor({ model, current: rows(500, 30, 3), warehouse: wh, schema, window: { start: new Date("2025-06-02T00:00:00Z"), end: new Date("2025-06-03T00:00:00Z") } });
    expect(first.report.summary.status).toBe("ok");
    expect(second.report.summary.status).toBe("drift");

    const version = await wh.query(`SELECT version FROM "${schema}".schema_version`);
    expect(rowsOf(version)).toEqual([{ version: 1 }]);

    const history = await driftHistory(wh, { model: "churn", schema });
    expect(history.numRows).toBe(4);
    const got = rowsOf(history);
    expect(got.map((r) => [r.report_id, r.column_name, r.status, r.report_status])).toEqual([
      [first.id, "plan", "ok", "ok"],
      [first.id, "tenure", "ok", "ok"],
      [second.id, "plan", "drift", "drift"],
      [second.id, "tenure", "drift", "drift"],
    ]);
    expect(got[0]).toMatchObject({ model_name: "churn", model_version: "3", model_digest: "sha256:abc123", drift_share: 0, kind: "categorical" });
    expect(got[1]!.psi).toBe(first.report.column("tenure").psi);
    expect(got[3]!.psi).toBe(second.report.column("tenure").psi);
    expect(got[2]!.unseen_count).toBe(second.report.column("plan").kind === "categorical" ? (second.report.column("plan") as { unseenCount: number }).unseenCount : -1);
    expect(got[0]!.window_start).toEqual(new Date("2025-06-01T00:00:00Z"));
    expect(got[3]!.window_end).toEqual(new Date("2025-06-03T00:00:00Z"));
    expect(history.schema.fields.map((f) => String(f.type))).toEqual((await driftHistory(wh, { model: "nobody", schema })).schema.fields.map((f) => String(f.type)));

    const tenure = await driftHistory(wh, { model: "churn", column: "tenure", since: "2025-01-01", schema });
    expect(rowsOf(tenure).map((r) => r.report_id)).toEqual([first.id, second.id]);
    expect((await driftHistory(wh, { model: { name: "churn", version: 4 }, schema })).numRows).toBe(0);
    expect((await driftHistory(wh, { model: "churn", since: new Date(Date.now() + 60_000), schema })).numRows).toBe(0);

    const back = await loadDriftReport(wh, second.id, { schema });
    expect(back.toJSON()).toEqual(second.report.toJSON());
    await expect(loadDriftReport(wh, "nope", { schema })).rejects.toThrow(`loadDriftReport: no drift report "nope" in schema ${schema}`);
  });

  it("refuses a model without a reference profile and a window that ends before it starts, writing nothing", async () => {
    const wh = await target.open();
    const before = (await driftHistory(wh, { model: "churn", schema })).numRows;
    await expect(monitor({ model: { name: "bare", reference: null }, current: rows(10, 0, 1), warehouse: wh, schema })).rejects.toThrow(
      'monitor: model "bare" has no reference profile; save the model with its training data as reference',
    );
    await expect(
      monitor({ model, current: rows(10, 0, 1), warehouse: wh, schema, window: { start: "2025-06-02T00:00:00Z", end: "2025-06-01T00:00:00Z" } }),
    ).rejects.toThrow("monitor: window.start (2025-06-02T00:00:00.000Z) is after window.end (2025-06-01T00:00:00.000Z).");
    await expect(monitor({ model, current: rows(10, 0, 1), warehouse: wh, schema, window: { start: "yesterday" } })).rejects.toThrow(
      'monitor: window.start must be a Date or an ISO-8601 time such as "2025-06-01T00:00:00Z", got "yesterday".',
    );
    expect((await driftHistory(wh, { model: "churn", schema })).numRows).toBe(before);
  });

  it("leaves no report row when the column rows cannot be written", async () => {
    const wh = await target.open();
    await monitor({ model, current: rows(150, 0, 2), warehouse: wh, schema });
    const before = await wh.query(`SELECT count(*)::int AS n FROM "${schema}".drift_reports`);
    // A column name PostgreSQL cannot store in text (NUL) makes the second insert fail inside the transaction.
    const bad: MonitoredModel = { ...model, reference: buildReferenceProfile([{ "a\u0000b": 1 }]) };
    await expect(monitor({ model: bad, current: [{ "a\u0000b": 2 }], warehouse: wh, schema })).rejects.toThrow();
    const after = await wh.query(`SELECT count(*)::int AS n FROM "${schema}".drift_reports`);
    expect(after.get(0)!.n).toBe(before.get(0)!.n);
  });

  it("refuses tables written by a newer layout version", async () => {
    const wh = await target.open();
    const other = `${schema}_v`;
    await monitor({ model, current: rows(150, 0, 2), warehouse: wh, schema: other });
    await wh.exec(`INSERT INTO "${other}".schema_version (version) VALUES (2)`);
    await expect(monitor({ model, current: rows(150, 0, 2), warehouse: wh, schema: other })).rejects.toThrow(
      `the monitoring tables in schema ${other} are at layout version 2, newer than this @trellis/prod understands (1); upgrade @trellis/prod.`,
    );
    await expect(driftHistory(wh, { model: "churn", schema: other })).rejects.toThrow("layout version 2");
    await wh.exec(`DROP SCHEMA "${other}" CASCADE`);
  });
});

describe("monitor", () => {
  it("opens and closes a warehouse given by URL", async () => {
    const { id } = await monitor({ model, current: arrow.tableFromArrays({ tenure: Float64Array.from({ length: 200 }, (_, i) => i % 60) }), warehouse: "embedded:memory" });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
