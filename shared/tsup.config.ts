import { defineConfig } from "tsup";

export default defineConfig({
  // parquet-worker and csv-worker are the worker-thread scripts of parallel Parquet and CSV reads; they are found next to the bundle at run time.
  entry: { index: "src/index.ts", cli: "src/cli/main.ts", "parquet-worker": "src/io/parquet/worker.ts", "csv-worker": "src/io/csv-worker.ts" },
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
