/**
 * The Trellis error hierarchy. Every error thrown on purpose by a Trellis package is a
 * {@link TrellisError} with a stable string `code`, a message that names the object, the bad
 * value and the fix, and the underlying error (if any) as `cause`.
 */

/** Stable machine-readable error codes. */
export type TrellisErrorCode =
  | "NOT_FITTED"
  | "SCHEMA_MISMATCH"
  | "VALIDATION"
  | "DATA_IO"
  | "WAREHOUSE"
  | "ARTIFACT_INTEGRITY"
  | "INCOMPATIBLE_ARTIFACT"
  | "REGISTRY"
  | "INVALID_ARGUMENT"
  | "LOCKED"
  | "FEATURE_STORE"
  | "TRACKING";

/**
 * Base class of every error Trellis throws on purpose.
 * @example
 * try { await readParquet("missing.parquet"); } catch (e) { if (e instanceof TrellisError) console.log(e.code); }
 */
export class TrellisError extends Error {
  readonly code: TrellisErrorCode;
  constructor(code: TrellisErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A method that needs learned state was called before `fit`.
 * @example new NotFittedError("StandardScaler")
 */
export class NotFittedError extends TrellisError {
  constructor(estimator: string, message?: string) {
    super("NOT_FITTED", message ?? `${estimator} is not fitted yet: call fit() first.`);
  }
}

/** One column whose type differs from the one expected. */
export interface MistypedColumn {
  column: string;
  expected: string;
  actual: string;
}

/**
 * Data does not have the columns, or the column types, that were expected.
 * @example new SchemaMismatchError("orders.parquet", { missing: ["customer_id"] })
 */
export class SchemaMismatchError extends TrellisError {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly mistyped: MistypedColumn[];
  constructor(
    subject: string,
    details: { missing?: string[]; unexpected?: string[]; mistyped?: MistypedColumn[] },
    hint?: string,
  ) {
    const missing = details.missing ?? [];
    const unexpected = details.unexpected ?? [];
    const mistyped = details.mistyped ?? [];
    const parts: string[] = [];
    if (missing.length) parts.push(`missing column(s) ${missing.map((c) => JSON.stringify(c)).join(", ")}`);
    if (unexpected.length) parts.push(`unexpected column(s) ${unexpected.map((c) => JSON.stringify(c)).join(", ")}`);
    if (mistyped.length) {
      parts.push(
        `mistyped column(s) ${mistyped
          .map((m) => `${JSON.stringify(m.column)} (expected ${m.expected}, got ${m.actual})`)
          .join(", ")}`,
      );
    }
    super("SCHEMA_MISMATCH", `${subject} does not match the expected schema: ${parts.join("; ")}.${hint ? ` ${hint}` : ""}`);
    this.missing = missing;
    this.unexpected = unexpected;
    this.mistyped = mistyped;
  }
}

/** One problem found by validation, shaped like a zod issue. */
export interface ValidationIssue {
  /** Where the problem is: row index, column name, option name… */
  path: (string | number)[];
  message: string;
  /** The offending value, when it is small enough to show. */
  value?: unknown;
}

/**
 * Input values (options, rows, parameters) failed validation. `issues` lists every problem found.
 * @example new ValidationError("StandardScaler options", [{ path: ["withMean"], message: "expected a boolean" }])
 */
export class ValidationError extends TrellisError {
  readonly issues: ValidationIssue[];
  constructor(subject: string, issues: ValidationIssue[], hint?: string) {
    const shown = issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super("VALIDATION", `Invalid ${subject}: ${shown}${more}.${hint ? ` ${hint}` : ""}`);
    this.issues = issues;
  }
}

/**
 * Reading or writing a file or stream failed (missing file, corrupt data, bad row).
 * `path`, `row` and `offset` locate the problem when known.
 * @example new DataIoError("cannot read lake/x.parquet: no such file", { path: "lake/x.parquet" })
 */
export class DataIoError extends TrellisError {
  readonly path?: string;
  readonly row?: number;
  readonly offset?: number;
  constructor(message: string, details: { path?: string; row?: number; offset?: number; cause?: unknown } = {}) {
    super("DATA_IO", message, { cause: details.cause });
    this.path = details.path;
    this.row = details.row;
    this.offset = details.offset;
  }
}

/**
 * A warehouse operation failed. The driver's error is kept as `cause`; its SQLSTATE as `sqlState`.
 * Messages never contain a password.
 * @example new WarehouseError("cannot connect to postgres://app@db/warehouse", { cause: err })
 */
export class WarehouseError extends TrellisError {
  readonly sqlState?: string;
  constructor(message: string, details: { cause?: unknown; sqlState?: string } = {}) {
    super("WAREHOUSE", message, { cause: details.cause });
    this.sqlState = details.sqlState ?? sqlStateOf(details.cause);
  }
}

/**
 * Another process holds the lock of an embedded warehouse folder.
 * @example new LockedError("the embedded warehouse folder .trellis/warehouse is in use by process 4242 ...")
 */
export class LockedError extends TrellisError {
  constructor(message: string) {
    super("LOCKED", message);
  }
}

/**
 * A model artifact failed its integrity checks (digest mismatch, unknown format version...).
 * @example new ArtifactIntegrityError("model.json: digest of part 'estimator' does not match")
 */
export class ArtifactIntegrityError extends TrellisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ARTIFACT_INTEGRITY", message, options);
  }
}

/**
 * A feature-store definition or request is wrong (unknown view or feature, schema changed
 * without a new version...).
 * @example new FeatureStoreError('unknown feature view "customer_statz"; registered views: customer_stats')
 */
export class FeatureStoreError extends TrellisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FEATURE_STORE", message, options);
  }
}

/**
 * A function argument is invalid (wrong kind of value, out of range...).
 * @example new InvalidArgumentError('writeParquet: compression "lz5" is not supported; use one of ...')
 */
export class InvalidArgumentError extends TrellisError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

function sqlStateOf(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err) {
    const code = (err as { code?: unknown }).code;
    // Five characters with a digit among them: a SQLSTATE, not an errno such as EPIPE.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code)) return code;
  }
  return undefined;
}

/**
 * Removes the password from a connection URL so it can be shown in messages and logs.
 * @example redactUrl("postgres://app:secret@db:5432/wh") // "postgres://app:***@db:5432/wh"
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) {
      if (/pass/i.test(key)) u.searchParams.set(key, "***");
    }
    return u.toString();
  } catch {
    // Not a URL we can parse: hide anything that looks like user:password@.
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}
