/**
 * Arrow IPC files (the random-access "file" format, `.arrow` / `.feather` v2) and streams (the
 * "stream" format, `.arrows`), read and written batch by batch; writes are atomic.
 */
import { open, stat } from "node:fs/promises";
import { unwrapTable } from "../frame/table-like";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "../errors";
import { filterTable, validateFilter, type Filter } from "../frame/filter";
import { describe as describeValue } from "../frame/table";
import { batchesOf, emptyTable, fileError, projectBatch, writeFileAtomic, type BatchSource } from "./csv";

/** The two Arrow IPC formats. */
export type ArrowIpcFormat = "file" | "stream";

/** Options of {@link readArrow} and {@link readArrowBatches}. */
export interface ReadArrowOptions {
  /** Keep only these columns, in this order. */
  columns?: string[];
  /** Keep only the rows matching this filter. */
  filter?: Filter;
}

/** Options of {@link writeArrow}. */
export interface WriteArrowOptions {
  /** Default: `"stream"` for `.arrows`, `"file"` otherwise. */
  format?: ArrowIpcFormat;
}

/** The IPC format a path's extension implies. */
export function arrowFormatOfPath(path: string): ArrowIpcFormat {
  return /\.arrows$/i.test(path) ? "stream" : "file";
}

/**
 * Streams the record batches of an Arrow IPC file or stream (the format is detected from the
 * bytes), optionally keeping some columns and the rows matching a filter.
 * @example
 * for await (const batch of readArrowBatches("features.arrow", { columns: ["id", "score"] })) console.log(batch.numRows);
 */
export async function* readArrowBatches(path: string, options: ReadArrowOptions = {}): AsyncGenerator<arrow.RecordBatch> {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`readArrowBatches: path must be a non-empty string, got ${describeValue(path)}.`);
  }
  const filter = validateFilter(options.filter);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    if ((await stat(path)).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    handle = await open(path, "r");
  } catch (e) {
    throw fileError(e, path, "readArrowBatches");
  }
  try {
    let reader: arrow.AsyncRecordBatchFileReader | arrow.AsyncRecordBatchStreamReader;
    try {
      reader = (await arrow.RecordBatchReader.from(handle as never)) as arrow.AsyncRecordBatchFileReader | arrow.AsyncRecordBatchStreamReader;
      await reader.open();
    } catch (e) {
      throw new DataIoError(`readArrowBatches: ${path} is not an Arrow IPC file or stream (${(e as Error).message}).`, { path, cause: e });
    }
    const schema = reader.schema;
    if (!schema) throw new DataIoError(`readArrowBatches: ${path} is empty or not an Arrow IPC file or stream.`, { path });
    const all = schema.fields.map((f) => f.name);
    if (filter.length) validateFilter(filter, all);
    const names = options.columns ?? all;
    const unknown = names.filter((c) => !all.includes(c));
    if (unknown.length) {
      throw new InvalidArgumentError(
        `readArrowBatches: unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} in ${path}; available columns: ${all.join(", ")}.`,
      );
    }
    const outSchema = new arrow.Schema(names.map((n) => schema.fields.find((f) => f.name === n)!), schema.metadata);
    let yielded = false;
    try {
      for await (const batch of reader) {
        const parts = filter.length ? filterTable(new arrow.Table([batch]), filter).batches : [batch];
        for (const b of parts) {
          if (!b.numRows) continue;
          yielded = true;
          yield options.columns ? projectBatch(b, outSchema, names) : b;
        }
      }
    } catch (e) {
      if (e instanceof InvalidArgumentError || e instanceof DataIoError) throw e;
      throw new DataIoError(`readArrowBatches: ${path} is truncated or corrupt (${(e as Error).message}).`, { path, cause: e });
    }
    if (!yielded) yield emptyTable(outSchema).batches[0];
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads an Arrow IPC file or stream into a table.
 * @example
 * const table = await readArrow("features.arrow", { filter: [["score", ">", 0.5]] });
 */
export async function readArrow(path: string, options: ReadArrowOptions = {}): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = [];
  for await (const b of readArrowBatches(path, options)) batches.push(b);
  return new arrow.Table(batches[0].schema, batches);
}

/**
 * Writes a table or a stream of record batches as an Arrow IPC file or stream, atomically (a
 * temporary file renamed into place; a failed write leaves nothing behind). Returns the rows written.
 * @example
 * await writeArrow(table, "out/features.arrow");
 * await writeArrow(batches, "out/features.arrows"); // the stream format
 */
export async function writeArrow(data: BatchSource, path: string, options: WriteArrowOptions = {}): Promise<{ rows: number }> {
  const caller = "writeArrow";
  data = unwrapTable(data); // readCsv/readJson's { table, inferred }
  if (options.format !== undefined && options.format !== "file" && options.format !== "stream") {
    throw new InvalidArgumentError(`${caller}: option format must be "file" or "stream", got ${describeValue(options.format)}.`);
  }
  const format = options.format ?? (typeof path === "string" ? arrowFormatOfPath(path) : "file");
  let rows = 0;
  await writeFileAtomic(path, caller, async (append) => {
    const writer = format === "file" ? new arrow.RecordBatchFileWriter() : new arrow.RecordBatchStreamWriter();
    const pump = (async () => {
      for await (const chunk of writer) await append(chunk);
    })();
    try {
      let wrote = false;
      for await (const batch of batchesOf(data, caller)) {
        writer.write(batch);
        wrote = true;
        rows += batch.numRows;
      }
      if (!wrote) {
        if (data instanceof arrow.Table) writer.write(emptyTable(data.schema).batches[0]);
        else throw new InvalidArgumentError(`${caller}: data has no record batches, so there is no schema to write to ${path}.`);
      }
      writer.finish();
    } catch (e) {
      writer.abort();
      await pump.catch(() => undefined);
      throw e;
    }
    await pump;
  });
  return { rows };
}
