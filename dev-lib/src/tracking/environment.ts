/**
 * What a run records about where it ran: the git commit and dirty flag of the working folder, the
 * Node version and the installed @trellis/* versions.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The environment captured when a run starts. */
export interface RunEnvironment {
  /** `git rev-parse HEAD` in the working folder, or null outside a repository (or without git). */
  gitCommit: string | null;
  /** Whether `git status --porcelain` lists any change (tracked or untracked), or null outside a repository. */
  gitDirty: boolean | null;
  /** `process.version`, e.g. `"v20.19.0"`. */
  nodeVersion: string;
  /** Installed versions of the @trellis packages, by package name. */
  trellisVersions: Record<string, string>;
}

const PACKAGES = ["@trellis/shared", "@trellis/prod", "@trellis/dev"] as const;

function git(args: string[], cwd: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile("git", args, { cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 16 << 20 }, (err, stdout) => {
        resolve(err ? null : String(stdout));
      });
    } catch {
      resolve(null);
    }
  });
}

/**
 * The git commit and dirty flag of `cwd` (both null outside a repository, without git, or when git
 * takes longer than `timeoutMs`).
 * @example
 * await gitState(process.cwd()); // { commit: "89bd686…", dirty: false }
 */
export async function gitState(cwd: string, timeoutMs = 3000): Promise<{ commit: string | null; dirty: boolean | null }> {
  const head = await git(["rev-parse", "--verify", "HEAD"], cwd, timeoutMs);
  const commit = head === null ? null : head.trim();
  if (commit === null || !/^[0-9a-f]{40,64}$/.test(commit)) return { commit: null, dirty: null };
  const status = await git(["status", "--porcelain"], cwd, timeoutMs);
  return { commit, dirty: status === null ? null : status.trim().length > 0 };
}

/** The folder of this module, in the ESM and in the CommonJS build alike. */
function moduleDir(): string | undefined {
  if (typeof __dirname === "string") return __dirname;
  try {
    const url = (import.meta as { url?: string }).url;
    return url ? path.dirname(fileURLToPath(url)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Versions of the @trellis packages, found in `node_modules` folders above `cwd` and above this
 * module (the first found wins).
 * @example
 * trellisVersions(process.cwd()); // { "@trellis/shared": "0.1.0", "@trellis/prod": "0.1.0", "@trellis/dev": "0.1.0" }
 */
export function trellisVersions(cwd: string): Record<string, string> {
  const out: Record<string, string> = {};
  const starts = [cwd, moduleDir()].filter((d): d is string => typeof d === "string");
  for (const name of PACKAGES) {
    for (const start of starts) {
      const version = findVersion(name, start);
      if (version !== null) {
        out[name] = version;
        break;
      }
    }
  }
  return out;
}

function findVersion(name: string, start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    const file = path.join(dir, "node_modules", ...name.split("/"), "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (pkg.name === name && typeof pkg.version === "string") return pkg.version;
      } catch {
        // An unreadable manifest: keep looking further up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Everything a run records about its environment.
 * @example
 * const env = await captureEnvironment({ cwd: process.cwd(), git: true });
 */
export async function captureEnvironment(opts: { cwd: string; git: boolean }): Promise<RunEnvironment> {
  const state = opts.git ? await gitState(opts.cwd) : { commit: null, dirty: null };
  return { gitCommit: state.commit, gitDirty: state.dirty, nodeVersion: process.version, trellisVersions: trellisVersions(opts.cwd) };
}
