/**
 * The Parquet engine: parquet-wasm (arrow-rs compiled to WebAssembly), loaded lazily so that
 * importing @trellis/shared does not compile 5 MB of WebAssembly for programs that never touch
 * Parquet. Data crosses the boundary as Arrow IPC streams.
 */
import * as arrow from "apache-arrow";
import { ffiSupported, importFfiBatch } from "./ffi";
import { pinHeapTop } from "./heap-pins";

type ParquetWasm = typeof import("parquet-wasm");
/** A table living in WebAssembly memory. */
export type WasmTable = import("parquet-wasm").Table;
/** A record batch living in WebAssembly memory. */
export type WasmRecordBatch = import("parquet-wasm").RecordBatch;

let loading: Promise<ParquetWasm> | undefined;

/** Loads (once) and returns the parquet-wasm module (its Node build, which instantiates synchronously). */
export function parquetWasm(): Promise<ParquetWasm> {
  loading ??= import("parquet-wasm").then((m) => {
    // Under CommonJS interop the namespace may arrive as `default`.
    const mod = m as ParquetWasm & { default?: ParquetWasm };
    return typeof mod.readParquet === "function" ? mod : (mod.default as ParquetWasm);
  });
  return loading;
}

/**
 * Decodes an in-memory Parquet file (already projected, see `project.ts`) into Arrow JS record
 * batches of at most `batchSize` rows. Uses the synchronous reader, which reports corrupt data
 * as errors (the asynchronous one panics inside a callback on corrupt pages).
 */
export async function decodeParquet(bytes: Uint8Array, batchSize: number): Promise<arrow.RecordBatch[]> {
  const pw = await parquetWasm();
  const table = pw.readParquet(bytes, { batchSize });
  const schema = arrow.tableFromIPC(table.schema.intoIPCStream()).schema;
  if (!ffiSupported(schema)) {
    const batches = wasmTableToBatches(table);
    pinHeapTop();
    return batches;
  }
  // Flat columns: copy buffers straight out of WASM memory (see ffi.ts).
  const stream = table.intoFFI();
  try {
    const addrs = stream.arrayAddrs();
    const memory = pw.wasmMemory().buffer;
    const batches = Array.from(addrs, (addr) => importFfiBatch(memory, addr, schema));
    pinHeapTop(); // keeps these buffers' memory with the process once they are freed (see heap-pins.ts)
    return batches;
  } finally {
    stream.free();
  }
}

/** The Arrow schema of an in-memory Parquet file (its footer is enough). */
export async function decodeSchema(bytes: Uint8Array): Promise<arrow.Schema> {
  const pw = await parquetWasm();
  return arrow.tableFromIPC(pw.readSchema(bytes).intoIPCStream()).schema;
}

/** Moves a WASM record batch into an Arrow JS record batch (consumes the WASM batch). */
export function wasmBatchToArrow(batch: WasmRecordBatch): arrow.RecordBatch {
  const table = arrow.tableFromIPC(batch.intoIPCStream());
  return table.batches.length === 1 ? table.batches[0] : new arrow.RecordBatch(table.schema, table.batches[0]?.data);
}

/** Moves a WASM table into Arrow JS record batches (consumes the WASM table). */
export function wasmTableToBatches(table: WasmTable): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  try {
    for (const b of table.recordBatches()) out.push(wasmBatchToArrow(b));
  } finally {
    table.free();
  }
  return out;
}

/** Copies an Arrow JS table (or batch) into WebAssembly memory. */
export async function arrowToWasmTable(data: arrow.Table | arrow.RecordBatch): Promise<WasmTable> {
  const pw = await parquetWasm();
  const table = data instanceof arrow.Table ? data : new arrow.Table([data]);
  return pw.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
}

/** Errors thrown from WASM arrive as Error or as plain strings; this gives their text. */
export function engineMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^(Error|RuntimeError):\s*/, "");
}
