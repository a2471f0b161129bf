import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LockedError } from "../errors";

/** Name of the lock file Trellis keeps inside an embedded warehouse folder. */
export const LOCK_FILE = ".trellis-lock";

interface LockContent {
  pid: number;
  host: string;
  nonce: string;
  since: string;
}

/** A held folder lock; {@link release} is idempotent. @internal */
export interface FolderLock {
  readonly file: string;
  release(): void;
}

const held = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const release of [...held.values()]) release();
  });
}

function readLock(file: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockContent>;
    if (typeof parsed.pid === "number" && typeof parsed.nonce === "string") {
      return { pid: parsed.pid, host: String(parsed.host ?? ""), nonce: parsed.nonce, since: String(parsed.since ?? "") };
    }
  } catch {
    // Missing, half-written or foreign content: treated as no valid owner.
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the exclusive lock of an embedded warehouse folder: a `.trellis-lock` file holding the owner's
 * pid. PGlite itself does not lock its data folder, and two processes writing one folder silently
 * lose rows, so another process opening the folder gets a {@link LockedError} naming the folder and the
 * owner pid (openers within one process share one database instead; see `openEmbedded`). A lock
 * left by a process that no longer runs (on this host) is taken over. The lock is released by
 * `release()` and, as a safety net, when the process exits.
 *
 * Known limit: the pid check is per host; a folder on a network share used from two hosts is refused
 * while the other host's lock file exists (delete it by hand when that host is gone).
 * @internal
 */
export function lockFolder(dir: string): FolderLock {
  const abs = path.resolve(dir);
  const file = path.join(abs, LOCK_FILE);
  const me: LockContent = { pid: process.pid, host: os.hostname(), nonce: randomBytes(8).toString("hex"), since: new Date().toISOString() };
  fs.mkdirSync(abs, { recursive: true });
  const tmp = `${file}.${process.pid}.${me.nonce}`;
  fs.writeFileSync(tmp, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        // link() fails with EEXIST when a lock exists: an atomic create of a fully written file.
        fs.linkSync(tmp, file);
        const lock = makeLock(file, me);
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const owner = readLock(file);
      if (owner && (owner.host !== me.host || processAlive(owner.pid))) {
        const who = owner.pid === process.pid && owner.host === me.host ? `this process (${owner.pid})` : `process ${owner.pid}${owner.host !== me.host ? ` on host ${owner.host}` : ""}`;
        throw new LockedError(
          `the embedded warehouse folder ${abs} is in use by ${who} since ${owner.since}; ` +
            `close that warehouse (or stop that process) first, or open a different folder. ` +
            `Two processes writing one PGlite folder would silently lose rows.`,
        );
      }
      if (!owner) {
        // An unreadable lock may be one being written right now: give its writer a moment.
        const age = ageMs(file);
        if (age !== undefined && age < 2000) {
          sleepMs(50);
          continue;
        }
      }
      // Stale: move it aside atomically, then check we moved the stale one and not a fresh lock.
      const aside = `${file}.stale.${me.nonce}`;
      try {
        fs.renameSync(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      const moved = readLock(aside);
      if (moved && owner && moved.nonce !== owner.nonce) {
        // Someone else took it over in between: put theirs back and re-check.
        try {
          fs.linkSync(aside, file);
        } catch {
          // They re-created it already; theirs stays.
        }
        fs.rmSync(aside, { force: true });
        continue;
      }
      fs.rmSync(aside, { force: true });
    }
    throw new LockedError(`could not take the lock of the embedded warehouse folder ${abs} after several attempts; retry.`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function makeLock(file: string, me: LockContent): FolderLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(file + me.nonce);
    const current = readLock(file);
    if (current && current.nonce === me.nonce) fs.rmSync(file, { force: true });
  };
  held.set(file + me.nonce, release);
  installExitHook();
  return { file, release };
}

function ageMs(file: string): number | undefined {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
