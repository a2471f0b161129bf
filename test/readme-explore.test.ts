/**
 * The README's exploration example runs as written: its TypeScript block is given the data it
 * assumes (`train` and `test` rows, test labels and scores), type-checked against the built
 * @trellis/dev and run in a scratch folder. Needs `npm run build` (part of `npm test`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = join(root, "node_modules", ".cache", `trellis-readme-explore-${process.pid}`);

function block(heading: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const at = readme.indexOf(`\n## ${heading}`);
  if (at < 0) throw new Error(`README has no section "## ${heading}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README section "${heading}" has no ts block`);
  return m[1]!;
}

const prelude = `
const segments = ["bronze", "silver", "gold"];
const make = (n: number, shift: number) =>
  Array.from({ length: n }, (_, i) => ({
    orders_30d: i % 9 === 0 ? null : ((i * 37) % 11) + shift,
    avg_basket: 10 + ((i * 13) % 50) + shift * 3,
    segment: segments[(i + shift) % 3],
  }));
const train = make(300, 0);
const test = make(100, 1);
const yTest = test.map((_, i) => (i % 3 === 0 ? 1 : 0));
const scores = test.map((_, i) => ((i * 7) % 10) / 10 + (i % 3 === 0 ? 0.3 : 0) - 0.15 + 0.15);
`;
const epilogue = `
import { readFileSync as readBack } from "node:fs";
console.log(JSON.stringify({
  columns: summary.rows().map((r) => r.column),
  basket: readBack("basket.svg", "utf8").startsWith('<svg xmlns="http://www.w3.org/2000/svg"'),
  roc: readBack("roc.svg", "utf8").includes('class="line"'),
}));
`;

describe("README exploration example", () => {
  const dir = join(scratch, "explore");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "explore.mts"), prelude + block("@trellis/dev — exploration and charts") + epilogue);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("type-checks against the built package", () => {
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true, types: ["node"] },
        include: ["*/*.mts"],
      }),
    );
    let output = "";
    try {
      execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", scratch], { cwd: scratch, encoding: "utf8" });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe("");
  });

  it("describes, prints the summary and writes both charts", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "explore.mts"], { cwd: dir, encoding: "utf8" });
    const lines = out.trim().split("\n");
    const result = JSON.parse(lines.pop()!);
    expect(result).toEqual({ columns: ["orders_30d", "avg_basket", "segment"], basket: true, roc: true });
    // display() outside a notebook printed the summary as text, the ROC description and where it went.
    expect(lines[0]).toBe("describe (300 rows)");
    expect(out).toMatch(/ROC curve: \d+ points, AUC [\d.]+\n\(saved to .*roc\.svg\)/);
    expect(existsSync(join(dir, "basket.svg"))).toBe(true);
  });
});
