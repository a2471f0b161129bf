/**
 * The warehouses a test file runs against: `embedded:memory` always, plus the PostgreSQL server from
 * env `TRELLIS_TEST_PG_URL` inside a fresh, uniquely named schema (created before the file's tests,
 * dropped with everything in it afterwards; the URL's `search_path` points into it, so unqualified
 * table names land there and concurrent test runs never collide).
 *
 * @example
 * const targets = useWarehouses();
 * describe.each(targets)("load on $name", (target) => {
 *   it("round-trips", async () => {
 *     const wh = await target.open();  // closed automatically after the file
 *     ...
 *   });
 * });
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { Warehouse } from "@trellis/shared";
import type { WarehouseOpenOptions } from "../../src/warehouse/warehouse";

/** The server URL from the environment, or undefined when tests run on the embedded backend only. */
export const TEST_PG_URL: string | undefined = process.env.TRELLIS_TEST_PG_URL || undefined;

/** One backend a test runs against. */
export interface WarehouseTarget {
  /** `"embedded"` or `"postgres"` (handy in `describe.each(...)("… on $name")`). */
  readonly name: "embedded" | "postgres";
  /** URL to pass to `Warehouse.open` (for the server: with `search_path` set to {@link schema}). */
  readonly url: string;
  /** The test schema on the server (undefined for embedded). */
  readonly schema?: string;
  /** Opens a warehouse on this target; it is closed after the test file. */
  open(opts?: WarehouseOpenOptions): Promise<Warehouse>;
}

/** A name unlikely to collide with any other test's: `prefix_<12 hex chars>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Adds `-c search_path=<schema>` to a postgres URL's `options` parameter. */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  const existing = u.searchParams.get("options");
  const opt = `-c search_path=${schema}`;
  u.searchParams.set("options", existing ? `${existing} ${opt}` : opt);
  return u.toString();
}

/**
 * Registers the file's set-up/tear-down hooks and returns the targets to run every test against.
 * Call it once at the top level of a test file.
 */
export function useWarehouses(): WarehouseTarget[] {
  const opened: Warehouse[] = [];
  const track = async (p: Promise<Warehouse>) => {
    const wh = await p;
    opened.push(wh);
    return wh;
  };
  const targets: WarehouseTarget[] = [
    { name: "embedded", url: "embedded:memory", open: (opts) => track(Warehouse.open("embedded:memory", opts)) },
  ];
  const serverUrl = TEST_PG_URL;
  let schema: string | undefined;
  if (serverUrl) {
    schema = uniqueName("trellis_test");
    const url = withSearchPath(serverUrl, schema);
    targets.push({ name: "postgres", url, schema, open: (opts) => track(Warehouse.open(url, opts)) });
    beforeAll(async () => {
      const admin = await Warehouse.open(serverUrl, { poolSize: 1 });
      try {
        await admin.exec(`CREATE SCHEMA "${schema}"`);
      } finally {
        await admin.close();
      }
    });
  }
  afterAll(async () => {
    for (const wh of opened.splice(0)) await wh.close().catch(() => undefined);
    if (serverUrl && schema) {
      const admin = await Warehouse.open(serverUrl, { poolSize: 1 });
      try {
        await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.close();
      }
    }
  });
  return targets;
}
