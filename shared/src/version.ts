/**
 * The version of @trellis/shared and the exact versions of its runtime dependencies, taken from its
 * package.json when the package is built (bundled in, never read from disk at run time).
 */
import pkg from "../package.json";

/**
 * The version of this @trellis/shared build.
 * @example SHARED_VERSION // "0.1.0"
 */
export const SHARED_VERSION: string = pkg.version;

/**
 * The runtime dependencies of @trellis/shared with the exact versions it pins.
 * @example SHARED_DEPENDENCIES["apache-arrow"] // "21.2.0"
 */
export const SHARED_DEPENDENCIES: Readonly<Record<string, string>> = Object.freeze({ ...pkg.dependencies });
