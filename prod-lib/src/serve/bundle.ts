/**
 * `writeBundle` (`trellis model bundle`): a folder that runs the service for one model version
 * wherever Node runs — the artifact, a `package.json` pinning exactly the library versions the
 * artifact was written with, `server.js`, a README and a Dockerfile.
 *
 * Layout:
 *   model/            the artifact files (verified on load)
 *   package.json      @trellis/prod, @trellis/shared, apache-arrow, zod at the manifest's versions
 *   server.js         CommonJS; `serve` with the model folder, graceful shutdown, exit 0
 *   README.md         how to run, endpoints, environment variables
 *   Dockerfile        node:20-slim, npm ci --omit=dev, USER node, HEALTHCHECK, EXPOSE
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InvalidArgumentError } from "@trellis/shared";
import { readArtifactFiles, loadModelFromFiles } from "../artifact/load";
import { writeArtifactFiles, type ArtifactFiles } from "../artifact/save";
import type { ModelManifest } from "../artifact/manifest";
import type { ModelSource } from "./deployed-model";

/** Options of {@link writeBundle}. */
export interface BundleOptions {
  /** Resolves a registry reference (`"churn@production"`); not needed for a folder. */
  registry?: ModelSource;
  /** Replace an existing output folder (default false). */
  overwrite?: boolean;
}

/** What {@link writeBundle} wrote. */
export interface WrittenBundle {
  dir: string;
  name: string;
  version: number | null;
  digest: string;
  /** The dependencies pinned in package.json. */
  dependencies: Record<string, string>;
}

/**
 * The packages a bundle pins, taken from the manifest's library versions.
 * @example BUNDLE_PACKAGES.includes("@trellis/prod") // true
 */
export const BUNDLE_PACKAGES: readonly string[] = ["@trellis/prod", "@trellis/shared", "apache-arrow", "zod"];

const SERVER_JS = `// The model service of this bundle: node server.js (see README.md).
"use strict";
const path = require("node:path");
const { serve } = require("@trellis/prod");

const env = process.env;
const port = env.PORT === undefined ? 8080 : Number(env.PORT);
const host = env.HOST || "0.0.0.0";
const name = env.TRELLIS_MODEL_NAME || require("./bundle.json").name;
const logPredictions = env.TRELLIS_WAREHOUSE
  ? {
      warehouse: env.TRELLIS_WAREHOUSE,
      table: env.TRELLIS_PREDICTION_TABLE || "predictions",
      sampleRate: env.TRELLIS_PREDICTION_SAMPLE_RATE === undefined ? 1 : Number(env.TRELLIS_PREDICTION_SAMPLE_RATE),
    }
  : undefined;

serve({
  models: { [name]: path.join(__dirname, "model") },
  port,
  host,
  bodyLimit: env.TRELLIS_BODY_LIMIT === undefined ? undefined : Number(env.TRELLIS_BODY_LIMIT),
  shutdownTimeout: env.TRELLIS_SHUTDOWN_TIMEOUT === undefined ? 10000 : Number(env.TRELLIS_SHUTDOWN_TIMEOUT),
  logPredictions,
  handleSignals: true,
  onShutdown: () => process.exit(0),
}).then(
  (svc) => process.stderr.write(JSON.stringify({ level: "info", message: "listening", url: svc.url, model: name }) + "\\n"),
  (err) => {
    process.stderr.write(JSON.stringify({ level: "error", message: "could not start", error: err && err.message }) + "\\n");
    process.exit(1);
  },
);
`;

function dockerfile(): string {
  return `FROM node:20-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json* ./
RUN npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-audit --no-fund
COPY --chown=node:node . .
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \\
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:' + (process.env.PORT || 8080) + '/v2/health/ready', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
CMD ["node", "server.js"]
`;
}

function readme(name: string, version: number | null, digest: string, deps: Record<string, string>): string {
  return `# Model service: ${name}${version !== null ? ` version ${version}` : ""}

The model \`${name}\` (manifest digest \`${digest}\`) served over HTTP with the Open Inference
Protocol v2, written by \`trellis model bundle\`. Dependencies are pinned exactly:
${Object.entries(deps).map(([k, v]) => `\`${k}@${v}\``).join(", ")}.

## Run

    npm ci --omit=dev        # or: npm install --omit=dev
    node server.js

or with Docker:

    docker build -t ${name.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}-service .
    docker run -p 8080:8080 ${name.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}-service

SIGTERM or SIGINT stops it gracefully (in-flight requests finish, the prediction log is flushed, exit 0).

## Endpoints

