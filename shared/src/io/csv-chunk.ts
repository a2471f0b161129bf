/**
 * One part of a parallel CSV read: the records of a byte range of the file (it starts at a record
 * start and ends at a line end), read from the file block by block by a {@link CsvColumns} of its
 * own, on the calling thread or in a worker thread (`csv-worker.ts`). Everything a worker needs
 * travels as plain data (the output fields as an Arrow IPC schema); the columns come back with
 * their buffers transferred, not copied (`parquet/wire.ts`).
 */
import { open } from "node:fs/promises";
import * as arrow from "apache-arrow";
import { makeBatch } from "../frame/table";
import { type ColumnSpec, CsvColumns } from "./csv-parse";
import { CSV_INVALID, parseIsoDateMs, parseIsoTimestampMs, textConverter } from "./csv";
import { BlockReader, readRangeSync } from "./file-blocks";
import { type WireBatches, batchesToWire, wireToBatches } from "./parquet/wire";

/** What a part is read with (all of it structured-cloneable). */
export interface ChunkTask {
  id: number;
  /** The file, and the byte range of the part: whole records with no quote character. */
  file: string;
  from: number;
  to: number;
  /** The fields of the columns read (their types ignored where guessed), as an IPC stream of no rows. */
  fields: Uint8Array;
  /** The file column feeding each field. */
  sources: number[];
  /** Whether the types are guessed (no schema). */
  guess: boolean;
  /** Guesses to start from (all guessed columns), when a first read of the part disagreed. */
  initialGuesses?: number[];
  delimiter: string;
  quote: string;
  nullValues: string[];
  batchSize: number;
  fileColumns: number;
  label: string;
  path: string | undefined;
}

/** A part read. */
export interface ChunkOutput {
  rows: number;
  /** The guess of each column at the end of the part (see `mergeGuess`). */
  guesses: number[];
  fields: arrow.Field[];
  batches: { rows: number; data: arrow.Data[] }[];
}

/** A worker's answer: the part's columns (none for no rows), or the error it met. */
export type ChunkMessage =
  | { id: number; ok: true; rows: number; guesses: number[]; wire: WireBatches | null }
  | { id: number; ok: false; message: string };

/** Thrown when a part holds a quote character: its bounds may then not be record bounds. */
export class QuotedPartError extends Error {}

/** The fields as an IPC stream of an empty table (types, nullability and metadata kept). */
export function fieldsToIpc(fields: arrow.Field[]): Uint8Array {
  return arrow.tableToIPC(new arrow.Table(new arrow.Schema(fields)), "stream");
}

/**
 * Reads the records of a part into columns. Throws what the one-pass reader would throw (with line
 * numbers counted from the part's start), or a {@link QuotedPartError}.
 */
export async function readChunk(task: ChunkTask): Promise<ChunkOutput> {
  const fields = arrow.tableFromIPC(task.fields).schema.fields;
  const specs = fields.map(
    (f, k): ColumnSpec => ({ field: f, source: task.sources[k], guess: task.guess, convert: task.guess ? (s: string) => s : textConverter(f.type, task.label, f.name) }),
  );
  const fh = await open(task.file, "r");
  try {
    const cols = new CsvColumns(specs, {
      delimiter: task.delimiter,
      quote: task.quote,
      nullValues: task.nullValues,
      batchSize: task.batchSize,
      inferRows: Infinity,
      fileColumns: task.fileColumns,
      label: task.label,
      path: task.path,
      invalid: CSV_INVALID,
      guessing: { isoDateMs: parseIsoDateMs, isoTimestampMs: parseIsoTimestampMs },
      initialGuesses: task.initialGuesses,
      reread: (start, end) => readRangeSync(fh.fd, start, end),
    });
    const quote = Buffer.from(task.quote)[0];
    const r = new BlockReader(fh, task.from, task.to);
    let checked = 0;
    do {
      await r.fill();
      const held = r.buf.subarray(0, r.n);
      if (held.indexOf(quote, checked) >= 0) throw new QuotedPartError(`${task.label}: a quote character in bytes ${r.base}–${r.base + r.n}`);
      const used = cols.feed(r.buf, 0, r.n, r.final, Infinity, r.base);
      r.consume(used);
      checked = r.n;
    } while (!r.final);
    if (r.n > 0 || r.base !== task.to) throw new QuotedPartError(`${task.label}: the part ${task.from}–${task.to} ended inside a record`);
    const batches = cols.take(true);
    return { rows: cols.rows, guesses: cols.guessCodes, fields: cols.schemaFields, batches };
  } finally {
    await fh.close();
  }
}

/** A part read, as a worker sends it back, with the buffers to transfer. */
export async function chunkMessage(task: ChunkTask): Promise<{ message: ChunkMessage; transfer: ArrayBuffer[] }> {
  try {
    const out = await readChunk(task);
    if (!out.batches.length) return { message: { id: task.id, ok: true, rows: out.rows, guesses: out.guesses, wire: null }, transfer: [] };
    const schema = new arrow.Schema(out.fields);
    const { wire, transfer } = batchesToWire(
      schema,
      out.batches.map((b) => makeBatch(schema, b.data, b.rows)),
      true,
    );
    return { message: { id: task.id, ok: true, rows: out.rows, guesses: out.guesses, wire }, transfer };
  } catch (e) {
    return { message: { id: task.id, ok: false, message: String((e as Error)?.message ?? e) }, transfer: [] };
  }
}

/** The fields and batches of a worker's answer, as column data around the transferred buffers. */
export function outputOfMessage(m: Extract<ChunkMessage, { ok: true }>): Omit<ChunkOutput, "guesses"> {
  if (!m.wire) return { rows: m.rows, fields: [], batches: [] };
  const { schema, batches } = wireToBatches(m.wire);
  return { rows: m.rows, fields: schema.fields, batches: batches.map((b) => ({ rows: b.numRows, data: b.data.children as arrow.Data[] })) };
}
