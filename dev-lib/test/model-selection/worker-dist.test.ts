import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The built package finds its worker script next to its own bundle, in both module formats.
// Runs in a separate Node process against dev-lib/dist (built by `npm run build`, which `npm test` runs first).
const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}fold-worker.js`) && existsSync(`${dist}fold-worker.cjs`);

const body = (dev: string, prod: string) => `
const X = ${prod}.Matrix.fromArray(Array.from({ length: 60 }, (_, i) => [i % 7, (i * 13) % 11]));
const y = Array.from({ length: 60 }, (_, i) => ((i % 7) + ((i * 13) % 11) > 8 ? 1 : 0));
const opts = { cv: 3, scoring: ["accuracy", "neg_log_loss"] };
Promise.all([
  ${dev}.crossValidate(new ${prod}.LogisticRegression(), X, y, opts),
  ${dev}.crossValidate(new ${prod}.LogisticRegression(), X, y, { ...opts, nJobs: 2 }),
]).then(([a, b]) => process.stdout.write(JSON.stringify([Array.from(a.test_neg_log_loss), Array.from(b.test_neg_log_loss)])));
`;

describe.skipIf(!built)("nJobs > 1 from the built package", () => {
  it("runs the worker from the ESM build with the same scores as nJobs: 1", () => {
    const code = `import * as dev from ${JSON.stringify(`${dist}index.js`)}; import * as prod from "@trellis/prod";${body("dev", "prod")}`;
    const [one, two] = JSON.parse(execFileSync(process.execPath, ["--input-type=module"], { input: code, encoding: "utf8", cwd: fileURLToPath(new URL("../../", import.meta.url)) }));
    expect(one.length).toBe(3);
    expect(two).toEqual(one);
  });

  it("starts its workers under a per-process Node option (--max-old-space-size), from the build and from sources", () => {
    const cwd = fileURLToPath(new URL("../../", import.meta.url));
    const fromDist = `import * as dev from ${JSON.stringify(`${dist}index.js`)}; import * as prod from "@trellis/prod";${body("dev", "prod")}`;
    const [one, two] = JSON.parse(execFileSync(process.execPath, ["--max-old-space-size=512", "--input-type=module"], { input: fromDist, encoding: "utf8", cwd }));
    expect(two).toEqual(one);
    // From TypeScript sources the worker is an eval'd bootstrap, which --input-type=module makes a module.
    const src = JSON.stringify(new URL("../../src/index.ts", import.meta.url).href);
    const fromSrc = `import * as dev from ${src}; import * as prod from "@trellis/prod";${body("dev", "prod")}`;
    const [a, b] = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--max-old-space-size=512", "--input-type=module"], { input: fromSrc, encoding: "utf8", cwd }));
    expect(a).toEqual(one);
    expect(b).toEqual(one);
  });

  it("runs the worker from the CommonJS build with the same scores as nJobs: 1", () => {
    const code = `const dev = require(${JSON.stringify(`${dist}index.cjs`)}); const prod = require("@trellis/prod");${body("dev", "prod")}`;
    const [one, two] = JSON.parse(execFileSync(process.execPath, ["-e", code], { encoding: "utf8", cwd: fileURLToPath(new URL("../../", import.meta.url)) }));
    expect(one.length).toBe(3);
    expect(two).toEqual(one);
  });
});
