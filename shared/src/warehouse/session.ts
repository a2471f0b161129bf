import type { PGlite, Transaction as LiteTransaction } from "@electric-sql/pglite";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { TrellisError, WarehouseError } from "../errors";
import { COPY_HEADER, COPY_TRAILER } from "./copy-binary";

/** One result column: its name and PostgreSQL type OID. @internal */
export interface RawField {
  name: string;
  oid: number;
}

/** A query result in array-row form with every value still in PostgreSQL's text form. @internal */
export interface RawResult {
  fields: RawField[];
  rows: unknown[][];
  affected: number;
}

/**
 * The small set of operations a {@link Warehouse} needs from a backend connection. A session is either
 * a pool / the embedded database (not in a transaction) or one connection inside a transaction.
 * @internal
 */
export interface Session {
  readonly backend: "postgres" | "embedded";
  readonly inTransaction: boolean;
  /** Runs one statement (with bound parameters) or, without parameters, a script. */
  query(sql: string, params?: readonly unknown[]): Promise<RawResult>;
  /** Runs `COPY (selectSql) TO … (FORMAT binary)` and yields the bytes as they arrive. */
  copyOut(selectSql: string): AsyncIterable<Uint8Array>;
  /**
   * Runs `COPY target FROM … (FORMAT binary)` fed by `chunks`: {@link COPY_HEADER}, chunks of whole
   * rows, {@link COPY_TRAILER} (as {@link CopyBinaryEncoder} produces them).
   */
  copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number>;
  /** Runs `fn` in a transaction (a savepoint when already inside one). */
  transaction<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /**
   * A session pinned to one connection until `release()`, for temp tables and cursors;
   * `release(true)` closes the connection instead of returning it to the pool (its state is unknown).
   */
  acquire(): Promise<{ session: Session; release: (discard?: boolean) => void }>;
  /**
   * Server only: runs a statement with parameters but reads at most `maxRows` rows in one round
   * trip; `complete` is false when more rows remain (they are not read).
   */
  probe?(sql: string, params: readonly unknown[], maxRows: number): Promise<RawResult & { complete: boolean }>;
  /** Server only: the columns a statement returns (null when it returns no rows), without running it. */
  describe?(sql: string): Promise<RawField[] | null>;
}

/**
 * Whether a driver error means the connection itself is gone: the server ended the session
 * (SQLSTATE 57P01–57P03: terminated by an administrator, crash or shutdown), a connection exception
 * (class 08), a reset socket, or node-postgres' own "Connection terminated" / "not queryable".
 * @internal
 */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^(57P0[123]|08[0-9A-Z]{3})$/.test(code)) return true;
  if (["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ENOTCONN"].includes(code)) return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /Connection terminated|not queryable|Client was closed|write after end/i.test(message);
}

/** Appended to the message of an error that lost the connection: what happened and what to do. */
const LOST = "; the connection to the server was lost and the statement did not complete (a COMMIT's outcome is unknown); nothing needs reopening: the next call takes a new connection";

/** Turns a driver error into a {@link WarehouseError} with the SQLSTATE and no secret. @internal */
export function wrapError(err: unknown, context: string, secret?: string): TrellisError {
  // Our own errors (a bad batch found while feeding COPY…) already say what is wrong.
  if (err instanceof TrellisError) return err;
  const e = err as { message?: unknown; code?: unknown; detail?: unknown; hint?: unknown };
  let text = typeof e?.message === "string" ? e.message : String(err);
  // A SQLSTATE has five characters with a digit among them (not an errno such as EPIPE).
  const code = typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && /\d/.test(e.code) ? e.code : undefined;
  if (typeof e?.detail === "string" && e.detail) text += ` (${e.detail})`;
  if (typeof e?.hint === "string" && e.hint) text += ` Hint: ${e.hint}`;
  let message = `${context}: ${text}${code ? ` [SQLSTATE ${code}]` : ""}${isConnectionLoss(err) ? LOST : ""}`;
  if (secret && secret.length >= 3) message = message.split(secret).join("***");
  return new WarehouseError(message, { cause: err, sqlState: code });
}

