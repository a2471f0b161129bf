/**
 * The README's examples run as written: each TypeScript block of the @trellis/shared, @trellis/prod and
 * experiment-tracking sections is extracted, given the data it assumes (a `customer_features` table in
 * an embedded warehouse; training and test rows), type-checked against the built packages and run
 * in a scratch folder. Needs `npm run build` (part of `npm test`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
// Inside the repository so that the workspace packages and tsx resolve from node_modules.
const scratch = join(root, "node_modules", ".cache", `trellis-readme-${process.pid}`);

/** The first ```ts block after the heading that starts with `heading`. */
function block(heading: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const at = readme.indexOf(`\n## ${heading}`);
  if (at < 0) throw new Error(`README has no section "## ${heading}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README section "${heading}" has no ts block`);
  return m[1];
}

const sharedPrelude = `
import { Warehouse } from "@trellis/shared";
{
  const wh = await Warehouse.open("embedded:.trellis/warehouse");
  await wh.exec("CREATE TABLE customer_features (customer_id integer, event_ts timestamptz, created_ts timestamptz, orders_30d integer, avg_basket double precision, segment text)");
  await wh.exec(\`INSERT INTO customer_features VALUES
    (1001, '2025-05-01Z', '2025-05-01Z', 2, 30.5, 'silver'),
    (1001, '2025-05-20Z', '2025-05-20Z', 7, 41.0, 'gold'),
    (1001, '2025-06-02Z', '2025-06-02Z', 9, 45.0, 'gold'),
    (1002, '2025-05-25Z', '2025-05-25Z', 1, 12.0, 'bronze')\`);
  await wh.close();
}
`;
const sharedEpilogue = `
console.log(JSON.stringify({ rows: training.numRows, first: training.rows()[0], goldRows: june.numRows, goldColumns: june.schema.fields.map((f) => f.name) }));
await store.close();
`;

const prodPrelude = `
import { estimatorFromJSON } from "@trellis/prod";
type Row = { orders_30d: number | null; avg_basket: number; segment: string; churned: number };
const segments = ["bronze", "silver", "gold"];
const rows: Row[] = Array.from({ length: 400 }, (_, i) => {
  const orders = (i * 37) % 11;
  const basket = 10 + ((i * 13) % 50);
  const noise = ((i * 7919) % 13) / 13;
  return { orders_30d: i % 9 === 0 ? null : orders, avg_basket: basket, segment: segments[i % 3], churned: orders + noise * 6 < 6 ? 1 : 0 };
});
const trainRows = rows.slice(0, 300);
const testRows = rows.slice(300).map((r) => (r === rows[350] ? { ...r, segment: "platinum" } : r));
const yTest = testRows.map((r) => r.churned);
`;
const prodEpilogue = `
const restored = estimatorFromJSON(JSON.parse(json)) as typeof model;
const again = restored.predictProba(testRows);
console.log(JSON.stringify({
  auc: rocAucScore(yTest, proba),
  rows: proba.rows,
  columns: proba.columns,
  sameAfterJson: again.data.every((v, i) => v === model.predictProba(testRows).data[i]),
  one: Array.from(model.predictOne({ orders_30d: 3, avg_basket: 42.5, segment: "gold" })),
}));
`;

