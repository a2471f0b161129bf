import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { runModelCommand } from "@trellis/prod/cli";
import { saveModel, type SavedModel } from "@trellis/prod";
import { MixedRow, fittedMixedPipeline, tempDir, train } from "../artifact/helpers";

const root = tempDir("trellis-cli-");
const repo = fileURLToPath(new URL("../../../", import.meta.url));

function capture(): { io: { stdout: { write(s: string): boolean; isTTY?: boolean }; stderr: { write(s: string): boolean; isTTY?: boolean } }; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

describe("trellis model inspect|verify", () => {
  let good = "";
  let bad = "";
  let saved: SavedModel;
  beforeAll(async () => {
    good = join(root, "churn");
    saved = await saveModel(fittedMixedPipeline(), good, {
      inputSchema: MixedRow,
      name: "churn",
      description: "churn in 90 days",
      reference: train,
      metrics: { rocAuc: 0.91 },
      lineage: { runId: "run-7", featureViews: [{ name: "customer_stats", version: 2 }], trainingRows: train },
    });
    bad = join(root, "bad");
    cpSync(good, bad, { recursive: true });
    const b = readFileSync(join(bad, "model.json"));
    b[5] ^= 1;
    writeFileSync(join(bad, "model.json"), b);
  });

  it("inspect prints a summary of the manifest", async () => {
    const c = capture();
    expect(await runModelCommand(["inspect", good], c.io)).toBe(0);
    const text = c.out();
    expect(text).toContain("model        churn\n");
    expect(text).toContain(`digest       ${saved.digest}\n`);
    expect(text).toContain("description  churn in 90 days\n");
    expect(text).toContain("estimator    Pipeline (classification, classes 0, 1)\n");
    expect(text).toContain("output       prediction, proba_0, proba_1\n");
    expect(text).toContain("metrics      rocAuc 0.91\n");
    expect(text).toMatch(/lineage {6}run run-7; git [0-9a-f]{12}.*; training data 600 rows, trellis-rows\/1 [0-9a-f]{12}; views customer_stats v2\n/);
    expect(text).toContain("integrity    ok (every file matches the manifest)\n");
    expect(text).toContain("inputs (7 fields, 7 read by the model):\n  tenure_months  number or null\n");
    expect(text).toMatch(/ {2}model\.json +[\d.]+ KiB {2}sha256 [0-9a-f]{64}\n/);
    expect(c.err()).toBe("");
  });

  it("inspect --json gives the manifest and the verification", async () => {
    const c = capture();
    expect(await runModelCommand(["inspect", "--json", good], c.io)).toBe(0);
    const j = JSON.parse(c.out());
    expect(j.digest).toBe(saved.digest);
    expect(j.ok).toBe(true);
    expect(j.manifest).toEqual(saved.manifest);
  });

  it("verify exits 0 for an intact artifact and 1 naming the changed file", async () => {
    const ok = capture();
    expect(await runModelCommand(["verify", good], ok.io)).toBe(0);
    expect(ok.out()).toContain(`${good}: ok (digest ${saved.digest})`);
    const ko = capture();
    expect(await runModelCommand(["verify", bad], ko.io)).toBe(1);
    expect(ko.err()).toContain(`${bad}: FAILED`);
    expect(ko.err()).toContain("  changed     model.json");
    expect(ko.err()).toContain("problem: model.json does not match the size and SHA-256 recorded in the manifest.");
    const js = capture();
    expect(await runModelCommand(["verify", bad, "--json"], js.io)).toBe(1);
    const j = JSON.parse(js.out());
    expect(j.ok).toBe(false);
    expect(j.files.find((f: { file: string }) => f.file === "model.json").status).toBe("changed");
    expect(j.problems[0].file).toBe("model.json");
  });

  it("reports usage errors with exit status 1", async () => {
    const a = capture();
    expect(await runModelCommand(["verify"], a.io)).toBe(1);
    expect(a.err()).toBe("trellis: trellis model verify needs one artifact folder, got 0 argument(s); e.g. trellis model verify models/churn.\n");
    const b = capture();
    expect(await runModelCommand(["frobnicate"], b.io)).toBe(1);
    expect(b.err()).toContain('trellis: unknown command "model frobnicate".');
    const c = capture();
    expect(await runModelCommand(["inspect", join(root, "nope")], c.io)).toBe(1);
    expect(c.err()).toBe(`trellis: cannot read the manifest of ${join(root, "nope")}: cannot read the model artifact ${join(root, "nope")}: no such folder.\n`);
    const d = capture();
    expect(await runModelCommand(["verify", good, "--bogus"], d.io)).toBe(1);
    expect(d.err()).toContain("Unknown option '--bogus'");
  });

  it("runs from the built executables: trellis (shared, dispatching to prod) and trellis-prod", () => {
    const sharedCli = join(repo, "shared/dist/cli.cjs");
    const prodCli = join(repo, "prod-lib/dist/cli/main.cjs");
    expect(existsSync(sharedCli) && existsSync(prodCli), "run `npm run build` first").toBe(true);
    for (const [bin, args] of [
      [sharedCli, ["model"]],
      [prodCli, ["model"]],
    ] as const) {
      const ok = spawnSync(process.execPath, [bin, ...args, "verify", good], { encoding: "utf8" });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`ok (digest ${saved.digest})`);
      const ko = spawnSync(process.execPath, [bin, ...args, "verify", bad], { encoding: "utf8" });
      expect(ko.status).toBe(1);
      expect(ko.stderr).toContain("changed     model.json");
    }
    const help = execFileSync(process.execPath, [sharedCli, "--help"], { encoding: "utf8" });
    expect(help).toContain("model <command>    Inspect and verify model artifacts");
    // The ESM build dispatches too.
    const esm = spawnSync(process.execPath, [join(repo, "shared/dist/cli.js"), "model", "inspect", good, "--json"], { encoding: "utf8" });
    expect(esm.status, esm.stderr).toBe(0);
    expect(JSON.parse(esm.stdout).digest).toBe(saved.digest);
  });
});
