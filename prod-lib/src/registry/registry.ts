/**
 * The model registry: named, numbered, immutable model versions stored in the warehouse itself
 * (every artifact file as bytea with its SHA-256), so a service needs nothing but a database
 * connection to load `churn@production`.
 *
 * Layout (schema `trellis_registry` by default, created on first use — see ARCHITECTURE.md):
 * - `models`: one row per name, holding `next_version`. A registration locks its model's row
 *   (`SELECT … FOR UPDATE`), so concurrent writers get distinct consecutive versions, and a version
 *   number is never handed out twice, even after a version is deleted.
 * - `versions`: (name, version) → digest, manifest, run id, status (`READY` / `DELETED`).
 * - `blobs` (content-addressed by SHA-256) and `files` (version, path → blob).
 * - `tags`, `aliases` and `alias_history` (every move: from, to, when).
 */
import { createHash } from "node:crypto";
import {
  InvalidArgumentError,
  Warehouse,
  ensureOwnedSchema,
  quoteIdent,
  type Warehouse as WarehouseType,
} from "@trellis/shared";
import type * as arrow from "apache-arrow";
import { RegistryError } from "../errors";
import { MANIFEST_FILE, readArtifactFiles, verifyArtifact, type ArtifactFiles, type ModelManifest } from "../artifact";

/** The registry's default schema. */
export const REGISTRY_SCHEMA = "trellis_registry";
/** The layout version of the registry's tables. */
export const REGISTRY_LAYOUT_VERSION = 1;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION_LIKE = /^v?\d+$/i;

/** Options of {@link ModelRegistry.open}. */
export interface ModelRegistryOptions {
  /** The schema holding the registry's tables (default `trellis_registry`). */
  schema?: string;
}

/** One registered model version. */
export interface ModelVersion {
  name: string;
  version: number;
  /** The artifact's digest (SHA-256 of its canonical manifest). */
  digest: string;
  status: "READY" | "DELETED";
  createdAt: Date;
  deletedAt: Date | null;
  description: string | null;
  /** The experiment run the model came from, when given. */
  runId: string | null;
  /** Aliases currently pointing at this version. */
  aliases: string[];
  tags: Record<string, string>;
  /** The estimator's class, the task and the classes (from the manifest). */
  estimator: string;
  task: "classification" | "regression";
  metrics: Record<string, number>;
}

/** A registered model name with its newest version and aliases. */
export interface RegisteredModel {
  name: string;
  description: string | null;
  createdAt: Date;
  /** The newest READY version, or null when every version was deleted. */
  latestVersion: number | null;
  versions: number;
  aliases: Record<string, number>;
}

/** One move of an alias. */
export interface AliasMove {
  alias: string;
  from: number | null;
  to: number | null;
  at: Date;
}

/** The lineage of a version: where its model came from and what it holds now. */
export interface VersionLineage {
  name: string;
  version: number;
  digest: string;
  runId: string | null;
  featureViews: { name: string; version: number; schemaHash: string | null }[];
  trainingData: ModelManifest["lineage"]["trainingData"];
  git: ModelManifest["lineage"]["git"];
  metrics: Record<string, number>;
  params: ModelManifest["params"];
  aliases: string[];
}

/** What {@link ModelRegistry.register} accepts: an artifact folder, a saved model, or its files. */
export type RegistrableModel = string | { dir: string } | ArtifactFiles;

/** Options of {@link ModelRegistry.register}. */
export interface RegisterOptions {
  description?: string;
  tags?: Record<string, string>;
  /** The experiment run id (default: the manifest's `lineage.runId`). */
  run?: string;
}

/** The verified files of one registered version (what `DeployedModel.load(ref, { registry })` reads). */
export interface ResolvedModelFiles {
  files: ArtifactFiles;
  name: string;
  version: number;
  digest: string;
}

/** A parsed registry reference. */
export interface ModelRef {
  name: string;
  /** A version number, `"latest"`, or an alias. */
  selector: number | string;
}

