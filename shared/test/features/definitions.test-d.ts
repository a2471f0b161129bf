import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { type InferKey, entity } from "../../src/features/entity";
import { type FeatureRef, type InferFeatures, type InferRow, featureView } from "../../src/features/feature-view";
import { warehouseTable } from "../../src/features/sources";

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

describe("feature definitions (types)", () => {
  it("infers the row type of a view from its zod schema", () => {
    expectTypeOf<InferRow<typeof stats>>().toEqualTypeOf<{
      customer_id: number;
      orders_30d: number | null;
      avg_basket: number | null;
      segment: "bronze" | "silver" | "gold" | null;
    }>();
    expectTypeOf<InferFeatures<typeof stats>>().toEqualTypeOf<{
      orders_30d: number | null;
      avg_basket: number | null;
      segment: "bronze" | "silver" | "gold" | null;
    }>();
  });
  it("types feature references and rejects unknown feature names", () => {
    expectTypeOf(stats.f.orders_30d).toEqualTypeOf<FeatureRef<"customer_stats", "orders_30d", number | null>>();
    expectTypeOf(stats.f.segment.as("seg")).toEqualTypeOf<FeatureRef<"customer_stats", "segment", "bronze" | "silver" | "gold" | null, "seg">>();
    // @ts-expect-error orders_31d is not a feature of customer_stats
    stats.f.orders_31d;
    // @ts-expect-error nope is not a feature of customer_stats
    stats.select("orders_30d", "nope");
    const sel = stats.select("avg_basket", "segment");
    expectTypeOf(sel).toEqualTypeOf<
      readonly [FeatureRef<"customer_stats", "avg_basket", number | null>, FeatureRef<"customer_stats", "segment", "bronze" | "silver" | "gold" | null>]
    >();
  });
  it("types composite entity keys", () => {
    expectTypeOf<InferKey<typeof storeDay>>().toEqualTypeOf<{ store_id: number; day: string }>();
  });
});
