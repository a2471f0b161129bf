/**
 * `trellis model list|show|promote|register` — the model registry from a shell. Plain text for
 * people, `--json` for scripts; exit status 0 on success, 1 on failure (the error on stderr), 2 for
 * a usage error.
 */
import { parseArgs } from "node:util";
import { InvalidArgumentError, TrellisError, formatTable, redactUrl, tableFromRows } from "@trellis/shared";
import { ModelRegistry, parseModelRef, type ModelVersion } from "../registry/registry";

/** Where a command writes. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Environment variables (default `process.env`): `TRELLIS_WAREHOUSE` is the default warehouse URL. */
  env?: Record<string, string | undefined>;
}

/** The registry verbs and their one-line help. */
export const REGISTRY_COMMANDS: Record<string, string> = {
  list: "list registered models with their newest version and aliases",
  show: "show one version (name@alias, name@3, name@latest) or every version of a name",
  promote: "point an alias at a version: promote name@3 production",
  register: "register an artifact folder under a name: register <dir> <name>",
};

const HELP = `Usage: trellis model <list|show|promote|register> [options]

  trellis model list                          ${REGISTRY_COMMANDS.list}
  trellis model show <name | name@ref>        ${REGISTRY_COMMANDS.show}
  trellis model promote <name@version> <alias>  ${REGISTRY_COMMANDS.promote}
  trellis model register <dir> <name>         ${REGISTRY_COMMANDS.register}

Options:
  --warehouse <url>   the registry's warehouse: postgres://… or embedded:<folder>
                      (default: the TRELLIS_WAREHOUSE environment variable)
  --schema <name>     the registry's schema (default trellis_registry)
  --json              print JSON instead of text
  -h, --help          show this help
`;

function versionJson(v: ModelVersion): Record<string, unknown> {
  return { ...v, createdAt: v.createdAt.toISOString(), deletedAt: v.deletedAt?.toISOString() ?? null };
}

/**
 * Runs one registry verb with its arguments and returns the exit status.
 * @example await runRegistryCommand("list", ["--warehouse", "embedded:.trellis/warehouse"], { stdout: process.stdout, stderr: process.stderr })
 */
export async function runRegistryCommand(verb: string, args: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        warehouse: { type: "string" },
        schema: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    io.stderr.write(`trellis model ${verb}: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!(verb in REGISTRY_COMMANDS)) {
    io.stderr.write(`trellis model: unknown command ${JSON.stringify(verb)}.\n\n${HELP}`);
    return 2;
  }
  const expected = { list: 0, show: 1, promote: 2, register: 2 }[verb as keyof typeof REGISTRY_COMMANDS]!;
  if (positionals.length !== expected) {
    io.stderr.write(`trellis model ${verb}: expected ${expected} argument${expected === 1 ? "" : "s"}, got ${positionals.length}.\n\n${HELP}`);
    return 2;
  }
  const url = values.warehouse ?? (io.env ?? process.env).TRELLIS_WAREHOUSE;
  if (!url) {
    io.stderr.write(`trellis model ${verb}: no warehouse given; pass --warehouse <url> or set TRELLIS_WAREHOUSE.\n`);
    return 2;
  }
  let registry: ModelRegistry | undefined;
  try {
    registry = await ModelRegistry.open(url, values.schema ? { schema: values.schema } : {});
    const out = (text: string): number => {
      io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      return 0;
    };
    if (verb === "list") {
      const models = await registry.listModels();
      if (values.json) return out(JSON.stringify(models.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() }))));
      if (!models.length) return out(`no models are registered in ${redactUrl(url)}`);
      const rows = models.map((m) => ({
        name: m.name,
        latest: m.latestVersion,
        versions: m.versions,
        aliases: Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(", "),
      }));
      return out(formatTable(tableFromRows(rows)));
    }
    if (verb === "show") {
      const target = positionals[0]!;
      if (!target.includes("@")) {
        const versions = await registry.listVersions(target);
        if (!versions.length) throw new InvalidArgumentError(`no model named ${JSON.stringify(target)} is registered in ${redactUrl(url)}.`);
        if (values.json) return out(JSON.stringify(versions.map(versionJson)));
        const rows = versions.map((v) => ({
          version: v.version,
          status: v.status,
          created: v.createdAt.toISOString(),
          aliases: v.aliases.join(", "),
          digest: v.digest.slice(0, 12),
          run: v.runId ?? "",
        }));
        return out(formatTable(tableFromRows(rows), { title: `model ${target}` }));
      }
      const v = await registry.getVersion(target);
      const lineage = await registry.lineage(`${v.name}@${v.version}`);
      if (values.json) return out(JSON.stringify({ ...versionJson(v), lineage }));
      const lines = [
        `model ${v.name} version ${v.version} (${v.status})`,
        `  digest       ${v.digest}`,
        `  estimator    ${v.estimator} (${v.task})`,
        `  created      ${v.createdAt.toISOString()}`,
        `  aliases      ${v.aliases.join(", ") || "none"}`,
        `  run          ${v.runId ?? "none"}`,
        `  features     ${lineage.featureViews.map((f) => `${f.name} v${f.version}`).join(", ") || "none recorded"}`,
        `  training     ${lineage.trainingData ? `${lineage.trainingData.rows} rows, digest ${lineage.trainingData.digest.slice(0, 12)}…` : "not recorded"}`,
        `  metrics      ${Object.entries(v.metrics).map(([k, m]) => `${k}=${m}`).join(", ") || "none"}`,
        `  tags         ${Object.entries(v.tags).map(([k, t]) => `${k}=${t}`).join(", ") || "none"}`,
      ];
      return out(lines.join("\n"));
    }
    if (verb === "promote") {
      const ref = parseModelRef(positionals[0]!);
      if (typeof ref.selector !== "number") {
        throw new InvalidArgumentError(`promote takes a version number (e.g. ${ref.name}@3), got ${JSON.stringify(positionals[0])}.`);
      }
      const move = await registry.setAlias(ref.name, positionals[1]!, ref.selector);
      if (values.json) return out(JSON.stringify({ name: ref.name, ...move, at: move.at.toISOString() }));
      return out(`${ref.name}@${move.alias} now points at version ${move.to}${move.from === null ? "" : ` (was ${move.from})`}`);
    }
    const registered = await registry.register(positionals[1]!, positionals[0]!);
    if (values.json) return out(JSON.stringify(registered));
    return out(
      registered.created
        ? `registered ${registered.name} version ${registered.version} (digest ${registered.digest.slice(0, 12)}…)`
        : `${registered.name} version ${registered.version} already holds this artifact (digest ${registered.digest.slice(0, 12)}…)`,
    );
  } catch (err) {
    io.stderr.write(`trellis model ${verb}: ${err instanceof TrellisError ? err.message : String((err as Error)?.stack ?? err)}\n`);
    return 1;
  } finally {
    await registry?.close().catch(() => undefined);
  }
}
