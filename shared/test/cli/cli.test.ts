import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors";
import { parseFilterExpression } from "../../src/cli/filter-expression";
import { runCli } from "../../src/cli/run";
import { createProgressBar, formatCount, progressLine } from "../../src/io/progress";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = join(ROOT, "shared/src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "trellis-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trellis(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

class Sink {
  text = "";
  isTTY: boolean;
  columns = 100;
  constructor(tty: boolean) {
    this.isTTY = tty;
  }
  write(s: string) {
    this.text += s;
    return true;
  }
}

describe("parseFilterExpression", () => {
  it("parses comparisons, lists and null tests", () => {
    expect(parseFilterExpression("amount>=10")).toEqual(["amount", ">=", 10]);
    expect(parseFilterExpression(" region = 'emea' ")).toEqual(["region", "=", "emea"]);
    expect(parseFilterExpression("n == 3")).toEqual(["n", "=", 3]);
    expect(parseFilterExpression("n <> -2.5e1")).toEqual(["n", "!=", -25]);
    expect(parseFilterExpression("id = 9007199254740993")).toEqual(["id", "=", 9007199254740993n]);
    expect(parseFilterExpression("ok = true")).toEqual(["ok", "=", true]);
    expect(parseFilterExpression("day < 2024-03-01")).toEqual(["day", "<", new Date("2024-03-01T00:00:00Z")]);
    expect(parseFilterExpression("ts >= 2024-03-01T12:30:00")).toEqual(["ts", ">=", new Date("2024-03-01T12:30:00Z")]);
    expect(parseFilterExpression("segment in (gold, 'sil,ver', \"it''s\")")).toEqual(["segment", "in", ["gold", "sil,ver", "it''s"]]);
    expect(parseFilterExpression("segment NOT IN (a,b)")).toEqual(["segment", "not in", ["a", "b"]]);
    expect(parseFilterExpression("note is null")).toEqual(["note", "is null"]);
    expect(parseFilterExpression("note is not null")).toEqual(["note", "is not null"]);
    expect(parseFilterExpression('"odd ""name""" = x')).toEqual(['odd "name"', "=", "x"]);
    expect(parseFilterExpression("name = 'it''s'")).toEqual(["name", "=", "it's"]);
  });

  it("explains a malformed expression", () => {
    expect(() => parseFilterExpression("amount")).toThrow(InvalidArgumentError);
    expect(() => parseFilterExpression("amount")).toThrow(/--filter "amount": no operator after the column "amount"/);
    expect(() => parseFilterExpression("a >=")).toThrow(/the value is missing/);
    expect(() => parseFilterExpression("a in x")).toThrow(/needs a parenthesised list/);
    expect(() => parseFilterExpression("a = 'open")).toThrow(/is not closed/);
  });
});

describe("progress bar", () => {
  it("formats counts and lines", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(progressLine("move: ", { rows: 50_000, seconds: 2 })).toBe("move: 50,000 rows  25,000 rows/s  2.0 s");
  });

  it("draws in place on a terminal and nothing elsewhere", () => {
    const tty = new Sink(true);
    const bar = createProgressBar({ output: tty, intervalMs: 0 });
    bar.update({ rows: 10, seconds: 1 });
    bar.done({ rows: 20, seconds: 2 });
    expect(tty.text).toBe("\r10 rows  10 rows/s  1.0 s  \r20 rows  10 rows/s  2.0 s  \n");
    const pipe = new Sink(false);
    const silent = createProgressBar({ output: pipe, intervalMs: 0 });
    silent.update({ rows: 10, seconds: 1 });
    silent.done({ rows: 10, seconds: 1 });
    expect(silent.active).toBe(false);
    expect(pipe.text).toBe("");
  });
});

describe("runCli", () => {
  it("moves a CSV to JSON Lines with columns and filters, printing one summary line when not a terminal", async () => {
    const src = join(dir, "in.csv");
    writeFileSync(src, "id,region,amount\n1,emea,5\n2,apac,50\n3,emea,500\n4,emea,\n");
    const out = new Sink(false);
    const err = new Sink(false);
    const code = await runCli(["move", src, join(dir, "out.jsonl"), "--columns", "id,amount", "--filter", "region='emea'", "--filter", "amount>=5", "--batch-size", "2"], {
      stdout: out,
      stderr: err,
    });
    expect(code).toBe(0);
    expect(err.text).toBe("");
    expect(out.text).toMatch(/^moved 2 rows in \d+\.\d\d s\n$/);
    expect(readFileSync(join(dir, "out.jsonl"), "utf8")).toBe('{"id":1,"amount":5}\n{"id":3,"amount":500}\n');
  });

  it("draws a progress bar on a terminal", async () => {
    const src = join(dir, "tty.csv");
    writeFileSync(src, "a\n1\n2\n");
    const out = new Sink(true);
    const err = new Sink(true);
    expect(await runCli(["move", src, join(dir, "tty.json")], { stdout: out, stderr: err })).toBe(0);
    expect(err.text).toMatch(/\rtrellis move: 2 rows +[\d,]+ rows\/s +\d+\.\d s +\n$/);
    expect(out.text).toBe("");
  });
});

describe("trellis (spawned)", { timeout: 60_000 }, () => {
  it("prints help", () => {
    const r = trellis("move", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: trellis move <from> <to> [options]");
    expect(r.stdout).toContain("--partition-by");
    const top = trellis("--help");
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("move <from> <to>");
  });

  it("moves CSV to Arrow and back to CSV", () => {
    const src = join(dir, "s.csv");
    writeFileSync(src, 'id,name\n1,"a, b"\n2,\n');
    const r = trellis("move", src, join(dir, "s.arrow"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^moved 2 rows in /);
    expect(trellis("move", join(dir, "s.arrow"), join(dir, "s2.csv")).code).toBe(0);
    expect(readFileSync(join(dir, "s2.csv"), "utf8")).toBe('id,name\n1,"a, b"\n2,\n');
  });

  it("exits 1 with a clear message and no stack trace for a Trellis error", () => {
    const r = trellis("move", join(dir, "missing.csv"), join(dir, "x.json"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^trellis: readCsvBatches: cannot read .*missing\.csv: no such file\.\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, "x.json"))).toBe(false);
  });

  it("exits 1 for bad usage", () => {
    const r = trellis("move", "only-one.csv");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("trellis move needs a source and a destination, got 1 argument(s)");
    const bad = trellis("move", "a.csv", "b.csv", "--mode", "merge");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--mode must be append, replace or upsert, got "merge"');
    const unknown = trellis("frobnicate");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const flag = trellis("move", "--nope");
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("Unknown option '--nope'");
  });

  it("never shows the password of a warehouse URL", () => {
    const r = trellis("move", "postgres://app:hunter2@127.0.0.1:1/wh", join(dir, "p.csv"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("names no table");
    expect(r.stderr).not.toContain("hunter2");
    const r2 = trellis("move", "postgres://app:hunter2@127.0.0.1:1/wh#t", join(dir, "p.csv"));
    expect(r2.code).toBe(1);
    expect(r2.stderr).not.toContain("hunter2");
    expect(r2.stderr).not.toMatch(/\n\s+at /);
  });
});
