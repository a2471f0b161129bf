/**
 * The feature registry: a table in the warehouse recording every view version with a hash of its
 * schema, so that a view whose schema changed without a new version is caught when a store opens.
 */
import { FeatureStoreError } from "../errors";
import { quoteIdent } from "../warehouse/identifiers";
import type { Warehouse } from "../warehouse/warehouse";
import type { AnyFeatureView } from "./feature-view";
import { ZOD_ENUM_METADATA_KEY } from "../frame/schema";

/** Name of the registry table inside the store's schema. */
export const REGISTRY_TABLE = "trellis_feature_views";

/** A registered view version, as recorded in the warehouse. */
export interface RegisteredView {
  name: string;
  version: number;
  /** SHA-256 of the entity keys and feature types. */
  schemaHash: string;
  entity: string;
  joinKeys: string[];
  features: { name: string; type: string; nullable: boolean; values?: string[] }[];
  ttlMicros: number | null;
  source: { kind: string; location: string; timestamp: string; createdTimestamp: string | null };
  description: string | null;
  registeredAt: Date;
}

/** The JSON definition stored for a view. */
export function viewDefinition(view: AnyFeatureView): Omit<RegisteredView, "registeredAt" | "schemaHash" | "name" | "version"> {
  const s = view.source;
  return {
    entity: view.entity.name,
    joinKeys: [...view.entity.joinKeys],
    features: view.featureFields.map((f) => {
      const values = f.metadata.get(ZOD_ENUM_METADATA_KEY);
      return { name: f.name, type: String(f.type), nullable: f.nullable, ...(values ? { values: JSON.parse(values) as string[] } : {}) };
    }),
    ttlMicros: view.ttlMicros,
    source: {
      kind: s.kind,
      location: s.kind === "warehouseTable" ? s.table : s.kind === "lakeDataset" ? s.path : s.sql,
      timestamp: s.timestamp,
      createdTimestamp: s.createdTimestamp ?? null,
    },
    description: view.description ?? null,
  };
}

/**
 * Creates the registry (if needed) and records each view version; a version already recorded with a
 * different schema hash throws a FeatureStoreError that says so.
 * @example await registerViews(warehouse, "trellis", [stats]);
 */
export async function registerViews(wh: Warehouse, schema: string, views: readonly AnyFeatureView[]): Promise<void> {
  const table = `${quoteIdent(schema)}.${quoteIdent(REGISTRY_TABLE)}`;
  await ensureSchema(wh, schema);
  await wh.exec(
    `CREATE TABLE IF NOT EXISTS ${table} (name text NOT NULL, version integer NOT NULL, schema_hash text NOT NULL, definition text NOT NULL, registered_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (name, version))`,
  );
  for (const view of views) {
    await wh.exec(`INSERT INTO ${table} (name, version, schema_hash, definition) VALUES ($1, $2, $3, $4) ON CONFLICT (name, version) DO NOTHING`, [
      view.name,
      view.version,
      view.schemaHash,
      JSON.stringify(viewDefinition(view)),
    ]);
    const got = await wh.query(`SELECT schema_hash FROM ${table} WHERE name = $1 AND version = $2`, [view.name, view.version]);
    const hash = got.numRows ? String(got.getChild("schema_hash")?.get(0)) : view.schemaHash;
    if (hash !== view.schemaHash) {
      const latest = await wh.query(`SELECT max(version) AS v FROM ${table} WHERE name = $1`, [view.name]);
      const maxVersion = Number(latest.getChild("v")?.get(0) ?? view.version);
      throw new FeatureStoreError(
        `feature view "${view.name}" version ${view.version} changed its schema since it was registered (registered hash ${hash.slice(0, 12)}…, now ${view.schemaHash.slice(0, 12)}…): give the view a new version (version: ${maxVersion + 1}) or restore the registered schema.`,
      );
    }
  }
}

/** Creates a schema if it does not exist (tolerating a concurrent creator). */
export async function ensureSchema(wh: Warehouse, schema: string): Promise<void> {
  const exists = await wh.query(`SELECT 1 AS x FROM pg_namespace WHERE nspname = $1`, [schema]);
  if (exists.numRows > 0) return;
  try {
    await wh.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err) {
    const again = await wh.query(`SELECT 1 AS x FROM pg_namespace WHERE nspname = $1`, [schema]);
    if (again.numRows === 0) throw err;
  }
}

/**
 * Every registered view version, ordered by name and version.
 * @example const views = await listRegisteredViews(warehouse, "trellis");
 */
export async function listRegisteredViews(wh: Warehouse, schema: string): Promise<RegisteredView[]> {
  const table = `${quoteIdent(schema)}.${quoteIdent(REGISTRY_TABLE)}`;
  const t = await wh.query(`SELECT name, version, schema_hash, definition, registered_at FROM ${table} ORDER BY name, version`);
  const out: RegisteredView[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const def = JSON.parse(String(t.getChild("definition")?.get(i))) as Omit<RegisteredView, "registeredAt" | "schemaHash" | "name" | "version">;
    const at: unknown = t.getChild("registered_at")?.get(i);
    out.push({
      name: String(t.getChild("name")?.get(i)),
      version: Number(t.getChild("version")?.get(i)),
      schemaHash: String(t.getChild("schema_hash")?.get(i)),
      ...def,
      registeredAt: at instanceof Date ? at : new Date(Number(at)),
    });
  }
  return out;
}
