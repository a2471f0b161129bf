/**
 * Step 3: a day of traffic. Starts the service in this process (the embedded warehouse is one
 * process's at a time), sends every customer's last-day snapshot as single-row requests over
 * 127.0.0.1 (bounded: one request per row, 4 at a time), stops it (which flushes the prediction
 * log) and prints what was logged. Then the drift step.
 *
 *   npm run service:traffic -w @trellis/examples
 */
import * as prod from "@trellis/prod";
import { DeployedModel, ModelRegistry, PREDICTIONS_SCHEMA, serve } from "@trellis/prod";
import { Warehouse, formatTable } from "@trellis/shared";
import { MODEL_REF, WAREHOUSE, demoRows } from "./common";

/**
 * The drift step: compares the logged rows with the model's reference profile when this
 * @trellis/prod exports `driftReport` (monitoring, issue 10 §2); says so otherwise.
 */
async function driftStep(wh: Warehouse, model: DeployedModel): Promise<void> {
  if (!model.reference) {
    console.log("drift report: the model was saved without a reference profile; save it with { reference: trainRows }.");
    return;
  }
  // The day's logged inputs against the training data's profile.
  const current = await wh.query(`SELECT * FROM ${PREDICTIONS_SCHEMA}.predictions WHERE model_digest = $1`, [model.digest]);
  const report = await prod.driftReport({ reference: model.reference, current });
  console.log(report.toString());
}

async function main(): Promise<void> {
  const { lastDay } = demoRows();
  const svc = await serve({ models: { churn: MODEL_REF }, warehouse: WAREHOUSE, port: 0, logPredictions: { warehouse: WAREHOUSE } });
  let ok = 0;
  let failed = 0;
  const t0 = performance.now();
  try {
    let next = 0;
    const worker = async () => {
      while (next < lastDay.length) {
        const row = lastDay[next++];
        const r = await fetch(`${svc.url}/v2/models/churn/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(row) });
        await r.arrayBuffer();
        if (r.ok) ok++;
        else failed++;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  } finally {
    await svc.close();
  }
  console.log(`sent ${lastDay.length} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${ok} ok, ${failed} refused`);
  const wh = await Warehouse.open(WAREHOUSE);
  try {
    const counts = await wh.query(
      `SELECT model_name, model_version, count(*)::int AS rows, sum(CASE WHEN prediction = 1 THEN 1 ELSE 0 END)::int AS predicted_churn, round(avg(proba_1)::numeric, 4)::float8 AS mean_proba_1
         FROM ${PREDICTIONS_SCHEMA}.predictions GROUP BY model_name, model_version ORDER BY model_version`,
    );
    console.log(formatTable(counts, { title: "prediction log" }));
    const registry = await ModelRegistry.open(wh);
    await driftStep(wh, await DeployedModel.load(MODEL_REF, { registry }));
  } finally {
    await wh.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
