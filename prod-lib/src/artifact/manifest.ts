/**
 * The manifest of a model artifact (`manifest.json`), its digest and the version compatibility rule.
 */
import { z } from "zod";
import type { ColumnKind } from "../base/frame";
import type { Label } from "../base/labels";
import type { JSONValue } from "../base/estimator";
import { IncompatibleArtifactError, IntegrityError } from "../errors";
import { PROD_VERSION } from "../version";
import { canonicalJson, sha256Hex } from "./canonical";
import { inputSchemaDescriptorSchema, type InputSchemaDescriptor } from "./input-schema";

/** The `format` of every Trellis model manifest. */
export const ARTIFACT_FORMAT = "trellis-model";
/** The manifest format version this library writes and the newest it reads. */
export const ARTIFACT_FORMAT_VERSION = 1;
/** The file holding the canonical manifest. */
export const MANIFEST_FILE = "manifest.json";
/** The file holding the manifest's SHA-256 in `sha256sum` format (`<hex>  manifest.json`). */
export const DIGEST_FILE = "manifest.sha256";
/** The estimator's JSON (`toJSON()`). */
export const MODEL_FILE = "model.json";
/** The reference profile of the training data, when one was given. */
export const REFERENCE_FILE = "reference.json";

/** Size and SHA-256 of one artifact file. */
export interface ArtifactFileEntry {
  size: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** A feature view the training data came from. */
export interface LineageFeatureView {
  name: string;
  version: number;
  /** The view's schema hash (`view.schemaHash`) when a view object was given. */
  schemaHash: string | null;
}

/** The digest of the training rows (see `trainingDataDigest`). */
export interface TrainingDataLineage {
  /** Hex SHA-256 of the rows' canonical encoding. */
  digest: string;
  /** The encoding, `"trellis-rows/1"`. */
  method: string;
  rows: number;
  columns: string[];
}

/** Where a model came from. Unknown parts are `null` (or empty). */
export interface ModelLineage {
  featureViews: LineageFeatureView[];
  trainingData: TrainingDataLineage | null;
  /** The experiment run id, when given. */
  runId: string | null;
  /** The git commit of the working folder at save time, and whether it had uncommitted changes. */
  git: { commit: string; dirty: boolean } | null;
}

/**
 * Everything `manifest.json` holds. Optional facts are `null`, never absent, so the canonical form
 * (and the digest) never depends on how an object was built.
 */
export interface ModelManifest {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: number;
  name: string | null;
  description: string | null;
  /** UTC time of writing, ISO 8601 with milliseconds (`2026-12-04T15:31:47.123Z`). */
  createdAt: string;
  estimator: {
    /** The registered class name of the estimator, e.g. `"Pipeline"`. */
    className: string;
    /** Input columns the estimator reads, with the kind it learned for each. */
    inputColumns: { name: string; kind: ColumnKind }[];
  };
  output: {
    task: "classification" | "regression";
    /** `classes_` of a classifier, `null` for a regressor. */
    classes: Label[] | null;
    /** Output columns of scoring: `prediction`, then `proba_<class>` per class. */
    columns: string[];
  };
  /** Exact versions of @trellis/prod, @trellis/shared and their runtime dependencies. */
  libraries: Record<string, string>;
  /** The Node.js version that wrote the artifact (`process.versions.node`). */
  runtime: { node: string };
  inputSchema: {
    /** The descriptor that rebuilds the validator (see `inputSchemaFromDescriptor`). */
    fields: InputSchemaDescriptor;
    /** The same schema as JSON Schema (zod 4's `z.toJSONSchema`), for other tools. */
    jsonSchema: { [key: string]: JSONValue };
  };
  /** Every other file of the artifact (not `manifest.json` and `manifest.sha256`), by relative path. */
  files: Record<string, ArtifactFileEntry>;
  metrics: Record<string, number>;
  params: { [key: string]: JSONValue };
  lineage: ModelLineage;
}

const jsonValue: z.ZodType<JSONValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** The zod schema a parsed manifest must satisfy (checked after its digest, before anything else is read). */
export const manifestSchema = z.strictObject({
  format: z.literal(ARTIFACT_FORMAT),
  formatVersion: z.int().min(1),
  name: z.string().nullable(),
  description: z.string().nullable(),
  createdAt: z.string(),
  estimator: z.strictObject({
    className: z.string(),
    inputColumns: z.array(z.strictObject({ name: z.string(), kind: z.enum(["number", "category"]) })),
  }),
  output: z.strictObject({
    task: z.enum(["classification", "regression"]),
    classes: z.array(z.union([z.string(), z.number()])).nullable(),
    columns: z.array(z.string()),
  }),
  libraries: z.record(z.string(), z.string()),
  runtime: z.strictObject({ node: z.string() }),
  inputSchema: z.strictObject({ fields: inputSchemaDescriptorSchema, jsonSchema: z.record(z.string(), jsonValue) }),
  files: z.record(z.string(), z.strictObject({ size: z.int().min(0), sha256: hex64 })),
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), jsonValue),
  lineage: z.strictObject({
    featureViews: z.array(z.strictObject({ name: z.string(), version: z.number(), schemaHash: z.string().nullable() })),
    trainingData: z.strictObject({ digest: hex64, method: z.string(), rows: z.int().min(0), columns: z.array(z.string()) }).nullable(),
    runId: z.string().nullable(),
    git: z.strictObject({ commit: z.string(), dirty: z.boolean() }).nullable(),
  }),
});

