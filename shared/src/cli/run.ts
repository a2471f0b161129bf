/**
 * The `trellis` command line: `trellis move <from> <to> [options]`. Errors Trellis throws on purpose
 * print their message (no stack trace) and exit with code 1.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { InvalidArgumentError, TrellisError } from "../errors";
import type { Predicate } from "../frame/filter";
import { move, type MoveEndpoint, type MoveOptions } from "../io/move";
import { createProgressBar, formatCount, type ProgressOutput } from "../io/progress";
import { parseFilterExpression } from "./filter-expression";

/** Where the command line writes: stdout for results, stderr for progress and errors. */
export interface CliIo {
  stdout: ProgressOutput;
  stderr: ProgressOutput;
}

const MAIN_HELP = `Usage: trellis <command> [options]

Commands:
  move <from> <to>   Copy data between a warehouse, Parquet, CSV, JSON and Arrow files
  model <command>    Inspect and verify model artifacts (needs @trellis/prod installed)

Run "trellis move --help" for the options of move.
`;

const MOVE_HELP = `Usage: trellis move <from> <to> [options]

Copies rows from <from> to <to>, streaming batch by batch; the destination appears only when
the whole move succeeded.

Endpoints:
  postgres://user@host:5432/db#schema.table   a table on a PostgreSQL server
  embedded:<folder>#table                      a table in an embedded warehouse folder
  data.parquet | lake/folder                   a Parquet file, or a hive-partitioned folder
  data.csv | data.tsv                          CSV (header row; types guessed)
  data.json | data.jsonl | data.ndjson         a JSON array, or JSON Lines
  data.arrow | data.arrows                     an Arrow IPC file, or stream
  csv:<path>, parquet:<path>, json:<path>, jsonl:<path>, arrow:<path>   force a format

Options:
  --columns a,b,c         move only these columns, in this order
  --filter "<expr>"       keep rows matching expr; repeat for AND. Examples:
                          "amount>=10"  "region='emea'"  "segment in (gold,silver)"  "note is null"
  --query "<sql>"         read the result of this SQL query from the <from> warehouse URL
  --partition-by a,b      Parquet destination: partition folders by these columns
  --compression <codec>   Parquet destination: snappy (default), zstd, gzip, brotli, lz4, uncompressed
  --mode <mode>           warehouse destination: append (default), replace or upsert
  --key a,b               warehouse destination: key columns of an upsert
  --batch-size <n>        rows per batch (default 65536)
  -q, --quiet             no progress bar and no summary line
  -h, --help              show this help

Examples:
  trellis move embedded:.trellis/warehouse#orders lake/orders --partition-by region
  trellis move lake/orders orders.csv --columns order_id,amount --filter "amount>=100"
  trellis move events.jsonl "postgres://app@db/wh#events" --mode replace
`;

function list(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(",").map((s) => s.trim());
  if (items.some((s) => s.length === 0)) {
    throw new InvalidArgumentError(`${flag} ${JSON.stringify(v)} has an empty name; give a comma-separated list such as "a,b".`);
  }
  return items;
}

