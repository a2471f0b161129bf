/**
 * `trellis model drift <ref> --from <source>`: the drift report of a source against a model's
 * reference profile, from a shell or a scheduler. Exit status 0 when no column drifts, 1 when a
 * column drifts (or is missing from the source, or of another type), 2 on a usage error or when the
 * check could not run (unreadable source, unknown model); errors go to stderr.
 */
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { InvalidArgumentError, TrellisError, escapeHtml, redactUrl, type MoveEndpoint } from "@trellis/shared";
import { driftReport, type DriftReport, type DriftThresholds } from "../monitor/drift";
import type { ReferenceProfile } from "../monitor/profile";
import { monitor, type MonitoredModel } from "../monitor/store";

/** Where a command writes: results on stdout, messages and errors on stderr. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** What the command needs to find a model by reference. */
export interface ModelResolveContext {
  /** The `--warehouse` URL, when given (where a registry lives). */
  warehouse?: string;
  /** The `--reference` path, when given. */
  reference?: string;
}

/** Options of {@link runDriftCommand}. */
export interface DriftCommandOptions {
  /**
   * Resolves `<ref>` to a model (e.g. a registry reference such as `churn@production`). Without it,
   * `<ref>` must be an artifact folder holding `reference.json`, or `--reference` must be given.
   */
  resolveModel?: (ref: string, context: ModelResolveContext) => Promise<MonitoredModel>;
}

/** The help text of `trellis model drift`. */
export const DRIFT_HELP = `Usage: trellis model drift <ref> --from <source> [options]

Compares <source> with the reference profile of the model <ref> (an artifact folder holding
reference.json, or a registry reference such as churn@production) column by column: PSI over the
reference's decile and category bins, null rates, values out of range, unseen categories.

Exit status: 0 no column drifts; 1 a column drifts, or is missing from the source, or has another
type; 2 usage error, or the check could not run.

Options:
  --from <source>          the data to check: postgres://…#table, embedded:<folder>#table,
                           a Parquet file or folder, .csv, .json/.jsonl, .arrow
  --query "<sql>"          read the result of this query from the --from warehouse URL
  --reference <path>       reference.json, or an artifact folder holding it (default: from <ref>)
  --columns a,b,c          check only these columns
  --warn <psi>             PSI from which a column is "warn" (default 0.1)
  --drift <psi>            PSI from which a column is "drift" (default 0.25)
  --min-rows <n>           fewer rows than this say "insufficient data" (default 100)
  --batch-size <n>         rows per batch read from the source (default 65536)
  --warehouse <url>        append the report to this warehouse's monitoring tables
  --window-start <time>    with --warehouse: the start of the period the source covers (ISO-8601)
  --window-end <time>      with --warehouse: its end
  --json                   print the report as JSON instead of a table
  --html <file>            also write the report as a self-contained HTML page
  -h, --help               show this help

Examples:
  trellis model drift models/churn --from lake/predictions/day=2025-06-01
  trellis model drift churn@production --from "postgres://app@db/wh#predictions" --warehouse postgres://app@db/wh
  trellis model drift churn --reference models/churn/reference.json --from today.csv --json
`;

/** A usage error: exit status 2 with the message and a pointer to --help. */
class UsageError extends Error {}

function parseNumber(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (integer && (!Number.isInteger(n) || n < 0))) {
    throw new UsageError(`${flag} must be ${integer ? "a whole number ≥ 0" : "a number"}, got ${JSON.stringify(v)}.`);
  }
  return n;
}

