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
  /** A session pinned to one connection until `release()`, for temp tables and cursors. */
  acquire(): Promise<{ session: Session; release: () => void }>;
}

/** Turns a driver error into a {@link WarehouseError} with the SQLSTATE and no secret. @internal */
export function wrapError(err: unknown, context: string, secret?: string): TrellisError {
  // Our own errors (a bad batch found while feeding COPY…) already say what is wrong.
  if (err instanceof TrellisError) return err;
  const e = err as { message?: unknown; code?: unknown; detail?: unknown; hint?: unknown };
  let text = typeof e?.message === "string" ? e.message : String(err);
  const code = typeof e?.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (typeof e?.detail === "string" && e.detail) text += ` (${e.detail})`;
  if (typeof e?.hint === "string" && e.hint) text += ` Hint: ${e.hint}`;
  let message = `${context}: ${text}${code ? ` [SQLSTATE ${code}]` : ""}`;
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

async function pgQuery(target: PgQueryable, sql: string, params: readonly unknown[] | undefined, secret: string): Promise<RawResult> {
  try {
    const config: pg.QueryArrayConfig = { text: sql, rowMode: "array", types: rawTypes as unknown as pg.CustomTypesConfig };
    if (params && params.length) config.values = params as unknown[];
    const res = (await target.query(config)) as pg.QueryArrayResult | pg.QueryArrayResult[];
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    if (!last) return { fields: [], rows: [], affected: 0 };
    return {
      fields: (last.fields ?? []).map((f) => ({ name: f.name, oid: f.dataTypeID })),
      rows: last.rows ?? [],
      affected: last.command === "SELECT" ? 0 : (last.rowCount ?? 0),
    };
  } catch (err) {
    throw wrapError(err, `query failed (${sqlForMessage(sql)})`, secret);
  }
}

/**
 * Yields the bytes of a binary COPY TO. When the consumer stops early the connection is still in
 * COPY mode: with `onAbort: "drain"` the rest is read and dropped (keeps a transaction's connection
 * usable); with `"leave"` the caller must destroy the connection.
 */
async function* pgCopyOut(client: pg.PoolClient, selectSql: string, secret: string, onAbort: "drain" | "leave"): AsyncGenerator<Uint8Array> {
  const stream = client.query(copyStreams.to(`COPY (${selectSql}) TO STDOUT (FORMAT binary)`));
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
    throw wrapError(err, `COPY read failed (${sqlForMessage(selectSql)})`, secret);
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
  secret: string,
): Promise<number> {
  const stream = client.query(copyStreams.from(`COPY ${target} FROM STDIN (FORMAT binary)`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", () => resolve());
    stream.on("error", (err: unknown) => reject(err));
  });
  // Keep the rejection handled even if we fail before awaiting `done`.
  done.catch(() => undefined);
  try {
    for await (const chunk of chunks) {
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
    stream.end();
    await done;
    return stream.rowCount;
  } catch (err) {
    // Abort the COPY so the server rolls it back and the connection stays usable.
    if (!stream.destroyed) stream.destroy(err instanceof Error ? err : new Error(String(err)));
    await done.catch(() => undefined);
    throw wrapError(err, `COPY into ${target} failed`, secret);
  }
}

/** A pg pool, outside any transaction. @internal */
export class PgPoolSession implements Session {
  readonly backend = "postgres" as const;
  readonly inTransaction = false;
  constructor(
    readonly pool: pg.Pool,
    private readonly secret: string,
  ) {}

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return pgQuery(this.pool, sql, params, this.secret);
  }

  async *copyOut(selectSql: string): AsyncGenerator<Uint8Array> {
    const client = await this.connect();
    let completed = false;
    try {
      for await (const chunk of pgCopyOut(client, selectSql, this.secret, "leave")) yield chunk;
      completed = true;
    } finally {
      // A COPY abandoned half-way leaves the connection mid-protocol: close it rather than reuse it.
      client.release(completed ? undefined : true);
    }
  }

  async copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    const client = await this.connect();
    try {
      return await pgCopyIn(client, target, chunks, this.secret);
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken = false;
    try {
      await pgQuery(client, "BEGIN", undefined, this.secret);
      try {
        const result = await fn(new PgClientSession(client, this.secret, 1));
        await pgQuery(client, "COMMIT", undefined, this.secret);
        return result;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw err;
      }
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async acquire(): Promise<{ session: Session; release: () => void }> {
    const client = await this.connect();
    return { session: new PgClientSession(client, this.secret, 0), release: () => client.release() };
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw wrapError(err, "cannot get a connection from the pool", this.secret);
    }
  }
}

/** One pg connection (depth 0: pinned, not in a transaction; ≥1: inside a transaction). @internal */
export class PgClientSession implements Session {
  readonly backend = "postgres" as const;
  constructor(
    private readonly client: pg.PoolClient,
    private readonly secret: string,
    private readonly depth: number,
  ) {}

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return pgQuery(this.client, sql, params, this.secret);
  }

  copyOut(selectSql: string): AsyncIterable<Uint8Array> {
    return pgCopyOut(this.client, selectSql, this.secret, "drain");
  }

  copyIn(target: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    return pgCopyIn(this.client, target, chunks, this.secret);
  }

  async transaction<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    if (this.depth === 0) {
      await this.query("BEGIN");
      try {
        const result = await fn(new PgClientSession(this.client, this.secret, 1));
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
      const result = await fn(new PgClientSession(this.client, this.secret, this.depth + 1));
      await this.query(`RELEASE SAVEPOINT ${sp}`);
      return result;
    } catch (err) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${sp}`).catch(() => undefined);
      throw err;
    }
  }

  async acquire(): Promise<{ session: Session; release: () => void }> {
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

async function liteQuery(db: LiteQueryable, sql: string, params?: readonly unknown[]): Promise<RawResult> {
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
    throw wrapError(err, `query failed (${sqlForMessage(sql)})`);
  }
}

/** The embedded PGlite database, or a transaction on it. @internal */
export class LiteSession implements Session {
  readonly backend = "embedded" as const;
  constructor(
    private readonly db: LiteQueryable,
    private readonly root: PGlite,
    private readonly depth: number,
  ) {}

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  query(sql: string, params?: readonly unknown[]): Promise<RawResult> {
    return liteQuery(this.db, sql, params);
  }

  async *copyOut(selectSql: string): AsyncGenerator<Uint8Array> {
    let res;
    try {
      res = await this.db.query(`COPY (${selectSql}) TO '/dev/blob' WITH (FORMAT binary)`);
    } catch (err) {
      throw wrapError(err, `COPY read failed (${sqlForMessage(selectSql)})`);
    }
    if (!res.blob) throw new WarehouseError(`COPY read returned no data (${sqlForMessage(selectSql)})`);
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
        throw wrapError(err, `COPY into ${target} failed`);
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
      return this.root.transaction((tx) => fn(new LiteSession(tx, this.root, 1)));
    }
    const sp = `trellis_sp_${this.depth}`;
    await this.query(`SAVEPOINT ${sp}`);
    try {
      const result = await fn(new LiteSession(this.db, this.root, this.depth + 1));
      await this.query(`RELEASE SAVEPOINT ${sp}`);
      return result;
    } catch (err) {
      await this.db.query(`ROLLBACK TO SAVEPOINT ${sp}`).catch(() => undefined);
      throw err;
    }
  }

  async acquire(): Promise<{ session: Session; release: () => void }> {
    // PGlite is a single connection: pinning is free.
    return { session: this, release: () => undefined };
  }
}
