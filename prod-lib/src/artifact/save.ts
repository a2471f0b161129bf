/**
 * Writing model artifacts: `packModel` builds the files in memory, `saveModel` writes them to a
 * folder atomically.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Table } from "apache-arrow";
import type { z } from "zod";
import { DataIoError, InvalidArgumentError, tableFromRows } from "@trellis/shared";
import type { BaseEstimator, JSONValue } from "../base/estimator";
import type { RowObject } from "../base/frame";
import { isArrowTable } from "../base/matrix";
import { buildReferenceProfile } from "../monitor/profile";
import { libraryVersions } from "../version";
import { canonicalJson, sha256Hex } from "./canonical";
import { describeInputSchema, inputJsonSchema } from "./input-schema";
import { buildLineage, type LineageInput } from "./lineage";
import {
  ARTIFACT_FORMAT,
  ARTIFACT_FORMAT_VERSION,
  DIGEST_FILE,
  MANIFEST_FILE,
  MODEL_FILE,
  REFERENCE_FILE,
  type ArtifactFileEntry,
  type ModelManifest,
} from "./manifest";
import { modelInfo } from "./model-info";

/** The files of an artifact: relative path → bytes (`manifest.json` and `manifest.sha256` included). */
export type ArtifactFiles = Map<string, Uint8Array>;

/** Options of {@link saveModel} and {@link packModel}. */
export interface SaveModelOptions {
  /** The rows the model accepts: a zod object declaring at least every column the model reads. */
  inputSchema: z.ZodObject;
  /** A name for people and registries, e.g. `"churn"`. */
  name?: string;
  description?: string;
  /** Training (or reference) rows or an Arrow table: profiled into `reference.json` for drift reports. */
  reference?: readonly RowObject[] | Table;
  /** Where the model came from (feature views, training rows, run id, git commit). */
  lineage?: LineageInput;
  /** Evaluation figures, e.g. `{ rocAuc: 0.91 }` (finite numbers). */
  metrics?: Record<string, number>;
  /** Training parameters worth recording (JSON values). */
  params?: Record<string, JSONValue>;
  /** Replace an existing folder at `dir` (default false: an existing folder is refused). */
  overwrite?: boolean;
}

/** An artifact built in memory. */
export interface PackedModel {
  files: ArtifactFiles;
  manifest: ModelManifest;
  /** SHA-256 hex of the canonical manifest. */
  digest: string;
}

/** What {@link saveModel} returns. */
export interface SavedModel {
  /** The absolute path of the artifact folder. */
  dir: string;
  /** SHA-256 hex of the canonical manifest: the artifact's identity. */
  digest: string;
  manifest: ModelManifest;
}

const encoder = new TextEncoder();

function entry(bytes: Uint8Array): ArtifactFileEntry {
  return { size: bytes.length, sha256: sha256Hex(bytes) };
}

function checkMetrics(metrics: Record<string, number> | undefined, caller: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics ?? {})) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidArgumentError(`${caller}: metrics.${k} is ${typeof v === "number" ? v : typeof v}; metrics must be finite numbers.`);
    }
    out[k] = v;
  }
  return out;
}

function optionalString(v: unknown, what: string, caller: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new InvalidArgumentError(`${caller}: ${what} must be a string, got ${typeof v}.`);
  return v;
}

/**
 * Builds an artifact in memory: `model.json`, `reference.json` (when `reference` is given),
 * `manifest.json` (canonical JSON) and `manifest.sha256`. {@link saveModel} writes these files; a
 * registry can store them as they are.
 * @example const { files, digest } = await packModel(pipe, { inputSchema: Row, name: "churn" });
 */
