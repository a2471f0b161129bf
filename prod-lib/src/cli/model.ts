/**
 * `trellis model …`: commands on model artifacts. The `trellis` executable of @trellis/shared hands
 * `trellis model …` to {@link runModelCommand} when @trellis/prod is installed; `trellis-prod model …`
 * runs it directly.
 *
 *   trellis model inspect <dir> [--json]   summary of the manifest (exit 1 when it cannot be read)
 *   trellis model verify <dir> [--json]    integrity, format, compatibility, loadability (exit 0/1)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InvalidArgumentError, TrellisError, type CliIo } from "@trellis/shared";
import { verifyArtifact, type ArtifactVerification } from "../artifact/load";
import type { ModelManifest } from "../artifact/manifest";
import { compileFields } from "../serve/validator";
import { DeployedModel } from "../serve/deployed-model";
import { runRegistryCommand } from "./registry-commands";
import { defaultResolve, runDriftCommand, type ModelResolveContext } from "./drift";
import { DIGEST_FILE } from "../artifact/manifest";
import type { MonitoredModel } from "../monitor/store";
import { writeBundle } from "../serve/bundle";
import { ModelRegistry } from "../registry/registry";
import { stat } from "node:fs/promises";

const MODEL_HELP = `Usage: trellis model <command> [options]

Commands:
  inspect <dir>   Summary of a model artifact's manifest (inputs, output, versions, files, lineage)
  verify <dir>    Check every file's size and SHA-256, the format, the version compatibility with
                  this @trellis/prod, and that the model loads; exit status 1 on any problem
  list            Registered models with their newest version and aliases (--warehouse <url>)
  show <ref>      One registered version (name@alias, name@3, name@latest) or every version of a name
  promote <name@version> <alias>   Point an alias at a version
  register <dir> <name>            Register an artifact folder under a name
  drift <ref> --from <source>      Drift report of a source against the model's reference profile;
                  exit status 1 when a column drifts ("trellis model drift --help")

The registry commands take --warehouse <url> (default: the TRELLIS_WAREHOUSE environment variable).
  bundle <ref-or-dir> <out-dir> [--warehouse url] [--overwrite]
                  Write a deployable service folder: the artifact, package.json pinning the
                  manifest's library versions, server.js, README.md and a Dockerfile

Options:
  --json          machine-readable output
  -h, --help      show this help
`;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function table(rows: [string, string][], indent = ""): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`).join("\n") + "\n";
}

/** The plain-text summary printed by `trellis model inspect`. */
export function formatManifest(manifest: ModelManifest, verification: ArtifactVerification): string {
  const m = manifest;
  const lines: string[] = [];
  const l = m.lineage;
  const lineage: string[] = [];
  if (l.runId) lineage.push(`run ${l.runId}`);
  if (l.git) lineage.push(`git ${l.git.commit.slice(0, 12)}${l.git.dirty ? " (uncommitted changes)" : ""}`);
  if (l.trainingData) lineage.push(`training data ${l.trainingData.rows} rows, ${l.trainingData.method} ${l.trainingData.digest.slice(0, 12)}`);
  if (l.featureViews.length) lineage.push(`views ${l.featureViews.map((v) => `${v.name} v${v.version}`).join(", ")}`);
  const compat = verification.compatibility;
  lines.push(
    table([
      ["model", m.name ?? "(unnamed)"],
      ["digest", verification.digest ?? "(unknown)"],
      ["description", m.description ?? "-"],
      ["format", `${m.format}/${m.formatVersion}, written ${m.createdAt}`],
      ["written by", `@trellis/prod ${m.libraries["@trellis/prod"] ?? "?"}, @trellis/shared ${m.libraries["@trellis/shared"] ?? "?"}, node ${m.runtime.node}`],
      ["estimator", `${m.estimator.className} (${m.output.task}${m.output.classes ? `, classes ${m.output.classes.map(String).join(", ")}` : ""})`],
      ["output", m.output.columns.join(", ")],
      ["metrics", Object.entries(m.metrics).map(([k, v]) => `${k} ${v}`).join(", ") || "-"],
      ["lineage", lineage.join("; ") || "-"],
      ["compatible", compat ? (compat.compatible ? `yes (running @trellis/prod ${compat.running})` : `no: ${compat.reason}`) : "unknown"],
      ["integrity", verification.ok ? "ok (every file matches the manifest)" : `${verification.problems.length} problem(s); run trellis model verify`],
    ]),
  );
  const used = new Set(m.estimator.inputColumns.map((c) => c.name));
  lines.push(`inputs (${m.inputSchema.fields.length} fields, ${used.size} read by the model):\n`);
  lines.push(table(compileFields(m.inputSchema.fields).map((f) => [f.name, `${f.expected}${used.has(f.name) ? "" : "  (not read by the model)"}`]), "  "));
  lines.push("files:\n");
  lines.push(table(Object.entries(m.files).map(([f, e]) => [f, `${bytes(e.size).padStart(10)}  sha256 ${e.sha256}`]), "  "));
  return lines.join("");
}

function formatVerification(dir: string, v: ArtifactVerification): string {
  const out: string[] = [];
  for (const f of v.files) out.push(`  ${f.status === "ok" ? "ok        " : f.status.padEnd(10)}  ${f.file}`);
  const head = v.ok ? `${dir}: ok (digest ${v.digest})` : `${dir}: FAILED`;
  return [head, ...out, ...v.problems.map((p) => `  problem: ${p.message}`)].join("\n") + "\n";
}

