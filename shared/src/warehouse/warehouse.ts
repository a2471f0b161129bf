import { randomBytes } from "node:crypto";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import * as arrow from "apache-arrow";
import pg from "pg";
import { InvalidArgumentError, SchemaMismatchError, WarehouseError, redactUrl } from "../errors";
import { type Filter, filterToSql, validateFilter } from "../frame/filter";
import { COPY_HEADER, COPY_TRAILER, CopyBinaryDecoder, CopyBinaryEncoder, batchFromTextRows, canEncode, naturalKind } from "./copy-binary";
import { quoteIdent, quoteTableName, splitTableName } from "./identifiers";
import { unwrapTable, type WithTable } from "../frame/table-like";
import { type FolderLock, lockFolder } from "./lock";
import { LiteSession, PgPoolSession, type RawField, type Session, watchPool, wrapError } from "./session";
import { K, type Kind, arrowTypeOfKind, arrowTypeToPg, kindOfOid } from "./types";

/** How {@link Warehouse.load} treats rows already in the target table. */
export type LoadMode = "append" | "replace" | "upsert";

/** Options of {@link Warehouse.load}. */
export interface LoadOptions {
  /**
   * `"append"` (default) adds the rows; `"replace"` swaps in a new table holding exactly these rows
   * (built from the Arrow schema; the old table's indexes and grants go with it); `"upsert"` inserts
   * new keys and updates the other columns of existing keys.
   */
  mode?: LoadMode;
  /** Key column(s) for `"upsert"` (required there). */
  key?: string | string[];
}

/** Options of {@link Warehouse.stream}. */
export interface StreamOptions {
  /** Rows per RecordBatch (default 65536). */
  batchSize?: number;
}

/** What to read from a table: a column subset and a row filter (AND of predicates). */
export interface ReadTableOptions {
  columns?: string[];
  filter?: Filter;
}

/** Options of {@link Warehouse.open}. */
export interface WarehouseOpenOptions {
  /** Maximum connections of the server pool (default 10). Ignored for embedded warehouses. */
  poolSize?: number;
}

/**
 * One interface over a PostgreSQL server (a `pg` pool) and an embedded PGlite database: SQL in,
 * Apache Arrow out, bulk loads from Arrow. Values always travel as bound parameters; table and
 * column names are validated and quoted ({@link quoteIdent}). Types map as documented in
 * `warehouse/types.ts` (int8 → Int64 as bigint, timestamps → Timestamp(µs, "UTC")).
 * @example
 * const wh = await Warehouse.open("embedded:memory");
 * await wh.load(arrow.tableFromArrays({ id: Int32Array.from([1, 2]) }), "t");
 * const t = await wh.query("SELECT id FROM t WHERE id > $1", [1]); // 1 row
 * await wh.close();
 */
