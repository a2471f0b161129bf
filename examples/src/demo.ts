/**
 * The Trellis demo: the main job of a small data team, end to end, on embedded defaults (no server).
 *
 * 1. generate a seeded retail dataset (customers, orders, daily customer features over a year);
 * 2. load it into the embedded warehouse (PGlite in `.trellis/warehouse`);
 * 3. export the features to a month-partitioned Parquet lake (`lake/customer_features`);
 * 4. read a slice of the lake back with column projection and a filter;
 * 5. define typed feature views and build a point-in-time-correct training set with churn labels,
 *    once inside the warehouse (SQL pushdown) and once in-process over the lake, and compare them;
 * 6. train a scikit-learn style pipeline on it and score a later period;
 * 7. materialise the latest values and look some customers up online.
 *
 * Run with `npm run demo`. Set TRELLIS_DEMO_WAREHOUSE to use another warehouse (e.g. a postgres:// URL).
 */
import { rmSync } from "node:fs";
import { z } from "zod";
import {
  FeatureStore,
  Warehouse,
  entity,
  featureView,
  lakeDataset,
  move,
  readParquet,
  rowsOf,
  takeRows,
  warehouseTable,
} from "@trellis/shared";
import {
  ColumnTransformer,
  LogisticRegression,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  StandardScaler,
  DeployedModel,
  ModelRegistry,
  accuracyScore,
  rocAucScore,
  saveModel,
  scoreBatch,
} from "@trellis/prod";
import { DAYS, YEAR_START, generateDemoData } from "../notebooks/demo-data";
import { probabilitiesByClass } from "./format";

const WAREHOUSE = process.env.TRELLIS_DEMO_WAREHOUSE ?? "embedded:.trellis/warehouse";
const LAKE = "lake";
const DAY = 86_400_000;

const timings: [string, number][] = [];
async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  timings.push([name, ms]);
  console.log(`  ✓ ${name} (${(ms / 1000).toFixed(2)} s)`);
  return out;
}

// --- Feature definitions: one zod schema per view gives row types, Arrow and Postgres types, validation.
const customer = entity({ name: "customer", joinKey: "customer_id", type: z.int32() });

