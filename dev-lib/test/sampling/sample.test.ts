import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as arrow from "apache-arrow";
import { FeatureStore, entity, featureView, rowsOf, tableFromRows, warehouseTable, writeParquet } from "@trellis/shared";
import { escapeKeyPart, inFraction, keyDigest, keyText, sample, sampleEntities, stratumQuotas } from "@trellis/dev";
import { uniqueName, useWarehouses } from "../../../shared/test/helpers/warehouses";

const targets = useWarehouses();
const dir = mkdtempSync(join(tmpdir(), "trellis-sample-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 300 customers with 1–4 rows each; a segment constant per customer; a region per row.
const SEGMENTS = ["bronze", "silver", "gold"];
const rows: { customer_id: number; code: string; segment: string; region: string; amount: number }[] = [];
for (let c = 1; c <= 300; c++) {
  for (let k = 0; k < 1 + (c % 4); k++) {
    rows.push({
      customer_id: c,
      code: c % 7 === 0 ? `a|b\\${c}` : c % 5 === 0 ? `ünï-${c}` : `c${c}`,
      segment: SEGMENTS[(c * 7) % 10 < 6 ? 0 : (c * 7) % 10 < 9 ? 1 : 2]!,
      region: k % 2 ? "north" : "south",
      amount: c * 10 + k,
    });
  }
}
const schema = new arrow.Schema([
  new arrow.Field("customer_id", new arrow.Int32(), false),
  new arrow.Field("code", new arrow.Utf8(), false),
  new arrow.Field("segment", new arrow.Utf8(), false),
  new arrow.Field("region", new arrow.Utf8(), false),
  new arrow.Field("amount", new arrow.Float64(), false),
]);
const table = tableFromRows(rows, schema);
const parquet = join(dir, "orders.parquet");
beforeAll(async () => {
  await writeParquet(table, parquet);
});

const keysOf = (t: arrow.Table, by: string[] = ["customer_id"]) =>
  [...new Set(rowsOf(t).map((r) => keyText(by.map((b) => r[b]), by)))].sort();

describe("the membership hash", () => {
  it("is md5(seed:key)'s first four bytes, as Python's hashlib gives them", () => {
    expect(keyDigest(42, "1001")).toEqual({ u32: 1541686940, hex: "5be4469cd709689c67d0fad90e358d3e" });
    expect(keyDigest("7", "ünïcødé|x").u32).toBe(3869699601);
    expect(keyDigest("seed", keyText(["a|b", "c"], ["x", "y"])!).u32).toBe(1861986498);
    expect(inFraction(2 ** 31 - 1, 0.5)).toBe(true);
    expect(inFraction(2 ** 31, 0.5)).toBe(false);
  });

  it("escapes composite key parts so different keys never share a text", () => {
    expect(escapeKeyPart("a|b\\c")).toBe("a\\|b\\\\c");
    expect(keyText(["a|b", "c"], ["x", "y"])).not.toBe(keyText(["a", "b|c"], ["x", "y"]));
    expect(keyText([1, null], ["x", "y"])).toBeNull();
    expect(keyText([10n, true], ["x", "y"])).toBe("10|true");
    expect(() => keyText([1.5], ["x"])).toThrow('sample: key column "x" holds the non-integer 1.5; sample by integer, string or boolean keys.');
  });
});

describe.each(targets)("the membership hash in the warehouse ($name)", (target) => {
  it("equals Node's on 1,000 keys, non-ASCII included", async () => {
    const wh = await target.open();
    const keys = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `kunde-${i}-ä€😀` : i % 3 === 1 ? String(i * 7919) : `a|b\\${i}`));
    const got = await wh.query(
      "SELECT k, ('x' || substr(md5($1 || ':' || k), 1, 8))::bit(32)::bigint AS h FROM unnest($2::text[]) WITH ORDINALITY AS t(k, i) ORDER BY i",
      ["seed-1", keys],
    );
    expect(Array.from(got.getChild("h")!, (v) => Number(v))).toEqual(keys.map((k) => keyDigest("seed-1", k).u32));
  });
});

describe("stratumQuotas", () => {
  it("rounds each stratum's fraction, and splits n by largest remainder", () => {
    const sizes = [
      { stratum: "a", keys: 10 },
      { stratum: "b", keys: 5 },
      { stratum: "c", keys: 3 },
    ];
    expect(Object.fromEntries(stratumQuotas(sizes, { fraction: 0.5 }))).toEqual({ a: 5, b: 3, c: 2 });
    // n = 7 of 18: exact shares 3.889, 1.944, 1.167 → floors 3, 1, 1 (5); remainders .944 (b), .889 (a) get the two left.
    expect(Object.fromEntries(stratumQuotas(sizes, { n: 7 }))).toEqual({ a: 4, b: 2, c: 1 });
    expect([...stratumQuotas(sizes, { n: 100 }).values()].reduce((x, y) => x + y, 0)).toBe(18);
  });
});

