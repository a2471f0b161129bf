import { randomBytes } from "node:crypto";
import * as arrow from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, Warehouse, WarehouseError } from "@trellis/shared";
import { TEST_PG_URL, uniqueName, useWarehouses, withSearchPath } from "../helpers/warehouses";

const targets = useWarehouses();

async function errorOf(p: Promise<unknown>): Promise<WarehouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WarehouseError);
  return err as WarehouseError;
}

describe("connection errors", () => {
  it("shows an unreachable server's URL without the password", async () => {
    const err = await errorOf(Warehouse.open("postgres://alice:s3cretPassw0rd@127.0.0.1:1/warehouse"));
    expect(err.message).toContain("cannot connect to postgres://alice:***@127.0.0.1:1/warehouse");
    expect(err.message).not.toContain("s3cretPassw0rd");
    expect(String(err.stack)).not.toContain("s3cretPassw0rd");
  });

  it.skipIf(!TEST_PG_URL)("hides a wrong password on a reachable server", async () => {
    const u = new URL(TEST_PG_URL!);
    const wrong = `Wr0ng-${randomBytes(6).toString("hex")}`;
    u.password = wrong;
    const err = await errorOf(Warehouse.open(u.toString()));
    expect(err.message).toMatch(/cannot connect to postgres(ql)?:\/\/[^:]+:\*\*\*@/);
    expect(err.message).toMatch(/password authentication failed/);
    expect(err.message).not.toContain(wrong);
    expect(err.sqlState).toBe("28P01");
  });

  it.skipIf(!TEST_PG_URL)("redacts the password in the warehouse url", async () => {
    const wh = await Warehouse.open(TEST_PG_URL!);
    try {
      const password = decodeURIComponent(new URL(TEST_PG_URL!).password);
      expect(wh.url).not.toContain(password);
      expect(wh.url).toContain("***");
    } finally {
      await wh.close();
    }
  });
});

