/**
 * Temporary names beside a destination, and the removal of the ones a killed process left behind.
 *
 * Every atomic write (Parquet files and folders, CSV, JSON, Arrow IPC) builds its output under a
 * hidden name in the destination's folder, `.<name>.tmp-<pid>-<random>` (a folder being replaced is
 * moved aside as `.<name>.old-<pid>-<random>`), and renames it into place at the end. A failure
 * removes it; a process killed half-way cannot, so the next write to the same destination does.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Temporary paths this process is writing now (never removed as stale). */
const active = new Set<string>();

/**
 * A temporary path beside `target` owned by this process; `done()` must be called when the write
 * ends (renamed or removed) so later clean-ups may treat a leftover of that name as stale.
 * @internal
 */
export function tempPath(target: string, kind: "tmp" | "old"): { path: string; done: () => void } {
  const path = join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`);
  active.add(path);
  return { path, done: () => active.delete(path) };
}

/**
 * How old a leftover of a process that still seems alive must be before it is removed anyway.
 * Process ids are reused: after a crash (or a reboot) the id in a leftover's name may belong to an
 * unrelated live process, and the leftover would stay forever. A write that makes no progress for a
 * day is not a write worth protecting; a live one keeps touching its files.
 */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as { code?: string }).code === "EPERM";
  }
}

/** The latest modification time of a file, or of a folder and everything in it. */
async function newestChange(path: string): Promise<number> {
  const info = await stat(path);
  let newest = info.mtimeMs;
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) newest = Math.max(newest, await newestChange(join(path, entry)));
  }
  return newest;
}

/**
 * Removes the temporary files and folders of earlier writes to `target` that can no longer finish,
 * and returns their paths. A leftover is stale when
 * - its process is gone (no process of that id on this machine), or it is this process's own but
 *   no write of this process is using it; or
 * - its process id is alive but nothing in it changed for a day (the id was reused, see
 *   {@link STALE_AFTER_MS}).
 * The rule judges process ids on this machine: writers on several machines sharing one folder over a
 * network file system are outside what the atomic-rename scheme supports. Errors are ignored (a
 * leftover that cannot be removed now is tried again by the next write).
 * @internal
 */
export async function removeStaleTemps(target: string): Promise<string[]> {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(?:tmp|old)-(\d+)-[0-9a-f]+$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const path = join(dir, entry);
    if (active.has(path)) continue;
    const pid = Number(m[1]);
    try {
      const stale = pid === process.pid || !isAlive(pid) || Date.now() - (await newestChange(path)) > STALE_AFTER_MS;
      if (!stale) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}
