/**
 * Reading model artifacts: every file's size and SHA-256 are checked against the manifest (and the
 * manifest against its digest) before anything else is parsed, then the version compatibility, then
 * the estimator JSON is parsed. No code from an artifact is ever executed: estimators are rebuilt
 * from registered classes and the input schema from plain descriptors.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { z } from "zod";
import { DataIoError, InvalidArgumentError, TrellisError } from "@trellis/shared";
import { estimatorFromJSON, type BaseEstimator, type EstimatorJSON } from "../base/estimator";
import { IntegrityError } from "../errors";
import { REFERENCE_FORMAT, type ReferenceProfile } from "../monitor/profile";
import { sha256Hex } from "./canonical";
import { inputSchemaFromDescriptor } from "./input-schema";
import {
  DIGEST_FILE,
  MANIFEST_FILE,
  MODEL_FILE,
  REFERENCE_FILE,
  checkCompatibility,
  enforceCompatibility,
  parseManifest,
  type CompatibilityCheck,
  type ModelManifest,
  type VersionPolicy,
} from "./manifest";
import { modelInfo } from "./model-info";
import type { ArtifactFiles } from "./save";

/** Options of {@link loadModel} and {@link loadModelFromFiles}. */
export interface LoadModelOptions {
  /**
   * `"strict"` (default): an artifact written by an incompatible @trellis/prod is refused with an
   * IncompatibleArtifactError. `"warn"`: it is loaded, and a process warning with code
   * `TRELLIS_INCOMPATIBLE_ARTIFACT` is emitted once per artifact digest per process
   * (`process.on("warning", …)` receives it).
   */
  versionPolicy?: VersionPolicy;
  /** The digest the artifact must have (e.g. the one a registry recorded); a mismatch is an IntegrityError. */
  expectedDigest?: string;
}

/** A verified, loaded artifact. */
export interface LoadedModel {
  /** The estimator, rebuilt from `model.json`. */
  model: BaseEstimator;
  manifest: ModelManifest;
  /** SHA-256 hex of the canonical manifest. */
  digest: string;
  /** The input schema, rebuilt from the manifest's descriptors. */
  inputSchema: z.ZodObject;
  /** The reference profile (`reference.json`), when the artifact has one. */
  reference?: ReferenceProfile;
}

/**
 * Reads every file of an artifact folder (plain files only; a sub-folder or link is refused).
 * @example const files = await readArtifactFiles("models/churn"); files.get("manifest.json")
 */
export async function readArtifactFiles(dir: string): Promise<ArtifactFiles> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such folder" : code === "ENOTDIR" ? "not a folder" : (e as Error).message;
    throw new DataIoError(`cannot read the model artifact ${root}: ${why}.`, { path: root, cause: e });
  }
  const files: ArtifactFiles = new Map();
  for (const name of names) {
    const path = join(root, name);
    const st = await stat(path);
    if (!st.isFile()) throw new IntegrityError(name, `${root}: ${JSON.stringify(name)} is not a plain file; a model artifact holds only the files its manifest lists.`);
    files.set(name, new Uint8Array(await readFile(path)));
  }
  return files;
}

/** One problem found by {@link verifyArtifact}. */
export interface ArtifactProblem {
  /** The file at fault, when there is one. */
  file: string | null;
  message: string;
}

/** What {@link verifyArtifact} reports. */
export interface ArtifactVerification {
  /** True when every check passed: integrity, format, version compatibility, and the files parse. */
  ok: boolean;
  /** The artifact's digest, when the manifest matched its digest file. */
  digest: string | null;
  /** The manifest, when it could be read. */
  manifest: ModelManifest | null;
  /** Compatibility with the running @trellis/prod, when the manifest could be read. */
  compatibility: CompatibilityCheck | null;
  /** Every file checked, with its state. */
  files: { file: string; size: number; status: "ok" | "changed" | "missing" | "unexpected" }[];
  problems: ArtifactProblem[];
}

function utf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new IntegrityError(file, `${file} is not valid UTF-8; the artifact is damaged.`, { cause: e });
  }
}

