import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@trellis\/shared$/, replacement: here("./shared/src/index.ts") },
      { find: /^@trellis\/prod\/testing\/vitest$/, replacement: here("./prod-lib/src/testing/vitest.ts") },
      { find: /^@trellis\/prod\/cli$/, replacement: here("./prod-lib/src/cli/index.ts") },
      { find: /^@trellis\/prod\/testing$/, replacement: here("./prod-lib/src/testing/index.ts") },
      { find: /^@trellis\/prod$/, replacement: here("./prod-lib/src/index.ts") },
      { find: /^@trellis\/dev$/, replacement: here("./dev-lib/src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "{shared,prod-lib,dev-lib,examples}/test/**/*.test.ts"],
    // One pristine PGlite data directory per run, loaded by each embedded:memory warehouse (test/setup/).
    globalSetup: ["./test/setup/pglite-template.ts"],
    setupFiles: ["./test/setup/embedded-memory.ts"],
    // vitest's default is one worker per core but one; most test time is spent waiting on child
    // processes, the PostgreSQL server and PGlite start-ups, so two workers even on two cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ["{shared,prod-lib,dev-lib}/test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
      // The workspace's TypeScript, by path: node_modules/.bin/tsc may link to the TypeScript 5.0
      // that the tslab kernel (a dev dependency of examples) bundles.
      checker: here("./node_modules/typescript/bin/tsc"),
    },
  },
});