export interface Warehouse {
  /** `"postgres"` for a server, `"embedded"` for PGlite. */
  readonly kind: "postgres" | "embedded";
  /** The URL it was opened with, password redacted. */
  readonly url: string;
  /**
   * Runs one SQL statement with `$1…` parameters and returns the rows as an Arrow table, typed by
   * the result's column types. Large reads take binary COPY: on a server a parameterless
   * SELECT/WITH/VALUES/TABLE goes straight through COPY, and a parameterised one that returns more
   * than 1,000 rows runs again through a temporary table read by COPY (a smaller result comes back
   * in one round trip, as with `pg`); on PGlite parameterless reads use COPY. Other statements (DDL,
   * DML with RETURNING, SHOW…) run once as written. The table is the same whichever path.
   * @example
   * const t = await wh.query("SELECT count(*) AS n FROM orders WHERE region = $1", ["emea"]);
   * t.get(0)?.n; // 42n (count is bigint)
   */
  query(sql: string, params?: readonly unknown[]): Promise<arrow.Table>;
  /**
   * Runs a statement (or, without parameters, a script of several) and returns the rows affected
   * by the last one (0 when not applicable).
   * @example
   * await wh.exec("DELETE FROM orders WHERE day < $1", [new Date("2024-01-01")]); // e.g. 120
   */
  exec(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Streams a query or a table as record batches with bounded memory (binary COPY decoded
   * chunk by chunk on a server; a cursor on PGlite).
   * @example
   * for await (const batch of wh.stream({ table: "events", columns: ["id", "ts"] }, { batchSize: 10_000 })) {
   *   console.log(batch.numRows);
   * }
   */
  stream(sqlOrTable: string | ({ table: string } & ReadTableOptions), opts?: StreamOptions): AsyncIterable<arrow.RecordBatch>;
  /**
   * Reads a whole table (optionally some columns and a filter) into an Arrow table by binary COPY.
   * @example
   * const t = await wh.readTable("events", { columns: ["id"], filter: [["id", ">", 10]] });
   */
  readTable(table: string, opts?: ReadTableOptions): Promise<arrow.Table>;
  /**
   * Bulk-loads Arrow data into `target` by binary COPY, creating the table from the Arrow schema
   * when it does not exist. Atomic: on any error, nothing of this load stays. `data` may also be the
   * `{ table, inferred }` result of `readCsv` / `readJson`.
   * @example
   * await wh.load(table, "analytics.orders", { mode: "upsert", key: "order_id" }); // { rows: 1000 }
   */
  load(data: arrow.Table | WithTable | AsyncIterable<arrow.RecordBatch>, target: string, opts?: LoadOptions): Promise<{ rows: number }>;
  /**
   * Whether a table (or view) of that name exists (resolved through the search path).
   * @example
   * await wh.tableExists("orders"); // true
   */
  tableExists(table: string): Promise<boolean>;
  /**
   * The Arrow schema a read of the table returns (nullable = no NOT NULL constraint).
   * @example
   * (await wh.tableSchema("orders")).fields.map((f) => f.name); // ["order_id", "amount"]
   */
  tableSchema(table: string): Promise<arrow.Schema>;
  /**
   * Runs `fn` in one transaction (a savepoint when nested); commits when it resolves, rolls back
   * when it throws. Use the `tx` warehouse inside, not the outer one.
   * @example
   * await wh.transaction(async (tx) => { await tx.exec("DELETE FROM t"); await tx.load(data, "t"); });
   */
  transaction<T>(fn: (tx: Warehouse) => Promise<T>): Promise<T>;
  /**
   * Closes the pool or the embedded database and releases the folder lock. Idempotent.
   * @example
   * await wh.close();
   */
  close(): Promise<void>;
}

const DEFAULT_BATCH = 65536;
/** A single statement that only reads (after leading comments): SELECT, WITH, VALUES, TABLE. */
const READ_STATEMENT = /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:\(\s*)*(?:select|with|values|table)\b[^;]*;?\s*$/i;
/**
 * Words that make a SELECT/WITH write or create (`WITH … INSERT`, `SELECT … INTO`, `FOR UPDATE`,
 * sequences): such statements run once, as written, on the plain path. A word inside a string or a
 * quoted name only costs the faster path.
 */
const WRITES = /\b(insert|update|delete|merge|into|nextval|setval|share)\b/i;
/** Rows a parameterised read takes in its first round trip before switching to binary COPY. */
let probeRows = 1000;

/** Sets the row count of the first round trip of a parameterised `query`; returns the previous one. @internal (tests) */
export function setQueryProbeRows(rows: number): number {
  const previous = probeRows;
  probeRows = rows;
  return previous;
}

/**
 * The column types of a temporary table that holds a result, from the result's type OIDs. Without a
 * type modifier most types are unbounded, but `character` and `bit` would mean length 1: those
 * become `bpchar` and `bit varying` (same values, same text form).
 */
const COLUMN_TYPES_SQL = `SELECT CASE t.oid WHEN 1042 THEN 'bpchar' WHEN 1014 THEN 'bpchar[]' WHEN 1560 THEN 'bit varying' WHEN 1561 THEN 'bit varying[]'
  ELSE pg_catalog.format_type(t.oid, NULL) END FROM unnest($1::oid[]) WITH ORDINALITY AS t(oid, n) ORDER BY t.n`;

/** Errors already named after their operation (so an enclosing transaction leaves them alone). */
const named = new WeakSet<object>();

/** Prefixes a {@link WarehouseError}'s message with the operation, once, keeping cause and SQLSTATE. */
function nameError(op: string, err: unknown): unknown {
  if (!(err instanceof WarehouseError) || named.has(err)) return err;
  if (err.message.startsWith(`${op}:`)) {
    named.add(err);
    return err;
  }
  const wrapped = new WarehouseError(`${op}: ${err.message}`, { cause: err.cause, sqlState: err.sqlState });
  named.add(wrapped);
  return wrapped;
}

/** The rows of a plain (text protocol) result as an Arrow table. */
function textTable(res: { fields: RawField[]; rows: unknown[][] }): arrow.Table {
  const fields = res.fields.map(fieldKind);
  if (fields.length === 0) return new arrow.Table();
  return new arrow.Table(batchFromTextRows(fields, res.rows));
}

/** Reads a planned read to the end into one table. */
async function collect(read: { schema: arrow.Schema; batches: AsyncIterable<arrow.RecordBatch> }): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = [];
  for await (const b of read.batches) batches.push(b);
  return batches.length ? new arrow.Table(read.schema, batches) : new arrow.Table(read.schema);
}

class SessionWarehouse implements Warehouse {
  private closed = false;
  constructor(
    private readonly session: Session,
    readonly kind: "postgres" | "embedded",
    readonly url: string,
    private readonly closer: (() => Promise<void>) | null,
  ) {}

  private get label(): string {
    return this.url;
  }

  private check(): void {
    if (this.closed) throw new WarehouseError(`warehouse ${this.label} is closed; open it again with Warehouse.open().`);
  }

  async query(sql: string, params?: readonly unknown[]): Promise<arrow.Table> {
    this.check();
    checkSql(sql, "query");
    checkParams(params, "query");
    return this.named("query", () => this.runQuery(sql, params ?? []));
  }