/** Shortens SQL for error messages. */
export function sqlForMessage(sql: string): string {
  const oneLine = sql.replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

// ---------------------------------------------------------------------------------------------
// node-postgres
// ---------------------------------------------------------------------------------------------

const rawTypes = { getTypeParser: () => (value: string) => value };

type PgQueryable = pg.Pool | pg.PoolClient;

/** What a pg session needs to word its errors: the password to hide and the redacted URL to show. */
interface PgContext {
  secret: string;
  url: string;
}

/**
 * The error a client emitted when its connection died while no query was running on it (between the
 * statements of a transaction, say). node-postgres then answers the next query with a bare "not
 * queryable"; the error kept here says why.
 */
const lostErrors = new WeakMap<pg.ClientBase, unknown>();

/**
 * Gives every client of `pool` an 'error' listener for its whole life. node-postgres emits 'error' on
 * a client whose connection dies; pg-pool listens only while the client is idle in the pool, so a
 * checked-out client (a transaction, a COPY) without a listener of its own would crash the process.
 * The failure itself reaches the caller as the rejection of the running or next query; the pool drops
 * the client on release because it is no longer queryable. @internal
 */
export function watchPool(pool: pg.Pool): void {
  pool.on("connect", (client: pg.PoolClient) => {
    client.on("error", (err: unknown) => {
      if (!lostErrors.has(client)) lostErrors.set(client, err);
    });
  });
}

/** The driver error to report: the one that killed the client when node-postgres only says "not queryable". */
function rootError(target: PgQueryable, err: unknown): unknown {
  if (target instanceof pg.Pool) return err;
  const lost = lostErrors.get(target as pg.ClientBase);
  return lost !== undefined && /not queryable/i.test(String((err as Error)?.message)) ? lost : err;
}

function rawResult(res: pg.QueryArrayResult | pg.QueryArrayResult[] | undefined): RawResult {
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  if (!last) return { fields: [], rows: [], affected: 0 };
  return {
    fields: (last.fields ?? []).map((f) => ({ name: f.name, oid: f.dataTypeID })),
    rows: last.rows ?? [],
    affected: last.command === "SELECT" ? 0 : (last.rowCount ?? 0),
  };
}

async function pgQuery(target: PgQueryable, sql: string, params: readonly unknown[] | undefined, ctx: PgContext): Promise<RawResult> {
  try {
    const config: pg.QueryArrayConfig = { text: sql, rowMode: "array", types: rawTypes as unknown as pg.CustomTypesConfig };
    if (params && params.length) config.values = params as unknown[];
    return rawResult((await target.query(config)) as pg.QueryArrayResult | pg.QueryArrayResult[]);
  } catch (err) {
    throw wrapError(rootError(target, err), `query on ${ctx.url} failed (${sqlForMessage(sql)})`, ctx.secret);
  }
}

/** The internals of pg's Query that {@link ProbeQuery} builds on (pg 8.23; pinned). */
interface PgQueryInternals {
  portal: string;
  _result: { addCommandComplete(msg: unknown): void };
  _checkForMultirow(): void;
}
type PgConnection = {
  execute(o: { portal: string; rows: number }): void;
  sync(): void;
  parse(o: { text: string; name: string; types: number[] }): void;
  describe(o: { type: "S" | "P"; name: string }): void;
  sendCopyFail(msg: string): void;
};
const QueryBase = pg.Query as unknown as new (config: pg.QueryArrayConfig) => pg.Submittable & PgQueryInternals;

/**
 * A query whose first round trip is pg's own (Parse, Bind, Describe, Execute, Sync, written at once)
 * but whose Execute stops after `rows` rows: a result that fits comes back complete in one round trip;
 * a larger one ends with PortalSuspended, the Sync closes the portal, and `suspended` tells the
 * caller to read it another way. (pg's `rows` option would instead fetch the rest batch by batch.)
 */
class ProbeQuery extends QueryBase {
  suspended = false;
  _getRows(connection: PgConnection, rows: number): void {
    connection.execute({ portal: this.portal, rows });
    connection.sync();
  }
  handlePortalSuspended(): void {
    this.suspended = true;
  }
  handleCommandComplete(msg: unknown): void {
    // The base class would send a second Sync here (it pairs `rows` with Flush).
    this._checkForMultirow();
    this._result.addCommandComplete(msg);
  }
  handleEmptyQuery(): void {}
}

/**
 * Runs a statement with bound parameters, reading at most `maxRows` rows. `complete` is false when the
 * result has more rows (the rows returned are then only the first ones).
 */
async function pgProbe(
  target: PgQueryable,
  sql: string,
  params: readonly unknown[],
  maxRows: number,
  ctx: PgContext,
): Promise<RawResult & { complete: boolean }> {
  const probe = new ProbeQuery({
    text: sql,
    values: params as unknown[],
    rows: maxRows,
    rowMode: "array",
    types: rawTypes as unknown as pg.CustomTypesConfig,
  } as pg.QueryArrayConfig);
  try {
    const res = await submit<pg.QueryArrayResult>(target, probe);
    return { ...rawResult(res), complete: !probe.suspended };
  } catch (err) {
    throw wrapError(rootError(target, err), `query on ${ctx.url} failed (${sqlForMessage(sql)})`, ctx.secret);
  }
}

/**
 * Runs a custom query object on a pool or a client. Both take its callback as the second argument
 * (the pool wraps it to release its client); neither returns a promise for such an object.
 */
function submit<T>(target: PgQueryable, query: pg.Submittable): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = target.query as unknown as (q: pg.Submittable, cb: (err: unknown, res: T) => void) => unknown;
    run.call(target, query, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * Parse + Describe of the unnamed statement + Sync: the result's columns (null when the statement
 * returns no rows) in one round trip, without planning or running it.
 */
class DescribeStatement implements pg.Submittable {
  private fields: RawField[] | null = null;
  /** Set by pg (or pg-pool) from the callback given with the query. */
  callback?: (err: unknown, fields?: RawField[] | null) => void;
  constructor(readonly text: string) {}
  submit(connection: unknown): void {
    const c = connection as PgConnection;
    c.parse({ text: this.text, name: "", types: [] });
    c.describe({ type: "S", name: "" });
    c.sync();
  }
  handleRowDescription(msg: { fields: { name: string; dataTypeID: number }[] }): void {
    this.fields = msg.fields.map((f) => ({ name: f.name, oid: f.dataTypeID }));
  }
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: unknown): void {
    (connection as PgConnection).sendCopyFail("unexpected COPY during a describe");
  }
  handleCopyData(): void {}
  handleError(err: unknown): void {
    this.finish(err);
  }
  handleReadyForQuery(): void {
    this.finish(null);
  }
  private finished = false;
  private finish(err: unknown): void {
    // Once: an error may be followed by ReadyForQuery, and pg-pool releases its client per call.
    if (this.finished) return;
    this.finished = true;
    this.callback?.(err, this.fields);
  }
}