| Method | Path | |
|---|---|---|
| GET | /v2/health/live | 200 while the process runs |
| GET | /v2/health/ready | 200 once the model is loaded, 503 before |
| GET | /v2 | server metadata |
| GET | /v2/models/${name} | model metadata: inputs with datatypes, outputs, version |
| GET | /v2/models/${name}/ready | model readiness |
| POST | /v2/models/${name}/infer | Open Inference Protocol v2 inference (one tensor per input, shape [n]) |
| POST | /v2/models/${name}/predict | one row object, or { "rows": [...] } |
| GET | /metrics | Prometheus metrics |

Example:

    curl -s localhost:8080/v2/models/${name}/predict -H 'content-type: application/json' -d '{ ... one row ... }'

## Environment variables

| Variable | Default | |
|---|---|---|
| PORT | 8080 | TCP port |
| HOST | 0.0.0.0 | interface to listen on |
| TRELLIS_MODEL_NAME | ${name} | the {name} in the routes |
| TRELLIS_WAREHOUSE | (none) | warehouse URL for the prediction log (postgres://… or embedded:<folder>); no log without it |
| TRELLIS_PREDICTION_TABLE | predictions | prediction log table (in schema trellis_predictions) |
| TRELLIS_PREDICTION_SAMPLE_RATE | 1 | share of served rows logged |
| TRELLIS_BODY_LIMIT | 1048576 | largest request body in bytes |
| TRELLIS_SHUTDOWN_TIMEOUT | 10000 | milliseconds in-flight requests get on shutdown |
`;
}

/**
 * Writes a deployable bundle for one model version: from an artifact folder or a registry
 * reference (with `registry`). The artifact is verified before anything is written; the output
 * folder must not exist unless `overwrite`.
 * @example await writeBundle("churn@production", "deploy/churn", { registry });
 */
export async function writeBundle(source: string, outDir: string, options: BundleOptions = {}): Promise<WrittenBundle> {
  if (typeof source !== "string" || source.length === 0) throw new InvalidArgumentError(`writeBundle: give a model folder or a registry reference such as "churn@production", got ${JSON.stringify(source)}.`);
  if (typeof outDir !== "string" || outDir.length === 0) throw new InvalidArgumentError(`writeBundle: give an output folder, got ${JSON.stringify(outDir)}.`);
  const isDir = await stat(source).then((s) => s.isDirectory(), () => false);
  let files: ArtifactFiles;
  let name: string | null;
  let version: number | null = null;
  let digest: string;
  let manifest: ModelManifest;
  if (isDir) {
    files = await readArtifactFiles(source);
    const loaded = await loadModelFromFiles(files);
    manifest = loaded.manifest;
    digest = loaded.digest;
    name = manifest.name ?? null;
  } else {
    if (!options.registry) throw new InvalidArgumentError(`writeBundle: ${JSON.stringify(source)} is not a model folder; for a registry reference pass --warehouse <url> (or { registry }).`);
    const fetched = await options.registry.getArtifactFiles(source);
    files = fetched.files;
    const loaded = await loadModelFromFiles(files, { expectedDigest: fetched.digest });
    manifest = loaded.manifest;
    digest = loaded.digest;
    name = fetched.name;
    version = fetched.version;
  }
  if (!name || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new InvalidArgumentError(`writeBundle: the model needs a name of letters, digits, "_", "." or "-" to route on, got ${JSON.stringify(name)}; save it with { name } or register it.`);
  }
  const dependencies: Record<string, string> = {};
  for (const p of BUNDLE_PACKAGES) {
    const v = manifest.libraries[p];
    if (v) dependencies[p] = v;
  }
  if (!dependencies["@trellis/prod"]) throw new InvalidArgumentError(`writeBundle: the manifest does not record the @trellis/prod version it was written with; save the model again with a current @trellis/prod.`);
  const dir = resolve(outDir);
  if (await stat(dir).then(() => true, () => false)) {
    if (!options.overwrite) throw new InvalidArgumentError(`writeBundle: ${dir} already exists; choose another folder or pass overwrite (--overwrite).`);
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  try {
    await writeArtifactFiles(files, join(dir, "model"));
    const pkgName = `${name.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}-service`;
    const pkg = {
      name: pkgName,
      version: version !== null ? `${version}.0.0` : "0.0.0",
      private: true,
      description: `Model service for ${name}${version !== null ? ` version ${version}` : ""} (digest ${digest})`,
      main: "server.js",
      scripts: { start: "node server.js" },
      engines: { node: ">=20" },
      dependencies,
    };
    await writeFile(join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    await writeFile(join(dir, "bundle.json"), JSON.stringify({ name, version, digest }, null, 2) + "\n");
    await writeFile(join(dir, "server.js"), SERVER_JS);
    await writeFile(join(dir, "README.md"), readme(name, version, digest, dependencies));
    await writeFile(join(dir, "Dockerfile"), dockerfile());
    await writeFile(join(dir, ".dockerignore"), "node_modules\nnpm-debug.log\n");
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, name, version, digest, dependencies };
}
