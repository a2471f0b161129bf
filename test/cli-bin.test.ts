/**
 * `trellis` as the README writes it, from a clone: the workspace root depends on @trellis/shared, so
 * `npm ci` links node_modules/.bin/trellis (what `npx trellis` runs) to the package's committed
 * launcher, which runs the built command. The launcher is committed rather than built because npm
 * skips linking a bin whose file does not exist yet, and a fresh clone has no dist/ at `npm ci`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readParquet } from "@trellis/shared";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = join(root, "node_modules", ".bin", "trellis");
const built = existsSync(join(root, "shared", "dist", "cli.cjs"));
const dir = mkdtempSync(join(tmpdir(), "trellis-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the trellis command of a clone", () => {
  it("is linked by the workspace to the committed launcher of @trellis/shared", () => {
    const manifest = JSON.parse(readFileSync(join(root, "shared", "package.json"), "utf8")) as { bin: Record<string, string>; files: string[] };
    expect(manifest.bin).toEqual({ trellis: "./bin/trellis.cjs" });
    expect(manifest.files).toContain("bin");
    const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    expect(rootManifest.dependencies?.["@trellis/shared"]).toBeDefined();
    expect(realpathSync(bin)).toBe(realpathSync(join(root, "shared", "bin", "trellis.cjs")));
  });

  it.skipIf(!built)("runs --help and a small move from the repository root (needs npm run build)", () => {
    const help = spawnSync(bin, ["--help"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: trellis <command> [options]");
    const csv = join(dir, "orders.csv");
    writeFileSync(csv, "id,region\n1,emea\n2,apac\n3,emea\n");
    const moved = spawnSync(bin, ["move", csv, join(dir, "orders.parquet")], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(moved.stderr).not.toMatch(/error/i);
    expect(moved.status).toBe(0);
    return readParquet(join(dir, "orders.parquet")).then((t) => {
      expect(t.toArray().map((r) => r.toJSON())).toEqual([
        { id: 1n, region: "emea" },
        { id: 2n, region: "apac" },
        { id: 3n, region: "emea" },
      ]);
    });
  });
});
