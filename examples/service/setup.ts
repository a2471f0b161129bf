/**
 * Step 1: makes sure the registry of the demo's warehouse serves `churn@production`. When the
 * demo has registered and promoted it, nothing is done; otherwise the demo's churn model is
 * trained, saved (with its reference profile), registered and promoted.
 *
 *   npm run service:setup -w @trellis/examples
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelRegistry, RegistryError, saveModel } from "@trellis/prod";
import { ChurnRow, MODEL_REF, WAREHOUSE, churnPipeline, demoRows } from "./common";

async function main(): Promise<void> {
  const registry = await ModelRegistry.open(WAREHOUSE);
  try {
    try {
      const v = await registry.getVersion(MODEL_REF);
      console.log(`${MODEL_REF} is version ${v.version} (digest ${v.digest.slice(0, 12)}) in ${WAREHOUSE}; nothing to do.`);
      return;
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
    }
    const { train, y } = demoRows();
    const model = churnPipeline().fit(train, y);
    const dir = mkdtempSync(join(tmpdir(), "trellis-churn-"));
    try {
      await saveModel(model, join(dir, "churn"), { inputSchema: ChurnRow, name: "churn", reference: train, lineage: { trainingRows: train, git: false } });
      const v = await registry.register("churn", join(dir, "churn"), { description: "the demo's churn model (examples/service)" });
      await registry.setAlias("churn", "production", v.version);
      console.log(`trained on ${train.length} rows, registered churn version ${v.version} and promoted it to production in ${WAREHOUSE}.`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await registry.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