function parseList(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(",").map((s) => s.trim());
  if (items.some((s) => s.length === 0)) throw new UsageError(`${flag} ${JSON.stringify(v)} has an empty name; give a comma-separated list such as "a,b".`);
  return items;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InvalidArgumentError(`cannot read ${what} ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`${what} ${path} is not valid JSON: ${(e as Error).message}.`);
  }
}

/** Reads a reference profile from reference.json or an artifact folder holding it. */
async function readReference(path: string): Promise<ReferenceProfile> {
  const file = (await isDirectory(path)) ? join(path, "reference.json") : path;
  return (await readJsonFile(file, "the reference profile")) as ReferenceProfile;
}

/** The model name, version and digest an artifact folder's manifest.json states, when it has one. */
async function readManifest(dir: string): Promise<{ name?: string; version?: string | number; digest?: string }> {
  const file = join(dir, "manifest.json");
  try {
    await stat(file);
  } catch {
    return {};
  }
  const m = (await readJsonFile(file, "the manifest")) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.length ? v : undefined);
  return {
    name: str(m.name),
    version: typeof m.version === "number" ? m.version : str(m.version),
    digest: str(m.digest),
  };
}

/**
 * Resolves `<ref>` without a registry: a folder holding `reference.json` (a model artifact or just a
 * profile), or any name with `--reference`.
 */
export async function defaultResolve(ref: string, context: ModelResolveContext): Promise<MonitoredModel> {
  const dir = (await isDirectory(ref)) ? ref : undefined;
  if (!dir && !context.reference) {
    throw new UsageError(
      `cannot find the model ${JSON.stringify(ref)}: it is not an artifact folder, and registry references need the model registry of @trellis/prod; give the artifact folder, or --reference <reference.json>.`,
    );
  }
  const manifest = dir ? await readManifest(dir) : {};
  const reference = await readReference(context.reference ?? dir!);
  return {
    name: manifest.name ?? (dir ? basename(dir.replace(/[\\/]+$/, "")) : ref),
    version: manifest.version ?? null,
    digest: manifest.digest ?? null,
    reference,
  };
}

function exitStatus(report: DriftReport): number {
  const s = report.summary;
  return s.columnsDrifting > 0 || s.columnsMissing > 0 || s.columnsMistyped > 0 ? 1 : 0;
}

/**
 * Runs `trellis model drift` with the arguments after `drift` and returns the exit status
 * (0 no drift, 1 drift, 2 usage error or failure). Writes the report to `io.stdout`, errors to
 * `io.stderr`; never exits the process itself.
 * @example
 * process.exitCode = await runDriftCommand(["models/churn", "--from", "lake/predictions", "--json"]);
 */
export async function runDriftCommand(
  argv: readonly string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr },
  options: DriftCommandOptions = {},
): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        allowPositionals: true,
        strict: true,
        options: {
          from: { type: "string" },
          query: { type: "string" },
          reference: { type: "string" },
          columns: { type: "string" },
          warn: { type: "string" },
          drift: { type: "string" },
          "min-rows": { type: "string" },
          "batch-size": { type: "string" },
          warehouse: { type: "string" },
          "window-start": { type: "string" },
          "window-end": { type: "string" },
          json: { type: "boolean" },
          html: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(DRIFT_HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new UsageError(`trellis model drift needs one model reference, got ${positionals.length}; e.g. trellis model drift models/churn --from lake/predictions.`);
    }
    if (values.from === undefined) throw new UsageError("trellis model drift needs --from <source>, the data to check.");
    const thresholds: Partial<DriftThresholds> = {};
    const warn = parseNumber(values.warn, "--warn", false);
    const drift = parseNumber(values.drift, "--drift", false);
    if (warn !== undefined) thresholds.warn = warn;
    if (drift !== undefined) thresholds.drift = drift;
    const minRows = parseNumber(values["min-rows"], "--min-rows", true);
    const batchSize = parseNumber(values["batch-size"], "--batch-size", true);
    if (batchSize === 0) throw new UsageError(`--batch-size must be a positive whole number, got "0".`);
    const columns = parseList(values.columns, "--columns");
    if ((values["window-start"] !== undefined || values["window-end"] !== undefined) && values.warehouse === undefined) {
      throw new UsageError("--window-start and --window-end describe a report stored with --warehouse; add --warehouse <url>.");
    }
    let current: MoveEndpoint = values.from;
    if (values.query !== undefined) {
      if (!/^postgres(ql)?:\/\//i.test(values.from) && !values.from.startsWith("embedded:")) {
        throw new UsageError(`--query needs a warehouse URL in --from (postgres://… or embedded:…), got ${JSON.stringify(values.from)}.`);
      }
      current = { warehouse: values.from.replace(/#.*$/, ""), query: values.query };
    }

    const resolve = options.resolveModel ?? defaultResolve;
    const model = await resolve(positionals[0]!, { warehouse: values.warehouse, reference: values.reference });
    const reference = values.reference !== undefined && options.resolveModel ? await readReference(values.reference) : model.reference;
    if (!reference) {
      throw new InvalidArgumentError(`the model ${JSON.stringify(model.name)} has no reference profile; give one with --reference <reference.json>.`);
    }
    const common = {
      current,
      columns,
      thresholds: Object.keys(thresholds).length ? thresholds : undefined,
      minRows,
      batchSize,
    };
    let report: DriftReport;
    if (values.warehouse !== undefined) {
      const result = await monitor({
        ...common,
        model: { name: model.name, version: model.version ?? null, digest: model.digest ?? null, reference },
        warehouse: values.warehouse,
        window: { start: values["window-start"], end: values["window-end"] },
      });
      report = result.report;
      io.stderr.write(`trellis: drift report ${result.id} recorded in ${redactUrl(values.warehouse)}\n`);
    } else {
      report = await driftReport({ ...common, reference });
    }
    if (values.html !== undefined) {
      // Written beside the target and renamed into place: a reader never sees half a page.
      const tmp = `${values.html}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, `<!doctype html><meta charset="utf-8"><title>Drift report: ${escapeHtml(model.name)}</title>${report.toHTML()}\n`);
        await rename(tmp, values.html);
      } catch (e) {
        await rm(tmp, { force: true });
        throw new InvalidArgumentError(`cannot write the HTML report to ${values.html}: ${(e as Error).message}.`);
      }
    }
    io.stdout.write(values.json ? `${JSON.stringify(report.toJSON(), null, 2)}\n` : `${report.toString()}\n`);
    return exitStatus(report);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`trellis model drift: ${e.message}\nRun "trellis model drift --help" for usage.\n`);
      return 2;
    }
    if (e instanceof TrellisError) {
      io.stderr.write(`trellis model drift: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`trellis model drift: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 2;
  }
}