/**
 * The digest of a manifest: lower-case hex SHA-256 of the UTF-8 bytes of its canonical JSON
 * (RFC 8785: keys sorted by UTF-16 code units, no whitespace, ECMAScript number and string forms).
 * `manifest.json` holds exactly those bytes, so the digest is also the SHA-256 of the file.
 * @example manifestDigest(loaded.manifest) === loaded.digest // true
 */
export function manifestDigest(manifest: ModelManifest): string {
  return sha256Hex(canonicalJson(manifest));
}

/** A parsed `major.minor.patch` version (a pre-release or build suffix is ignored). */
function parseVersion(v: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/**
 * Whether a library at version `running` may load an artifact written at version `written`: the
 * same major and a minor at least as high; while the major is 0, the minor plays the major's part
 * and the patch the minor's (0.3.x loads 0.3.y artifacts for y ≤ x; 0.4 loads no 0.3 artifact).
 * Pre-release and build suffixes are ignored.
 * @example isCompatibleVersion("1.2.0", "1.4.1") // true
 * @example isCompatibleVersion("0.2.0", "0.3.0") // false
 */
export function isCompatibleVersion(written: string, running: string): boolean {
  const w = parseVersion(written);
  const r = parseVersion(running);
  if (!w || !r) return false;
  if (w[0] !== r[0]) return false;
  if (w[0] > 0) return r[1] >= w[1];
  if (w[1] !== r[1]) return false;
  return r[2] >= w[2];
}

/** How `loadModel` treats an artifact written by an incompatible @trellis/prod. */
export type VersionPolicy = "strict" | "warn";

/** The warning code emitted (once per artifact digest per process) under `versionPolicy: "warn"`. */
export const INCOMPATIBLE_WARNING_CODE = "TRELLIS_INCOMPATIBLE_ARTIFACT";

const warned = new Set<string>();

/** The compatibility of an artifact with the running library. */
export interface CompatibilityCheck {
  compatible: boolean;
  /** The @trellis/prod version that wrote the artifact. */
  written: string;
  /** The @trellis/prod version running now. */
  running: string;
  /** Why not, when not compatible. */
  reason: string | null;
}

/**
 * Checks a manifest's format version and @trellis/prod version against the running library.
 * @example checkCompatibility(manifest).compatible // true
 */
export function checkCompatibility(manifest: Pick<ModelManifest, "formatVersion" | "libraries">, running = PROD_VERSION): CompatibilityCheck {
  const written = manifest.libraries["@trellis/prod"] ?? "unknown";
  if (manifest.formatVersion > ARTIFACT_FORMAT_VERSION) {
    return {
      compatible: false,
      written,
      running,
      reason: `the artifact has format ${ARTIFACT_FORMAT}/${manifest.formatVersion}, and @trellis/prod ${running} reads formats up to ${ARTIFACT_FORMAT}/${ARTIFACT_FORMAT_VERSION}; upgrade @trellis/prod to ${written} or later`,
    };
  }
  if (isCompatibleVersion(written, running)) return { compatible: true, written, running, reason: null };
  const w = parseVersion(written);
  const newer = w !== null && parseVersion(running) !== null && compareVersions(w, parseVersion(running)!) > 0;
  const fix = newer
    ? `install @trellis/prod ${written} (or a later compatible release) to load it`
    : `re-save the model with @trellis/prod ${running}, or load it with @trellis/prod ${written}`;
  return {
    compatible: false,
    written,
    running,
    reason: `the model was written by @trellis/prod ${written} and this is @trellis/prod ${running}, which loads artifacts of ${compatibleRange(running)} only; ${fix}`,
  };
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function compatibleRange(running: string): string {
  const r = parseVersion(running);
  if (!r) return `version ${running}`;
  return r[0] > 0 ? `${r[0]}.0.0 to ${r[0]}.${r[1]}.x` : `0.${r[1]}.0 to 0.${r[1]}.${r[2]}`;
}

/**
 * Applies the version policy: throws an IncompatibleArtifactError under "strict"; under "warn"
 * emits one process warning (code {@link INCOMPATIBLE_WARNING_CODE}) per artifact digest per process.
 */
export function enforceCompatibility(manifest: ModelManifest, digest: string, policy: VersionPolicy, subject: string): void {
  const check = checkCompatibility(manifest);
  if (check.compatible) return;
  const formatTooNew = manifest.formatVersion > ARTIFACT_FORMAT_VERSION;
  if (policy === "strict" || formatTooNew) {
    throw new IncompatibleArtifactError(`Cannot load ${subject}: ${check.reason}${formatTooNew ? "." : ' (or pass versionPolicy: "warn" to load it anyway).'}`, {
      written: formatTooNew ? `${ARTIFACT_FORMAT}/${manifest.formatVersion}` : check.written,
      running: formatTooNew ? `${ARTIFACT_FORMAT}/${ARTIFACT_FORMAT_VERSION}` : check.running,
    });
  }
  if (warned.has(digest)) return;
  warned.add(digest);
  process.emitWarning(`Loading ${subject} (digest ${digest.slice(0, 12)}) although ${check.reason}.`, {
    type: "TrellisWarning",
    code: INCOMPATIBLE_WARNING_CODE,
  });
}

/**
 * Parses a manifest that already matched its digest; a structure that is not a Trellis manifest is
 * an IntegrityError naming manifest.json.
 */
export function parseManifest(bytes: Uint8Array): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new IntegrityError(MANIFEST_FILE, `${MANIFEST_FILE} is not valid UTF-8 JSON (${(e as Error).message}); the artifact is damaged.`, { cause: e });
  }
  if (raw && typeof raw === "object" && (raw as { format?: unknown }).format !== ARTIFACT_FORMAT) {
    throw new IntegrityError(MANIFEST_FILE, `${MANIFEST_FILE} has format ${JSON.stringify((raw as { format?: unknown }).format)}, not ${JSON.stringify(ARTIFACT_FORMAT)}: this is not a Trellis model artifact.`);
  }
  // A newer format may carry fields this version does not know: report the version, not the fields.
  if (raw && typeof raw === "object" && typeof (raw as { formatVersion?: unknown }).formatVersion === "number" && (raw as { formatVersion: number }).formatVersion > ARTIFACT_FORMAT_VERSION) {
    const m = raw as ModelManifest;
    const running = PROD_VERSION;
    throw new IncompatibleArtifactError(
      `Cannot load the model: the artifact has format ${ARTIFACT_FORMAT}/${m.formatVersion} (written by @trellis/prod ${m.libraries?.["@trellis/prod"] ?? "unknown"}), and @trellis/prod ${running} reads formats up to ${ARTIFACT_FORMAT}/${ARTIFACT_FORMAT_VERSION}; upgrade @trellis/prod.`,
      { written: `${ARTIFACT_FORMAT}/${m.formatVersion}`, running: `${ARTIFACT_FORMAT}/${ARTIFACT_FORMAT_VERSION}` },
    );
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new IntegrityError(MANIFEST_FILE, `${MANIFEST_FILE} is not a valid ${ARTIFACT_FORMAT}/${ARTIFACT_FORMAT_VERSION} manifest: ${issue.path.join(".") || "(root)"}: ${issue.message}.`);
  }
  return r.data as ModelManifest;
}
