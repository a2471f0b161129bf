/**
 * Schemas that Trellis itself owns in a warehouse (the model registry, experiment tracking, drift
 * monitoring): each lives in one schema of its own with a `schema_version` table, created on first
 * use inside one transaction. Creators in several processes are serialised by a transaction-level
 * advisory lock derived from the schema name, so concurrent first uses neither fail nor create twice.
 */
import { createHash } from "node:crypto";
import { WarehouseError } from "../errors";
import { quoteIdent } from "./identifiers";
import type { Warehouse } from "./warehouse";

/** What {@link ensureOwnedSchema} creates. */
export interface OwnedSchemaSpec {
  /** The schema's name, e.g. `"trellis_registry"`. */
  schema: string;
  /** The version of the layout this library writes (a whole number ≥ 1). */
  version: number;
  /** Who owns it, for messages (e.g. "the model registry of @trellis/prod"). */
  owner: string;
  /** The DDL statements that create the layout inside the schema (run once, in order, in one transaction). */
  statements: readonly string[];
}

/** The advisory-lock key of a schema: the first 8 bytes of SHA-256("trellis:" + schema), signed. */
export function schemaLockKey(schema: string): string {
  return createHash("sha256").update(`trellis:${schema}`).digest().readBigInt64BE(0).toString();
}

/** The recorded layout version of an owned schema, or null when it does not exist yet. */
export async function ownedSchemaVersion(wh: Warehouse, schema: string): Promise<number | null> {
  // A plain catalog query (not to_regclass): it reads with a fresh snapshot, so a creator that waited
  // on the lock sees the tables another process has just committed.
  const t = await wh.query(
    "SELECT count(*)::int AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = 'schema_version'",
    [schema],
  );
  if (t.getChild("n")?.get(0) === 0) return null;
  const v = await wh.query(`SELECT max(version) AS v FROM ${quoteIdent(schema)}.schema_version`);
  const raw: unknown = v.getChild("v")?.get(0);
  return raw == null ? null : Number(raw);
}

/**
 * Creates an owned schema with its tables on first use (idempotent; safe when processes race).
 * A schema recorded at a newer version than this library writes is refused, naming both versions.
 * @example
 * await ensureOwnedSchema(wh, { schema: "trellis_registry", version: 1, owner: "the model registry",
 *   statements: ["CREATE TABLE models (name text PRIMARY KEY)"] });
 */
export async function ensureOwnedSchema(wh: Warehouse, spec: OwnedSchemaSpec): Promise<void> {
  const check = (found: number | null): boolean => {
    if (found === null) return false;
    if (found === spec.version) return true;
    throw new WarehouseError(
      found > spec.version
        ? `schema "${spec.schema}" (${spec.owner}) in ${wh.url} is at layout version ${found}, newer than this library's ${spec.version}: upgrade the Trellis package that owns it.`
        : `schema "${spec.schema}" (${spec.owner}) in ${wh.url} is at layout version ${found}, older than this library's ${spec.version}, and no migration from it exists.`,
    );
  };
  if (check(await ownedSchemaVersion(wh, spec.schema))) return;
  const schema = quoteIdent(spec.schema);
  await wh.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint) AS locked", [schemaLockKey(spec.schema)]);
    if (check(await ownedSchemaVersion(tx, spec.schema))) return;
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.exec(`SET LOCAL search_path TO ${schema}`);
    for (const statement of spec.statements) await tx.exec(statement);
    await tx.exec(
      `CREATE TABLE ${schema}.schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await tx.exec(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [spec.version]);
  });
}