/** Checks the manifest against `manifest.sha256` and returns its digest. */
function checkManifestDigest(files: ArtifactFiles, expectedDigest: string | undefined): { digest: string; bytes: Uint8Array } {
  const bytes = files.get(MANIFEST_FILE);
  if (!bytes) throw new IntegrityError(MANIFEST_FILE, `the artifact has no ${MANIFEST_FILE}; it is not a Trellis model artifact (or it is incomplete).`);
  const side = files.get(DIGEST_FILE);
  if (!side) throw new IntegrityError(DIGEST_FILE, `the artifact has no ${DIGEST_FILE} (the manifest's SHA-256); the artifact is incomplete.`);
  const m = /^([0-9a-f]{64}) {2}manifest\.json\n?$/.exec(utf8(side, DIGEST_FILE));
  if (!m) throw new IntegrityError(DIGEST_FILE, `${DIGEST_FILE} does not hold "<sha256>  ${MANIFEST_FILE}"; the artifact is damaged.`);
  const digest = sha256Hex(bytes);
  if (digest !== m[1]) {
    throw new IntegrityError(MANIFEST_FILE, `${MANIFEST_FILE} has SHA-256 ${digest}, but ${DIGEST_FILE} says ${m[1]}: the manifest (or its digest file) was changed after the model was saved. Save the model again.`);
  }
  if (expectedDigest !== undefined && digest !== expectedDigest) {
    throw new IntegrityError(MANIFEST_FILE, `the artifact's digest is ${digest}, but ${expectedDigest} was expected: this is not the artifact that was recorded.`);
  }
  return { digest, bytes };
}

/** Checks every listed file's size and hash, and that no file is missing or unexpected. */
function checkFiles(files: ArtifactFiles, manifest: ModelManifest): void {
  for (const [file, e] of Object.entries(manifest.files)) {
    const bytes = files.get(file);
    if (!bytes) throw new IntegrityError(file, `${file} is missing from the artifact (the manifest lists it: ${e.size} bytes).`);
    if (bytes.length !== e.size) throw new IntegrityError(file, `${file} has ${bytes.length} bytes, but the manifest says ${e.size}: the file was changed after the model was saved.`);
    const h = sha256Hex(bytes);
    if (h !== e.sha256) throw new IntegrityError(file, `${file} has SHA-256 ${h}, but the manifest says ${e.sha256}: the file was changed after the model was saved.`);
  }
  for (const file of files.keys()) {
    if (file !== MANIFEST_FILE && file !== DIGEST_FILE && !(file in manifest.files)) {
      throw new IntegrityError(file, `${file} is in the artifact but not in its manifest; an artifact holds only the files its manifest lists. Remove it or save the model again.`);
    }
  }
}

function parseJsonFile(files: ArtifactFiles, file: string): unknown {
  try {
    return JSON.parse(utf8(files.get(file)!, file));
  } catch (e) {
    if (e instanceof TrellisError) throw e;
    throw new IntegrityError(file, `${file} is not valid JSON (${(e as Error).message}).`, { cause: e });
  }
}

function subjectOf(manifest: ModelManifest): string {
  return manifest.name ? `model ${JSON.stringify(manifest.name)}` : "the model";
}

