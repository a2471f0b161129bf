import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { writeCsv } from "../../src/io/csv";
import { writeJson } from "../../src/io/json";
import { writeParquet } from "../../src/io/parquet";
import { removeStaleTemps, tempPath } from "../../src/io/temp-files";

const dir = mkdtempSync(join(tmpdir(), "trellis-temps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

const table = new arrow.Table({ id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()), part: arrow.vectorFromArray(["a", "b", "a"], new arrow.Utf8()) });

describe("stale temporary files", () => {
  it("removes a killed writer's temporary folder at the next Parquet write to the same destination", async () => {
    const target = join(dir, "lake");
    const stale = join(dir, `.lake.tmp-${deadPid()}-0123456789ab`);
    mkdirSync(join(stale, "part=a"), { recursive: true });
    writeFileSync(join(stale, "part=a", "part-0.parquet"), "half");
    const other = join(dir, `.lakehouse.tmp-${deadPid()}-0123456789ab`);
    mkdirSync(other);
    await writeParquet(table, target, { partitionBy: ["part"] });
    expect(existsSync(stale)).toBe(false);
    // Another destination's leftover is not this write's business.
    expect(existsSync(other)).toBe(true);
    expect(readdirSync(target).sort()).toEqual(["part=a", "part=b"]);
  });

  it("removes stale temporary files of CSV and JSON writes", async () => {
    const csv = join(dir, "out.csv");
    const json = join(dir, "out.jsonl");
    const staleCsv = join(dir, `.out.csv.tmp-${deadPid()}-aaaaaaaaaaaa`);
    const staleJson = join(dir, `.out.jsonl.tmp-${deadPid()}-bbbbbbbbbbbb`);
    writeFileSync(staleCsv, "id\n1\n");
    writeFileSync(staleJson, "{}\n");
    await writeCsv(table, csv);
    await writeJson(table, json);
    expect(existsSync(staleCsv)).toBe(false);
    expect(existsSync(staleJson)).toBe(false);
  });

  it("keeps a leftover of a live process unless nothing in it changed for a day", async () => {
    const target = join(dir, "kept.parquet");
    const live = join(dir, `.kept.parquet.tmp-${process.ppid}-cccccccccccc`);
    const oldLive = join(dir, `.kept.parquet.old-${process.ppid}-dddddddddddd`);
    writeFileSync(live, "in progress");
    mkdirSync(oldLive);
    writeFileSync(join(oldLive, "f"), "x");
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(join(oldLive, "f"), twoDaysAgo, twoDaysAgo);
    utimesSync(oldLive, twoDaysAgo, twoDaysAgo);
    expect(await removeStaleTemps(target)).toEqual([oldLive]);
    expect(existsSync(live)).toBe(true);
  });

  it("removes this process's own leftovers only when no write of it is using them", async () => {
    const target = join(dir, "own.parquet");
    const busy = tempPath(target, "tmp");
    writeFileSync(busy.path, "being written");
    const leftover = join(dir, `.own.parquet.tmp-${process.pid}-eeeeeeeeeeee`);
    writeFileSync(leftover, "left behind");
    expect(await removeStaleTemps(target)).toEqual([leftover]);
    expect(existsSync(busy.path)).toBe(true);
    busy.done();
    expect(await removeStaleTemps(target)).toEqual([busy.path]);
  });
});
