/**
 * Errors of the deployment layer. Like every Trellis error they extend `TrellisError` (from
 * @trellis/shared) and carry a stable `code`; @trellis/prod re-exports the shared classes too, so a
 * service imports every error class it may catch from one package.
 */
import { ArtifactIntegrityError, TrellisError, ValidationError } from "@trellis/shared";

/**
 * A model artifact failed an integrity check: a file's size or SHA-256 differs from the manifest, a
 * file is missing or unexpected, or the manifest does not match its digest. `file` names the file
 * (relative to the artifact folder). Code `ARTIFACT_INTEGRITY`.
 * @example new IntegrityError("model.json", "model.json: SHA-256 is 3f…, the manifest says 9a…")
 */
export class IntegrityError extends ArtifactIntegrityError {
  /** The artifact file at fault, e.g. `"model.json"`. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/**
 * An artifact was written by a @trellis/prod (or a format) this library cannot load under the
 * compatibility rule; both versions are named. Code `INCOMPATIBLE_ARTIFACT`.
 * @example new IncompatibleArtifactError("model written by @trellis/prod 0.3.0 ...", { written: "0.3.0", running: "0.1.0" })
 */
export class IncompatibleArtifactError extends TrellisError {
  /** The @trellis/prod version (or format version) the artifact was written with. */
  readonly written: string;
  /** The version running now. */
  readonly running: string;
  constructor(message: string, versions: { written: string; running: string }) {
    super("INCOMPATIBLE_ARTIFACT", message);
    this.written = versions.written;
    this.running = versions.running;
  }
}

/**
 * A model-registry operation failed (unknown model or version, alias rules, a stored artifact that
 * does not match its recorded digest...). The warehouse's error, if any, is the `cause`. Code `REGISTRY`.
 * @example new RegistryError('model "churn" has no alias "production"; set one with setAlias("churn", "production", 3)')
 */
export class RegistryError extends TrellisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REGISTRY", message, options);
  }
}

/** One refused value of a row (see `RowError` of the deployed model). */
export interface InvalidRowDetail {
  row: number;
  field: string | null;
  code: string;
  message: string;
  expected: string;
  value?: string | number | boolean | null;
}

/**
 * Rows given to a deployed model failed its input schema. A `ValidationError` (code `VALIDATION`)
 * whose `issues` (path `[row, field]`) and `details` list the first 100 problems in row order, with
 * the totals in `invalidRows` and `problemCount`.
 * @example
 * try { model.predict(rows); } catch (e) { if (e instanceof InvalidRowsError) console.log(e.invalidRows, e.details[0].message); }
 */
export class InvalidRowsError extends ValidationError {
  /** The first 100 problems, JSON-friendly (row, field, code, message, expected, value). */
  readonly details: InvalidRowDetail[];
  /** Rows with at least one problem. */
  readonly invalidRows: number;
  /** Problems found in all rows (may exceed `details.length`). */
  readonly problemCount: number;
  /** Rows checked. */
  readonly rows: number;
  constructor(subject: string, details: InvalidRowDetail[], totals: { invalidRows: number; problemCount: number; rows: number }) {
    const shown = details.slice(0, INVALID_ROWS_LISTED);
    super(
      subject,
      shown.map((d) => ({ path: d.field === null ? [d.row] : [d.row, d.field], message: d.message, ...(d.value === undefined ? {} : { value: d.value }) })),
      `${totals.invalidRows} of ${totals.rows} row(s) are invalid (${totals.problemCount} problem(s)${totals.problemCount > shown.length ? `, the first ${shown.length} listed in .issues` : ""}). Fix the rows, or pass { onInvalid: "null" } to score the valid ones and get the errors beside the predictions.`,
    );
    this.details = shown;
    this.invalidRows = totals.invalidRows;
    this.problemCount = totals.problemCount;
    this.rows = totals.rows;
  }
}

/** How many problems an {@link InvalidRowsError} lists. */
export const INVALID_ROWS_LISTED = 100;