export async function packModel(model: BaseEstimator, options: SaveModelOptions, caller = "packModel"): Promise<PackedModel> {
  if (!options || typeof options !== "object") throw new InvalidArgumentError(`${caller}: pass options with at least { inputSchema }.`);
  const fields = describeInputSchema(options.inputSchema, caller);
  const info = modelInfo(model, fields, caller);
  const files: ArtifactFiles = new Map();
  const modelBytes = encoder.encode(JSON.stringify(model.toJSON()));
  files.set(MODEL_FILE, modelBytes);
  if (options.reference !== undefined) {
    const table = isArrowTable(options.reference) ? (options.reference as Table) : tableFromRows(options.reference as Record<string, unknown>[]);
    const present = new Set(table.schema.fields.map((f) => f.name));
    const columns = fields.map((f) => f.name).filter((n) => present.has(n));
    if (columns.length === 0) {
      throw new InvalidArgumentError(`${caller}: the reference data has none of the input columns (${fields.map((f) => f.name).join(", ")}); pass the training rows.`);
    }
    files.set(REFERENCE_FILE, encoder.encode(JSON.stringify(buildReferenceProfile(table, { columns }))));
  }
  const entries: Record<string, ArtifactFileEntry> = {};
  for (const [path, bytes] of files) entries[path] = entry(bytes);
  const manifest: ModelManifest = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    name: optionalString(options.name, "name", caller),
    description: optionalString(options.description, "description", caller),
    createdAt: new Date().toISOString(),
    estimator: { className: info.className, inputColumns: info.inputColumns },
    output: { task: info.task, classes: info.classes, columns: info.outputColumns },
    libraries: libraryVersions(),
    runtime: { node: process.versions.node },
    inputSchema: { fields, jsonSchema: inputJsonSchema(options.inputSchema) as { [key: string]: JSONValue } },
    files: entries,
    metrics: checkMetrics(options.metrics, caller),
    params: (options.params ?? {}) as { [key: string]: JSONValue },
    lineage: buildLineage(options.lineage, caller),
  };
  const text = canonicalJson(manifest);
  const digest = sha256Hex(text);
  files.set(MANIFEST_FILE, encoder.encode(text));
  files.set(DIGEST_FILE, encoder.encode(`${digest}  ${MANIFEST_FILE}\n`));
  // The manifest as the canonical text round-trips it (drops nothing JSON cannot hold).
  return { files, manifest: JSON.parse(text) as ModelManifest, digest };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw e;
  }
}

async function writeFileSynced(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes already-built artifact files to `dir` atomically: into a temporary folder beside `dir`,
 * then renamed into place. An existing `dir` is refused unless `overwrite` (then the old folder is
 * moved aside, the new one renamed in, and the old one removed). Any failure removes the
 * temporary folder and leaves `dir` as it was.
 * @example await writeArtifactFiles(packed.files, "models/churn");
 */
export async function writeArtifactFiles(files: ArtifactFiles, dir: string, options: { overwrite?: boolean } = {}): Promise<string> {
  const target = resolve(dir);
  const parent = dirname(target);
  if (!options.overwrite && (await exists(target))) {
    throw new InvalidArgumentError(`saveModel: ${target} already exists; choose a new folder or pass { overwrite: true } to replace it.`);
  }
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const old = join(parent, `.${basename(target)}.old-${tag}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    for (const [path, bytes] of files) {
      if (path.includes("/") || path.includes("\\") || path.startsWith(".")) {
        throw new InvalidArgumentError(`saveModel: artifact file name ${JSON.stringify(path)} must be a plain file name.`);
      }
      await writeFileSynced(join(tmp, path), bytes);
    }
    if (options.overwrite && (await exists(target))) {
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (e) {
        await rename(old, target);
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      try {
        await rename(tmp, target);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOTEMPTY" || code === "EEXIST") {
          throw new InvalidArgumentError(`saveModel: ${target} was created by someone else while the model was being written; nothing was changed. Choose a new folder or pass { overwrite: true }.`);
        }
        throw e;
      }
    }
    return target;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof InvalidArgumentError) throw e;
    throw new DataIoError(`saveModel: cannot write the model to ${target}: ${(e as Error).message}`, { path: target, cause: e });
  }
}

/**
 * Saves a fitted estimator as a model artifact folder, atomically (see {@link packModel} for the
 * files and {@link writeArtifactFiles} for the write). Returns the folder, the digest and the manifest.
 * @example
 * const saved = await saveModel(pipe, "models/churn", {
 *   inputSchema: ChurnRow, name: "churn", reference: trainTable,
 *   lineage: { featureViews: [customerStats], trainingRows: trainTable, runId: run.id },
 *   metrics: { rocAuc: 0.91 },
 * });
 * saved.digest; // "5f0c…"
 */
export async function saveModel(model: BaseEstimator, dir: string, options: SaveModelOptions): Promise<SavedModel> {
  if (typeof dir !== "string" || dir.length === 0) throw new InvalidArgumentError(`saveModel: dir must be a folder path, got ${JSON.stringify(dir)}.`);
  const target = resolve(dir);
  if (!options?.overwrite && (await exists(target))) {
    throw new InvalidArgumentError(`saveModel: ${target} already exists; choose a new folder or pass { overwrite: true } to replace it.`);
  }
  const packed = await packModel(model, options, "saveModel");
  await writeArtifactFiles(packed.files, target, { overwrite: options.overwrite });
  return { dir: target, digest: packed.digest, manifest: packed.manifest };
}
