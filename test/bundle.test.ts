/**
 * What a bundle's Dockerfile runs, without Docker: the workspace packages packed with `npm pack`
 * (after `npm run build`), the bundle installed from those tarballs with no network (third-party
 * packages from the local npm cache that `npm ci` filled), `server.js` started on a free
 * 127.0.0.1 port, a prediction compared with the in-process one, then SIGTERM → exit 0.
 * Also: @trellis/dev is not installed, and requiring @trellis/prod and serving a model loads
 * neither PGlite nor parquet-wasm. Prints the bundle's node_modules size and the require time.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DeployedModel, LogisticRegression, Pipeline, StandardScaler, saveModel } from "@trellis/prod";
import { runModelCommand } from "@trellis/prod/cli";
import { z } from "zod";

const root = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "trellis-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

type LockEntry = { version?: string; resolved?: string; integrity?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [k: string]: unknown };

/**
 * The bundle's lockfile, taken from the workspace's: the packed @trellis tarballs, and every
 * third-party package they need at the exact version and integrity `npm ci` installed here, so
 * `npm ci --offline` takes them from the local npm cache.
 */
function bundleLock(pkg: { name: string; version: string; dependencies: Record<string, string> }, tgz: { prod: string; shared: string }): unknown {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const all = lock.packages;
  const integrity = (f: string) => `sha512-${createHash("sha512").update(readFileSync(f)).digest("base64")}`;
  const out: Record<string, LockEntry> = { "": { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies } };
  const ws = { "@trellis/shared": { dir: "shared", file: tgz.shared }, "@trellis/prod": { dir: "prod-lib", file: tgz.prod } } as const;
  for (const [name, w] of Object.entries(ws)) {
    const e = all[w.dir];
    out[`node_modules/${name}`] = { version: e.version, resolved: `file:${w.file}`, integrity: integrity(w.file), dependencies: e.dependencies };
  }
  const map = (key: string) => key.replace(/^shared\//, "node_modules/@trellis/shared/").replace(/^prod-lib\//, "node_modules/@trellis/prod/");
  const find = (from: string, name: string): string => {
    let base = from;
    for (;;) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (all[key]) return key;
      if (!base) throw new Error(`${name} (needed by ${from}) is not in package-lock.json`);
      const i = base.lastIndexOf("/node_modules/");
      base = i >= 0 ? base.slice(0, i) : base.startsWith("node_modules/") ? "" : "";
    }
  };
  const queue: [string, string][] = [];
  for (const w of Object.values(ws)) for (const d of Object.keys(all[w.dir].dependencies ?? {})) if (!d.startsWith("@trellis/")) queue.push([w.dir, d]);
  const seen = new Set<string>();
  while (queue.length) {
    const [from, name] = queue.shift()!;
    const key = find(from, name);
    if (seen.has(key)) continue;
    seen.add(key);
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = all[key] as LockEntry & { dev?: boolean; devOptional?: boolean; peer?: boolean };
    out[map(key)] = entry;
    for (const d of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) queue.push([key, d]);
  }
  return { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: out };
}

const Row = z.object({ a: z.number(), b: z.number().nullable() });
const X = [
  { a: 0, b: 1 },
  { a: 1, b: 0 },
  { a: 2, b: 3 },
  { a: 3, b: 1 },
  { a: 4, b: 5 },
  { a: 5, b: 2 },
];
const y = [0, 0, 0, 1, 1, 1];

