import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromRows, writeCsv, writeParquet } from "@trellis/shared";
import { DRIFT_HELP, runDriftCommand } from "../../src/cli/drift";
import { buildReferenceProfile } from "../../src/monitor/profile";
import { driftHistory } from "../../src/monitor/store";

function rows(n: number, shift: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    tenure: ((i * 37) % 60) + shift,
    plan: shift > 0 && i % 4 === 0 ? "enterprise" : i % 2 ? "basic" : "pro",
  }));
}

const work = mkdtempSync(join(tmpdir(), "trellis-drift-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const artifact = join(work, "churn-model");
mkdirSync(artifact);
writeFileSync(join(artifact, "reference.json"), JSON.stringify(buildReferenceProfile(rows(1000, 0))));
writeFileSync(join(artifact, "manifest.json"), JSON.stringify({ name: "churn", version: 7, digest: "sha256:feed" }));
const same = join(work, "same.parquet");
const shifted = join(work, "shifted.csv");
const partial = join(work, "partial.csv");
const ready = Promise.all([
  writeParquet(tableFromRows(rows(1000, 0)), same),
  writeCsv(tableFromRows(rows(800, 25)), shifted),
  writeCsv(tableFromRows(rows(800, 0).map(({ tenure }) => ({ tenure }))), partial),
]);

async function run(argv: string[], options?: Parameters<typeof runDriftCommand>[2]) {
  await ready;
  let stdout = "";
  let stderr = "";
  const code = await runDriftCommand(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } }, options);
  return { code, stdout, stderr };
}

describe("trellis model drift", () => {
  it("exits 0 and prints the report when nothing drifts", async () => {
    const r = await run([artifact, "--from", same]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Drift report: ok — 0 of 2 checked columns drifting \(drift share 0\); reference 1000 rows, current 1000 rows \(parquet /);
    expect(r.stdout).toMatch(/\ntenure\s+numeric\s+ok\s+0\s/);
  });

  it("exits 1 when a column drifts, and prints JSON with --json", async () => {
    const r = await run([artifact, "--from", shifted, "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { format: string; summary: { status: string; columnsDrifting: number }; columns: { column: string; status: string }[] };
    expect(json.format).toBe("trellis-drift/1");
    expect(json.summary).toMatchObject({ status: "drift", columnsDrifting: 2 });
    expect(json.columns.map((c) => [c.column, c.status])).toEqual([["tenure", "drift"], ["plan", "drift"]]);
  });

  it("uses --columns, --warn/--drift and --min-rows", async () => {
    expect((await run([artifact, "--from", shifted, "--columns", "plan", "--warn", "5", "--drift", "10"])).code).toBe(0);
    const few = await run([artifact, "--from", shifted, "--min-rows", "5000"]);
    expect(few.code).toBe(0);
    expect(few.stdout).toContain("Drift report: insufficient data");
  });

  it("exits 1 when a reference column is missing from the source", async () => {
    const r = await run([artifact, "--from", partial]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("1 column(s) missing from the current data");
    expect(r.stdout).toMatch(/\nplan\s+categorical\s+missing\s/);
  });

  it("exits 2 on usage errors, with the error on stderr", async () => {
    const cases: [string[], string][] = [
      [[], "trellis model drift: trellis model drift needs one model reference, got 0; e.g. trellis model drift models/churn --from lake/predictions.\n"],
      [[artifact], "trellis model drift: trellis model drift needs --from <source>, the data to check.\n"],
      [[artifact, "--from", same, "--warn", "high"], 'trellis model drift: --warn must be a number, got "high".\n'],
      [[artifact, "--from", same, "--min-rows", "1.5"], 'trellis model drift: --min-rows must be a whole number ≥ 0, got "1.5".\n'],
      [[artifact, "--from", same, "--window-start", "2025-06-01"], "trellis model drift: --window-start and --window-end describe a report stored with --warehouse; add --warehouse <url>.\n"],
      [["churn@production", "--from", same], 'trellis model drift: cannot find the model "churn@production": it is not an artifact folder, and registry references need the model registry of @trellis/prod; give the artifact folder, or --reference <reference.json>.\n'],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`${message}Run "trellis model drift --help" for usage.\n`);
    }
    const unknown = await run([artifact, "--from", same, "--colour"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^trellis model drift: Unknown option '--colour'/);
  });

  it("exits 2 when the check cannot run", async () => {
    const missing = await run([artifact, "--from", join(work, "nope.parquet")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^trellis model drift: .*nope\.parquet/);
    const thresholds = await run([artifact, "--from", same, "--warn", "0.5", "--drift", "0.2"]);
    expect(thresholds.code).toBe(2);
    expect(thresholds.stderr).toBe("trellis model drift: driftReport: threshold warn (0.5) must not exceed threshold drift (0.2); e.g. { warn: 0.1, drift: 0.25 }.\n");
    const badRef = await run(["churn", "--reference", join(work, "none.json"), "--from", same]);
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toBe(`trellis model drift: cannot read the reference profile ${join(work, "none.json")}: no such file.\n`);
  });

  it("prints the help with --help and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(DRIFT_HELP);
  });

  it("reads --reference, writes --html, and records the report with --warehouse", async () => {
    const html = join(work, "report.html");
    const url = `embedded:${join(work, "wh")}`;
    const r = await run(["churn", "--reference", artifact, "--from", shifted, "--html", html, "--warehouse", url, "--window-start", "2025-06-01T00:00:00Z"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^trellis: drift report [0-9a-f-]{36} recorded in embedded:/);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html><meta charset="utf-8"><title>Drift report: churn<\/title>/);
    expect(page).not.toMatch(/<script|src=|href=/);
    const history = await driftHistory(url, { model: "churn" });
    expect(history.numRows).toBe(2);
    expect(history.getChild("window_start")!.get(0)).toBe(Date.parse("2025-06-01T00:00:00Z"));
  }, 300_000); // an embedded warehouse folder, opened twice

  it("resolves the model through the resolveModel hook", async () => {
    const seen: unknown[] = [];
    const reference = buildReferenceProfile(rows(1000, 0));
    const r = await run(["churn@production", "--from", same, "--warehouse", "embedded:memory"], {
      resolveModel: async (ref, context) => {
        seen.push([ref, context]);
        return { name: "churn", version: 3, digest: "sha256:x", reference };
      },
    });
    expect(r.code).toBe(0);
    expect(seen).toEqual([["churn@production", { warehouse: "embedded:memory", reference: undefined }]]);
  }, 180_000);
});

describe("trellis-prod model drift (executable)", () => {
  it("exits with the command's status", async () => {
    await ready;
    const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
    const child = spawnSync(process.execPath, ["--import", "tsx", main, "model", "drift", artifact, "--from", shifted], { encoding: "utf8", timeout: 120_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(1);
    expect(child.stdout).toMatch(/^Drift report: drift/);
    const usage = spawnSync(process.execPath, ["--import", "tsx", main, "model", "drift"], { encoding: "utf8", timeout: 120_000 });
    expect(usage.status).toBe(2);
  }, 240_000);
});