/**
 * Parses `"name@alias"`, `"name@3"` or `"name@latest"`.
 * @example parseModelRef("churn@production") // { name: "churn", selector: "production" }
 */
export function parseModelRef(ref: string): ModelRef {
  const at = typeof ref === "string" ? ref.lastIndexOf("@") : -1;
  if (at <= 0 || at === ref.length - 1) {
    throw new InvalidArgumentError(
      `model reference ${JSON.stringify(ref)} is not of the form name@alias, name@<version> or name@latest (e.g. "churn@production", "churn@3").`,
    );
  }
  const name = ref.slice(0, at);
  const sel = ref.slice(at + 1);
  checkName(name, "model name");
  if (/^\d+$/.test(sel)) return { name, selector: Number(sel) };
  if (sel === "latest") return { name, selector: "latest" };
  checkAlias(sel);
  return { name, selector: sel };
}

function checkName(name: string, what: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(name)} is not valid: use 1–128 letters, digits, "_", "." or "-", starting with a letter or digit.`,
    );
  }
}

function checkAlias(alias: string): void {
  checkName(alias, "alias");
  if (alias === "latest") {
    throw new InvalidArgumentError('alias "latest" is reserved: it always means the newest version; choose another name.');
  }
  if (VERSION_LIKE.test(alias)) {
    throw new InvalidArgumentError(
      `alias ${JSON.stringify(alias)} looks like a version number, which would make "name@${alias}" ambiguous; choose a name such as "production".`,
    );
  }
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidArgumentError(`version must be a whole number ≥ 1, got ${String(version)}.`);
  }
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Verifies an artifact's files (integrity, format, compatibility, parse) or throws naming every problem. */
async function verified(files: ArtifactFiles, subject: string): Promise<{ manifest: ModelManifest; digest: string }> {
  const v = await verifyArtifact(files);
  if (!v.ok || !v.manifest || !v.digest) {
    throw new RegistryError(`${subject}: the artifact does not verify: ${v.problems.map((p) => p.message).join(" ")}`);
  }
  return { manifest: v.manifest, digest: v.digest };
}

function rows(t: arrow.Table): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const names = t.schema.fields.map((f) => f.name);
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const n of names) row[n] = t.getChild(n)!.get(i) as unknown;
    out.push(row);
  }
  return out;
}

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(Number(v)));

/**
 * The model registry over a warehouse (embedded PGlite or a PostgreSQL server).
 * @example
 * const reg = await ModelRegistry.open("embedded:.trellis/warehouse");
 * const { version } = await reg.register("churn", "models/churn");
 * await reg.setAlias("churn", "production", version);
 * const model = await DeployedModel.load("churn@production", { registry: reg });
 */
export class ModelRegistry {
  private constructor(
    /** The warehouse holding the registry. */
    readonly warehouse: WarehouseType,
    /** The registry's schema. */
    readonly schema: string,
    private readonly owned: boolean,
  ) {}

  /**
   * Opens the registry in a warehouse (a `Warehouse` or a URL), creating its tables on first use.
   * A registry opened from a URL owns its connection: {@link close} closes it.
   */
  static async open(warehouse: WarehouseType | string, options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const schema = options.schema ?? REGISTRY_SCHEMA;
    checkName(schema, "registry schema");
    const owned = typeof warehouse === "string";
    const wh = owned ? await Warehouse.open(warehouse) : warehouse;
    try {
      await ensureOwnedSchema(wh, {
        schema,
        version: REGISTRY_LAYOUT_VERSION,
        owner: "the model registry of @trellis/prod",
        statements: LAYOUT,
      });
    } catch (err) {
      if (owned) await wh.close().catch(() => undefined);
      throw err;
    }
    return new ModelRegistry(wh, schema, owned);
  }

  private t(table: string): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(table)}`;
  }

  /**
   * Registers an artifact under `name` and returns its version. The artifact is verified first
   * (sizes and hashes); its files are stored in the warehouse. Registering the same digest again
   * under the same name returns the existing version.
   * @example const { version, digest } = await reg.register("churn", saved);
   */
  async register(
    name: string,
    model: RegistrableModel,
    options: RegisterOptions = {},
  ): Promise<{ name: string; version: number; digest: string; created: boolean }> {
    checkName(name, "model name");
    for (const key of Object.keys(options.tags ?? {})) checkName(key, "tag key");
    const files =
      typeof model === "string"
        ? await readArtifactFiles(model)
        : model instanceof Map
          ? model
          : await readArtifactFiles(model.dir);
    const { manifest, digest } = await verified(files, `register(${JSON.stringify(name)})`);
    const runId = options.run ?? manifest.lineage.runId ?? null;
    return this.warehouse.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${this.t("models")} (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
        name,
        options.description ?? manifest.description ?? null,
      ]);
      const locked = rows(await tx.query(`SELECT next_version FROM ${this.t("models")} WHERE name = $1 FOR UPDATE`, [name]));
      const existing = rows(
        await tx.query(`SELECT version FROM ${this.t("versions")} WHERE name = $1 AND digest = $2 AND status = 'READY'`, [name, digest]),
      );
      if (existing.length) return { name, version: Number(existing[0]!.version), digest, created: false };
      const version = Number(locked[0]!.next_version);
      await tx.exec(`UPDATE ${this.t("models")} SET next_version = $2 WHERE name = $1`, [name, version + 1]);
      await tx.exec(
        `INSERT INTO ${this.t("versions")} (name, version, digest, description, run_id, manifest) VALUES ($1, $2, $3, $4, $5, $6)`,
        [name, version, digest, options.description ?? manifest.description ?? null, runId, JSON.stringify(manifest)],
      );
      for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const hash = sha256(bytes);
        await tx.exec(`INSERT INTO ${this.t("blobs")} (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [
          hash,
          bytes.length,
          bytes,
        ]);
        await tx.exec(`INSERT INTO ${this.t("files")} (name, version, path, sha256, size) VALUES ($1, $2, $3, $4, $5)`, [
          name,
          version,
          path,
          hash,
          bytes.length,
        ]);
      }
      for (const [key, value] of Object.entries(options.tags ?? {})) {
        await tx.exec(`INSERT INTO ${this.t("tags")} (name, version, key, value) VALUES ($1, $2, $3, $4)`, [name, version, key, String(value)]);
      }
      return { name, version, digest, created: true };
    });
  }

  /** Resolves a reference (or name + version) to a READY version number. */
  private async resolve(wh: WarehouseType, ref: string | ModelRef): Promise<{ name: string; version: number }> {
    const { name, selector } = typeof ref === "string" ? parseModelRef(ref) : ref;
    const shown = `${name}@${selector}`;
    if (typeof selector === "number") {
      const got = rows(await wh.query(`SELECT status FROM ${this.t("versions")} WHERE name = $1 AND version = $2`, [name, selector]));
      if (!got.length) throw new RegistryError(`model version ${shown} does not exist: ${await this.known(wh, name)}`);
      if (got[0]!.status !== "READY") {
        throw new RegistryError(`model version ${shown} was deleted and cannot be loaded; load another version (${await this.known(wh, name)}).`);
      }
      return { name, version: selector };
    }
    if (selector === "latest") {
      const got = rows(await wh.query(`SELECT max(version) AS v FROM ${this.t("versions")} WHERE name = $1 AND status = 'READY'`, [name]));
      if (got[0]!.v == null) throw new RegistryError(`model ${JSON.stringify(name)} has no loadable version: ${await this.known(wh, name)}`);
      return { name, version: Number(got[0]!.v) };
    }
    const got = rows(await wh.query(`SELECT version FROM ${this.t("aliases")} WHERE name = $1 AND alias = $2`, [name, selector]));
    if (!got.length) {
      throw new RegistryError(
        `model ${JSON.stringify(name)} has no alias ${JSON.stringify(selector)}; set one with setAlias(${JSON.stringify(name)}, ${JSON.stringify(selector)}, <version>) (${await this.known(wh, name)}).`,
      );
    }
    return { name, version: Number(got[0]!.version) };
  }

  private async known(wh: WarehouseType, name: string): Promise<string> {
    const vs = rows(await wh.query(`SELECT version FROM ${this.t("versions")} WHERE name = $1 AND status = 'READY' ORDER BY version`, [name]));
    const as = rows(await wh.query(`SELECT alias, version FROM ${this.t("aliases")} WHERE name = $1 ORDER BY alias`, [name]));
    if (!vs.length && !as.length) {
      const any = rows(await wh.query(`SELECT count(*)::int AS n FROM ${this.t("models")} WHERE name = $1`, [name]));
      return any[0]!.n === 0 ? `no model named ${JSON.stringify(name)} is registered` : `${JSON.stringify(name)} has no loadable version`;
    }
    return `loadable versions: ${vs.map((v) => String(v.version)).join(", ") || "none"}${as.length ? `; aliases: ${as.map((a) => `${String(a.alias)}→${String(a.version)}`).join(", ")}` : ""}`;
  }

  /**
   * One version's record, by reference (`"churn@production"`, `"churn@3"`, `"churn@latest"`).
   * A deleted version is returned by number (its record is kept for lineage) but never by alias.
   * @example (await reg.getVersion("churn@production")).version // 3
   */
  async getVersion(ref: string): Promise<ModelVersion> {
    const parsed = parseModelRef(ref);
    let version: number;
    if (typeof parsed.selector === "number") {
      version = parsed.selector;
    } else {
      version = (await this.resolve(this.warehouse, parsed)).version;
    }
    const found = await this.versionRecords(parsed.name, version);
    if (!found.length) throw new RegistryError(`model version ${parsed.name}@${version} does not exist: ${await this.known(this.warehouse, parsed.name)}`);
    return found[0]!;
  }

  private async versionRecords(name: string, version?: number): Promise<ModelVersion[]> {
    const params: unknown[] = [name];
    const where = version === undefined ? "v.name = $1" : "v.name = $1 AND v.version = $2";
    if (version !== undefined) params.push(version);
    const vs = rows(
      await this.warehouse.query(
        `SELECT v.name, v.version, v.digest, v.status, v.created_at, v.deleted_at, v.description, v.run_id, v.manifest FROM ${this.t("versions")} v WHERE ${where} ORDER BY v.version`,
        params,
      ),
    );
    const aliases = rows(await this.warehouse.query(`SELECT alias, version FROM ${this.t("aliases")} WHERE name = $1 ORDER BY alias`, [name]));
    const tags = rows(await this.warehouse.query(`SELECT version, key, value FROM ${this.t("tags")} WHERE name = $1 ORDER BY key`, [name]));
    return vs.map((v) => {
      const manifest = JSON.parse(String(v.manifest)) as ModelManifest;
      const n = Number(v.version);
      return {
        name: String(v.name),
        version: n,
        digest: String(v.digest),
        status: v.status === "READY" ? "READY" : "DELETED",
        createdAt: asDate(v.created_at),
        deletedAt: v.deleted_at == null ? null : asDate(v.deleted_at),
        description: v.description == null ? null : String(v.description),
        runId: v.run_id == null ? null : String(v.run_id),
        aliases: aliases.filter((a) => Number(a.version) === n).map((a) => String(a.alias)),
        tags: Object.fromEntries(tags.filter((t) => Number(t.version) === n).map((t) => [String(t.key), String(t.value)])),
        estimator: manifest.estimator.className,
        task: manifest.output.task,
        metrics: manifest.metrics,
      };
    });
  }

  /**
   * Every version of a model, oldest first (deleted ones included, with status `DELETED`).
   * @example (await reg.listVersions("churn")).map((v) => v.version) // [1, 2, 3]
   */
  async listVersions(name: string): Promise<ModelVersion[]> {
    checkName(name, "model name");
    return this.versionRecords(name);
  }

  /**
   * Every registered model, by name.
   * @example (await reg.listModels()).map((m) => `${m.name}@${m.latestVersion}`)
   */
  async listModels(): Promise<RegisteredModel[]> {
    const ms = rows(
      await this.warehouse.query(
        `SELECT m.name, m.description, m.created_at,
                (SELECT max(version) FROM ${this.t("versions")} v WHERE v.name = m.name AND v.status = 'READY') AS latest,
                (SELECT count(*)::int FROM ${this.t("versions")} v WHERE v.name = m.name) AS versions
           FROM ${this.t("models")} m ORDER BY m.name`,
      ),
    );
    const aliases = rows(await this.warehouse.query(`SELECT name, alias, version FROM ${this.t("aliases")} ORDER BY name, alias`));
    return ms.map((m) => ({
      name: String(m.name),
      description: m.description == null ? null : String(m.description),
      createdAt: asDate(m.created_at),
      latestVersion: m.latest == null ? null : Number(m.latest),
      versions: Number(m.versions),
      aliases: Object.fromEntries(aliases.filter((a) => a.name === m.name).map((a) => [String(a.alias), Number(a.version)])),
    }));
  }

  /**
   * Points an alias at a version (atomically; the move is recorded in the alias history).
   * @example await reg.setAlias("churn", "production", 3);
   */
  async setAlias(name: string, alias: string, version: number): Promise<AliasMove> {
    checkName(name, "model name");
    checkAlias(alias);
    checkVersion(version);
    return this.warehouse.transaction(async (tx) => {
      await this.lockModel(tx, name);
      await this.resolve(tx, { name, selector: version });
      const before = rows(await tx.query(`SELECT version FROM ${this.t("aliases")} WHERE name = $1 AND alias = $2`, [name, alias]));
      const from = before.length ? Number(before[0]!.version) : null;
      await tx.exec(
        `INSERT INTO ${this.t("aliases")} (name, alias, version, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
        [name, alias, version],
      );
      const moved = rows(
        await tx.query(
          `INSERT INTO ${this.t("alias_history")} (name, alias, from_version, to_version) VALUES ($1, $2, $3, $4) RETURNING moved_at`,
          [name, alias, from, version],
        ),
      );
      return { alias, from, to: version, at: asDate(moved[0]!.moved_at) };
    });
  }

  /**
   * Removes an alias (recorded in the history as a move to null).
   * @example await reg.deleteAlias("churn", "staging");
   */
  async deleteAlias(name: string, alias: string): Promise<void> {
    checkName(name, "model name");
    checkAlias(alias);
    await this.warehouse.transaction(async (tx) => {
      await this.lockModel(tx, name);
      const before = rows(await tx.query(`DELETE FROM ${this.t("aliases")} WHERE name = $1 AND alias = $2 RETURNING version`, [name, alias]));
      if (!before.length) throw new RegistryError(`model ${JSON.stringify(name)} has no alias ${JSON.stringify(alias)} to delete (${await this.known(tx, name)}).`);
      await tx.exec(`INSERT INTO ${this.t("alias_history")} (name, alias, from_version, to_version) VALUES ($1, $2, $3, NULL)`, [
        name,
        alias,
        Number(before[0]!.version),
      ]);
    });
  }

  /**
   * The moves of a model's aliases (or of one alias), oldest first.
   * @example (await reg.aliasHistory("churn", "production")).map((m) => m.to) // [1, 3]
   */
  async aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    checkName(name, "model name");
    if (alias !== undefined) checkName(alias, "alias");
    const params: unknown[] = [name];
    if (alias !== undefined) params.push(alias);
    const got = rows(
      await this.warehouse.query(
        `SELECT alias, from_version, to_version, moved_at FROM ${this.t("alias_history")} WHERE name = $1${alias === undefined ? "" : " AND alias = $2"} ORDER BY id`,
        params,
      ),
    );
    return got.map((r) => ({
      alias: String(r.alias),
      from: r.from_version == null ? null : Number(r.from_version),
      to: r.to_version == null ? null : Number(r.to_version),
      at: asDate(r.moved_at),
    }));
  }

  /**
   * Sets (or replaces) a tag on a version; versions are otherwise immutable.
   * @example await reg.setTag("churn", 3, "validated_by", "ana");
   */
  async setTag(name: string, version: number, key: string, value: string): Promise<void> {
    checkName(name, "model name");
    checkVersion(version);
    checkName(key, "tag key");
    await this.warehouse.transaction(async (tx) => {
      const got = rows(await tx.query(`SELECT 1 AS x FROM ${this.t("versions")} WHERE name = $1 AND version = $2`, [name, version]));
      if (!got.length) throw new RegistryError(`model version ${name}@${version} does not exist: ${await this.known(tx, name)}`);
      await tx.exec(
        `INSERT INTO ${this.t("tags")} (name, version, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (name, version, key) DO UPDATE SET value = EXCLUDED.value`,
        [name, version, key, String(value)],
      );
    });
  }

  /**
   * Deletes a version softly: its record and lineage stay, it can no longer be loaded, and the
   * aliases pointing at it are removed (recorded in the alias history). Its number is never reused.
   * @example await reg.deleteVersion("churn", 2);
   */
  async deleteVersion(name: string, version: number): Promise<void> {
    checkName(name, "model name");
    checkVersion(version);
    await this.warehouse.transaction(async (tx) => {
      await this.lockModel(tx, name);
      await this.resolve(tx, { name, selector: version });
      await tx.exec(`UPDATE ${this.t("versions")} SET status = 'DELETED', deleted_at = now() WHERE name = $1 AND version = $2`, [name, version]);
      const removed = rows(await tx.query(`DELETE FROM ${this.t("aliases")} WHERE name = $1 AND version = $2 RETURNING alias`, [name, version]));
      for (const r of removed) {
        await tx.exec(`INSERT INTO ${this.t("alias_history")} (name, alias, from_version, to_version) VALUES ($1, $2, $3, NULL)`, [
          name,
          String(r.alias),
          version,
        ]);
      }
    });
  }

  /**
   * The lineage of a version: run id, feature views and versions, training-data digest, metrics,
   * params and the aliases it holds.
   * @example (await reg.lineage("churn@production")).featureViews // [{ name: "customer_stats", version: 1, … }]
   */
  async lineage(ref: string): Promise<VersionLineage> {
    const v = await this.getVersion(ref);
    const got = rows(await this.warehouse.query(`SELECT manifest FROM ${this.t("versions")} WHERE name = $1 AND version = $2`, [v.name, v.version]));
    const manifest = JSON.parse(String(got[0]!.manifest)) as ModelManifest;
    return {
      name: v.name,
      version: v.version,
      digest: v.digest,
      runId: v.runId,
      featureViews: manifest.lineage.featureViews,
      trainingData: manifest.lineage.trainingData,
      git: manifest.lineage.git,
      metrics: manifest.metrics,
      params: manifest.params,
      aliases: v.aliases,
    };
  }

  /**
   * Versions whose lineage names a run id (e.g. to find the models an experiment produced).
   * @example await reg.versionsOfRun("9f2c…")
   */
  async versionsOfRun(runId: string): Promise<{ name: string; version: number; digest: string }[]> {
    const got = rows(
      await this.warehouse.query(`SELECT name, version, digest FROM ${this.t("versions")} WHERE run_id = $1 ORDER BY name, version`, [runId]),
    );
    return got.map((r) => ({ name: String(r.name), version: Number(r.version), digest: String(r.digest) }));
  }

  /**
   * The stored files of a version, verified: every stored file must hash to its recorded SHA-256,
   * and the manifest to the version's digest (so a tampered row is refused).
   * Implements `ModelSource` for `DeployedModel.load("churn@production", { registry })`.
   */
  async getArtifactFiles(ref: string): Promise<ResolvedModelFiles> {
    const { name, version } = await this.resolve(this.warehouse, ref);
    const got = rows(
      await this.warehouse.query(
        `SELECT v.digest, f.path, f.sha256, f.size, b.bytes
           FROM ${this.t("versions")} v JOIN ${this.t("files")} f ON f.name = v.name AND f.version = v.version
           JOIN ${this.t("blobs")} b ON b.sha256 = f.sha256
          WHERE v.name = $1 AND v.version = $2 ORDER BY f.path`,
        [name, version],
      ),
    );
    if (!got.length) throw new RegistryError(`model version ${name}@${version} has no stored files; the registry is damaged.`);
    const digest = String(got[0]!.digest);
    const files: ArtifactFiles = new Map();
    for (const r of got) {
      const bytes = r.bytes as Uint8Array;
      const path = String(r.path);
      if (bytes.length !== Number(r.size) || sha256(bytes) !== String(r.sha256)) {
        throw new RegistryError(
          `stored file ${JSON.stringify(path)} of ${name}@${version} does not match its recorded SHA-256 (the row was changed after registration); register the artifact again.`,
        );
      }
      files.set(path, bytes);
    }
    const manifestBytes = files.get(MANIFEST_FILE);
    const actual = manifestBytes ? sha256(manifestBytes) : "(no manifest)";
    if (actual !== digest) {
      throw new RegistryError(
        `the stored manifest of ${name}@${version} hashes to ${actual.slice(0, 12)}…, not the registered digest ${digest.slice(0, 12)}…; the registry rows were changed after registration.`,
      );
    }
    await verified(files, `the stored artifact of ${name}@${version}`);
    return { files, name, version, digest };
  }

  /** Locks a model's row for the rest of the transaction (serialises alias moves and deletes). */
  private async lockModel(tx: WarehouseType, name: string): Promise<void> {
    const got = rows(await tx.query(`SELECT name FROM ${this.t("models")} WHERE name = $1 FOR UPDATE`, [name]));
    if (!got.length) throw new RegistryError(`no model named ${JSON.stringify(name)} is registered; register one with register(${JSON.stringify(name)}, dir).`);
  }

  /** Closes the warehouse when the registry opened it from a URL; otherwise does nothing. */
  async close(): Promise<void> {
    if (this.owned) await this.warehouse.close();
  }
}