  private async runQuery(sql: string, params: readonly unknown[]): Promise<arrow.Table> {
    const session = this.session;
    const read = READ_STATEMENT.test(sql) && !WRITES.test(sql);
    const spec = { sql: sql.replace(/[\s;]+$/, ""), params: [...params] };
    if (session.backend === "postgres" && read && session.describe && session.probe) {
      if (params.length === 0) {
        // Straight to binary COPY: the text protocol costs ~10x per value. The columns come from a
        // describe (Parse + Describe: one round trip, nothing planned or run).
        const fields = await session.describe(spec.sql);
        if (fields !== null) return collect(await this.openRead(spec, DEFAULT_BATCH * 2, false, fields));
      } else {
        // COPY takes no parameters, and its other path (a temporary table) costs several round
        // trips: first run the statement as pg would, reading at most PROBE_ROWS rows. A result that
        // fits is complete in one round trip; a larger one is read again through the temporary table
        // by binary COPY (only the second run's rows are returned, one consistent result).
        const probe = await session.probe(sql, params, probeRows);
        if (probe.complete) return textTable(probe);
        return collect(await this.openRead(spec, DEFAULT_BATCH * 2, false, probe.fields));
      }
    }
    if (session.backend === "embedded" && params.length === 0 && read) {
      // PGlite's text protocol costs microseconds per value; binary COPY decoded here is several
      // times faster for a read (two statements: describe, COPY). Statements COPY cannot wrap fall
      // back to the plain query; parameterised ones stay on it (COPY takes no parameters).
      let opened: Awaited<ReturnType<SessionWarehouse["openRead"]>> | undefined;
      try {
        opened = await this.openRead(spec, DEFAULT_BATCH * 2, false);
      } catch {
        opened = undefined;
      }
      if (opened) return collect(opened);
    }
    return textTable(await session.query(sql, params));
  }

