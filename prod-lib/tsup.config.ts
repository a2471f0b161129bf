import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts", "testing/vitest": "src/testing/vitest.ts", "cli/drift-main": "src/cli/drift-main.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  tsconfig: "tsconfig.json",
  // One copy of every class shared by both entry points (also in the CommonJS build), so that
  // `instanceof`, `clone` and the JSON registry work across `@trellis/prod` and its `/testing`.
  splitting: true,
  keepNames: true,
  // vitest is an optional peer used only by the conformance helpers.
  external: ["vitest"],
});
