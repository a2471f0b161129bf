import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Packages each workspace package must never depend on: shared ← prod-lib ← dev-lib. */
const forbidden: Record<string, string[]> = {
  shared: ["@trellis/prod", "@trellis/dev"],
  "prod-lib": ["@trellis/dev"],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier in import/export-from statements, dynamic import() and require(). */
export function importedModules(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]);
  return specs;
}

function violates(spec: string, banned: string[]): boolean {
  return banned.some((b) => spec === b || spec.startsWith(b + "/"));
}

describe("dependency direction", () => {
  it("finds module specifiers in every import form", () => {
    const src = `import { a } from "@trellis/dev";\nimport type { B } from '@trellis/prod/testing';\nexport * from "x";\nconst m = await import("@trellis/dev");\nconst r = require("y");\nimport "side-effect";`;
    expect(importedModules(src)).toEqual(
      expect.arrayContaining(["@trellis/dev", "@trellis/prod/testing", "x", "y", "side-effect"]),
    );
    expect(violates("@trellis/prod/testing", ["@trellis/prod"])).toBe(true);
    expect(violates("@trellis/production", ["@trellis/prod"])).toBe(false);
  });

  for (const [pkg, banned] of Object.entries(forbidden)) {
    it(`keeps ${pkg}'s manifest free of ${banned.join(" and ")}`, () => {
      const manifest = JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8"));
      const deps = {
        ...manifest.dependencies,
        ...manifest.devDependencies,
        ...manifest.peerDependencies,
        ...manifest.optionalDependencies,
      };
      expect(Object.keys(deps).filter((d) => violates(d, banned))).toEqual([]);
    });

    it(`keeps ${pkg}'s sources free of imports of ${banned.join(" and ")}`, () => {
      const offenders: string[] = [];
      for (const dir of ["src", "test"]) {
        let files: string[] = [];
        try {
          files = sourceFiles(join(root, pkg, dir));
        } catch {
          continue;
        }
        for (const f of files) {
          for (const spec of importedModules(readFileSync(f, "utf8"))) {
            if (violates(spec, banned)) offenders.push(`${f.slice(root.length)} imports ${spec}`);
          }
        }
      }
      expect(offenders).toEqual([]);
    });
  }
});
