import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { FeatureStore, entity, featureView, lakeDataset, warehouseTable, type OnlineResult } from "@trellis/shared";

const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const stats = featureView({
  name: "customer_stats",
  version: 1,
  entity: customer,
  ttl: { days: 30 },
  source: warehouseTable({ table: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" }),
  schema: {
    orders_30d: z.number().int().nullable(),
    avg_basket: z.number().nullable(),
    segment: z.enum(["bronze", "silver", "gold"]).nullable(),
  },
});
const storeDay = entity({ name: "store_day", joinKeys: { store_id: z.int32(), day: z.string() } });
const sales = featureView({
  name: "store_sales",
  version: 3,
  entity: storeDay,
  source: lakeDataset({ path: "sales", timestamp: "ts" }),
  schema: { revenue: z.number(), open: z.boolean() },
});

declare const store: FeatureStore<typeof stats | typeof sales>;

describe("FeatureStore (types)", () => {
  it("opens a store typed by its views", () => {
    expectTypeOf(FeatureStore.open({ warehouse: "embedded:memory", views: [stats, sales] })).resolves.toEqualTypeOf<
      FeatureStore<typeof stats | typeof sales>
    >();
  });

  it("types historical rows from refs, selections and strings", async () => {
    const entityRows = [{ customer_id: 1, store_id: 2, day: "2025-01-01", event_ts: "2025-01-02T00:00:00Z", label: 1 }];
    const frame = await store.getHistoricalFeatures({
      entityRows,
      features: [...stats.select("orders_30d"), stats.f.segment.as("tier"), "store_sales:revenue", sales.f.open],
    });
    expectTypeOf(frame.rows()[0]).toEqualTypeOf<{
      customer_id: number;
      store_id: number;
      day: string;
      event_ts: Date;
      label: number;
      orders_30d: number | null;
      tier: "bronze" | "silver" | "gold" | null;
      revenue: number | null;
      open: boolean | null;
    }>();
  });

  it("rejects unknown string references at compile time", () => {
    // @ts-expect-error customer_stats has no feature orders_31d
    void store.getHistoricalFeatures({ entityRows: [], features: ["customer_stats:orders_31d"] });
    // @ts-expect-error no view is named customer_statz
    void store.getHistoricalFeatures({ entityRows: [], features: ["customer_statz:orders_30d"] });
  });

  it("types online keys and rows", async () => {
    const res = await store.getOnlineFeatures({ features: [stats.f.avg_basket, sales.f.revenue], entityKeys: [{ customer_id: 1, store_id: 2, day: "d" }] });
    expectTypeOf(res).toEqualTypeOf<
      OnlineResult<{ customer_id: number; store_id: number; day: string; avg_basket: number | null; revenue: number | null }>
    >();
    // @ts-expect-error the key of customer_stats is customer_id
    void store.getOnlineFeatures({ features: [stats.f.avg_basket], entityKeys: [{ id: 1 }] });
  });
});
