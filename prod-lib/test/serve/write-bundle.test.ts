import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLE_PACKAGES, ModelRegistry, saveModel, writeBundle } from "@trellis/prod";
import { MixedRow, fittedMixedPipeline, tempDir } from "../artifact/helpers";

const dir = tempDir("trellis-write-bundle-");

describe("writeBundle", () => {
  it("bundles a registry reference with the registered name and version, pinned from the manifest", async () => {
    const saved = await saveModel(fittedMixedPipeline(), join(dir, "m"), { inputSchema: MixedRow, name: "churn", lineage: { git: false } });
    const registry = await ModelRegistry.open("embedded:memory");
    try {
      const v = await registry.register("churn", saved.dir);
      await registry.setAlias("churn", "production", v.version);
      const b = await writeBundle("churn@production", join(dir, "out"), { registry });
      expect(b).toMatchObject({ name: "churn", version: v.version, digest: saved.digest });
      expect(Object.keys(b.dependencies)).toEqual(BUNDLE_PACKAGES.filter((p) => saved.manifest.libraries[p]));
      for (const p of Object.keys(b.dependencies)) expect(b.dependencies[p]).toBe(saved.manifest.libraries[p]);
      const pkg = JSON.parse(readFileSync(join(b.dir, "package.json"), "utf8"));
      expect(pkg).toMatchObject({ name: "churn-service", version: `${v.version}.0.0`, private: true, main: "server.js", dependencies: b.dependencies });
      expect(JSON.parse(readFileSync(join(b.dir, "bundle.json"), "utf8"))).toEqual({ name: "churn", version: v.version, digest: saved.digest });
      expect(readFileSync(join(b.dir, "model", "manifest.json"), "utf8")).toBe(readFileSync(join(saved.dir, "manifest.json"), "utf8"));
      const server = readFileSync(join(b.dir, "server.js"), "utf8");
      expect(server).toContain('require("@trellis/prod")');
      expect(server).toContain("handleSignals: true");
      const readme = readFileSync(join(b.dir, "README.md"), "utf8");
      for (const word of ["PORT", "HOST", "TRELLIS_WAREHOUSE", "/v2/health/ready", "/v2/models/churn/infer", "/metrics"]) expect(readme).toContain(word);
      await expect(writeBundle("churn@production", join(dir, "out"), { registry })).rejects.toThrow(`writeBundle: ${join(dir, "out")} already exists; choose another folder or pass overwrite (--overwrite).`);
      await expect(writeBundle("churn@production", join(dir, "out"), { registry, overwrite: true })).resolves.toMatchObject({ version: v.version });
    } finally {
      await registry.close();
    }
  });

  it("refuses a reference without a registry", async () => {
    await expect(writeBundle("churn@production", join(dir, "x"))).rejects.toThrow(
      'writeBundle: "churn@production" is not a model folder; for a registry reference pass --warehouse <url> (or { registry }).',
    );
  });
});