async function pgDescribe(target: PgQueryable, sql: string, ctx: PgContext): Promise<RawField[] | null> {
  try {
    return (await submit<RawField[] | null>(target, new DescribeStatement(sql))) ?? null;
  } catch (err) {
    throw wrapError(rootError(target, err), `query on ${ctx.url} failed (${sqlForMessage(sql)})`, ctx.secret);
  }
}

/**
 * Yields the bytes of a binary COPY TO. When the consumer stops early the connection is still in
 * COPY mode: with `onAbort: "drain"` the rest is read and dropped (keeps a transaction's connection
 * usable); with `"leave"` the caller must destroy the connection.
 */
async function* pgCopyOut(client: pg.PoolClient, selectSql: string, ctx: PgContext, onAbort: "drain" | "leave"): AsyncGenerator<Uint8Array> {
  const stream = client.query(copyStreams.to(`COPY (${selectSql}) TO STDOUT (FORMAT binary)`));
  // pg-copy-streams emits 'error' when the connection dies, also after this reader has stopped
  // listening (a destroyed connection errors its running COPY): the iterator below sees the errors
  // that matter; this listener keeps a late one from becoming an uncaught exception.
  stream.on("error", () => undefined);
  // Driven by hand: a for-await over the stream would destroy it on early exit, which
  // pg-copy-streams does not support (the connection would stay detached).
  const it = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let settled = false;
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      yield next.value;
    }
    settled = true;
  } catch (err) {
    settled = true;
    throw wrapError(rootError(client, err), `COPY read on ${ctx.url} failed (${sqlForMessage(selectSql)})`, ctx.secret);
  } finally {
    if (!settled && onAbort === "drain") {
      try {
        while (!(await it.next()).done) {
          // discard the rest of the COPY
        }
      } catch {
        // The COPY failed after all: the server already ended it.
      }
    }
  }
}

