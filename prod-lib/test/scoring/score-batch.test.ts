import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { Warehouse, readParquet, rowsOf, tableFromRows, writeParquet } from "@trellis/shared";
import { DeployedModel, LinearRegression, saveModel, scoreBatch, scoringRuns } from "@trellis/prod";
import { TEST_PG_URL, uniqueName, useWarehouses } from "../../../shared/test/helpers/warehouses";
import { MixedRow, fittedMixedPipeline, tempDir, test as testRows } from "../artifact/helpers";
import { XRow } from "../registry/helpers";

const targets = useWarehouses();
const dir = tempDir("trellis-score-");
let model: DeployedModel;
let modelDir: string;
const rows: Record<string, unknown>[] = testRows.map((r, i) => ({ customer_id: i + 1, ...r }));
const input = tableFromRows(rows);

beforeAll(async () => {
  const saved = await saveModel(fittedMixedPipeline(), join(dir, "churn"), { inputSchema: MixedRow, name: "churn" });
  modelDir = saved.dir;
  model = await DeployedModel.load(modelDir);
  await writeParquet(input, join(dir, "in.parquet"));
});

describe("scoreBatch", () => {
  it("writes keys, predictions, per-class probabilities and the model's identity, equal to in-process scoring", async () => {
    const log = await Warehouse.open("embedded:memory");
    try {
      const result = await scoreBatch({ model, from: join(dir, "in.parquet"), to: join(dir, "out.parquet"), keep: ["customer_id"], batchSize: 17, runLog: log });
      expect(result).toMatchObject({ rowsRead: rows.length, rowsScored: rows.length, rowsInvalid: 0 });
      expect(result.columns).toEqual(["customer_id", "prediction", "proba_0", "proba_1", "model_name", "model_version", "model_digest", "scored_at"]);
      const out = await readParquet(join(dir, "out.parquet"));
      const expected = model.predictProba(rows);
      const got = rowsOf(out);
      expect(got.map((r) => r.customer_id)).toEqual(rows.map((r) => r.customer_id));
      expect(got.map((r) => r.proba_1)).toEqual(rows.map((_, i) => expected.probabilitiesOf(i)![1]));
      expect(got.map((r) => r.prediction)).toEqual(expected.predictions);
      expect(new Set(got.map((r) => r.model_digest))).toEqual(new Set([model.digest]));
      expect(got[0]!.model_name).toBe("churn");
      expect(got[0]!.model_version).toBeNull();
      expect(String(out.schema.fields.find((f) => f.name === "scored_at")!.type)).toBe("Timestamp<MICROSECOND, UTC>");
      const [run] = await scoringRuns(log);
      expect(run).toMatchObject({ id: result.runId, status: "SUCCEEDED", rows_read: rows.length, rows_scored: rows.length, rows_invalid: 0, model_digest: model.digest, error: null });
      expect(String(run!.source)).toMatch(/^parquet:.*in\.parquet$/);
    } finally {
      await log.close();
    }
  });

  it("scores invalid rows as null with their reason when asked, and counts them", async () => {
    const bad = [{ ...rows[0]!, monthly_spend: Number.POSITIVE_INFINITY }, rows[1]!, { ...rows[2]!, monthly_spend: Number.NEGATIVE_INFINITY }];
    const result = await scoreBatch({ model, from: { batches: tableFromRows(bad) }, to: join(dir, "nulls.csv"), keep: ["customer_id"], onInvalid: "null", runLog: false });
    expect(result).toMatchObject({ rowsRead: 3, rowsScored: 1, rowsInvalid: 2 });
    const out = rowsOf((await import("@trellis/shared")).parseCsv(await (await import("node:fs/promises")).readFile(join(dir, "nulls.csv"), "utf8")).table);
    expect(out.map((r) => r.prediction === null)).toEqual([true, false, true]);
    expect(String(out[0]!.scoring_error)).toContain("monthly_spend");
    expect(out[1]!.scoring_error).toBeNull();
  });

  it("leaves the destination as it was and records the failure when a row is invalid mid-way", async () => {
    const log = await Warehouse.open("embedded:memory");
    try {
      const many: Record<string, unknown>[] = Array.from({ length: 60 }, (_, i) => ({ ...rows[i % rows.length]!, customer_id: i }));
      many[45] = { ...many[45]!, monthly_spend: Number.POSITIVE_INFINITY };
      const target = join(dir, "failed.parquet");
      await expect(scoreBatch({ model, from: tableFromRows(many), to: target, batchSize: 20, runLog: log })).rejects.toThrow("monthly_spend");
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.includes("failed"))).toEqual([]);
      const [run] = await scoringRuns(log);
      expect(run).toMatchObject({ status: "FAILED", rows_read: 40, rows_scored: 40 });
      expect(String(run!.error)).toContain("monthly_spend");
    } finally {
      await log.close();
    }
  });

  it("refuses keep columns that clash with score columns or are not in the source", async () => {
    await expect(scoreBatch({ model, from: input, to: join(dir, "x.csv"), keep: ["prediction"], runLog: false })).rejects.toThrow(
      'scoreBatch: keep names output column(s) "prediction"; rename them in the source first.',
    );
    await expect(scoreBatch({ model, from: input, to: join(dir, "y.csv"), keep: ["nope"], runLog: false })).rejects.toThrow(
      'scoreBatch: keep names column(s) "nope" not in the source',
    );
    await expect(scoreBatch({ model: {} as DeployedModel, from: input, to: join(dir, "z.csv") })).rejects.toThrow("scoreBatch: option model must be a DeployedModel");
  });
});