describe.each(targets)("errors and injection safety on $name", (target) => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await target.open();
  });

  it("names an unknown table", async () => {
    const name = uniqueName("nope");
    const read = await errorOf(wh.readTable(name));
    expect(read.message).toContain(`relation "${name}" does not exist`);
    expect(read.sqlState).toBe("42P01");
    const schema = await errorOf(wh.tableSchema(name));
    expect(schema.message).toContain(`table "${name}" does not exist`);
    expect(schema.sqlState).toBe("42P01");
  });

  it("names an unknown column", async () => {
    const table = uniqueName("cols");
    await wh.exec(`CREATE TABLE ${table} (a int)`);
    const err = await errorOf(wh.readTable(table, { columns: ["a", "missing_col"] }));
    expect(err.message).toContain('column "missing_col" does not exist');
    expect(err.sqlState).toBe("42703");
    const viaFilter = await errorOf(wh.readTable(table, { filter: [["other_col", "=", 1]] }));
    expect(viaFilter.message).toContain('column "other_col" does not exist');
  });

  it("reports permission denied with its SQLSTATE", async (ctx) => {
    if (target.name === "embedded") {
      // PGlite runs as a superuser: take on an unprivileged role for the statement.
      const role = uniqueName("noperm");
      const table = uniqueName("secret");
      await wh.exec(`CREATE TABLE ${table} (a int); CREATE ROLE ${role}`);
      try {
        await wh.exec(`SET ROLE ${role}`);
        const err = await errorOf(wh.query(`SELECT * FROM ${table}`));
        expect(err.message).toContain(`permission denied for table ${table}`);
        expect(err.sqlState).toBe("42501");
      } finally {
        await wh.exec("RESET ROLE");
        await wh.exec(`DROP TABLE ${table}; DROP ROLE ${role}`);
      }
      return;
    }
    // A catalog only superusers may read: a real permission error from the server.
    const catalog = await errorOf(wh.query("SELECT rolpassword FROM pg_authid"));
    expect(catalog.message).toContain("permission denied for table pg_authid");
    expect(catalog.sqlState).toBe("42501");
    // A login role without privileges, when the test role may create one.
    const role = uniqueName("noperm");
    const password = `pw-${randomBytes(8).toString("hex")}`;
    try {
      await wh.exec(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    } catch (e) {
      if (e instanceof WarehouseError && e.sqlState === "42501") {
        ctx.skip("the test role lacks CREATEROLE: cannot create an unprivileged login role (the pg_authid case above ran)");
      }
      throw e;
    }
    const table = uniqueName("secret");
    await wh.exec(`CREATE TABLE ${table} (a int)`);
    const u = new URL(withSearchPath(TEST_PG_URL!, target.schema!));
    u.username = role;
    u.password = password;
    try {
      const denied = await errorOf(
        Warehouse.open(u.toString()).then(async (other) => {
          try {
            // Qualified: PostgreSQL skips a search_path schema the role may not use, so an
            // unqualified name would read as a missing table instead of a denied one.
            return await other.readTable(`${target.schema!}.${table}`);
          } finally {
            await other.close();
          }
        }),
      );
      expect(denied.message).toMatch(/permission denied for (schema|table)/);
      expect(denied.sqlState).toBe("42501");
      expect(denied.message).not.toContain(password);
    } finally {
      await wh.exec(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it("treats injection strings as plain names and values, dropping nothing", async () => {
    const victim = uniqueName("victim");
    await wh.exec(`CREATE TABLE ${victim} (a int)`);
    await wh.exec(`INSERT INTO ${victim} VALUES (1), (2)`);
    const evilTable = `x"; DROP TABLE ${victim}; --`;
    const evilColumn = `c"); DROP TABLE ${victim}; --`;
    const evilValue = `'); DROP TABLE ${victim}; --`;
    const data = new arrow.Table({
      [evilColumn]: arrow.vectorFromArray([evilValue, "plain"], new arrow.Utf8()),
      n: arrow.vectorFromArray([1, 2], new arrow.Int32()),
    });
    expect(await wh.load(data, evilTable, { mode: "upsert", key: "n" })).toEqual({ rows: 2 });
    await expect(wh.load(data, evilTable, { mode: "upsert", key: evilColumn })).rejects.toThrow(/upsert needs a unique index/);
    expect(await wh.load(data, evilTable, { mode: "upsert", key: "n" })).toEqual({ rows: 2 });
    expect(await wh.load(data, evilTable, { mode: "replace" })).toEqual({ rows: 2 });
    expect(await wh.tableExists(evilTable)).toBe(true);
    const back = await wh.readTable(evilTable, { columns: [evilColumn], filter: [[evilColumn, "=", evilValue]] });
    expect(back.getChild(evilColumn)!.toArray()).toEqual([evilValue]);
    const none = await wh.readTable(evilTable, { filter: [["n", "=", "1 OR 1=1"]] }).catch((e: unknown) => e);
    // A string compared with an int column is a type error, never a widened predicate.
    expect(none).toBeInstanceOf(WarehouseError);
    const streamed: string[] = [];
    for await (const b of wh.stream({ table: evilTable, columns: [evilColumn], filter: [[evilColumn, "in", [evilValue, "' OR ''='"]]] })) {
      streamed.push(...(b.getChild(evilColumn)!.toArray() as string[]));
    }
    expect(streamed).toEqual([evilValue]);
    const evilQuery = await wh.query(`SELECT count(*)::int4 AS n FROM ${victim} WHERE $1::text IS NOT NULL`, [evilValue]);
    expect(evilQuery.get(0)!.n).toBe(2);
    // The victim is intact.
    expect(await wh.tableExists(victim)).toBe(true);
    expect((await wh.query(`SELECT count(*)::int4 AS n FROM ${victim}`)).get(0)!.n).toBe(2);
  });

  it("rejects table names that cannot be quoted safely", async () => {
    await expect(wh.readTable("a.b.c")).rejects.toThrow(InvalidArgumentError);
    await expect(wh.tableExists("bad\u0000name")).rejects.toThrow(/control character/);
    await expect(wh.load(arrow.tableFromArrays({ a: Int32Array.from([1]) }), "")).rejects.toThrow(/table name is empty/);
  });
});
