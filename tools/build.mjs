// `npm run build`: builds @trellis/shared, @trellis/prod and @trellis/dev in dependency order (tsup,
// ESM + CJS + declarations), unless their dist/ folders were built from exactly the files there now.
// A stamp in node_modules/.cache records a hash of every build input (sources, package manifests,
// tsup and TypeScript configs, the lockfile) and the size and time of each package's outputs; any
// change to either rebuilds all three. `--force` (or TRELLIS_BUILD_FORCE=1) always builds.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = [
  { dir: "shared", name: "@trellis/shared" },
  { dir: "prod-lib", name: "@trellis/prod" },
  { dir: "dev-lib", name: "@trellis/dev" },
];
const OUTPUTS = ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"];
const stampFile = join(root, "node_modules", ".cache", "trellis-build.json");

function files(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, out);
    else out.push(path);
  }
  return out;
}

/** A hash of every file the build reads. */
function inputHash() {
  const inputs = ["package.json", "package-lock.json", "tsconfig.base.json"].map((f) => join(root, f));
  for (const { dir } of PACKAGES) {
    for (const f of ["package.json", "tsconfig.json", "tsup.config.ts"]) inputs.push(join(root, dir, f));
    inputs.push(...files(join(root, dir, "src")));
  }
  const h = createHash("sha256");
  for (const f of inputs) {
    h.update(relative(root, f)).update("\0");
    h.update(existsSync(f) ? readFileSync(f) : "(missing)").update("\0");
  }
  return h.digest("hex");
}

/** The size and modification time of each package's main outputs (null when one is missing). */
function outputState() {
  const state = {};
  for (const { dir } of PACKAGES) {
    for (const f of OUTPUTS) {
      const path = join(root, dir, f);
      if (!existsSync(path)) return null;
      const s = statSync(path);
      state[`${dir}/${f}`] = `${s.size}:${s.mtimeMs}`;
    }
  }
  return state;
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8"));
  } catch {
    return null;
  }
}

const force = process.argv.includes("--force") || process.env.TRELLIS_BUILD_FORCE === "1";
const hash = inputHash();
const stamp = readStamp();
const outputs = outputState();
if (!force && stamp && outputs && stamp.inputs === hash && JSON.stringify(stamp.outputs) === JSON.stringify(outputs)) {
  console.log("build: shared, prod-lib and dev-lib dist/ are up to date with their sources (npm run build -- --force rebuilds)");
  process.exit(0);
}
const npm = process.env.npm_execpath;
for (const { name } of PACKAGES) {
  // npm_execpath is npm's own CLI script when run through npm; otherwise the npm on the PATH.
  const r = npm ? spawnSync(process.execPath, [npm, "run", "build", "-w", name], { cwd: root, stdio: "inherit" }) : spawnSync("npm", ["run", "build", "-w", name], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    console.error(`build: ${name} failed (exit status ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
writeFileSync(stampFile, `${JSON.stringify({ inputs: hash, outputs: outputState() }, null, 1)}\n`);