const deployEpilogue = `
const again = await DeployedModel.load("models/churn");
console.log(JSON.stringify({
  same: deployed.digest === saved.digest && again.digest === saved.digest,
  rows: scored.rows,
  invalid: scored.invalidRows.length,
  warnings: scored.warnings,
  bitForBit: scored.probabilities!.data.every((v, i) => v === model.predictProba(testRows).data[i]),
  one: deployed.predictOne({ orders_30d: 3, avg_basket: 42.5, segment: "gold" }).probabilities,
  refused: (() => { try { deployed.predictOne({ orders_30d: 2.5, avg_basket: 1, segment: "gold" }); return null; } catch (e) { return (e as Error).message; } })(),
}));
`;
const trackingPrelude = `
import { z } from "zod";
import { ColumnTransformer, LogisticRegression, OneHotEncoder, Pipeline, StandardScaler } from "@trellis/prod";
const Row = z.object({ orders_30d: z.number(), avg_basket: z.number(), segment: z.string() });
const trainRows = Array.from({ length: 200 }, (_, i) => ({
  orders_30d: (i * 37) % 11, avg_basket: 10 + ((i * 13) % 50), segment: ["bronze", "silver", "gold"][i % 3], churned: ((i * 37) % 11) + ((i * 7) % 5) < 7 ? 1 : 0,
}));
const model = new Pipeline({ steps: [
  ["prep", new ColumnTransformer({ transformers: [["num", new StandardScaler(), ["orders_30d", "avg_basket"]], ["cat", new OneHotEncoder({ handleUnknown: "ignore" }), ["segment"]]] })],
  ["clf", new LogisticRegression({ C: 1 })],
] });
`;
const trackingEpilogue = `
console.log(JSON.stringify({
  found: best.map((r) => r.info.runId),
  runId,
  status: best[0]?.info.status,
  auc: best[0]?.metrics.auc,
  textHasRun: comparison.toString().includes("baseline"),
  digest,
  same: Array.from((restored as typeof model).predictProba(trainRows).data).every((v, i) => v === model.predictProba(trainRows).data[i]),
}));
`;

function run(file: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ["--import", "tsx", file], { cwd: join(scratch, file.replace(/\.mts$/, "")), encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!);
}

describe("README examples", () => {
  mkdirSync(scratch, { recursive: true });
  const files = {
    "shared.mts": sharedPrelude + block("@trellis/shared") + sharedEpilogue,
    "prod.mts": prodPrelude + block("@trellis/prod") + prodEpilogue,
    "deploy.mts": prodPrelude + block("@trellis/prod") + block("Deploying a model") + deployEpilogue,
    "tracking.mts": trackingPrelude + block("@trellis/dev — experiment tracking") + trackingEpilogue,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(scratch, name.replace(/\.mts$/, "")), { recursive: true });
    writeFileSync(join(scratch, name.replace(/\.mts$/, ""), name), text);
  }
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("type-check against the built packages", () => {
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true, types: ["node"] },
        include: ["*/*.mts"],
      }),
    );
    let output = "";
    try {
      execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", scratch], { cwd: scratch, encoding: "utf8" });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe("");
  });

  it("@trellis/shared: a point-in-time training set, a partitioned export and a filtered read", () => {
    const r = run("shared.mts");
    expect(r.rows).toBe(1);
    // The latest row at or before 2025-06-01 within 30 days: the one of 2025-05-20.
    expect(r.first).toEqual({ customer_id: 1001, event_ts: "2025-06-01T00:00:00.000Z", churned: 0, orders_30d: 7, segment: "gold" });
    expect(r.goldRows).toBe(2);
    expect(r.goldColumns).toEqual(["customer_id", "avg_basket"]);
  });

  it("@trellis/prod: the pipeline fits, scores, survives JSON and predicts one row", () => {
    const r = run("prod.mts");
    expect(r.rows).toBe(100);
    expect(r.columns).toEqual(["0", "1"]);
    expect(r.auc as number).toBeGreaterThan(0.8);
    expect(r.sameAfterJson).toBe(true);
    const one = r.one as number[];
    expect(one).toHaveLength(2);
    expect(one[0] + one[1]).toBeCloseTo(1, 12);
  });

  it("deploying: the pipeline saved, loaded as a DeployedModel and scored with validation", () => {
    const r = run("deploy.mts");
    expect(r.same).toBe(true);
    expect(r.rows).toBe(100);
    expect(r.invalid).toBe(0);
    expect(r.warnings).toEqual(['ignored 1 field not in the input schema: "churned" (100 rows)']);
    expect(r.bitForBit).toBe(true);
    expect((r.one as number[]).length).toBe(2);
    expect(r.refused).toContain('field "orders_30d" must be an integer, got 2.5');
  });

  it("@trellis/dev: a tracked run, a search, a comparison and the logged model loaded back", () => {
    const r = run("tracking.mts");
    expect(r.found).toEqual([r.runId]);
    expect([r.status, r.auc, r.textHasRun, r.same]).toEqual(["FINISHED", 0.9, true, true]);
    expect(r.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