describe.each(targets)("scoreBatch between warehouse tables on $name", (target) => {
  it("reads a table, writes a table and records the run in the same warehouse", async () => {
    const wh = await target.open();
    const src = uniqueName("features");
    const dst = uniqueName("scores");
    await wh.load(input, src);
    const result = await scoreBatch({ model, from: { warehouse: wh, table: src }, to: { warehouse: wh, table: dst }, keep: ["customer_id"], runLogSchema: uniqueName("scoring") });
    const out = await wh.query(`SELECT customer_id, proba_1 FROM ${dst} ORDER BY customer_id`);
    const expected = model.predictProba(rows);
    expect(out.numRows).toBe(rows.length);
    expect(Array.from(out.getChild("proba_1")!.toArray() as Float64Array)).toEqual(rows.map((_, i) => expected.probabilitiesOf(i)![1]));
    expect(result.rowsScored).toBe(rows.length);
  });
});

const CHILD = fileURLToPath(new URL("./score-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs the scoring child, kills it with SIGKILL after its second batch, and resolves when it is gone. */
function killMidway(args: string[]): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.split("\n").filter(Boolean).length >= 2) child.kill("SIGKILL");
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => (signal ? resolve({ signal, out }) : reject(new Error(`child ended (${code}) before it was killed: ${out} ${err}`))));
  });
}

describe("scoreBatch killed mid-way", { timeout: 180_000 }, () => {
  let linearDir: string;
  beforeAll(async () => {
    const train = Array.from({ length: 50 }, (_, i) => ({ a: i, b: (i * 3) % 7 }));
    const saved = await saveModel(new LinearRegression().fit(train, train.map((r) => r.a + r.b)), join(dir, "linear"), { inputSchema: XRow });
    linearDir = saved.dir;
    const n = 400_000;
    const a = new Float64Array(n).map((_, i) => i % 1000);
    const b = new Float64Array(n).map((_, i) => i % 7);
    await writeParquet(new arrow.Table({ a: arrow.makeVector(a), b: arrow.makeVector(b) }), join(dir, "big.parquet"));
  });

  it("leaves no output file behind", async () => {
    const target = join(dir, "killed-out.parquet");
    const { signal, out } = await killMidway([linearDir, join(dir, "big.parquet"), target]);
    expect(signal).toBe("SIGKILL");
    expect(out).not.toContain("done");
    expect(existsSync(target)).toBe(false);
  });

  it.skipIf(!TEST_PG_URL)("leaves no table (not even half of one) in the server warehouse", async () => {
    const table = uniqueName("killed_scores");
    const { signal } = await killMidway([linearDir, join(dir, "big.parquet"), table, TEST_PG_URL!]);
    expect(signal).toBe("SIGKILL");
    const wh = await Warehouse.open(TEST_PG_URL!);
    try {
      // The killed backend's transaction is rolled back once the server notices the closed socket.
      let exists = true;
      for (let i = 0; i < 50 && exists; i++) {
        exists = await wh.tableExists(table);
        if (exists) await new Promise((r) => setTimeout(r, 100));
      }
      expect(exists).toBe(false);
    } finally {
      await wh.close();
    }
  });
});
