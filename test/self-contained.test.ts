// A user's clone has nothing beside it: no test, benchmark or example may read a path outside the
// repository. This scans every TypeScript, JavaScript and Python file for relative paths that are
// resolved against the file's own location and checks that each one stays inside the repository.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const SKIP = new Set(["node_modules", "dist", ".git", ".trellis", "lake", "coverage", ".venv"]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|mts|cts|js|mjs|cjs|py)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Relative paths a file resolves against its own location: `new URL("…", import.meta.url)`,
 *  `join/resolve(__dirname, "…")` and Python's `Path(__file__).parent / "…"`. */
export function relativePathsIn(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /new URL\(\s*["'`]([^"'`$]+)["'`]\s*,\s*import\.meta\.url\s*\)/g,
    /(?:join|resolve)\(\s*(?:__dirname|here|dir)\s*,\s*((?:["'`][^"'`$]+["'`]\s*,?\s*)+)\)/g,
    /Path\(__file__\)(?:\.resolve\(\))?\.parent((?:\.parent)*)\s*\/\s*["']([^"']+)["']/g,
  ];
  for (const match of text.matchAll(patterns[0]!)) found.push(match[1]!);
  for (const match of text.matchAll(patterns[1]!)) {
    const parts = [...match[1]!.matchAll(/["'`]([^"'`]+)["'`]/g)].map((m) => m[1]!);
    found.push(parts.join("/"));
  }
  for (const match of text.matchAll(patterns[2]!)) {
    const ups = (match[1]!.match(/\.parent/g) ?? []).length;
    found.push("../".repeat(ups) + match[2]!);
  }
  return found;
}

function escapes(file: string, rel: string): boolean {
  const target = resolve(dirname(file), rel);
  const inside = relative(root, target);
  return inside === ".." || inside.startsWith(`..${sep}`) || resolve(target) === resolve(root, "..");
}

describe("the repository is self-contained", () => {
  it("finds relative paths in each form it checks", () => {
    expect(relativePathsIn(`const a = new URL("../../x/", import.meta.url);`)).toEqual(["../../x/"]);
    expect(relativePathsIn(`join(__dirname, "..", "fixtures")`)).toEqual(["../fixtures"]);
    expect(relativePathsIn(`Path(__file__).parent.parent / "data"`)).toEqual(["../data"]);
    expect(escapes(join(root, "shared/test/io/x.test.ts"), "../../../../shared/fixtures/")).toBe(true);
    expect(escapes(join(root, "shared/test/io/x.test.ts"), "../../../test/fixtures/")).toBe(false);
  });

  it("reads no path outside the repository from any test, benchmark or example", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(root)) {
      if (file === fileURLToPath(import.meta.url)) continue; // its own examples above
      const text = readFileSync(file, "utf8");
      for (const rel of relativePathsIn(text)) {
        if (escapes(file, rel)) offenders.push(`${relative(root, file)}: ${rel}`);
      }
      if (/\.\.\/(\.\.\/)*shared\/fixtures/.test(text)) {
        offenders.push(`${relative(root, file)}: mentions ../shared/fixtures`);
      }
    }
    expect(offenders, "copy what these read into test/fixtures/ (a clone has nothing beside it)").toEqual([]);
  });
});
