/**
 * The version of @trellis/prod and the exact versions of what it runs on, taken from the package.json
 * files when the packages are built (bundled in, never read from disk at run time).
 */
import { SHARED_DEPENDENCIES, SHARED_VERSION } from "@trellis/shared";
import pkg from "../package.json";

/**
 * The version of this @trellis/prod build.
 * @example PROD_VERSION // "0.1.0"
 */
export const PROD_VERSION: string = pkg.version;

/**
 * Exact versions of @trellis/prod, @trellis/shared and the runtime dependencies of both (as pinned in
 * their package.json files), sorted by name. Recorded in every model manifest.
 * @example libraryVersions()["@trellis/prod"] // "0.1.0"
 */
export function libraryVersions(): Record<string, string> {
  const all: Record<string, string> = {
    ...SHARED_DEPENDENCIES,
    ...(pkg.dependencies as Record<string, string>),
    "@trellis/shared": SHARED_VERSION,
    "@trellis/prod": PROD_VERSION,
  };
  const out: Record<string, string> = {};
  for (const k of Object.keys(all).sort()) out[k] = all[k];
  return out;
}
