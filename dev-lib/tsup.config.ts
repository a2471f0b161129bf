import { defineConfig } from "tsup";

export default defineConfig({
  // fold-worker is the worker-thread script of nJobs > 1; it is found next to the bundle at run time.
  entry: { index: "src/index.ts", "fold-worker": "src/model-selection/fold-worker.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  keepNames: true,
  // import.meta.url in the CommonJS build (the worker script is located from it).
  shims: true,
  tsconfig: "tsconfig.json",
});