  /**
   * Runs `fn`, naming the public operation in any {@link WarehouseError} it throws (the session's
   * message already names the statement and the URL; the driver's error stays the `cause`).
   */
  private async named<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw nameError(op, err);
    }
  }

  async exec(sql: string, params?: readonly unknown[]): Promise<number> {
    this.check();
    checkSql(sql, "exec");
    checkParams(params, "exec");
    return this.named("exec", async () => (await this.session.query(sql, params)).affected);
  }

  stream(sqlOrTable: string | ({ table: string } & ReadTableOptions), opts: StreamOptions = {}): AsyncIterable<arrow.RecordBatch> {
    this.check();
    const batchSize = checkBatchSize(opts?.batchSize);
    const spec = selectOf(sqlOrTable);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          const read = await self.openRead(spec, batchSize, true);
          yield* read.batches;
        } catch (err) {
          throw nameError("stream", err);
        }
      },
    };
  }

  async readTable(table: string, opts: ReadTableOptions = {}): Promise<arrow.Table> {
    this.check();
    const spec = selectOf({ table, ...opts });
    return this.named(`readTable ${table}`, async () => collect(await this.openRead(spec, DEFAULT_BATCH * 2, false)));
  }

  /**
   * Plans a read: describes the result (unless `described` gives its columns), then streams it by
   * COPY (or by page ranges of a temporary table on PGlite when bounded).
   */
  private async openRead(
    spec: { sql: string; params: unknown[] },
    batchSize: number,
    bounded: boolean,
    described?: readonly RawField[],
  ): Promise<{ schema: arrow.Schema; batches: AsyncIterable<arrow.RecordBatch> }> {
    const raw = described ?? (await this.session.query(`SELECT * FROM (${spec.sql}) AS trellis_q LIMIT 0`, spec.params)).fields;
    const fields = raw.map(fieldKind);
    const schema = new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowTypeOfKind(f.kind), true)));
    const session = this.session;

    if (session.backend === "embedded" && bounded) {
      return { schema, batches: liteChunkedBatches(session, spec, raw, fields, batchSize) };
    }
    // COPY takes no parameters: a parameterised read first lands in a temporary table (values stay
    // bound parameters; the SQL text never contains them).
    const aliases = raw.map((_, i) => `c${i + 1}`);
    const needsWrap = raw.some((f) => kindOfOid(f.oid) === undefined) || new Set(raw.map((f) => f.name)).size !== raw.length;
    const projected = (from: string) =>
      `SELECT ${raw.map((f, i) => (kindOfOid(f.oid) === undefined ? `${aliases[i]}::text` : aliases[i])).join(", ")} FROM ${from}`;
    const batches = async function* (): AsyncGenerator<arrow.RecordBatch> {
      if (raw.length === 0) return;
      if (spec.params.length === 0) {
        const sql = needsWrap ? projected(`(${spec.sql}) AS trellis_q(${aliases.join(", ")})`) : spec.sql;
        yield* decodeCopy(session.copyOut(sql), fields, batchSize);
        return;
      }
      const { session: pinned, release } = await session.acquire();
      const tmp = `trellis_read_${randomBytes(6).toString("hex")}`;
      let dropped = false;
      try {
        // CREATE TABLE AS cannot take parameters either: spell the columns out from the result's types.
        const types = await pinned.query(
          COLUMN_TYPES_SQL,
          [`{${raw.map((f) => f.oid).join(",")}}`],
        );
        const columns = aliases.map((a, i) => `${a} ${String(types.rows[i][0])}`).join(", ");
        await pinned.query(`CREATE TEMPORARY TABLE ${tmp} (${columns})`);
        await pinned.query(`INSERT INTO ${tmp} SELECT * FROM (${spec.sql}) AS trellis_q`, spec.params);
        yield* decodeCopy(pinned.copyOut(projected(tmp)), fields, batchSize);
      } finally {
        // Never let the clean-up hide the error that brought us here. A DROP that fails (the
        // connection is gone, or the transaction is aborted and will roll the CREATE back anyway)
        // leaves the table to its session: a pooled connection is then closed, which drops it.
        dropped = await pinned.query(`DROP TABLE IF EXISTS ${tmp}`).then(
          () => true,
          () => false,
        );
        release(!dropped);
      }
    };
    return { schema, batches: batches() };
  }

  async load(data: arrow.Table | WithTable | AsyncIterable<arrow.RecordBatch>, target: string, opts: LoadOptions = {}): Promise<{ rows: number }> {
    this.check();
    const mode = opts.mode ?? "append";
    if (mode !== "append" && mode !== "replace" && mode !== "upsert") {
      throw new InvalidArgumentError(`load: mode ${JSON.stringify(mode)} is not supported; use "append", "replace" or "upsert".`);
    }
    const qTarget = quoteTableName(target);
    const keys = opts.key === undefined ? [] : Array.isArray(opts.key) ? opts.key : [opts.key];
    if (mode === "upsert" && keys.length === 0) {
      throw new InvalidArgumentError(`load into ${target}: mode "upsert" needs a key, e.g. { mode: "upsert", key: "id" }.`);
    }
    if (mode !== "upsert" && keys.length > 0) {
      throw new InvalidArgumentError(`load into ${target}: key is only used by mode "upsert"; remove it or set mode: "upsert".`);
    }
    const source = await openSource(data, target);
    if (source === null) {
      // An empty stream has no schema: nothing to create or change.
      if (mode === "replace" || !(await this.tableExists(target))) {
        throw new InvalidArgumentError(
          `load into ${target}: the data is an empty stream without a schema; pass an (empty) arrow.Table so the table can be ${mode === "replace" ? "replaced" : "created"}.`,
        );
      }
      return { rows: 0 };
    }
    const schema = source.schema;
    const names = schema.fields.map((f) => f.name);
    names.forEach((n) => quoteIdent(n));
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new InvalidArgumentError(`load into ${target}: column ${JSON.stringify(dup)} appears twice; rename one.`);
    for (const k of keys) {
      if (!names.includes(k)) {
        throw new InvalidArgumentError(`load into ${target}: upsert key ${JSON.stringify(k)} is not a column of the data (columns: ${names.join(", ")}).`);
      }
    }
    for (const f of schema.fields) arrowTypeToPg(f.type);

    // One transaction: a failure (also a lost connection) rolls back the staging table of
    // "replace"/"upsert" and every row of this load.
    return this.named(`load into ${target}`, () => this.session.transaction(async (s) => {
      const exists = await tableExistsOn(s, target);
      if (mode === "replace") {
        const { schema: schemaName, table } = splitTableName(target);
        const staging = stagingName(table);
        const qStaging = schemaName === undefined ? quoteIdent(staging) : `${quoteIdent(schemaName)}.${quoteIdent(staging)}`;
        await s.query(createTableSql(qStaging, schema));
        const rows = await copyBatches(s, qStaging, schema, source.batches, naturalPlan(schema));
        if (exists) await s.query(`DROP TABLE ${qTarget}`);
        await s.query(`ALTER TABLE ${qStaging} RENAME TO ${quoteIdent(table)}`);
        return { rows };
      }
      let created = false;
      if (!exists) {
        await s.query(createTableSql(qTarget, schema));
        created = true;
        if (mode === "upsert") await s.query(`CREATE UNIQUE INDEX ON ${qTarget} (${keys.map(quoteIdent).join(", ")})`);
      }
      const targetCols = await columnsOf(s, target);
      const byName = new Map(targetCols.map((c) => [c.name, c]));
      const unexpected = names.filter((n) => !byName.has(n));
      if (unexpected.length) {
        throw new SchemaMismatchError(`load into ${target}`, { unexpected }, `The table has columns ${targetCols.map((c) => c.name).join(", ")}; drop or rename the extra columns, or use mode "replace".`);
      }
      const direct = schema.fields.every((f) => canEncode(f.type, kindOfOid(byName.get(f.name)!.oid)));
      const colList = names.map(quoteIdent).join(", ");
      if (mode === "append" && direct) {
        const plan = schema.fields.map((f) => ({ name: f.name, type: f.type, kind: kindOfOid(byName.get(f.name)!.oid)! }));
        const rows = await copyBatches(s, `${qTarget} (${colList})`, schema, source.batches, plan);
        return { rows };
      }
      // Through a temporary staging table with the data's natural types, then one INSERT … SELECT
      // that casts to the target's column types (and resolves conflicts for upsert).
      const staging = `trellis_stage_${randomBytes(6).toString("hex")}`;
      await s.query(`${createTableSql(quoteIdent(staging), schema).replace(/^CREATE TABLE/, "CREATE TEMPORARY TABLE")} ON COMMIT DROP`);
      const rows = await copyBatches(s, quoteIdent(staging), schema, source.batches, naturalPlan(schema));
      const select = names.map((n) => `CAST(${quoteIdent(n)} AS ${byName.get(n)!.typeSql})`).join(", ");
      let sql = `INSERT INTO ${qTarget} (${colList}) SELECT ${select} FROM ${quoteIdent(staging)}`;
      if (mode === "upsert") {
        const rest = names.filter((n) => !keys.includes(n));
        sql += ` ON CONFLICT (${keys.map(quoteIdent).join(", ")}) DO ${
          rest.length ? `UPDATE SET ${rest.map((n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`).join(", ")}` : "NOTHING"
        }`;
      }
      try {
        await s.query(sql);
      } catch (err) {
        if (mode === "upsert" && err instanceof WarehouseError && err.sqlState === "42P10") {
          throw new WarehouseError(
            `load into ${target}: upsert needs a unique index or primary key on (${keys.join(", ")})${created ? "" : "; create one, e.g. CREATE UNIQUE INDEX ON " + qTarget + " (" + keys.map(quoteIdent).join(", ") + ")"}.`,
            { cause: err, sqlState: err.sqlState },
          );
        }
        if (mode === "upsert" && err instanceof WarehouseError && err.sqlState === "21000") {
          throw new WarehouseError(`load into ${target}: the data holds the same key (${keys.join(", ")}) more than once; deduplicate it before an upsert.`, {
            cause: err,
            sqlState: err.sqlState,
          });
        }
        throw err;
      }
      return { rows };
    }));
  }

  async tableExists(table: string): Promise<boolean> {
    this.check();
    quoteTableName(table);
    return this.named(`tableExists ${table}`, () => tableExistsOn(this.session, table));
  }

  async tableSchema(table: string): Promise<arrow.Schema> {
    this.check();
    quoteTableName(table);
    const cols = await this.named(`tableSchema ${table}`, () => columnsOf(this.session, table));
    if (cols.length === 0 && !(await this.named(`tableSchema ${table}`, () => tableExistsOn(this.session, table)))) {
      throw new WarehouseError(`table ${JSON.stringify(table)} does not exist in ${this.label}; check the name (and schema) or create it with load().`, {
        sqlState: "42P01",
      });
    }
    return new arrow.Schema(cols.map((c) => new arrow.Field(c.name, arrowTypeOfKind(kindOfOid(c.oid) ?? K.TEXT), !c.notNull)));
  }

  async transaction<T>(fn: (tx: Warehouse) => Promise<T>): Promise<T> {
    this.check();
    if (typeof fn !== "function") throw new InvalidArgumentError("transaction: expected a function (tx) => Promise<T>.");
    // Errors of the operations inside are already named; what is left (BEGIN, COMMIT) is the transaction's.
    return this.named("transaction", () => this.session.transaction((s) => fn(new SessionWarehouse(s, this.kind, this.url, null))));
  }

  async close(): Promise<void> {
    if (this.closer === null) {
      throw new InvalidArgumentError("close: this is the warehouse of a transaction; close the warehouse you opened instead.");
    }
    if (this.closed) return;
    this.closed = true;
    await this.closer();
  }
}

// ---------------------------------------------------------------------------------------------

function checkSql(sql: unknown, what: string): void {
  if (typeof sql !== "string" || sql.trim() === "") {
    throw new InvalidArgumentError(`${what}: expected a SQL string, got ${typeof sql === "string" ? "an empty string" : typeof sql}.`);
  }
}

function checkParams(params: unknown, what: string): void {
  if (params !== undefined && !Array.isArray(params)) {
    throw new InvalidArgumentError(`${what}: params must be an array of values for $1, $2…, got ${typeof params}.`);
  }
}

function checkBatchSize(n: number | undefined): number {
  if (n === undefined) return DEFAULT_BATCH;
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`stream: batchSize must be a positive integer, got ${String(n)}.`);
  }
  return n;
}

function fieldKind(f: RawField): { name: string; kind: Kind } {
  return { name: f.name, kind: kindOfOid(f.oid) ?? K.TEXT };
}

function selectOf(spec: string | ({ table: string } & ReadTableOptions)): { sql: string; params: unknown[] } {
  if (typeof spec === "string") {
    checkSql(spec, "stream");
    return { sql: spec.replace(/[\s;]+$/, ""), params: [] };
  }
  if (!spec || typeof spec !== "object" || typeof spec.table !== "string") {
    throw new InvalidArgumentError(`expected a SQL string or { table, columns?, filter? }, got ${JSON.stringify(spec)}.`);
  }
  const from = quoteTableName(spec.table);
  if (spec.columns !== undefined && (!Array.isArray(spec.columns) || spec.columns.length === 0)) {
    throw new InvalidArgumentError(`read of ${spec.table}: columns must be a non-empty array of column names (omit it for all columns).`);
  }
  const cols = spec.columns ? spec.columns.map(quoteIdent).join(", ") : "*";
  let sql = `SELECT ${cols} FROM ${from}`;
  let params: unknown[] = [];
  if (spec.filter !== undefined) {
    const filter = validateFilter(spec.filter);
    const where = filterToSql(filter, quoteIdent);
    if (where.sql) sql += ` WHERE ${where.sql}`;
    params = where.params;
  }
  return { sql, params };
}

async function* decodeCopy(
  chunks: AsyncIterable<Uint8Array>,
  fields: readonly { name: string; kind: Kind }[],
  batchSize: number,
): AsyncGenerator<arrow.RecordBatch> {
  const decoder = new CopyBinaryDecoder(fields, batchSize);
  for await (const chunk of chunks) {
    for (const b of decoder.push(chunk)) yield b;
  }
  const last = decoder.end();
  if (last) yield last;
}

/**
 * PGlite has no incremental COPY TO: a bounded stream first materialises the result in a temporary
 * table (on PGlite's own storage, not in JS memory; also a consistent snapshot), then reads it by
 * binary COPY in ranges of heap pages (TID range scans), each range sized to about one batch.
 * Text-protocol reads (a cursor) are ten times slower on PGlite.
 */
async function* liteChunkedBatches(
  session: Session,
  spec: { sql: string; params: unknown[] },
  raw: readonly RawField[],
  fields: readonly { name: string; kind: Kind }[],
  batchSize: number,
): AsyncGenerator<arrow.RecordBatch> {
  if (raw.length === 0) return;
  const tmp = `trellis_stream_${randomBytes(6).toString("hex")}`;
  const aliases = raw.map((_, i) => `c${i + 1}`);
  const types = await session.query(
    COLUMN_TYPES_SQL,
    [`{${raw.map((f) => f.oid).join(",")}}`],
  );
  await session.query(`CREATE TEMPORARY TABLE ${tmp} (${aliases.map((a, i) => `${a} ${String(types.rows[i][0])}`).join(", ")})`);
  try {
    await session.query(`INSERT INTO ${tmp} SELECT * FROM (${spec.sql}) AS trellis_q`, spec.params);
    const size = await session.query(`SELECT (pg_catalog.pg_relation_size('${tmp}') / current_setting('block_size')::int8)::int8`);
    const pages = Number(size.rows[0][0]);
    const select = raw.map((f, i) => (kindOfOid(f.oid) === undefined ? `${aliases[i]}::text` : aliases[i])).join(", ");
    const decoder = new CopyBinaryDecoder(fields, batchSize);
    let step = 16;
    let rowsSeen = 0;
    for (let start = 0; start < pages; start += step) {
      if (start > 0) {
        decoder.nextStream();
        // Size the next range from the rows per page seen so far: about one batch per COPY.
        step = Math.max(1, Math.ceil(batchSize / Math.max(1, rowsSeen / start)));
      }
      const end = start + step;
      const chunks = session.copyOut(`SELECT ${select} FROM ${tmp} WHERE ctid >= '(${start},0)'::tid AND ctid < '(${end},0)'::tid`);
      for await (const chunk of chunks) {
        for (const b of decoder.push(chunk)) yield b;
      }
      rowsSeen = decoder.rows;
      if (end >= pages) break;
    }
    if (pages > 0) {
      const last = decoder.end();
      if (last) yield last;
    }
  } finally {
    await session.query(`DROP TABLE IF EXISTS ${tmp}`).catch(() => undefined);
  }
}

async function tableExistsOn(s: Session, table: string): Promise<boolean> {
  const res = await s.query(
    "SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
    [quoteTableName(table)],
  );
  return res.rows.length > 0;
}

interface TargetColumn {
  name: string;
  oid: number;
  typeSql: string;
  notNull: boolean;
}

async function columnsOf(s: Session, table: string): Promise<TargetColumn[]> {
  const res = await s.query(
    `SELECT a.attname, a.atttypid::int4, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [quoteTableName(table)],
  );
  return res.rows.map((r) => ({
    name: String(r[0]),
    oid: Number(r[1]),
    typeSql: String(r[2]),
    notNull: r[3] === true || r[3] === "t",
  }));
}

function createTableSql(qTable: string, schema: arrow.Schema): string {
  const cols = schema.fields.map((f) => `${quoteIdent(f.name)} ${arrowTypeToPg(f.type)}${f.nullable === false ? " NOT NULL" : ""}`);
  return `CREATE TABLE ${qTable} (${cols.join(", ")})`;
}

function naturalPlan(schema: arrow.Schema): { name: string; type: arrow.DataType; kind: Kind }[] {
  return schema.fields.map((f) => ({ name: f.name, type: f.type, kind: naturalKind(f.type) }));
}

function stagingName(table: string): string {
  const suffix = `__trellis_${randomBytes(4).toString("hex")}`;
  let base = table;
  while (Buffer.byteLength(base + suffix, "utf8") > 63) base = base.slice(0, -1);
  return base + suffix;
}

function describeData(data: unknown): string {
  if (data === null || data === undefined) return String(data);
  if (Array.isArray(data)) return "an array (build an arrow.Table from rows first)";
  if (typeof data === "object") {
    const keys = Object.keys(data);
    return keys.length ? `an object with keys ${keys.slice(0, 5).join(", ")}` : "an empty object";
  }
  return typeof data;
}

/** The data's schema and its batches (the first batch of a stream is read to learn the schema). */
async function openSource(
  data: arrow.Table | WithTable | AsyncIterable<arrow.RecordBatch>,
  target: string,
): Promise<{ schema: arrow.Schema; batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch> } | null> {
  const table = unwrapTable(data);
  if (table instanceof arrow.Table) return { schema: table.schema, batches: table.batches };
  if (!data || typeof (data as AsyncIterable<arrow.RecordBatch>)[Symbol.asyncIterator] !== "function") {
    throw new InvalidArgumentError(
      `load into ${target}: data must be an arrow.Table, the { table } result of readCsv/readJson, or an AsyncIterable of arrow.RecordBatch; got ${describeData(data)}.`,
    );
  }
  const it = (data as AsyncIterable<arrow.RecordBatch>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return null;
  const firstBatch = first.value;
  if (!(firstBatch instanceof arrow.RecordBatch)) {
    throw new InvalidArgumentError(`load into ${target}: the stream yielded ${typeof firstBatch}, expected arrow.RecordBatch.`);
  }
  async function* rest(): AsyncGenerator<arrow.RecordBatch> {
    yield firstBatch;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { schema: firstBatch.schema, batches: rest() };
}

/** Encodes batches (checked against `schema`) and COPYs them into `target`; returns the row count. */
async function copyBatches(
  s: Session,
  target: string,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  plan: { name: string; type: arrow.DataType; kind: Kind }[],
): Promise<number> {
  const encoder = new CopyBinaryEncoder(plan);
  let rows = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield COPY_HEADER;
    let index = 0;
    for await (const batch of batches) {
      checkBatchSchema(batch, schema, index++, target);
      rows += batch.numRows;
      yield* encoder.encode(batch);
    }
    yield COPY_TRAILER;
  }
  const copied = await s.copyIn(target, chunks());
  if (copied !== rows && copied !== 0) {
    throw new WarehouseError(`load into ${target}: COPY reported ${copied} rows, expected ${rows}.`);
  }
  return rows;
}

function checkBatchSchema(batch: arrow.RecordBatch, schema: arrow.Schema, index: number, target: string): void {
  if (!(batch instanceof arrow.RecordBatch)) {
    throw new InvalidArgumentError(`load into ${target}: item ${index} of the stream is not an arrow.RecordBatch.`);
  }
  const a = batch.schema.fields;
  const b = schema.fields;
  const missing = b.filter((f) => !a.some((g) => g.name === f.name)).map((f) => f.name);
  const unexpected = a.filter((f) => !b.some((g) => g.name === f.name)).map((f) => f.name);
  const mistyped = b
    .map((f, i) => ({ f, g: a[i] }))
    .filter(({ f, g }) => g !== undefined && g.name === f.name && !arrow.util.compareTypes(f.type, g.type))
    .map(({ f, g }) => ({ column: f.name, expected: String(f.type), actual: String(g.type) }));
  const misordered = missing.length === 0 && unexpected.length === 0 && a.some((g, i) => g.name !== b[i].name);
  if (missing.length || unexpected.length || mistyped.length || misordered) {
    throw new SchemaMismatchError(
      `batch ${index} of the load into ${target}`,
      { missing, unexpected, mistyped },
      misordered ? "Columns must come in the same order in every batch." : "Every batch must have the schema of the first batch.",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Opening
// ---------------------------------------------------------------------------------------------

/** Session settings every server connection gets so text values parse the same everywhere. */
const SERVER_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c bytea_output=hex -c extra_float_digits=3";

async function openPostgres(url: string, opts: WarehouseOpenOptions): Promise<Warehouse> {
  const shown = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`Warehouse.open: ${shown} is not a valid URL; use postgres://user:password@host:5432/database.`);
  }
  const secret = decodeURIComponent(parsed.password);
  const userOptions = parsed.searchParams.get("options");
  parsed.searchParams.set("options", userOptions ? `${SERVER_OPTIONS} ${userOptions}` : SERVER_OPTIONS);
  const poolSize = opts.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new InvalidArgumentError(`Warehouse.open: poolSize must be a positive integer, got ${String(opts.poolSize)}.`);
  }
  const pool = new pg.Pool({ connectionString: parsed.toString(), max: poolSize, connectionTimeoutMillis: 15_000 });
  // An idle connection dropped by the server must not crash the process (the pool drops it; the next
  // query takes a new one), nor may one dropped while checked out (watchPool).
  pool.on("error", () => undefined);
  watchPool(pool);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw wrapError(err, `cannot connect to ${shown}`, secret);
  }
  const session = new PgPoolSession(pool, secret, shown);
  return new SessionWarehouse(session, "postgres", shown, async () => {
    await pool.end();
  });
}

async function openEmbedded(url: string): Promise<Warehouse> {
  const target = url.slice("embedded:".length);
  if (target === "") {
    throw new InvalidArgumentError(`Warehouse.open: "embedded:" needs a folder or "memory", e.g. "embedded:.trellis/warehouse" or "embedded:memory".`);
  }
  if (target === "memory") {
    const db = await createLite(undefined, url);
    return new SessionWarehouse(new LiteSession(db, db, 0, url), "embedded", url, () => db.close());
  }
  const dir = path.resolve(target);
  // Openers in one process share one database (PGlite runs every query and transaction one at a
  // time); the folder lock keeps other processes out until the last opener closes.
  const entry = openFolders.get(dir) ?? openFolder(dir, url);
  entry.refs++;
  let db: PGlite;
  try {
    db = await entry.db;
  } catch (err) {
    entry.refs--;
    throw err;
  }
  // SessionWarehouse.close runs this once per opener.
  return new SessionWarehouse(new LiteSession(db, db, 0, url), "embedded", url, async () => {
    if (--entry.refs > 0) return;
    openFolders.delete(dir);
    try {
      await db.close();
    } finally {
      entry.lock.release();
    }
  });
}

/** Locks `dir` and starts its database, registered for the other openers of this process. */
function openFolder(dir: string, url: string): OpenFolder {
  const lock: FolderLock = lockFolder(dir);
  const entry: OpenFolder = {
    refs: 0,
    db: createLite(dir, url).catch((err: unknown) => {
      openFolders.delete(dir);
      lock.release();
      throw err;
    }),
    lock,
  };
  openFolders.set(dir, entry);
  return entry;
}

/** A folder's database shared by the openers of this process. */
interface OpenFolder {
  db: Promise<PGlite>;
  refs: number;
  lock: FolderLock;
}

/** The embedded folders open in this process, by absolute path. */
const openFolders = new Map<string, OpenFolder>();

/** The data directory `embedded:memory` starts from instead of running initdb, if any. */
let memoryTemplate: Blob | undefined;

/**
 * Sets a pristine data directory (a `PGlite#dumpDataDir` tarball taken right after `PGlite.create()`)
 * that each `embedded:memory` warehouse of this process is loaded from, skipping initdb (most of the
 * cost of opening one); `undefined` goes back to initdb. Returns the previous one. @internal (tests)
 */
export function setEmbeddedMemoryTemplate(template: Blob | undefined): Blob | undefined {
  const previous = memoryTemplate;
  memoryTemplate = template;
  return previous;
}

async function createLite(dataDir: string | undefined, url: string): Promise<PGlite> {
  try {
    // Loaded on first use: a process that never opens an embedded warehouse (a scoring service)
    // never pays for PGlite's WASM module.
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create(dataDir !== undefined ? { dataDir } : memoryTemplate ? { loadDataDir: memoryTemplate } : {});
    await db.exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET bytea_output = 'hex'; SET extra_float_digits = 3");
    return db;
  } catch (err) {
    throw wrapError(err, `cannot open the embedded warehouse ${url}`);
  }
}

/**
 * Opens a warehouse from a URL:
 * - `postgres://user:password@host:5432/db` or `postgresql://…` — a PostgreSQL server through a `pg`
 *   pool (query parameters such as `?options=-c search_path=analytics` and `sslmode` pass through);
 * - `embedded:<folder>` — PGlite persisted in that folder (created when missing). Openers in one
 *   process share one database; another process gets a {@link LockedError} until the last closes;
 * - `embedded:memory` — a throwaway in-memory PGlite.
 *
 * Connection errors are {@link WarehouseError}s showing the URL without its password.
 * @example
 * const wh = await Warehouse.open("embedded:.trellis/warehouse");
 * const server = await Warehouse.open(process.env.DATABASE_URL!, { poolSize: 4 });
 */
export const Warehouse: { open(url: string, opts?: WarehouseOpenOptions): Promise<Warehouse> } = {
  async open(url: string, opts: WarehouseOpenOptions = {}): Promise<Warehouse> {
    if (typeof url !== "string") {
      throw new InvalidArgumentError(`Warehouse.open: expected a URL string, got ${typeof url}; e.g. "embedded:memory".`);
    }
    if (/^postgres(ql)?:\/\//i.test(url)) return openPostgres(url, opts);
    if (url.startsWith("embedded:")) return openEmbedded(url);
    throw new InvalidArgumentError(
      `Warehouse.open: unsupported URL ${JSON.stringify(redactUrl(url))}; use "postgres://…", "postgresql://…", "embedded:<folder>" or "embedded:memory".`,
    );
  },
};