/** The registry's tables (created in its schema on first use). */
const LAYOUT: readonly string[] = [
  `CREATE TABLE models (
     name text PRIMARY KEY,
     description text,
     created_at timestamptz NOT NULL DEFAULT now(),
     next_version integer NOT NULL DEFAULT 1
   )`,
  `CREATE TABLE versions (
     name text NOT NULL REFERENCES models (name),
     version integer NOT NULL,
     digest text NOT NULL,
     status text NOT NULL DEFAULT 'READY' CHECK (status IN ('READY', 'DELETED')),
     created_at timestamptz NOT NULL DEFAULT now(),
     deleted_at timestamptz,
     description text,
     run_id text,
     manifest text NOT NULL,
     PRIMARY KEY (name, version)
   )`,
  `CREATE UNIQUE INDEX versions_ready_digest ON versions (name, digest) WHERE status = 'READY'`,
  `CREATE INDEX versions_run ON versions (run_id)`,
  `CREATE TABLE blobs (sha256 text PRIMARY KEY, size bigint NOT NULL, bytes bytea NOT NULL)`,
  `CREATE TABLE files (
     name text NOT NULL,
     version integer NOT NULL,
     path text NOT NULL,
     sha256 text NOT NULL REFERENCES blobs (sha256),
     size bigint NOT NULL,
     PRIMARY KEY (name, version, path),
     FOREIGN KEY (name, version) REFERENCES versions (name, version)
   )`,
  `CREATE TABLE tags (
     name text NOT NULL, version integer NOT NULL, key text NOT NULL, value text NOT NULL,
     PRIMARY KEY (name, version, key), FOREIGN KEY (name, version) REFERENCES versions (name, version)
   )`,
  `CREATE TABLE aliases (
     name text NOT NULL REFERENCES models (name), alias text NOT NULL, version integer NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (name, alias), FOREIGN KEY (name, version) REFERENCES versions (name, version)
   )`,
  `CREATE TABLE alias_history (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name text NOT NULL, alias text NOT NULL, from_version integer, to_version integer,
     moved_at timestamptz NOT NULL DEFAULT clock_timestamp()
   )`,
];
