/**
 * The built package loads parquet-wasm (an external dependency, not bundled) from both its ESM
 * and its CommonJS entry points, and reads and writes Parquet there. Needs `npm run build`
 * (which `npm test` runs first); skipped with the reason shown when shared/dist is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, tempDir } from "./parquet-helpers";

const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const built = existsSync(join(dist, "index.cjs")) && existsSync(join(dist, "index.js"));
const tmp = tempDir("parquet-packaging");
afterAll(() => tmp.cleanup());

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: tmp.dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)(`Parquet from the built package${built ? "" : " (skipped: shared/dist is not built; run npm run build)"}`, () => {
  const fixture = join(FIXTURES, "default.parquet");

  it("works through require() (CommonJS build)", () => {
    const out = join(tmp.dir, "cjs.parquet");
    const script = `
      const { readParquet, writeParquet } = require(${JSON.stringify(join(dist, "index.cjs"))});
      (async () => {
        const t = await readParquet(${JSON.stringify(fixture)}, { columns: ["big", "cat"] });
        await writeParquet(t, ${JSON.stringify(out)});
        const back = await readParquet(${JSON.stringify(out)});
        console.log(JSON.stringify({ rows: back.numRows, big: String(back.getChild("big").get(0)) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = run(["-e", script]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ rows: 300, big: "9007199254740993" });
  });

  it("works through import (ESM build)", () => {
    const script = `
      const { readParquet } = await import(${JSON.stringify(new URL("index.js", `file://${dist}`).href)});
      const t = await readParquet(${JSON.stringify(fixture)}, { columns: ["id"], filter: [["id", ">=", 295]] });
      console.log(JSON.stringify({ rows: t.numRows }));`;
    const r = run(["--input-type=module", "-e", script]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ rows: 5 });
  });
});
