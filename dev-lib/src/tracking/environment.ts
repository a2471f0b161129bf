/**
 * What a run records about where it ran: the git commit and dirty flag of the working folder, the
 * Node version and the @trellis/* versions.
 */
import { PROD_VERSION, gitState } from "@trellis/prod";
import { SHARED_VERSION } from "@trellis/shared";
import pkg from "../../package.json";

/**
 * The version of this @trellis/dev build (from its package.json, bundled in when built).
 * @example DEV_VERSION // "0.1.0"
 */
export const DEV_VERSION: string = pkg.version;

/** The environment captured when a run starts. */
export interface RunEnvironment {
  /** `git rev-parse HEAD` in the working folder, or null outside a repository (or without git). */
  gitCommit: string | null;
  /** Whether `git status --porcelain` lists any change (tracked or untracked), or null outside a repository. */
  gitDirty: boolean | null;
  /** `process.version`, e.g. `"v20.19.0"`. */
  nodeVersion: string;
  /** Versions of the @trellis packages, by package name. */
  trellisVersions: Record<string, string>;
}

/**
 * The versions of @trellis/shared, @trellis/prod and @trellis/dev this process runs.
 * @example trellisVersions(); // { "@trellis/dev": "0.1.0", "@trellis/prod": "0.1.0", "@trellis/shared": "0.1.0" }
 */
export function trellisVersions(): Record<string, string> {
  return { "@trellis/dev": DEV_VERSION, "@trellis/prod": PROD_VERSION, "@trellis/shared": SHARED_VERSION };
}

/**
 * Everything a run records about its environment (git through `gitState` of @trellis/prod, bounded
 * by a timeout; null outside a repository or when `git` is false).
 * @example
 * const env = captureEnvironment({ cwd: process.cwd(), git: true });
 */
export function captureEnvironment(opts: { cwd: string; git: boolean }): RunEnvironment {
  const state = opts.git ? gitState(opts.cwd) : null;
  return { gitCommit: state?.commit ?? null, gitDirty: state?.dirty ?? null, nodeVersion: process.version, trellisVersions: trellisVersions() };
}