async function pgCopyIn(
  client: pg.PoolClient,
  target: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ctx: PgContext,
): Promise<number> {
  const stream = client.query(copyStreams.from(`COPY ${target} FROM STDIN (FORMAT binary)`));
  // The first error of the COPY itself (the server refused a row, the connection died). After it the
  // stream has no connection any more: writing to it or destroying it would throw inside pg-copy-streams.
  let failure: { error: unknown } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", () => resolve());
    stream.on("error", (err: unknown) => {
      failure ??= { error: err };
      reject(err);
    });
  });
  // Keep the rejection handled even if we fail before awaiting `done`.
  done.catch(() => undefined);
  try {
    for await (const chunk of chunks) {
      if (failure) throw failure.error;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off("error", onError);
            resolve();
          };
          const onError = (err: unknown) => {
            stream.off("drain", onDrain);
            reject(err);
          };
          stream.once("drain", onDrain);
          stream.once("error", onError);
        });
      }
    }
    if (failure) throw failure.error;
    stream.end();
    await done;
    return stream.rowCount;
  } catch (err) {
    const copyError = failure;
    if (!copyError) {
      // Our side failed (a bad batch, the source threw): abort the COPY so the server rolls it back
      // and the connection stays usable. The error to report stays ours.
      if (!stream.destroyed) stream.destroy(err instanceof Error ? err : new Error(String(err)));
      await done.catch(() => undefined);
    }
    throw wrapError(rootError(client, copyError ? copyError.error : err), `COPY into ${target} on ${ctx.url} failed`, ctx.secret);
  }
}

/** A pg pool, outside any transaction. @internal */
export class PgPoolSession implements Session {
  readonly backend = "postgres" as const;
  readonly inTransaction = false;
  private readonly ctx: PgContext;
  constructor(
    readonly pool: pg.Pool,
    secret: string,
    url: string,
  ) {
    this.ctx = { secret, url };
  }

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return pgQuery(this.pool, sql, params, this.ctx);
  }

  probe(sql: string, params: readonly unknown[], maxRows: number): Promise<RawResult & { complete: boolean }> {
    return pgProbe(this.pool, sql, params, maxRows, this.ctx);
  }

  describe(sql: string): Promise<RawField[] | null> {
    return pgDescribe(this.pool, sql, this.ctx);
  }

  async *copyOut(selectSql: string): AsyncGenerator<Uint8Array> {
    const client = await this.connect();
    let completed = false;
    try {
      for await (const chunk of pgCopyOut(client, selectSql, this.ctx, "leave")) yield chunk;
      completed = true;
    } finally {
      // A COPY abandoned half-way leaves the connection mid-protocol: close it rather than reuse it.
      client.release(completed ? undefined : true);
    }
  }

  async copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    const client = await this.connect();
    let ok = false;
    try {
      const rows = await pgCopyIn(client, target, chunks, this.ctx);
      ok = true;
      return rows;
    } finally {
      client.release(ok ? undefined : true);
    }
  }

  async transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken = false;
    try {
      await pgQuery(client, "BEGIN", undefined, this.ctx);
      try {
        const result = await fn(new PgClientSession(client, this.ctx, 1));
        await pgQuery(client, "COMMIT", undefined, this.ctx);
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw err;
      }
    } catch (err) {
      // A failed BEGIN or COMMIT (a lost connection): the client must not go back to the pool.
      broken ||= err instanceof WarehouseError && isConnectionLoss(err.cause);
      throw err;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async acquire(): Promise<{ session: Session; release: (discard?: boolean) => void }> {
    const client = await this.connect();
    return {
      session: new PgClientSession(client, this.ctx, 0),
      // A pinned client that lost its connection is dropped by the pool anyway (it is not queryable).
      release: (discard) => client.release(discard ? true : undefined),
    };
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw wrapError(err, `cannot get a connection to ${this.ctx.url}`, this.ctx.secret);
    }
  }
}