describe("sample in process", () => {
  it("keeps every row of a sampled key and about the fraction of keys", async () => {
    const got = await sample(table, { by: "customer_id", fraction: 0.3, seed: 11 });
    expect(got.engine).toBe("in-process");
    expect(got.population).toBe(300);
    const expected = [...new Set(rows.map((r) => r.customer_id))].filter((c) => inFraction(keyDigest(11, String(c)).u32, 0.3));
    expect(got.keys).toBe(expected.length);
    expect(got.table.numRows).toBe(rows.filter((r) => expected.includes(r.customer_id)).length);
    expect(got.keys).toBeGreaterThan(60);
    expect(got.keys).toBeLessThan(120);
  });

  it("gives exactly n keys, the ones with the smallest digests", async () => {
    const got = await sample(table, { by: "customer_id", n: 25, seed: "s" });
    const expected = [...new Set(rows.map((r) => r.customer_id))]
      .sort((a, b) => (keyDigest("s", String(a)).hex < keyDigest("s", String(b)).hex ? -1 : 1))
      .slice(0, 25)
      .map(String)
      .sort();
    expect(got.keys).toBe(25);
    expect(keysOf(got.table)).toEqual(expected);
  });

  it("refuses bad options and keys that are not constant per stratum", async () => {
    await expect(sample(table, { by: "customer_id", seed: 1 } as never)).rejects.toThrow("sample: give exactly one of fraction");
    await expect(sample(table, { by: "customer_id", seed: 1, fraction: 1.5 })).rejects.toThrow("option fraction must be a number in (0, 1], got 1.5.");
    await expect(sample(table, { by: "amountx", seed: 1, n: 2 })).rejects.toThrow('sample: column(s) "amountx" not in the data');
    await expect(sample(table, { by: "customer_id", seed: 1, n: 2, stratify: "region" })).rejects.toThrow('has more than one "region"');
    await expect(sample(tableFromRows([{ k: 1.5 }]), { by: "k", seed: 1, n: 1 })).rejects.toThrow(
      'sample: key column "k" has type Float64; sample by integer, string or boolean keys.',
    );
  });
});

const cases = [
  { name: "fraction", options: { by: "customer_id", fraction: 0.25, seed: 3 } },
  { name: "n", options: { by: "customer_id", n: 40, seed: "abc" } },
  { name: "composite keys", options: { by: ["customer_id", "code"], fraction: 0.5, seed: 9 } },
  { name: "stratified fraction", options: { by: "customer_id", fraction: 0.2, seed: 5, stratify: "segment" } },
  { name: "stratified n", options: { by: "customer_id", n: 31, seed: 5, stratify: "segment" } },
  { name: "a filter", options: { by: "customer_id", fraction: 0.5, seed: 8, filter: [["region", "=", "north"]] as [string, "=", string][] } },
] as const;

describe.each(targets)("sample selects the same keys on Arrow, Parquet and the warehouse ($name)", (target) => {
  it.each(cases)("with $name", async ({ options }) => {
    const wh = await target.open();
    const name = uniqueName("orders");
    await wh.load(table, name);
    const by = typeof options.by === "string" ? [options.by] : [...options.by];
    const onArrow = await sample(table, options as never);
    const onLake = await sample({ parquet }, options as never);
    const onTable = await sample({ warehouse: wh, table: name }, options as never);
    const onQuery = await sample({ warehouse: wh, query: `SELECT * FROM ${name} WHERE amount >= $1`, params: [0] }, options as never);
    expect(onTable.engine).toBe("warehouse");
    const expected = keysOf(onArrow.table, by);
    expect(expected.length).toBeGreaterThan(0);
    for (const other of [onLake, onTable, onQuery]) {
      expect(keysOf(other.table, by)).toEqual(expected);
      expect(other.table.numRows).toBe(onArrow.table.numRows);
      expect([other.keys, other.population]).toEqual([onArrow.keys, onArrow.population]);
      expect(other.strata).toEqual(onArrow.strata);
    }
    if ("stratify" in options) {
      const sampled = onArrow.strata!.reduce((a, s) => a + s.sampled, 0);
      expect(sampled).toBe(onArrow.keys);
      if ("n" in options) expect(sampled).toBe(options.n);
    }
  });
});

describe.each(targets)("sampleEntities on $name", (target) => {
  it("gives the sampled keys of a view's source at each requested time", async () => {
    const wh = await target.open();
    const name = uniqueName("features");
    const withTs = new arrow.Schema([...schema.fields, new arrow.Field("event_ts", new arrow.TimestampMicrosecond("UTC"), false)]);
    await wh.load(tableFromRows(rows.map((r, i) => ({ ...r, event_ts: new Date(Date.UTC(2025, 0, 1 + (i % 30))) })), withTs), name);
    const customer = entity({ name: "customer", joinKey: "customer_id", type: z.int32() });
    const view = featureView({
      name: "orders_view",
      version: 1,
      entity: customer,
      source: warehouseTable({ table: name, timestamp: "event_ts" }),
      schema: { amount: z.number() },
    });
    const store = await FeatureStore.open({ warehouse: wh, views: [view], schema: uniqueName("fs") });
    const at = [new Date("2025-02-01T00:00:00Z"), new Date("2025-03-01T00:00:00Z")];
    const entities = await sampleEntities(store, view, { fraction: 0.3, seed: 11, at });
    const expected = (await sample(table, { by: "customer_id", fraction: 0.3, seed: 11 })).keys;
    expect(entities.numRows).toBe(expected * 2);
    const got = rowsOf(entities);
    expect(got[0]).toEqual({ customer_id: got[0]!.customer_id, event_ts: at[0] });
    expect(got[expected]!.event_ts).toEqual(at[1]);
    await expect(sampleEntities(store, "nope", { fraction: 0.3, seed: 1, at })).rejects.toThrow('sampleEntities: the store has no feature view "nope".');
  });
});
