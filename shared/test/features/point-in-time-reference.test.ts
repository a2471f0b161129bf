import { describe, expect, it } from "vitest";
import { pointInTimeJoin } from "../../src/features/point-in-time";
import { HOUR, TTL_HOURS, entities, entityTable, featureTable, features, reference, timeOrdered, type FeatureRow } from "./pit-reference-data";

const orders = {
  "in random order": () => features,
  // Without null keys, one integer key column is coded by value (the lookup-free path).
  "in random order without null keys": () => features.filter((f) => f.id !== null),
  "already in time order": () => timeOrdered(false),
  "in time order with null times among them": () => timeOrdered(true),
};

describe("pointInTimeJoin against a brute-force reference", () => {
  for (const [orderName, rowsOf] of Object.entries(orders)) {
    for (const composite of [false, true]) {
      for (const ttlHours of [TTL_HOURS, null]) {
        for (const byCreated of [false, true]) {
          for (const chunks of [1, 3]) {
            const name = `feature rows ${orderName}, ${composite ? "composite key" : "one key"}, ttl ${ttlHours ?? "none"}, filterByCreatedTimestamp ${byCreated}, ${chunks} chunk(s)`;
            it(name, () => {
              const rows = rowsOf();
              // Full ties go to the later row of the table as given, so the reference reads the same order.
              const want = reference(rows, composite, ttlHours, byCreated);
              const out = pointInTimeJoin(entityTable(), featureTable(rows, chunks), {
                keys: composite ? ["id", "region"] : "id",
                createdTimestamp: "created_ts",
                ttl: ttlHours === null ? null : { hours: ttlHours },
                filterByCreatedTimestamp: byCreated,
                features: ["value", "label", "flag"],
              });
              expect(out.numRows).toBe(entities.length);
              const got = Array.from({ length: out.numRows }, (_, i) => [out.getChild("value")!.get(i), out.getChild("label")!.get(i), out.getChild("flag")!.get(i)]);
              expect(got).toEqual(want.map((f) => (f === null ? [null, null, null] : [f.value, f.label, f.flag])));
              // The case exercises what it claims to: matches, misses, and rows matched to a null value.
              expect(want.filter((f) => f !== null).length).toBeGreaterThan(50);
              expect(want.filter((f) => f === null).length).toBeGreaterThan(20);
              expect(want.filter((f) => f !== null && f.value === null).length).toBeGreaterThan(0);
            });
          }
        }
      }
    }
  }

  it("covers equal times, full ties and the inclusive TTL edge", () => {
    const key = (f: FeatureRow) => `${f.id}|${f.region}|${f.ts}`;
    const seen = new Map<string, number>();
    for (const f of features) if (f.ts !== null) seen.set(key(f), (seen.get(key(f)) ?? 0) + 1);
    expect([...seen.values()].some((c) => c > 1)).toBe(true);
    const want = reference(features, false, TTL_HOURS, false);
    expect(want.some((f, i) => f !== null && f.ts === entities[i].ts - TTL_HOURS * HOUR)).toBe(true);
    expect(want.some((f, i) => f !== null && f.ts === entities[i].ts)).toBe(true);
  });
});