function oneDir(positionals: string[], verb: string): string {
  if (positionals.length !== 1) {
    throw new InvalidArgumentError(`trellis model ${verb} needs one artifact folder, got ${positionals.length} argument(s); e.g. trellis model ${verb} models/churn.`);
  }
  return positionals[0];
}

async function inspect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    io.stdout.write(MODEL_HELP);
    return 0;
  }
  const dir = oneDir(positionals, "inspect");
  const v = await verifyArtifact(dir);
  if (!v.manifest) {
    io.stderr.write(`trellis: cannot read the manifest of ${dir}: ${v.problems.map((p) => p.message).join("; ")}\n`);
    return 1;
  }
  if (values.json) io.stdout.write(JSON.stringify({ digest: v.digest, ok: v.ok, problems: v.problems, compatibility: v.compatibility, manifest: v.manifest }, null, 2) + "\n");
  else io.stdout.write(formatManifest(v.manifest, v));
  return 0;
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    io.stdout.write(MODEL_HELP);
    return 0;
  }
  const dir = oneDir(positionals, "verify");
  const v = await verifyArtifact(dir);
  if (values.json) {
    const { manifest, ...rest } = v;
    io.stdout.write(JSON.stringify({ dir, ...rest, name: manifest?.name ?? null }, null, 2) + "\n");
  } else (v.ok ? io.stdout : io.stderr).write(formatVerification(dir, v));
  return v.ok ? 0 : 1;
}

async function bundle(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { warehouse: { type: "string" }, overwrite: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.stdout.write(MODEL_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new InvalidArgumentError(`model bundle: expected <ref-or-dir> <out-dir>, got ${positionals.length} argument(s).`);
  const [source, out] = positionals;
  const isDir = await stat(source).then((s) => s.isDirectory(), () => false);
  const url = values.warehouse ?? process.env.TRELLIS_WAREHOUSE;
  let registry: ModelRegistry | undefined;
  if (!isDir) {
    if (!url) throw new InvalidArgumentError(`model bundle: ${JSON.stringify(source)} is not a folder; for a registry reference pass --warehouse <url> or set TRELLIS_WAREHOUSE.`);
    registry = await ModelRegistry.open(url);
  }
  try {
    const b = await writeBundle(source, out, { registry, overwrite: values.overwrite });
    if (values.json) io.stdout.write(JSON.stringify(b) + "\n");
    else io.stdout.write(`wrote ${b.dir}: model ${b.name}${b.version !== null ? ` version ${b.version}` : ""} (digest ${b.digest.slice(0, 12)}), ${Object.entries(b.dependencies).map(([k, v]) => `${k}@${v}`).join(", ")}\nrun it: cd ${out} && npm install --omit=dev && node server.js\n`);
    return 0;
  } finally {
    await registry?.close();
  }
}


/**
 * Resolves `trellis model drift <ref>`: an artifact folder, or a registry reference looked up in the
 * `--warehouse` (or TRELLIS_WAREHOUSE) warehouse.
 */
async function resolveDriftModel(ref: string, context: ModelResolveContext): Promise<MonitoredModel> {
  const monitored = (m: DeployedModel): MonitoredModel => ({ name: m.name ?? ref, version: m.version, digest: m.digest, reference: m.reference });
  if (existsSync(ref)) {
    // A model artifact is verified and loaded (its digest comes with it); a folder that only holds a
    // reference profile is read as such.
    return existsSync(join(ref, DIGEST_FILE)) ? monitored(await DeployedModel.load(ref)) : defaultResolve(ref, context);
  }
  const url = context.warehouse ?? process.env.TRELLIS_WAREHOUSE;
  if (!url) {
    throw new InvalidArgumentError(`${JSON.stringify(ref)} is not a model folder; for a registry reference give --warehouse <url> (or set TRELLIS_WAREHOUSE).`);
  }
  const registry = await ModelRegistry.open(url);
  try {
    return monitored(await DeployedModel.load(ref, { registry }));
  } finally {
    await registry.close();
  }
}

const registryVerb =
  (verb: string) =>
  (args: string[], io: CliIo): Promise<number> =>
    runRegistryCommand(verb, args, io);

/** The `trellis model` subcommands, by name. */
const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  inspect,
  verify,
  list: registryVerb("list"),
  show: registryVerb("show"),
  promote: registryVerb("promote"),
  register: registryVerb("register"),
  drift: (args, io) => runDriftCommand(args, io, { resolveModel: resolveDriftModel }),
  bundle,
};

/**
 * Runs `trellis model <args…>` and returns the exit status. Errors Trellis throws on purpose print
 * their message on stderr (no stack trace) and give status 1.
 * @example process.exitCode = await runModelCommand(["verify", "models/churn"], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runModelCommand(args: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
      io.stdout.write(MODEL_HELP);
      return sub === undefined ? 1 : 0;
    }
    const command = COMMANDS[sub];
    if (!command) {
      io.stderr.write(`trellis: unknown command "model ${sub}".\n\n${MODEL_HELP}`);
      return 1;
    }
    return await command(rest, io);
  } catch (e) {
    if (e instanceof TrellisError) {
      io.stderr.write(`trellis: ${e.message}\n`);
      return 1;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`trellis: ${(e as Error).message}\nRun "trellis model --help" for usage.\n`);
      return 1;
    }
    io.stderr.write(`trellis: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

/**
 * The `trellis-prod` executable's dispatcher: `trellis-prod model …`.
 * @example process.exitCode = await runProdCli(["model", "inspect", "models/churn"]);
 */
export async function runProdCli(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "model") return runModelCommand(rest, io);
  io.stderr.write(`trellis-prod: unknown command ${JSON.stringify(command ?? "")}; use "trellis-prod model --help".\n`);
  return 1;
}
