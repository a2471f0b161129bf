/**
 * A server connection lost in the middle of an operation: the operation fails with a WarehouseError
 * (operation, URL without password, the driver's error as cause), nothing half-done stays (staging
 * tables, temporary folders), no 'error' event goes unhandled, and the same Warehouse works again on
 * the next call. The fault is injected without stopping the shared server: a second connection ends
 * the operation's backend with pg_terminate_backend (found in pg_stat_activity by the
 * application_name this warehouse connects with). Server only: PGlite runs in-process.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { move, type Warehouse, WarehouseError } from "@trellis/shared";
import { Warehouse as WarehouseOpener } from "@trellis/shared";
import { TEST_PG_URL, uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();
const server = targets.find((t) => t.name === "postgres");
const dir = mkdtempSync(join(tmpdir(), "trellis-lost-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Errors nobody handled (vitest fails the run on them too; this names the test that caused one). */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

async function settle(ms = 150): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function errorOf(p: Promise<unknown>): Promise<WarehouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WarehouseError);
  return err as WarehouseError;
}

/** The assertions every lost-connection error must pass. */
function expectLost(err: WarehouseError, operation: string): void {
  expect(err.code).toBe("WAREHOUSE");
  expect(err.message.slice(0, operation.length)).toBe(operation);
  expect(err.message).toMatch(/on postgres(ql)?:\/\/[^:@/]+:\*\*\*@/);
  // The server's own message when it arrived first; otherwise the socket's (written to a closed one).
  expect(err.message).toMatch(/terminating connection due to administrator command|Connection terminated unexpectedly|EPIPE|ECONNRESET/);
  expect(err.message).toContain("the connection to the server was lost");
  const password = decodeURIComponent(new URL(TEST_PG_URL!).password);
  expect(err.message).not.toContain(`:${password}@`);
  expect(err.cause).toBeInstanceOf(Error);
  expect(err.cause).not.toBeInstanceOf(WarehouseError);
  if (err.sqlState !== undefined) expect(err.sqlState).toBe("57P01");
}

