import { describe, expect, it } from "vitest";
import { Warehouse, ensureOwnedSchema, ownedSchemaVersion, schemaLockKey } from "@trellis/shared";
import { TEST_PG_URL, uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();

const spec = (schema: string, version = 1) => ({
  schema,
  version,
  owner: "a test",
  statements: ["CREATE TABLE things (id integer PRIMARY KEY, parent integer REFERENCES things(id))"],
});

describe("schemaLockKey", () => {
  it("is a stable signed 64-bit integer per schema name", () => {
    expect(schemaLockKey("trellis_registry")).toBe(schemaLockKey("trellis_registry"));
    expect(schemaLockKey("trellis_registry")).not.toBe(schemaLockKey("trellis_tracking"));
    const k = BigInt(schemaLockKey("trellis_registry"));
    expect(k >= -(2n ** 63n) && k < 2n ** 63n).toBe(true);
  });
});

describe.each(targets)("ensureOwnedSchema on $name", (target) => {
  it("creates the schema, its tables and a version row once", async () => {
    const wh = await target.open();
    const schema = uniqueName("owned");
    expect(await ownedSchemaVersion(wh, schema)).toBeNull();
    await ensureOwnedSchema(wh, spec(schema));
    await ensureOwnedSchema(wh, spec(schema));
    expect(await ownedSchemaVersion(wh, schema)).toBe(1);
    await wh.exec(`INSERT INTO "${schema}".things (id) VALUES (1)`);
    const rows = await wh.query(`SELECT count(*)::int AS n FROM "${schema}".schema_version`);
    expect(rows.getChild("n")?.get(0)).toBe(1);
  });

  it("refuses a schema recorded at a newer or older version, naming both", async () => {
    const wh = await target.open();
    const schema = uniqueName("owned");
    await ensureOwnedSchema(wh, spec(schema, 2));
    await expect(ensureOwnedSchema(wh, spec(schema, 1))).rejects.toThrow(
      `schema "${schema}" (a test) in ${wh.url} is at layout version 2, newer than this library's 1: upgrade the Trellis package that owns it.`,
    );
    await expect(ensureOwnedSchema(wh, spec(schema, 3))).rejects.toThrow("older than this library's 3, and no migration from it exists.");
  });

  it("leaves nothing behind when a statement fails", async () => {
    const wh = await target.open();
    const schema = uniqueName("owned");
    await expect(ensureOwnedSchema(wh, { ...spec(schema), statements: ["CREATE TABLE a (x integer)", "CREATE TABLE broken (x nosuchtype)"] })).rejects.toThrow();
    expect(await ownedSchemaVersion(wh, schema)).toBeNull();
    const ns = await wh.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1", [schema]);
    expect(ns.getChild("n")?.get(0)).toBe(0);
  });
});

describe.skipIf(!TEST_PG_URL)("ensureOwnedSchema with concurrent first users on the server", () => {
  it("creates the schema once when six connections race", async () => {
    const schema = uniqueName("owned");
    const whs = await Promise.all(Array.from({ length: 6 }, () => Warehouse.open(TEST_PG_URL!, { poolSize: 1 })));
    try {
      await Promise.all(whs.map((wh) => ensureOwnedSchema(wh, spec(schema))));
      expect(await ownedSchemaVersion(whs[0]!, schema)).toBe(1);
      const rows = await whs[0]!.query(`SELECT count(*)::int AS n FROM "${schema}".schema_version`);
      expect(rows.getChild("n")?.get(0)).toBe(1);
    } finally {
      await whs[0]!.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await Promise.all(whs.map((wh) => wh.close()));
    }
  });
});
