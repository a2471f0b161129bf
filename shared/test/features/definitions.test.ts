import { describe, expect, it } from "vitest";
import { z } from "zod";
import { FeatureStoreError, InvalidArgumentError } from "@trellis/shared";
import { entity } from "../../src/features/entity";
import { featureView } from "../../src/features/feature-view";
import { latestPerKeySql, pointInTimeSql } from "../../src/features/point-in-time-sql";
import { lakeDataset, sqlQuery, warehouseTable } from "../../src/features/sources";
import { ttlMicros } from "../../src/features/ttl";

const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
const view = featureView({
  name: "customer_stats",
  version: 1,
  entity: customer,
  ttl: { days: 30 },
  source: warehouseTable({ table: 'odd"schema.customer features', timestamp: "event_ts", createdTimestamp: "created_ts" }),
  schema: { orders_30d: z.number().int().nullable(), segment: z.enum(["bronze", "silver", "gold"]).nullable() },
});

describe("feature definitions", () => {
  it("converts TTLs to microseconds and rejects bad ones", () => {
    expect(ttlMicros({ days: 1, hours: 2, minutes: 3, seconds: 4, milliseconds: 5 })).toBe(93_784_005_000);
    expect(ttlMicros(null)).toBeNull();
    expect(() => ttlMicros({ weeks: 1 } as never)).toThrow('ttl: unknown unit "weeks"; use days, hours, minutes, seconds or milliseconds.');
    expect(() => ttlMicros({ days: -1 })).toThrow(InvalidArgumentError);
  });

  it("derives Arrow fields, a schema hash and typed refs from the zod schema", () => {
    expect(view.featureFields.map((f) => `${f.name}: ${String(f.type)} ${f.nullable}`)).toEqual(["orders_30d: Int64 true", "segment: Utf8 true"]);
    expect(view.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    expect(view.ttlMicros).toBe(30 * 86_400_000_000);
    expect(String(view.f.segment)).toBe("customer_stats:segment");
    expect(view.select("segment", "orders_30d").map((r) => r.feature)).toEqual(["segment", "orders_30d"]);
    expect(view.f.segment.as("tier").outputName).toBe("tier");
    // The hash follows the shape, not the source or TTL.
    const moved = featureView({ ...view, source: lakeDataset({ path: "x", timestamp: "t" }), ttl: null });
    expect(moved.schemaHash).toBe(view.schemaHash);
    const changed = featureView({ ...view, schema: { ...view.schema, orders_30d: z.number().nullable() } });
    expect(changed.schemaHash).not.toBe(view.schemaHash);
  });

  it("rejects bad definitions with messages that say what to do", () => {
    expect(() => entity({ name: "c", joinKey: "x", type: z.number() })).toThrow(
      'entity "c": key "x" has Arrow type Float64; join keys must be integers (z.number().int(), z.int32(), z.bigint()) or strings (z.string(), z.enum()).',
    );
    expect(() => featureView({ ...view, version: 0 })).toThrow('feature view "customer_stats": version must be a positive integer, got 0.');
    expect(() => featureView({ ...view, schema: { event_ts: z.date() } as never })).toThrow(
      'feature view "customer_stats": feature "event_ts" has the name of a key or timestamp column; rename the feature.',
    );
    expect(() => featureView({ ...view, expectations: { nope: { min: 0 } } as never })).toThrow(
      'feature view "customer_stats": expectations name "nope", which is not a feature; features: orders_30d, segment.',
    );
    expect(() => sqlQuery({ sql: "select * from t where a = $1", timestamp: "ts" })).toThrow(/takes no parameters|take no parameters/);
    expect(() => view.ref("nope")).toThrow(FeatureStoreError);
  });

  it("builds point-in-time SQL with quoted identifiers and the TTL as a bound parameter", () => {
    const { sql, params } = pointInTimeSql({
      entity: { sql: "SELECT * FROM entities" },
      entityColumns: ["customer_id", "event_ts"],
      entityTimestamp: "event_ts",
      views: [{ view, features: [{ feature: "segment", outputName: "tier" }] }],
      filterByCreatedTimestamp: true,
      firstParam: 3,
    });
    expect(params).toEqual([30 * 86_400_000_000]);
    expect(sql).toContain('JOIN "odd""schema"."customer features" AS f ON f."customer_id" = e."customer_id"');
    expect(sql).toContain(`f."event_ts" >= e."event_ts" - ($3::double precision * interval '1 microsecond')`);
    expect(sql).toContain('(f."created_ts" IS NULL OR f."created_ts" <= e."event_ts")');
    expect(sql).toContain('ORDER BY e."__trellis_row", f."event_ts" DESC, f."created_ts" DESC NULLS LAST');
    expect(sql).toContain('v0."v0_segment" AS "tier"');
    expect(sql.endsWith(' ORDER BY e."__trellis_row"')).toBe(true);
    const unordered = pointInTimeSql({
      entity: { table: "s.entities" },
      entityColumns: ["customer_id", "event_ts"],
      entityTimestamp: "event_ts",
      views: [{ view, features: [{ feature: "segment", outputName: "segment" }], plan: "lateral" }],
      filterByCreatedTimestamp: false,
      ordered: false,
    });
    expect(unordered.sql).toContain('FROM (SELECT * FROM e ORDER BY "customer_id", "event_ts") AS e LEFT JOIN LATERAL');
    expect(unordered.sql).toMatch(/ORDER BY f\."event_ts" DESC, f\."created_ts" DESC NULLS LAST LIMIT 1\) AS v0 ON true$/);
    expect(latestPerKeySql(view, ["segment"], 1).sql).toBe(
      'SELECT DISTINCT ON (f."customer_id") f."customer_id", f."event_ts" AS "__event_ts", f."created_ts" AS "__created_ts", f."segment" FROM "odd""schema"."customer features" AS f WHERE f."event_ts" >= $1 AND f."event_ts" < $2 AND f."customer_id" IS NOT NULL ORDER BY f."customer_id", f."event_ts" DESC, f."created_ts" DESC NULLS LAST',
    );
  });
});