describe.skipIf(!server)("lost server connections (server only: set TRELLIS_TEST_PG_URL to run)", () => {
  let admin: pg.Client;
  let wh: Warehouse;
  let app: string;

  beforeAll(async () => {
    process.on("uncaughtException", onUncaught);
    admin = new pg.Client({ connectionString: TEST_PG_URL });
    admin.on("error", () => undefined);
    await admin.connect();
    app = uniqueName("trellis_lost");
    const url = new URL(server!.url);
    url.searchParams.set("application_name", app);
    wh = await WarehouseOpener.open(url.toString());
  });

  afterAll(async () => {
    process.off("uncaughtException", onUncaught);
    await wh?.close();
    await admin?.end();
  });

  afterEach(async () => {
    await settle();
    expect(uncaught).toEqual([]);
    // The same warehouse works again, without reopening.
    expect((await wh.query("SELECT 6 * 7 AS n")).get(0)!.n).toBe(42);
    expect((await wh.query("SELECT $1::int AS n", [7])).get(0)!.n).toBe(7);
  });

  /**
   * Waits until a backend of this warehouse runs a statement matching `like` (in `state`), then
   * terminates it. Returns its pid.
   */
  async function terminate(like: string, state: "active" | "idle in transaction" = "active"): Promise<number> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = $2 AND query LIKE $3 AND pid <> pg_backend_pid()",
        [app, state, like],
      );
      if (res.rows.length > 0) {
        const pid = res.rows[0].pid;
        const done = await admin.query<{ ok: boolean }>("SELECT pg_terminate_backend($1) AS ok", [pid]);
        expect(done.rows[0].ok).toBe(true);
        return pid;
      }
      if (Date.now() > deadline) throw new Error(`no backend of ${app} ran ${like} (${state}) within 20 s`);
      await settle(20);
    }
  }

  it("fails a parameterised query with a WarehouseError and recovers", async () => {
    const running = errorOf(wh.query("SELECT pg_sleep(30) AS slept, $1::int AS n", [1]));
    await terminate("%pg_sleep(30)%");
    expectLost(await running, "query: query on ");
  });

  it("fails a query read by binary COPY (no parameters)", async () => {
    const running = errorOf(wh.query("SELECT g AS n FROM generate_series(1, 3) g, pg_sleep(30)"));
    await terminate("COPY (SELECT g AS n FROM generate_series(1, 3) g, pg_sleep(30))%");
    expectLost(await running, "query: COPY read on ");
  });

  it("fails a stream (COPY out) half-way through", async () => {
    const sql = "SELECT g::int8 AS id, repeat('x', 200) AS pad FROM generate_series(1, 3000000) g";
    let rows = 0;
    const reading = (async () => {
      for await (const b of wh.stream(sql, { batchSize: 1000 })) {
        rows += b.numRows;
        if (rows === 1000) await terminate("COPY (SELECT g::int8 AS id%");
      }
    })();
    expectLost(await errorOf(reading), "stream: COPY read on ");
    expect(rows).toBeGreaterThanOrEqual(1000);
    expect(rows).toBeLessThan(3_000_000);
  });

  it("fails readTable (COPY out) of a table", async () => {
    const view = uniqueName("slow_view");
    await wh.exec(`CREATE VIEW ${view} AS SELECT g AS n FROM generate_series(1, 3) g, pg_sleep(30)`);
    const running = errorOf(wh.readTable(view));
    await terminate(`COPY (SELECT * FROM "${view}")%`);
    expectLost(await running, `readTable ${view}: COPY read on `);
  });

  it.each(["replace", "append", "upsert"] as const)("fails a load (COPY in, mode %s) and keeps nothing of it", async (mode) => {
    const table = uniqueName("lost_load");
    await wh.load(new arrow.Table({ id: arrow.vectorFromArray([0], new arrow.Int32()), v: arrow.vectorFromArray(["old"]) }), table);
    await wh.exec(`CREATE UNIQUE INDEX ON ${table} (id)`);
    const batch = (from: number) =>
      new arrow.Table({
        id: arrow.vectorFromArray(Array.from({ length: 10_000 }, (_, i) => from + i + 1), new arrow.Int32()),
        v: arrow.vectorFromArray(Array.from({ length: 10_000 }, () => "new"), new arrow.Utf8()),
      }).batches[0];
    async function* source(): AsyncGenerator<arrow.RecordBatch> {
      yield batch(0);
      yield batch(10_000);
      await terminate("COPY %FROM STDIN%");
      for (let i = 2; i < 50; i++) yield batch(i * 10_000);
    }
    const err = await errorOf(wh.load(source(), table, mode === "upsert" ? { mode, key: "id" } : { mode }));
    expectLost(err, `load into ${table}: COPY into `);
    await settle();
    // Nothing of the load stayed: the old row only, and no staging table.
    expect((await wh.query(`SELECT id, v FROM ${table}`)).toArray().map((r) => r.toJSON())).toEqual([{ id: 0, v: "old" }]);
    const staging = await wh.query("SELECT relname FROM pg_class WHERE relname LIKE $1", [`${table}\\_\\_trellis\\_%`]);
    expect(staging.numRows).toBe(0);
  });

  it("fails a move from a table to a partitioned Parquet folder and leaves no temporary folder", async () => {
    const view = uniqueName("slow_source");
    await wh.exec(`CREATE FUNCTION ${view}_gate(g int) RETURNS boolean LANGUAGE sql AS $$
                     SELECT CASE WHEN g < 150000 THEN true ELSE (SELECT true FROM pg_sleep(30)) END $$`);
    await wh.exec(`CREATE VIEW ${view} AS SELECT g AS id, g % 4 AS part FROM generate_series(1, 200000) g WHERE ${view}_gate(g)`);
    const out = join(dir, "moved");
    let started = false;
    let killed: Promise<number> | undefined;
    const err = await errorOf(
      move({ warehouse: wh, table: view }, { parquet: out }, {
        partitionBy: "part",
        batchSize: 10_000,
        onProgress: () => {
          if (!started) {
            started = true;
            killed = terminate("COPY (SELECT%");
          }
        },
      }),
    );
    await killed;
    expect(started).toBe(true);
    expectLost(err, `move from table ${view} in postgres`);
    expect(err.message).toContain("stream: COPY read on ");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(".moved."))).toEqual([]);
  });

  it("fails a transaction whose connection dies between statements and rolls it back", async () => {
    const table = uniqueName("lost_tx");
    await wh.exec(`CREATE TABLE ${table} (a int)`);
    const err = await errorOf(
      wh.transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${table} VALUES (1)`);
        await terminate(`INSERT INTO ${table}%`, "idle in transaction");
        await settle();
        await tx.exec(`INSERT INTO ${table} VALUES (2)`);
      }),
    );
    expectLost(err, "exec: query on ");
    expect(err.message).toContain(`(INSERT INTO ${table} VALUES (2))`);
    expect((await wh.query(`SELECT count(*)::int AS n FROM ${table}`)).get(0)!.n).toBe(0);
  });

  it("drops an idle pooled connection the server ended and serves the next query on a new one", async () => {
    const single = await server!.open({ poolSize: 1 });
    const url = new URL(server!.url);
    url.searchParams.set("application_name", `${app}_single`);
    const one = await WarehouseOpener.open(url.toString(), { poolSize: 1 });
    try {
      expect((await one.query("SELECT 1 AS n")).get(0)!.n).toBe(1);
      const res = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`${app}_single`]);
      expect(res.rowCount).toBe(1);
      await settle(300);
      expect((await one.query("SELECT 2 AS n")).get(0)!.n).toBe(2);
    } finally {
      await one.close();
      await single.close();
    }
  });
});
