import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Warehouse } from "@trellis/shared";
import { Tracker } from "@trellis/dev";
import { logWorkload } from "./fixtures/workload";
import { TEST_PG_URL, uniqueName } from "./helpers";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const worker = fileURLToPath(new URL("./fixtures/log-worker.ts", import.meta.url));
const N = 200;

function spawnWorker(url: string, schema: string, label: "a" | "b", shared: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", worker, url, schema, label, shared ?? "-", String(N)], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`worker ${label} failed: ${stderr || err.message}`));
      else resolve((JSON.parse(stdout.trim().split("\n").pop()!) as { run: string }).run);
    });
  });
}

async function checkCounts(tracker: Tracker, own: string[], shared: string | null, N: number): Promise<void> {
  for (const id of own) {
    const r = await tracker.getRun(id);
    expect(r.info.status).toBe("FINISHED");
    expect((await tracker.getMetricHistory(id, "loss")).map((p) => p.step)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(Object.keys(r.params).length).toBe(N / 4);
    expect(r.metrics.loss).toBe(1 / N);
  }
  if (shared === null) return;
  const r = await tracker.getRun(shared);
  for (const label of ["a", "b"]) {
    expect((await tracker.getMetricHistory(shared, `${label}_loss`)).length).toBe(N);
    expect(Object.keys(r.params).filter((k) => k.startsWith(`${label}_p`)).length).toBe(N / 4);
  }
  const both = await tracker.getMetricHistory(shared, "both");
  expect(both.map((p) => p.step)).toEqual(Array.from({ length: 2 * N }, (_, i) => i));
  // The latest value of the contended key is the one at the highest step, whoever wrote last.
  expect(r.latestMetrics.both).toMatchObject({ step: 2 * N - 1, value: 2 * N - 1 });
  expect(r.metrics).toMatchObject({ a_loss: N - 1, b_loss: N - 1 });
}

describe.skipIf(!TEST_PG_URL)("tracking from two processes on the server", { timeout: 180_000 }, () => {
  const schemas: string[] = [];
  afterAll(async () => {
    const admin = await Warehouse.open(TEST_PG_URL!, { poolSize: 1 });
    try {
      for (const s of schemas) await admin.exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await admin.close();
    }
  });

  it("creates the tables once when both processes race to create them, and loses nothing", async () => {
    const schema = uniqueName("trk_race");
    schemas.push(schema);
    const runs = await Promise.all([spawnWorker(TEST_PG_URL!, schema, "a", null), spawnWorker(TEST_PG_URL!, schema, "b", null)]);
    const tracker = await Tracker.open(TEST_PG_URL!, { schema });
    try {
      const v = await tracker.warehouse.query(`SELECT count(*)::int4 AS n, min(version) AS version FROM "${schema}".schema_version`);
      expect([v.get(0)?.n, v.get(0)?.version]).toEqual([1, 1]);
      await checkCounts(tracker, runs, null, N);
    } finally {
      await tracker.close();
    }
  });

  it("keeps every value when both log to their own runs and to one shared run at once", async () => {
    const schema = uniqueName("trk_shared");
    schemas.push(schema);
    const tracker = await Tracker.open(TEST_PG_URL!, { schema });
    try {
      const shared = await tracker.startRun({ experiment: "concurrency", name: "shared" });
      const runs = await Promise.all([spawnWorker(TEST_PG_URL!, schema, "a", shared.id), spawnWorker(TEST_PG_URL!, schema, "b", shared.id)]);
      await checkCounts(tracker, runs, shared.id, N);
      const totals = await tracker.warehouse.query(
        `SELECT (SELECT count(*) FROM "${schema}".metrics)::int4 AS metrics, (SELECT count(*) FROM "${schema}".params)::int4 AS params`,
      );
      expect([totals.get(0)?.metrics, totals.get(0)?.params]).toEqual([2 * N + 2 * N + 2 * N, 2 * (N / 4) * 2]);
    } finally {
      await tracker.close();
    }
  });
});

describe("tracking from two writers in one process on PGlite", () => {
  // PGlite serialises every statement in one process: fewer values keep the test quick, the check is the same.
  const n = 100;
  it("keeps every value when both log at once to their own runs and to one shared run", { timeout: 180_000 }, async () => {
    const tracker = await Tracker.open("embedded:memory", { git: false });
    try {
      const shared = await tracker.startRun({ experiment: "concurrency", name: "shared" });
      const runs = await Promise.all([logWorkload(tracker, "a", shared.id, n), logWorkload(tracker, "b", shared.id, n)]);
      await checkCounts(tracker, runs, shared.id, n);
    } finally {
      await tracker.close();
    }
  });
});