async function moveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      columns: { type: "string" },
      filter: { type: "string", multiple: true },
      query: { type: "string" },
      "partition-by": { type: "string" },
      compression: { type: "string" },
      mode: { type: "string" },
      key: { type: "string" },
      "batch-size": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout.write(MOVE_HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new InvalidArgumentError(
      `trellis move needs a source and a destination, got ${positionals.length} argument(s); e.g. trellis move lake/orders orders.csv (see trellis move --help).`,
    );
  }
  const [fromArg, to] = positionals;
  let from: MoveEndpoint = fromArg;
  if (values.query !== undefined) {
    if (!/^postgres(ql)?:\/\//i.test(fromArg) && !fromArg.startsWith("embedded:")) {
      throw new InvalidArgumentError(`--query needs a warehouse URL as the source (postgres://… or embedded:…), got ${JSON.stringify(fromArg)}.`);
    }
    from = { warehouse: fromArg.replace(/#.*$/, ""), query: values.query };
  }
  let batchSize: number | undefined;
  if (values["batch-size"] !== undefined) {
    batchSize = Number(values["batch-size"]);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`--batch-size must be a positive integer, got ${JSON.stringify(values["batch-size"])}.`);
    }
  }
  const filter: Predicate[] = (values.filter ?? []).map(parseFilterExpression);
  const mode = values.mode;
  if (mode !== undefined && mode !== "append" && mode !== "replace" && mode !== "upsert") {
    throw new InvalidArgumentError(`--mode must be append, replace or upsert, got ${JSON.stringify(mode)}.`);
  }
  const options: MoveOptions = {};
  const columns = list(values.columns, "--columns");
  if (columns) options.columns = columns;
  if (filter.length) options.filter = filter;
  const partitionBy = list(values["partition-by"], "--partition-by");
  if (partitionBy) options.partitionBy = partitionBy;
  if (values.compression !== undefined) options.compression = values.compression as MoveOptions["compression"];
  if (mode) options.mode = mode;
  const key = list(values.key, "--key");
  if (key) options.key = key;
  if (batchSize) options.batchSize = batchSize;
  const bar = createProgressBar({ output: io.stderr, label: "trellis move: " });
  if (!values.quiet && bar.active) options.onProgress = (p) => bar.update(p);
  const result = await move(from, to, options);
  if (!values.quiet) bar.done(result);
  if (!bar.active && !values.quiet) {
    // Not a terminal: one plain line on stdout for logs and scripts.
    io.stdout.write(`moved ${formatCount(result.rows)} rows in ${result.seconds.toFixed(2)} s\n`);
  }
  return 0;
}

/**
 * The module of @trellis/prod that implements `trellis model …`. @trellis/shared never depends on
 * @trellis/prod: the command is looked up when it is run, first from the working folder's project,
 * then from where this package is installed.
 */
const PROD_CLI_MODULE = "@trellis/prod/cli";

interface ProdCli {
  runModelCommand(args: readonly string[], io: CliIo): Promise<number>;
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED";
}

async function loadProdCli(): Promise<ProdCli | null> {
  const attempts: (() => Promise<unknown>)[] = [
    async () => import(pathToFileURL(createRequire(join(process.cwd(), "package.json")).resolve(PROD_CLI_MODULE)).href),
    async () => import(PROD_CLI_MODULE),
  ];
  for (const attempt of attempts) {
    try {
      const mod = (await attempt()) as Partial<ProdCli> & { default?: Partial<ProdCli> };
      const run = mod.runModelCommand ?? mod.default?.runModelCommand;
      if (typeof run === "function") return { runModelCommand: run };
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return null;
}

async function modelCommand(args: string[], io: CliIo): Promise<number> {
  const cli = await loadProdCli();
  if (!cli) {
    io.stderr.write(
      "trellis: the model commands come with @trellis/prod, which is not installed here; install it in your project (npm install @trellis/prod) and run the command again.\n",
    );
    return 1;
  }
  return cli.runModelCommand(args, io);
}

/**
 * Runs the command line with `argv` (without `node` and the script) and returns the exit code.
 * @example
 * process.exitCode = await runCli(["move", "lake/orders", "orders.csv"]);
 */
export async function runCli(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      io.stdout.write(MAIN_HELP);
      return command === undefined ? 1 : 0;
    }
    if (command === "move") return await moveCommand(rest, io);
    if (command === "model") return await modelCommand(rest, io);
    io.stderr.write(`trellis: unknown command ${JSON.stringify(command)}.\n\n${MAIN_HELP}`);
    return 1;
  } catch (e) {
    if (e instanceof TrellisError) {
      io.stderr.write(`${io.stderr.isTTY ? "\n" : ""}trellis: ${e.message}\n`);
      return 1;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`trellis: ${(e as Error).message}\nRun "trellis ${command} --help" for usage.\n`);
      return 1;
    }
    io.stderr.write(`trellis: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