/** Parses model.json, the input schema and reference.json of a verified artifact. */
function parseVerified(files: ArtifactFiles, manifest: ModelManifest, digest: string): LoadedModel {
  if (!(MODEL_FILE in manifest.files)) throw new IntegrityError(MODEL_FILE, `the manifest lists no ${MODEL_FILE}; the artifact has no estimator.`);
  const json = parseJsonFile(files, MODEL_FILE) as EstimatorJSON;
  let model: BaseEstimator;
  try {
    model = estimatorFromJSON(json);
  } catch (e) {
    throw new IntegrityError(MODEL_FILE, `${MODEL_FILE} cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
  const inputSchema = inputSchemaFromDescriptor(manifest.inputSchema.fields);
  // The estimator and the manifest must agree (same columns, same task and classes).
  const info = modelInfo(model, manifest.inputSchema.fields, "loadModel");
  if (JSON.stringify(info.inputColumns) !== JSON.stringify(manifest.estimator.inputColumns) || JSON.stringify(info.classes) !== JSON.stringify(manifest.output.classes)) {
    throw new IntegrityError(MODEL_FILE, `${MODEL_FILE} does not match its manifest (input columns or classes differ); the artifact is inconsistent.`);
  }
  const loaded: LoadedModel = { model, manifest, digest, inputSchema };
  if (REFERENCE_FILE in manifest.files) {
    const ref = parseJsonFile(files, REFERENCE_FILE) as ReferenceProfile;
    if (!ref || typeof ref !== "object" || ref.format !== REFERENCE_FORMAT || typeof ref.columns !== "object") {
      throw new IntegrityError(REFERENCE_FILE, `${REFERENCE_FILE} is not a ${REFERENCE_FORMAT} reference profile.`);
    }
    loaded.reference = ref;
  }
  return loaded;
}

/**
 * Verifies and loads an artifact held in memory (as {@link readArtifactFiles} or a registry gives
 * it). In order: `manifest.json` against `manifest.sha256` (and `expectedDigest`), the manifest's
 * structure, every listed file's size and SHA-256 and no unlisted file — all before any other file
 * is parsed; then the version compatibility (`versionPolicy`); then the estimator, the input schema
 * and the reference profile are parsed.
 * @example const loaded = await loadModelFromFiles(files, { versionPolicy: "strict" });
 */
export async function loadModelFromFiles(files: ArtifactFiles, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (!(files instanceof Map)) throw new InvalidArgumentError(`loadModelFromFiles: expected a Map of file name → bytes (readArtifactFiles gives one), got ${files === null ? "null" : typeof files}.`);
  const policy = options.versionPolicy ?? "strict";
  if (policy !== "strict" && policy !== "warn") throw new InvalidArgumentError(`loadModel: versionPolicy must be "strict" or "warn", got ${JSON.stringify(policy)}.`);
  const { digest, bytes } = checkManifestDigest(files, options.expectedDigest);
  const manifest = parseManifest(bytes);
  checkFiles(files, manifest);
  enforceCompatibility(manifest, digest, policy, subjectOf(manifest));
  return parseVerified(files, manifest, digest);
}

/**
 * Verifies and loads an artifact folder: `loadModelFromFiles(await readArtifactFiles(dir), options)`.
 * @example
 * const { model, manifest, digest } = await loadModel("models/churn");
 * model.predict(rows);
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  return loadModelFromFiles(await readArtifactFiles(dir), options);
}

/**
 * Checks an artifact (a folder or its files) without throwing: integrity of every file, the
 * manifest's structure, compatibility with the running @trellis/prod, and that the estimator and
 * schema load. `ok` is true when all pass; `problems` lists what failed, naming files.
 * @example const v = await verifyArtifact("models/churn"); if (!v.ok) console.error(v.problems);
 */
export async function verifyArtifact(source: string | ArtifactFiles): Promise<ArtifactVerification> {
  const result: ArtifactVerification = { ok: false, digest: null, manifest: null, compatibility: null, files: [], problems: [] };
  let files: ArtifactFiles;
  try {
    files = typeof source === "string" ? await readArtifactFiles(source) : source;
  } catch (e) {
    result.problems.push({ file: e instanceof IntegrityError ? e.file : null, message: (e as Error).message });
    return result;
  }
  let manifest: ModelManifest;
  try {
    const { digest, bytes } = checkManifestDigest(files, undefined);
    manifest = parseManifest(bytes);
    result.digest = digest;
    result.manifest = manifest;
  } catch (e) {
    result.problems.push({ file: e instanceof IntegrityError ? e.file : MANIFEST_FILE, message: (e as Error).message });
    return result;
  }
  for (const [file, e] of Object.entries(manifest.files)) {
    const bytes = files.get(file);
    if (!bytes) {
      result.files.push({ file, size: e.size, status: "missing" });
      result.problems.push({ file, message: `${file} is missing from the artifact.` });
    } else if (bytes.length !== e.size || sha256Hex(bytes) !== e.sha256) {
      result.files.push({ file, size: bytes.length, status: "changed" });
      result.problems.push({ file, message: `${file} does not match the size and SHA-256 recorded in the manifest.` });
    } else result.files.push({ file, size: bytes.length, status: "ok" });
  }
  for (const [file, bytes] of files) {
    if (file === MANIFEST_FILE || file === DIGEST_FILE) result.files.push({ file, size: bytes.length, status: "ok" });
    else if (!(file in manifest.files)) {
      result.files.push({ file, size: bytes.length, status: "unexpected" });
      result.problems.push({ file, message: `${file} is not listed in the manifest.` });
    }
  }
  result.files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  result.compatibility = checkCompatibility(manifest);
  if (!result.compatibility.compatible) result.problems.push({ file: null, message: `incompatible: ${result.compatibility.reason}.` });
  if (result.problems.length === 0) {
    try {
      parseVerified(files, manifest, result.digest!);
    } catch (e) {
      result.problems.push({ file: e instanceof IntegrityError ? e.file : null, message: (e as Error).message });
    }
  }
  result.ok = result.problems.length === 0;
  return result;
}
