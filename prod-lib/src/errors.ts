/**
 * Errors of the deployment layer. Like every Trellis error they extend `TrellisError` (from
 * @trellis/shared) and carry a stable `code`; @trellis/prod re-exports the shared classes too, so a
 * service imports every error class it may catch from one package.
 */
import { ArtifactIntegrityError, TrellisError } from "@trellis/shared";

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