describe("trellis model bundle", () => {
  it("writes a bundle that installs offline from packed tarballs and serves the same predictions", { timeout: 240_000 }, async () => {
    const pipe = new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression({ C: 1 })]] }).fit(
      X.map((r) => ({ ...r, b: r.b })),
      y,
    );
    const saved = await saveModel(pipe, join(work, "model"), { inputSchema: Row, name: "toy", lineage: { git: false } });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runModelCommand(["bundle", saved.dir, join(work, "bundle")], { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } as never);
    expect(err.join("")).toBe("");
    expect(code).toBe(0);
    const bundle = join(work, "bundle");
    for (const f of ["package.json", "server.js", "README.md", "Dockerfile", "bundle.json", "model/manifest.json"]) expect(existsSync(join(bundle, f)), f).toBe(true);
    const pkg = JSON.parse(readFileSync(join(bundle, "package.json"), "utf8"));
    const prodVersion = JSON.parse(readFileSync(join(root, "prod-lib/package.json"), "utf8")).version;
    expect(pkg.dependencies["@trellis/prod"]).toBe(prodVersion);
    expect(pkg.dependencies["@trellis/prod"]).toBe(saved.manifest.libraries["@trellis/prod"]);
    expect(pkg.dependencies.zod).toBe(saved.manifest.libraries.zod);
    const docker = readFileSync(join(bundle, "Dockerfile"), "utf8");
    expect(docker).toMatch(/^FROM node:20-slim$/m);
    expect(docker).toMatch(/npm ci --omit=dev/);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^EXPOSE 8080$/m);
    expect(docker).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "-e", .*\/v2\/health\/ready/m);
    expect(docker).not.toMatch(/curl|wget/);
    expect(readFileSync(join(bundle, "README.md"), "utf8")).toContain("TRELLIS_WAREHOUSE");

    // Pack the workspace packages (built by `npm run build`) and point the bundle at the tarballs.
    const packs = join(work, "packs");
    mkdirSync(packs);
    execFileSync("npm", ["pack", "--silent", "--pack-destination", packs, "-w", "@trellis/shared", "-w", "@trellis/prod"], { cwd: root, stdio: "pipe", env: { ...process.env, npm_config_loglevel: "error" } });
    const tarballs = readdirSync(packs);
    const shared = join(packs, tarballs.find((t) => t.startsWith("trellis-shared-"))!);
    const prod = join(packs, tarballs.find((t) => t.startsWith("trellis-prod-"))!);
    pkg.dependencies["@trellis/prod"] = `file:${prod}`;
    pkg.dependencies["@trellis/shared"] = `file:${shared}`;
    pkg.overrides = { "@trellis/shared": `file:${shared}` };
    writeFileSync(join(bundle, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(join(bundle, "package-lock.json"), JSON.stringify(bundleLock(pkg, { prod, shared }), null, 2));
    execFileSync("npm", ["ci", "--offline", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: bundle, stdio: "pipe" });
    expect(existsSync(join(bundle, "node_modules/@trellis/prod/dist/index.cjs"))).toBe(true);
    expect(existsSync(join(bundle, "node_modules/@trellis/dev"))).toBe(false);
    const size = duBytes(join(bundle, "node_modules"));

    // The time to require @trellis/prod in a fresh process, and what that loads.
    const probe = execFileSync(
      process.execPath,
      [
        "-e",
        `const t0 = process.hrtime.bigint(); const p = require("@trellis/prod"); const ms = Number(process.hrtime.bigint() - t0) / 1e6;
         p.serve({ models: { toy: require("path").join(process.cwd(), "model") }, port: 0 }).then(async (svc) => {
           await fetch(svc.url + "/v2/models/toy/predict", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: 1, b: 2 }) }).then((r) => r.text());
           await svc.close();
           console.log(JSON.stringify({ ms, loaded: Object.keys(require.cache) }));
         });`,
      ],
      { cwd: bundle, encoding: "utf8" },
    );
    const { ms, loaded } = JSON.parse(probe) as { ms: number; loaded: string[] };
    expect(loaded.some((f) => f.includes("@trellis/prod"))).toBe(true);
    expect(loaded.filter((f) => /pglite|parquet-wasm/.test(f))).toEqual([]);
    process.stderr.write(`bundle: node_modules ${(size / 1024 / 1024).toFixed(1)} MiB; require("@trellis/prod") ${ms.toFixed(0)} ms\n`);

    // server.js as the Dockerfile runs it.
    const child = spawn(process.execPath, ["server.js"], { cwd: bundle, env: { ...process.env, PORT: "0", HOST: "127.0.0.1", TRELLIS_WAREHOUSE: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /"url":"([^"]+)"/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on("exit", (c) => reject(new Error(`server.js exited with ${c}: ${stderr}`)));
    });
    const ready = await fetch(`${url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    const rows = [{ a: 1.5, b: 0.5 }, { a: 4, b: 2 }];
    const served = await (await fetch(`${url}/v2/models/toy/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows }) })).json() as { predictions: unknown[]; probabilities: Record<string, number>[]; digest: string };
    const local = (await DeployedModel.load(saved.dir)).predictProba(rows);
    expect(served.predictions).toEqual(local.predictions);
    expect(served.probabilities[0]["1"]).toBe(local.probabilitiesOf(0)![1]);
    expect(served.digest).toBe(saved.digest);
    const exit = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(out.join("")).toMatch(/^wrote .*bundle: model toy \(digest [0-9a-f]{12}\)/);
  });

  it("refuses a registry reference without a warehouse and an existing output folder", async () => {
    const err: string[] = [];
    const io = { stdout: { write: () => undefined }, stderr: { write: (t: string) => err.push(t) } } as never;
    expect(await runModelCommand(["bundle", "churn@production", join(work, "x")], io)).toBe(1);
    expect(err.join("")).toContain('model bundle: "churn@production" is not a folder; for a registry reference pass --warehouse <url> or set TRELLIS_WAREHOUSE.');
    const pipe = new Pipeline({ steps: [["scale", new StandardScaler()], ["clf", new LogisticRegression({ C: 1 })]] }).fit(X, y);
    const saved = await saveModel(pipe, join(work, "model2"), { inputSchema: Row, name: "toy", lineage: { git: false } });
    mkdirSync(join(work, "taken"));
    err.length = 0;
    expect(await runModelCommand(["bundle", saved.dir, join(work, "taken")], io)).toBe(1);
    expect(err.join("")).toBe(`trellis: writeBundle: ${join(work, "taken")} already exists; choose another folder or pass overwrite (--overwrite).\n`);
  });
});
