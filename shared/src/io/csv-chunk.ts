/**
 * One chunk of a parallel CSV read: records that start and end inside the chunk, read by a
 * {@link CsvColumns} of their own, on the calling thread or in a worker thread (`csv-worker.ts`).
 * Everything a worker needs travels as plain data: the output fields as an Arrow IPC schema, and
 * the finished batches back as one Arrow IPC stream.
 */
import * as arrow from "apache-arrow";
import { makeBatch } from "../frame/table";
import { type ColumnSpec, CsvColumns } from "./csv-parse";
import { CSV_INVALID, parseIsoDateMs, parseIsoTimestampMs, textConverter } from "./csv";

/** What a chunk is read with (all of it structured-cloneable). */
export interface ChunkTask {
  id: number;
  /** The chunk's bytes: whole records only, no quote character, no CR. */
  bytes: Uint8Array;
  /** The fields of the columns read (their types ignored where guessed), as an IPC stream of no rows. */
  fields: Uint8Array;
  /** The file column feeding each field. */
  sources: number[];
  /** Whether the types are guessed (no schema). */
  guess: boolean;
  /** Guesses to start from (all guessed columns), when a first read of the chunk disagreed. */
  initialGuesses?: number[];
  delimiter: string;
  quote: string;
  nullValues: string[];
  batchSize: number;
  fileColumns: number;
  label: string;
  path: string | undefined;
}

/** A chunk read. */
export interface ChunkOutput {
  rows: number;
  /** The guess of each column at the end of the chunk (see `mergeGuess`). */
  guesses: number[];
  fields: arrow.Field[];
  batches: { rows: number; data: arrow.Data[] }[];
}

/** A worker's answer: the chunk as an IPC stream (null for no rows), or the error it met. */
export type ChunkMessage =
  | { id: number; ok: true; rows: number; guesses: number[]; ipc: Uint8Array | null }
  | { id: number; ok: false; message: string };

/** The fields as an IPC stream of an empty table (types, nullability and metadata kept). */
export function fieldsToIpc(fields: arrow.Field[]): Uint8Array {
  return arrow.tableToIPC(new arrow.Table(new arrow.Schema(fields)), "stream");
}

/** Reads the records of a chunk into columns. Throws what the serial reader would throw. */
export function readChunk(task: ChunkTask): ChunkOutput {
  const fields = arrow.tableFromIPC(task.fields).schema.fields;
  const specs = fields.map(
    (f, k): ColumnSpec => ({ field: f, source: task.sources[k], guess: task.guess, convert: task.guess ? (s: string) => s : textConverter(f.type, task.label, f.name) }),
  );
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
  });
  const buf = task.bytes;
  cols.feed(buf, 0, buf.length, true);
  const batches = cols.take(true);
  return { rows: cols.rows, guesses: cols.guessCodes, fields: cols.schemaFields, batches };
}

/** A chunk read, as a worker sends it back. */
export function chunkMessage(task: ChunkTask): ChunkMessage {
  try {
    const out = readChunk(task);
    const schema = new arrow.Schema(out.fields);
    const ipc = out.batches.length ? arrow.tableToIPC(new arrow.Table(schema, out.batches.map((b) => makeBatch(schema, b.data, b.rows))), "stream") : null;
    return { id: task.id, ok: true, rows: out.rows, guesses: out.guesses, ipc };
  } catch (e) {
    return { id: task.id, ok: false, message: String((e as Error)?.message ?? e) };
  }
}

/** The batches of a worker's answer, as column data. */
export function batchesOfMessage(ipc: Uint8Array | null): { rows: number; data: arrow.Data[] }[] {
  if (!ipc) return [];
  return arrow.tableFromIPC(ipc).batches.map((b) => ({ rows: b.numRows, data: b.data.children as arrow.Data[] }));
}