const customerStats = featureView({
  name: "customer_stats",
  version: 1,
  entity: customer,
  ttl: { days: 30 },
  source: warehouseTable({ table: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" }),
  schema: {
    orders_30d: z.int32().nullable(),
    avg_basket: z.number().nullable(),
    segment: z.enum(["bronze", "silver", "gold"]).nullable(),
  },
  expectations: { avg_basket: { min: 0, maxNullRate: 0.5 }, orders_30d: { min: 0, maxNullRate: 0.05 } },
});

/** The same features read from the Parquet lake (the in-process path). */
const customerStatsLake = featureView({
  name: "customer_stats_lake",
  version: 1,
  entity: customer,
  ttl: { days: 30 },
  source: lakeDataset({ path: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" }),
  schema: customerStats.schema,
});

const customerProfile = featureView({
  name: "customer_profile",
  version: 1,
  entity: customer,
  source: warehouseTable({ table: "customers", timestamp: "signup_ts" }),
  schema: { region: z.enum(["emea", "amer", "apac"]), channel: z.enum(["web", "app", "store"]) },
});

async function main(): Promise<void> {
  const t0 = performance.now();
  console.log(`Trellis demo — warehouse ${WAREHOUSE}, lake ./${LAKE}\n`);

  const data = await step("generate a seeded dataset", () => generateDemoData({ customers: 600, seed: 7 }));
  console.log(
    `    ${data.customers.numRows} customers, ${data.orders.numRows} orders, ` +
      `${data.customerFeatures.numRows} daily feature rows, ${data.labels.numRows} labelled snapshots`,
  );

  const wh = await Warehouse.open(WAREHOUSE);
  try {
    await step("load the warehouse (4 tables, replace)", async () => {
      for (const [name, table] of [
        ["customers", data.customers],
        ["orders", data.orders],
        ["customer_features", data.customerFeatures],
        ["labels", data.labels],
      ] as const) {
        await wh.load(table, name, { mode: "replace" });
      }
    });

    rmSync(`${LAKE}/customer_features`, { recursive: true, force: true });
    const exported = await step("export features to a month-partitioned Parquet lake", () =>
      move(
        {
          warehouse: wh,
          query:
            "SELECT *, to_char(event_ts AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM customer_features ORDER BY customer_id, event_ts",
        },
        { parquet: `${LAKE}/customer_features` },
        { partitionBy: "month" },
      ),
    );
    console.log(`    ${exported.rows} rows → ${LAKE}/customer_features/month=…/`);

    const slice = await step("read a slice back (June, gold customers, 3 columns)", () =>
      readParquet(`${LAKE}/customer_features`, {
        columns: ["customer_id", "event_ts", "avg_basket"],
        filter: [
          ["month", "=", "2025-06"],
          ["segment", "=", "gold"],
        ],
      }),
    );
    console.log(`    ${slice.numRows} rows; columns ${slice.schema.fields.map((f) => f.name).join(", ")}`);

    const store = await FeatureStore.open({
      warehouse: wh,
      lake: LAKE,
      views: [customerStats, customerStatsLake, customerProfile],
    });
    console.log(`    feature views: ${(await store.listViews()).map((v) => `${v.name} v${v.version}`).join(", ")}`);

    // Entity rows are typed: the training rows below are typed too (customer_id, event_ts, churned + features).
    type LabelRow = { customer_id: number; event_ts: Date; churned: number };
    const labels = rowsOf<LabelRow>(data.labels);
    const features = [...customerStats.select("orders_30d", "avg_basket", "segment"), ...customerProfile.select("region", "channel")];
    const training = await step("point-in-time training set, SQL pushdown in the warehouse", () =>
      store.getHistoricalFeatures({
        entityRows: labels,
        features,
      }),
    );
    const lakeTraining = await step("the same join in-process over the lake", () =>
      store.getHistoricalFeatures({
        entityRows: labels,
        features: customerStatsLake.select("orders_30d", "avg_basket", "segment"),
        engine: "in-process",
      }),
    );
    const a = training.rows();
    const b = lakeTraining.rows();
    let same = a.length === b.length;
    for (let i = 0; same && i < a.length; i++) {
      same = a[i].orders_30d === b[i].orders_30d && a[i].avg_basket === b[i].avg_basket && a[i].segment === b[i].segment;
    }
    console.log(`    ${training.numRows} rows (${training.engine}); in-process over the lake agrees: ${same ? "yes" : "NO"}`);
    if (!same) throw new Error("the warehouse and in-process point-in-time joins disagree");

    const validation = await store.validate(customerStats, { start: new Date(YEAR_START), end: new Date(YEAR_START + DAYS * DAY) });
    console.log(`    data quality of customer_stats: ${validation.ok ? "ok" : `${validation.violations.length} expectation(s) violated`}`);

    // Train on snapshots before October, test on the ones after: no look-ahead.
    const cutoff = Date.UTC(2025, 9, 1);
    const rows = training.rows();
    const trainRows = rows.filter((r) => r.event_ts.getTime() < cutoff);
    const testRows = rows.filter((r) => r.event_ts.getTime() >= cutoff);
    const model = new Pipeline({
      steps: [
        [
          "prep",
          new ColumnTransformer({
            transformers: [
              [
                "num",
                new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }),
                ["orders_30d", "avg_basket"],
              ],
              [
                "cat",
                new Pipeline({
                  steps: [
                    ["impute", new SimpleImputer({ strategy: "most_frequent" })],
                    ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })],
                  ],
                }),
                ["segment", "region", "channel"],
              ],
            ],
          }),
        ],
        ["clf", new LogisticRegression({ C: 1, maxIter: 500 })],
      ],
    });
    await step(`fit the churn pipeline on ${trainRows.length} rows`, () => model.fit(trainRows, trainRows.map((r) => r.churned)));
    const proba = model.predictProba(testRows);
    const p1 = Float64Array.from({ length: proba.rows }, (_, i) => proba.get(i, 1));
    const yTest = testRows.map((r) => r.churned);
    const auc = rocAucScore(yTest, p1);
    const acc = accuracyScore(yTest, model.predict(testRows));
    console.log(`    test period: ${testRows.length} rows, ROC AUC ${auc.toFixed(3)}, accuracy ${acc.toFixed(3)}`);

    const end = new Date(YEAR_START + DAYS * DAY);
    await step("materialise the latest values into the online table", () =>
      store.materialize({ views: [customerStats], start: new Date(YEAR_START), end }),
    );
    const online = await step("online lookup of 3 customers", () =>
      store.getOnlineFeatures({
        features: customerStats.select("orders_30d", "avg_basket", "segment"),
        entityKeys: [{ customer_id: 1000 }, { customer_id: 1001 }, { customer_id: 99999 }],
        now: end,
      }),
    );
    for (const r of online.rows) console.log(`    ${JSON.stringify(r)}`);
    console.log(`    missing: ${JSON.stringify(online.missing)}, expired: ${JSON.stringify(online.expired)}`);
    const one = online.rows[0];
    if (one) {
      const p = model.predictOne({ ...one, region: "emea", channel: "web" });
      console.log(`    churn risk of customer 1000 if in emea/web: ${probabilitiesByClass("churned", model.classes_, p)}`);
    }

    // Deployment: the artifact (with the training rows' reference profile), the registry, and a
    // batch of the latest feature rows scored into the lake by the production alias.
    const ChurnRow = z.object({
      orders_30d: z.int32().nullable(),
      avg_basket: z.number().nullable(),
      segment: z.enum(["bronze", "silver", "gold"]).nullable(),
      region: z.enum(["emea", "amer", "apac"]),
      channel: z.enum(["web", "app", "store"]),
    });
    const saved = await step("save the churn model (artifact with hashes and a reference profile)", () =>
      saveModel(model, ".trellis/models/churn", {
        inputSchema: ChurnRow,
        name: "churn",
        reference: trainRows,
        metrics: { rocAuc: auc, accuracy: acc },
        lineage: { featureViews: [customerStats, customerProfile], trainingRows: trainRows },
        overwrite: true,
      }),
    );
    const registry = await ModelRegistry.open(wh);
    const registered = await step("register it and promote it to production", async () => {
      const r = await registry.register("churn", saved);
      await registry.setAlias("churn", "production", r.version);
      return r;
    });
    const deployed = await DeployedModel.load("churn@production", { registry });
    const lastTs = Math.max(...testRows.map((r) => r.event_ts.getTime()));
    const latest = takeRows(training.table, rows.flatMap((r, i) => (r.event_ts.getTime() === lastTs ? [i] : [])));
    const scored = await step("score the latest feature rows into the lake with churn@production", () =>
      scoreBatch({ model: deployed, from: latest, to: `${LAKE}/churn_scores`, keep: ["customer_id", "event_ts"], runLog: wh }),
    );
    console.log(`    churn@production is version ${registered.version}, digest ${deployed.digest}`);
    console.log(`    ${scored.rowsScored} rows scored → ${LAKE}/churn_scores (${scored.columns.join(", ")})`);
    await store.close();
  } finally {
    await wh.close();
  }
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
