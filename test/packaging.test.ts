/**
 * The published shape of the three libraries: each ships ESM and CommonJS builds with the same
 * exports (tslab compiles notebook cells to CommonJS), and their type declarations compile under
 * TypeScript 5.0 with the options tslab uses. Needs `npm run build` (part of `npm test`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = [
  { name: "@trellis/shared", dir: "shared" },
  { name: "@trellis/prod", dir: "prod-lib" },
  { name: "@trellis/prod/testing", dir: "prod-lib" },
  { name: "@trellis/prod/cli", dir: "prod-lib" },
  { name: "@trellis/dev", dir: "dev-lib" },
];

function exportNames(mode: "require" | "import", name: string): string[] {
  const script =
    mode === "require"
      ? `process.stdout.write(JSON.stringify(Object.keys(require(${JSON.stringify(name)})).sort()))`
      : `import(${JSON.stringify(name)}).then((m) => process.stdout.write(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort())))`;
  const out = execFileSync(process.execPath, mode === "require" ? ["-e", script] : ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
  });
  return JSON.parse(out);
}

describe("package builds", () => {
  it("has been built (run `npm run build` first)", () => {
    for (const p of packages) expect(existsSync(join(root, p.dir, "dist", "index.cjs")), p.dir).toBe(true);
  });

  for (const p of packages) {
    it(`${p.name} exposes the same exports from require() and import()`, () => {
      const cjs = exportNames("require", p.name);
      const esm = exportNames("import", p.name);
      expect(cjs.length).toBeGreaterThan(0);
      expect(cjs).toEqual(esm);
    });
  }

  it("ships the CSV worker script: readCsv reads a large file on two threads from the ESM and CommonJS builds", () => {
    const dist = join(root, "shared", "dist");
    expect(existsSync(join(dist, "csv-worker.js")) && existsSync(join(dist, "csv-worker.cjs"))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "trellis-packaging-csv-"));
    try {
      // Over the 16 MiB from which readCsv goes parallel.
      const lines = ["a,b,pad"];
      for (let i = 0; i < 500_000; i++) lines.push(`${i},${i / 8},padding-padding-padding`);
      const path = join(dir, "big.csv");
      writeFileSync(path, lines.join("\n") + "\n");
      const body = `.then((r) => process.stdout.write(JSON.stringify({ threads: r.threads, rows: r.table.numRows, last: Number(r.table.getChild("b").get(499999)) })))`;
      for (const [args, script] of [
        [["-e"], `require("@trellis/shared").readCsv(${JSON.stringify(path)}, { threads: 2 })${body}`],
        [["--input-type=module", "-e"], `import("@trellis/shared").then((s) => s.readCsv(${JSON.stringify(path)}, { threads: 2 }))${body}`],
      ] as const) {
        const out = JSON.parse(execFileSync(process.execPath, [...args, script], { cwd: root, encoding: "utf8" }));
        expect(out, args.join(" ")).toEqual({ threads: 2, rows: 500_000, last: 499_999 / 8 });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("shares one copy of each estimator class between @trellis/prod and its /testing entry (CommonJS too)", () => {
    for (const mode of ["cjs", "esm"] as const) {
      const body =
        'const results = t.checkEstimator(() => new p.StandardScaler(), { tags: { allowMissing: true } });' +
        'const est = new p.StandardScaler();' +
        'process.stdout.write(JSON.stringify({ passed: results.every((r) => r.passed), n: results.length, name: est.toJSON().className }));';
      const script =
        mode === "cjs"
          ? `const p = require("@trellis/prod"); const t = require("@trellis/prod/testing"); ${body}`
          : `const p = await import("@trellis/prod"); const t = await import("@trellis/prod/testing"); ${body}`;
      const out = execFileSync(process.execPath, mode === "cjs" ? ["-e", script] : ["--input-type=module", "-e", script], {
        cwd: root,
        encoding: "utf8",
      });
      const parsed = JSON.parse(out);
      expect(parsed.passed, mode).toBe(true);
      expect(parsed.n).toBeGreaterThan(10);
      expect(parsed.name).toBe("StandardScaler");
    }
  });

  it("keeps require(\"@trellis/prod\") lean: PGlite and the Parquet engine are not loaded", () => {
    const script =
      'require("@trellis/prod");' +
      'const heavy = Object.keys(require.cache).filter((k) => /[\\\\/]node_modules[\\\\/](@electric-sql[\\\\/]pglite|parquet-wasm)[\\\\/]/.test(k));' +
      'process.stdout.write(JSON.stringify({ heavy, modules: Object.keys(require.cache).length }));';
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" }));
    expect(out.heavy).toEqual([]);
    expect(out.modules).toBeGreaterThan(10);
    // The same check sees PGlite when it is loaded (the check can fail).
    const loaded = execFileSync(process.execPath, ["-e", 'require("@electric-sql/pglite"); process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes("pglite"))))'], {
      cwd: join(root, "shared"),
      encoding: "utf8",
    });
    expect(loaded).toBe("true");
  });

  it("lists every workspace library's entry points in its manifest", () => {
    for (const dir of ["shared", "prod-lib", "dev-lib"]) {
      const m = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
      expect(m.main).toBe("./dist/index.cjs");
      expect(m.types).toBe("./dist/index.d.ts");
      expect(m.exports["."].require.default).toBe("./dist/index.cjs");
      expect(m.exports["."].import.default).toBe("./dist/index.js");
      for (const f of [m.main, m.types, m.exports["."].require.types]) expect(existsSync(join(root, dir, f)), `${dir}/${f}`).toBe(true);
    }
  });
});

describe("type declarations under TypeScript 5.0", () => {
  it("compile with tslab's compiler options, with no error in Trellis's own declarations", () => {
    const require = createRequire(import.meta.url);
    const ts = require("typescript-5.0") as typeof import("typescript");
    expect(ts.version).toBe("5.0.4");
    const consumer = fileURLToPath(new URL("./fixtures/ts50-consumer.ts", import.meta.url));
    const options: import("typescript").CompilerOptions = {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ["node"],
    };
    const program = ts.createProgram([consumer], options);
    const ours = (f: string) => f === consumer || /\/(shared|prod-lib|dev-lib)\/dist\//.test(f);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(),
      ...program.getSourceFiles().filter((sf) => ours(sf.fileName)).flatMap((sf) => program.getSemanticDiagnostics(sf)),
      ...program.getGlobalDiagnostics(),
    ];
    const text = diagnostics.map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(text).toEqual([]);
    // The declarations really were loaded from the built packages.
    const dts = program.getSourceFiles().map((sf) => sf.fileName).filter((f) => /\/dist\/.*\.d\.ts$/.test(f));
    expect(dts.some((f) => f.includes("shared/dist"))).toBe(true);
    expect(dts.some((f) => f.includes("prod-lib/dist"))).toBe(true);
    expect(dts.some((f) => f.includes("dev-lib/dist"))).toBe(true);
  });
});