/** One pg connection (depth 0: pinned, not in a transaction; ≥1: inside a transaction). @internal */
export class PgClientSession implements Session {
  readonly backend = "postgres" as const;
  constructor(
    private readonly client: pg.PoolClient,
    private readonly ctx: PgContext,
    private readonly depth: number,
  ) {}

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return pgQuery(this.client, sql, params, this.ctx);
  }

  probe(sql: string, params: readonly unknown[], maxRows: number): Promise<RawResult & { complete: boolean }> {
    return pgProbe(this.client, sql, params, maxRows, this.ctx);
  }

  describe(sql: string): Promise<RawField[] | null> {
    return pgDescribe(this.client, sql, this.ctx);
  }

  copyOut(selectSql: string): AsyncIterable<Uint8Array> {
    return pgCopyOut(this.client, selectSql, this.ctx, "drain");
  }

  copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    return pgCopyIn(this.client, target, chunks, this.ctx);
  }

  async transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    if (this.depth === 0) {
      await this.query("BEGIN");
      try {
        const result = await fn(new PgClientSession(this.client, this.ctx, 1));
        await this.query("COMMIT");
        return result;
      } catch (err) {
        await this.client.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    }
    const sp = `trellis_sp_${this.depth}`;
    await this.query(`SAVEPOINT ${sp}`);
    try {
      const result = await fn(new PgClientSession(this.client, this.ctx, this.depth + 1));
      await this.query(`RELEASE SAVEPOINT ${sp}`);
      return result;
    } catch (err) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${sp}`).catch(() => undefined);
      throw err;
    }
  }

  async acquire(): Promise<{ session: Session; release: (discard?: boolean) => void }> {
    return { session: this, release: () => undefined };
  }
}

// ---------------------------------------------------------------------------------------------
// PGlite
// ---------------------------------------------------------------------------------------------

type LiteQueryable = PGlite | LiteTransaction;

/** Bytes of binary COPY input sent to PGlite per COPY statement. */
let LITE_COPY_PIECE = 32 * 1024 * 1024;

/** Sets the PGlite COPY piece size; returns the previous one. @internal (tests) */
export function setLiteCopyPieceBytes(bytes: number): number {
  const previous = LITE_COPY_PIECE;
  LITE_COPY_PIECE = bytes;
  return previous;
}

/**
 * OIDs PGlite would parse into JS values; we ask for the raw text instead so both backends share one
 * conversion to Arrow (and int8 never goes through a lossy number).
 */
const RAW_OIDS = [
  16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 700, 701, 1042, 1043, 1082, 1114, 1184, 1700, 3802,
  // arrays of the above and a few common ones, so they keep PostgreSQL's text form too
  199, 1000, 1001, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1115, 1182, 1185, 1231, 2951, 3807,
];
const rawParsers: Record<number, (x: string) => string> = Object.fromEntries(RAW_OIDS.map((oid) => [oid, (x: string) => x]));

async function liteQuery(db: LiteQueryable, url: string, sql: string, params?: readonly unknown[]): Promise<RawResult> {
  try {
    if (!params || params.length === 0) {
      // Simple protocol: allows scripts of several statements.
      const results = await db.exec(sql, { rowMode: "array", parsers: rawParsers });
      const last = results[results.length - 1];
      if (!last) return { fields: [], rows: [], affected: 0 };
      return {
        fields: last.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })),
        rows: last.rows as unknown as unknown[][],
        affected: last.affectedRows ?? 0,
      };
    }
    const res = await db.query<unknown[]>(sql, params as unknown[], { rowMode: "array", parsers: rawParsers });
    return {
      fields: res.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })),
      rows: res.rows as unknown as unknown[][],
      affected: res.affectedRows ?? 0,
    };
  } catch (err) {
    throw wrapError(err, `query on ${url} failed (${sqlForMessage(sql)})`);
  }
}

/** The embedded PGlite database, or a transaction on it. @internal */
export class LiteSession implements Session {
  readonly backend = "embedded" as const;
  constructor(
    private readonly db: LiteQueryable,
    private readonly root: PGlite,
    private readonly depth: number,
    private readonly url: string,
  ) {}

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return liteQuery(this.db, this.url, sql, params);
  }

  async *copyOut(selectSql: string): AsyncGenerator<Uint8Array> {
    let res;
    try {
      res = await this.db.query(`COPY (${selectSql}) TO '/dev/blob' WITH (FORMAT binary)`);
    } catch (err) {
      throw wrapError(err, `COPY read on ${this.url} failed (${sqlForMessage(selectSql)})`);
    }
    if (!res.blob) throw new WarehouseError(`COPY read on ${this.url} returned no data (${sqlForMessage(selectSql)})`);
    const bytes = new Uint8Array(await res.blob.arrayBuffer());
    // Hand the bytes over in slices so consumers decode and emit batches progressively.
    const step = 1 << 22;
    for (let o = 0; o < bytes.length; o += step) yield bytes.subarray(o, Math.min(bytes.length, o + step));
  }

  async copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    // PGlite reads COPY input from one Blob: feed it in pieces of ~32 MB (each its own COPY with
    // header and trailer; the encoder never splits a row across chunks) so a streamed load keeps
    // bounded memory. All pieces run in the caller's transaction.
    let parts: Uint8Array[] = [];
    let size = 0;
    let total = 0;
    const flush = async () => {
      if (parts.length === 0) return;
      const blob = new Blob([COPY_HEADER, ...parts, COPY_TRAILER] as unknown as ConstructorParameters<typeof Blob>[0]);
      parts = [];
      size = 0;
      try {
        const res = await this.db.query(`COPY ${target} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob });
        total += res.affectedRows ?? 0;
      } catch (err) {
        throw wrapError(err, `COPY into ${target} on ${this.url} failed`);
      }
    };
    for await (const chunk of chunks) {
      if (chunk === COPY_HEADER || chunk === COPY_TRAILER) continue;
      parts.push(chunk);
      size += chunk.length;
      if (size >= LITE_COPY_PIECE) await flush();
    }
    await flush();
    return total;
  }


  async transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    if (this.depth === 0) {
      return this.root.transaction((tx) => fn(new LiteSession(tx, this.root, 1, this.url)));
    }
    const sp = `trellis_sp_${this.depth}`;
    await this.query(`SAVEPOINT ${sp}`);
    try {
      const result = await fn(new LiteSession(this.db, this.root, this.depth + 1, this.url));
      await this.query(`RELEASE SAVEPOINT ${sp}`);
      return result;
    } catch (err) {
      await this.db.query(`ROLLBACK TO SAVEPOINT ${sp}`).catch(() => undefined);
      throw err;
    }
  }

  async acquire(): Promise<{ session: Session; release: (discard?: boolean) => void }> {
    // PGlite is a single connection: pinning is free.
    return { session: this, release: () => undefined };
  }
}
