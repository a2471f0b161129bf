/**
 * What the experiment and deployment notebooks share: the demo's warehouse and lake (made when
 * missing, as `npm run demo` makes them), the churn feature views, the point-in-time training set
 * and the churn pipeline. The features notebook declares the same views step by step.
 */
import { existsSync, rmSync } from "node:fs";
import { z } from "zod";
import { FeatureStore, Warehouse, entity, featureView, move, warehouseTable } from "@trellis/shared";
import { ColumnTransformer, LogisticRegression, OneHotEncoder, Pipeline, SimpleImputer, StandardScaler } from "@trellis/prod";
import { generateDemoData } from "./demo-data";

/** The demo's folders, seen from examples/notebooks. */
export const WAREHOUSE = "embedded:../.trellis/warehouse";
export const LAKE = "../lake";
/** Snapshots before this moment train; later ones are the "future" the model meets. */
export const CUTOFF = new Date(Date.UTC(2025, 9, 1));

export const NUMERIC = ["orders_30d", "avg_basket"] as const;
export const CATEGORICAL = ["segment", "region", "channel"] as const;

/**
 * Opens the demo warehouse, loading the seeded data (and the month-partitioned lake) when absent.
 * @example const wh = await openDemoWarehouse();
 */
export async function openDemoWarehouse(): Promise<Warehouse> {
  const wh = await Warehouse.open(WAREHOUSE);
  const tables = ["customers", "orders", "customer_features", "labels"];
  const present = (await Promise.all(tables.map((t) => wh.tableExists(t)))).every(Boolean) && existsSync(`${LAKE}/customer_features`);
  if (!present) {
    const data = generateDemoData({ customers: 600, seed: 7 });
    await wh.load(data.customers, "customers", { mode: "replace" });
    await wh.load(data.orders, "orders", { mode: "replace" });
    await wh.load(data.customerFeatures, "customer_features", { mode: "replace" });
    await wh.load(data.labels, "labels", { mode: "replace" });
    rmSync(`${LAKE}/customer_features`, { recursive: true, force: true });
    await move(
      { warehouse: wh, query: "SELECT *, to_char(event_ts AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM customer_features ORDER BY customer_id, event_ts" },
      { parquet: `${LAKE}/customer_features` },
      { partitionBy: "month" },
    );
  }
  return wh;
}

export const customer = entity({ name: "customer", joinKey: "customer_id", type: z.int32() });

export const customerStats = featureView({
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
});

export const customerProfile = featureView({
  name: "customer_profile",
  version: 1,
  entity: customer,
  source: warehouseTable({ table: "customers", timestamp: "signup_ts" }),
  schema: { region: z.enum(["emea", "amer", "apac"]), channel: z.enum(["web", "app", "store"]) },
});

/** The features the churn model reads. */
export const churnFeatures = [...customerStats.select("orders_30d", "avg_basket", "segment"), ...customerProfile.select("region", "channel")];

/**
 * Opens the feature store on the warehouse with the churn views.
 * @example const store = await openChurnStore(wh);
 */
export function openChurnStore(wh: Warehouse) {
  return FeatureStore.open({ warehouse: wh, views: [customerStats, customerProfile] });
}

/**
 * The churn pipeline: median-imputed, standardised numbers and one-hot categories into a logistic
 * regression with the given options.
 * @example const model = churnPipeline({ C: 0.1 });
 */
export function churnPipeline(clf: { C?: number; classWeight?: "balanced" | null } = {}) {
  return new Pipeline({
    steps: [
      [
        "prep",
        new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), [...NUMERIC]],
            [
              "cat",
              new Pipeline({
                steps: [
                  ["impute", new SimpleImputer({ strategy: "most_frequent" })],
                  ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })],
                ],
              }),
              [...CATEGORICAL],
            ],
          ],
        }),
      ],
      ["clf", new LogisticRegression({ C: 1, maxIter: 500, ...clf })],
    ],
  });
}
