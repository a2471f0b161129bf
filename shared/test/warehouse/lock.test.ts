import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { LockedError, Warehouse } from "@trellis/shared";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const warehouseModule = pathToFileURL(path.join(repoRoot, "shared/src/warehouse/warehouse.ts")).href;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "trellis-lock-"));
const children: ChildProcess[] = [];

// A second process: opens the folder, then holds it ("hold"), reports the error ("try") or exits
// without closing ("exit").
const childScript = path.join(work, "child.mts");
fs.writeFileSync(
  childScript,
  `import { Warehouse } from ${JSON.stringify(warehouseModule)};
const [dir, mode] = process.argv.slice(2);
try {
  const wh = await Warehouse.open("embedded:" + dir);
  if (mode === "exit") { await wh.query("SELECT 1"); process.exit(0); }
  await wh.exec("CREATE TABLE IF NOT EXISTS held (a int)");
  console.log("READY " + process.pid);
  setInterval(() => undefined, 1000);
} catch (e) {
  console.log("ERROR " + JSON.stringify({ name: e.name, code: e.code, message: e.message }));
  process.exit(0);
}
`,
);

function startChild(dir: string, mode: "hold" | "try" | "exit"): { child: ChildProcess; line: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", childScript, dir, mode], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(READY|ERROR) .*$/m.exec(out);
      if (m) resolve(m[0]);
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      if (!/^(READY|ERROR) /m.test(out)) reject(new Error(`child exited (${code}) without a report: ${out} ${err}`));
    });
  });
  // Callers that only wait for the exit never read the report: keep its rejection handled.
  line.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, line, exited };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  fs.rmSync(work, { recursive: true, force: true });
});

// Each case starts a Node process that compiles TypeScript and boots PGlite: allow for a busy machine.
describe("embedded warehouse folder lock", { timeout: 180_000 }, () => {
  it("refuses a second process with LockedError naming the folder and owner pid", async () => {
    const dir = path.join(work, "a");
    const wh = await Warehouse.open(`embedded:${dir}`);
    try {
      const { line } = startChild(dir, "try");
      const report = await line;
      expect(report.startsWith("ERROR ")).toBe(true);
      const err = JSON.parse(report.slice(6)) as { name: string; code: string; message: string };
      expect(err.name).toBe("LockedError");
      expect(err.code).toBe("LOCKED");
      expect(err.message).toContain(dir);
      expect(err.message).toContain(`process ${process.pid}`);
    } finally {
      await wh.close();
    }
  });

  it("refuses this process while another process holds the folder, then takes over its stale lock once it is killed", async () => {
    const dir = path.join(work, "b");
    const { child, line, exited } = startChild(dir, "hold");
    const report = await line;
    expect(report).toBe(`READY ${child.pid}`);
    const attempt = Warehouse.open(`embedded:${dir}`);
    await expect(attempt).rejects.toThrow(LockedError);
    await expect(attempt).rejects.toThrow(new RegExp(`${escape(dir)} is in use by process ${child.pid}`));
    child.kill("SIGKILL");
    await exited;
    expect(fs.existsSync(path.join(dir, ".trellis-lock"))).toBe(true);
    const wh = await Warehouse.open(`embedded:${dir}`);
    try {
      const t = await wh.query("SELECT count(*)::int4 AS n FROM held");
      expect(t.get(0)!.n).toBe(0);
      const lock = JSON.parse(fs.readFileSync(path.join(dir, ".trellis-lock"), "utf8")) as { pid: number };
      expect(lock.pid).toBe(process.pid);
    } finally {
      await wh.close();
    }
  });

  it("shares one database between openers in the same process and releases the lock when the last closes", async () => {
    const dir = path.join(work, "c");
    const wh = await Warehouse.open(`embedded:${dir}`);
    await wh.load(arrow.tableFromArrays({ a: Int32Array.from([1, 2, 3]) }), "t");
    // Concurrent opens of a folder not yet open share one database too.
    const [second, third] = await Promise.all([Warehouse.open(`embedded:${dir}`), Warehouse.open(`embedded:./${path.relative(process.cwd(), dir)}`)]);
    expect((await second.query("SELECT sum(a)::int4 AS s FROM t")).get(0)!.s).toBe(6);
    await third.load(arrow.tableFromArrays({ a: Int32Array.from([4]) }), "t");
    expect((await wh.query("SELECT sum(a)::int4 AS s FROM t")).get(0)!.s).toBe(10);
    await wh.close();
    await wh.close(); // closing twice counts once
    expect(fs.existsSync(path.join(dir, ".trellis-lock"))).toBe(true);
    await expect(wh.query("SELECT 1")).rejects.toThrow(/is closed/);
    expect((await second.query("SELECT count(*)::int4 AS n FROM t")).get(0)!.n).toBe(4);
    await second.close();
    await third.close();
    expect(fs.existsSync(path.join(dir, ".trellis-lock"))).toBe(false);
    const again = await Warehouse.open(`embedded:${dir}`);
    try {
      expect((await again.query("SELECT sum(a)::int4 AS s FROM t")).get(0)!.s).toBe(10);
    } finally {
      await again.close();
    }
  });

  it("releases the lock when the owning process exits without closing", async () => {
    const dir = path.join(work, "d");
    const { exited } = startChild(dir, "exit");
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dir, ".trellis-lock"))).toBe(false);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
